"""Credentials for the source API, from the environment only (never flags or manifests).

``CADENCIA_HTTP_AUTH`` picks the scheme; the secrets it needs are required:

=========  ==========================================================================
none       no credentials (the default)
bearer     ``Authorization: Bearer $CADENCIA_HTTP_TOKEN``
basic      HTTP basic with ``$CADENCIA_HTTP_USERNAME`` / ``$CADENCIA_HTTP_PASSWORD``
api-key    ``$CADENCIA_HTTP_API_KEY_HEADER: $CADENCIA_HTTP_API_KEY`` (header X-API-Key)
=========  ==========================================================================

:func:`credentials` registers each secret with :mod:`steps._core.redact` (the basic pair
also as the base64 its header carries), so no log line can show it.
"""

from __future__ import annotations

import dataclasses

from steps._core import redact
from steps._core.errors import ConfigError
from steps._core.settings import Secret, Settings

MODES = ("none", "bearer", "basic", "api-key")


@dataclasses.dataclass(frozen=True)
class AuthSettings(Settings):
    prefix = "CADENCIA_HTTP_"
    auth: str = "none"
    token: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    api_key: Secret | None = None
    api_key_header: str = "X-API-Key"


@dataclasses.dataclass(frozen=True)
class Credentials:
    headers: dict[str, str]
    basic: tuple[str, str] | None

    def __repr__(self) -> str:
        return f"Credentials(headers={sorted(self.headers)}, basic={self.basic is not None})"


def mode_of(s: AuthSettings) -> str:
    """The scheme ``CADENCIA_HTTP_AUTH`` names (one of :data:`MODES`), else ConfigError."""
    mode = s.auth.strip().lower()
    if mode not in MODES:
        raise ConfigError(f"CADENCIA_HTTP_AUTH={s.auth!r} is not one of {', '.join(MODES)}",
                          setting="CADENCIA_HTTP_AUTH")
    return mode


def credentials(s: AuthSettings) -> Credentials:
    """Headers (and basic-auth pair) for the chosen scheme; ConfigError names what is missing."""
    # Every secret set is masked, even one the chosen mode does not send.
    redact.register(*(v.reveal() for v in (s.token, s.password, s.api_key) if v))
    mode = mode_of(s)

    def need(field: str) -> str:
        value = getattr(s, field)
        if not value:
            name = AuthSettings.env_name(field)
            raise ConfigError(f"CADENCIA_HTTP_AUTH={mode} needs {name}, which is not set",
                              setting=name)
        return value.reveal() if isinstance(value, Secret) else str(value)

    if mode == "bearer":
        return Credentials({"Authorization": f"Bearer {need('token')}"}, None)
    if mode == "basic":
        username, password = need("username"), need("password")
        redact.register_basic(username, password)
        return Credentials({}, (username, password))
    if mode == "api-key":
        header = s.api_key_header.strip()
        if not header:
            raise ConfigError("CADENCIA_HTTP_API_KEY_HEADER is empty",
                              setting="CADENCIA_HTTP_API_KEY_HEADER")
        return Credentials({header: need("api_key")}, None)
    return Credentials({}, None)
