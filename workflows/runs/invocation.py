"""What a run was started from: ``invocation.json`` in the run's folder, enough to run it
again (``cadencia retry``, the UI's retry) and to find its manifests and secrets (the UI's
ledger and artifacts).

``cadencia run`` writes it as the run starts, so even a stopped or killed run can be retried.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Invocation:
    """What a run was started from: enough to run it again."""

    target: str
    files: list[str]
    entry: str | None
    secrets_file: str | None
    repository: dict[str, Any] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    pipeline: str | None = None  # the compiled pipeline of --env ENV; None for --env PATH

    def save(self, run_dir: Path) -> None:
        """Write ``invocation.json``; on a failed write (a full disk) no partial file stays
        and the OSError names the file."""
        path = run_dir / "invocation.json"
        try:
            path.write_text(json.dumps(self.__dict__, indent=2) + "\n")
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            if exc.filename is None:
                raise OSError(exc.errno, exc.strerror, str(path)) from exc
            raise

    @classmethod
    def load(cls, run_dir: Path) -> Invocation:
        return cls(**json.loads((run_dir / "invocation.json").read_text()))
