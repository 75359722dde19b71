"""Typed settings read once from ``CADENCIA_*`` environment variables.

A settings class is a frozen dataclass deriving from :class:`Settings` with an env
``prefix``; each field reads ``PREFIX + FIELD_NAME.upper()``. A field without a default is
required: a missing value is a :class:`ConfigError` naming the variable at start-up, not
a crash mid-run. Secrets and URLs never get defaults and are typed :class:`Secret`, whose
``repr`` is masked so they cannot leak into logs.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from steps._core.errors import ConfigError

S = TypeVar("S", bound="Settings")


class Secret(str):
    """A string that never shows itself in ``repr`` or ``str`` formatting of containers."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _convert(name: str, raw: str, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        return _convert(name, raw, inner[0])
    try:
        if kind is bool:
            low = raw.strip().lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError("expected true/false")
        if kind is int:
            return int(raw)
        if kind is float:
            return float(raw)
        if origin is tuple or kind is tuple:
            return tuple(p.strip() for p in raw.split(",") if p.strip())
        if kind is Secret:
            return Secret(raw)
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"setting {name} is not a valid {getattr(kind, '__name__', kind)}: {exc}",
                          setting=name) from exc


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base class: subclasses set ``prefix`` and declare typed fields."""

    prefix: ClassVar[str] = "CADENCIA_"

    @classmethod
    def env_name(cls, field: str) -> str:
        return cls.prefix + field.upper()

    @classmethod
    def from_env(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
        env = os.environ if environ is None else environ
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        missing: list[str] = []
        for field in dataclasses.fields(cls):
            name = cls.env_name(field.name)
            raw = env.get(name)
            # An empty secret (a Secret key present but blank) is as good as none,
            # required or optional: never an empty password.
            is_secret = Secret in (hints[field.name], *typing.get_args(hints[field.name]))
            if raw is None or (raw == "" and is_secret):
                no_default = (field.default is dataclasses.MISSING
                              and field.default_factory is dataclasses.MISSING)
                if no_default:
                    missing.append(name)
                continue
            values[field.name] = _convert(name, raw, hints[field.name])
        if missing:
            raise ConfigError(f"missing required setting {', '.join(missing)}", settings=missing)
        return cls(**values)
