"""The error tree every step raises, and the exit code each class carries.

::

    PipelineError                 (base, never raised directly)
     ├── TransientError     75    timeout, connection lost, HTTP 408/429/5xx, DB unavailable
     ├── DataError          65    validation failed, unparseable payload, schema drift
     ├── UpstreamError      76    HTTP 4xx other than 408/429, authentication refused
     └── ConfigError        78    missing setting or secret, bad spec or expression

Anything else escaping a step is a bug and exits 1.

Argo retries exit code 75 only (the compiled ``retryStrategy.expression``). Library
exceptions are translated into this tree once, at the boundary (``http``, ``db``), with
``raise ... from`` so the cause stays in the log.
"""

from __future__ import annotations

from typing import Any

EXIT_OK = 0
EXIT_BUG = 1


class PipelineError(Exception):
    """A classified step failure. ``fields`` are logged with the error line."""

    exit_code: int = EXIT_BUG
    kind: str = "error"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class TransientError(PipelineError):
    """Worth retrying later: the same input may succeed."""

    exit_code = 75
    kind = "transient"


class DataError(PipelineError):
    """The data is wrong; retrying cannot help."""

    exit_code = 65
    kind = "bad_data"


class UpstreamError(PipelineError):
    """A source or sink refused the request (auth, 4xx)."""

    exit_code = 76
    kind = "upstream_refused"


class ConfigError(PipelineError):
    """A setting, secret, spec or expression is missing or invalid."""

    exit_code = 78
    kind = "configuration"


EXIT_CODES: dict[str, int] = {
    cls.kind: cls.exit_code for cls in (TransientError, DataError, UpstreamError, ConfigError)
}
