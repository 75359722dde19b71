"""What the frame steps (clean, transform, validate) share: spec files, type names, frame I/O.

:func:`load` reads a spec file into a mapping; every problem (missing file, bad syntax,
wrong top-level shape) is a :class:`ConfigError` saying where. :func:`check_keys` and the
``get_*`` helpers turn a misspelled key or a wrong value type into a ConfigError naming
the key (and the nearest valid one), instead of a silently ignored option.

Type names (``int64``, ``float64``, ``string``, ``bool``, ``date``, ``timestamp``,
``decimal(p,s)`` ...) map to polars dtypes through :func:`parse_type`; polars is imported
only when a type is resolved, so ``--help`` stays fast.

:func:`read_frame` / :func:`write_frame` move polars frames in and out of Parquet (zstd,
atomic through ``steps._core.files.atomic_path``); :func:`iso_timestamps` is the one
ISO 8601 parser of clean and transform.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steps._core.errors import ConfigError, DataError

MAX_SPEC_BYTES = 1024 * 1024

# name -> polars dtype attribute; aliases map to the canonical name.
_SIMPLE_TYPES = {
    "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
    "float32": "Float32", "float64": "Float64",
    "string": "String", "bool": "Boolean", "date": "Date",
}
_ALIASES = {"str": "string", "text": "string", "utf8": "string", "boolean": "bool",
            "int": "int64", "integer": "int64", "bigint": "int64", "float": "float64",
            "double": "float64", "datetime": "timestamp"}
_DECIMAL = re.compile(r"decimal\(\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)")
TYPE_NAMES = (*_SIMPLE_TYPES, "timestamp", "decimal(p,s)")


def load(path: str | Path, what: str = "spec") -> dict[str, Any]:
    """Read a YAML or JSON mapping; JSON when the name ends in ``.json``, YAML otherwise."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise ConfigError(f"{what} file {p} is {size} bytes; the limit is {MAX_SPEC_BYTES}")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {p}", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} file {p}: {exc}", path=str(p)) from exc
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{what} file {p} is not valid JSON: {exc}", path=str(p)) from exc
    else:
        import yaml  # deferred: not needed for --help

        from steps._core import yaml_safe

        try:
            data = yaml_safe.load(text)
        except yaml_safe.AliasRefused as exc:
            raise ConfigError(f"{what} file {p}: {exc}", path=str(p)) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{what} file {p} is not valid YAML: {exc}", path=str(p)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{what} file {p} must hold a mapping at the top level, "
                          f"not {_kind(data)}", path=str(p))
    return data


def _kind(value: object) -> str:
    if value is None:
        return "nothing (the file is empty)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def suggest(name: str, choices: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` when a choice is close to ``name``, else ``''``."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(mapping: Mapping[str, Any], allowed: Collection[str], where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}{suggest(str(key), allowed)}; "
                              f"allowed keys: {', '.join(allowed)}", key=str(key))


def get_mapping(spec: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = spec.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"{where}: {key!r} must be a mapping of column names, "
                          f"not {_kind(value)}", key=key)
    return value


def get_str_list(spec: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = spec.get(key, [])
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings, not {_kind(value)}",
                          key=key)
    return value


def option_names(values: list[str]) -> list[str]:
    """A repeatable, comma-separated command-line option (``--key a,b --key c``) as names."""
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def get_bool(spec: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key!r} must be true or false, not {value!r}", key=key)
    return value


@dataclass(frozen=True)
class TypeName:
    """A spec type name and the polars dtype it stands for."""

    name: str
    precision: int = 0
    scale: int = 0

    def dtype(self) -> Any:
        import polars as pl

        if self.name == "timestamp":
            return pl.Datetime("us")
        if self.name == "decimal":
            return pl.Decimal(self.precision, self.scale)
        return getattr(pl, _SIMPLE_TYPES[self.name])

    def matches(self, dtype: Any) -> bool:
        """Whether a column of ``dtype`` satisfies this type in a contract.

        ``timestamp`` accepts any time unit and time zone; the rest must be exact.
        """
        import polars as pl

        if self.name == "timestamp":
            return isinstance(dtype, pl.Datetime)
        return bool(dtype == self.dtype())

    def __str__(self) -> str:
        if self.name == "decimal":
            return f"decimal({self.precision},{self.scale})"
        return self.name


def parse_type(raw: object, where: str) -> TypeName:
    if not isinstance(raw, str):
        raise ConfigError(f"{where}: type must be a string such as 'int64', not {raw!r}")
    name = raw.strip().lower()
    name = _ALIASES.get(name, name)
    if name in _SIMPLE_TYPES or name == "timestamp":
        return TypeName(name)
    m = _DECIMAL.fullmatch(name)
    if m:
        precision, scale = int(m.group(1)), int(m.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise ConfigError(f"{where}: {raw!r} needs 1 <= precision <= 38 and "
                              "scale <= precision")
        return TypeName("decimal", precision, scale)
    raise ConfigError(f"{where}: unknown type {raw!r}{suggest(name, TYPE_NAMES)}; "
                      f"known types: {', '.join(TYPE_NAMES)}")


def type_name_of(dtype: Any) -> str:
    """A readable spec-style name for a polars dtype (for messages and reports)."""
    import polars as pl

    for name, attr in _SIMPLE_TYPES.items():
        if dtype == getattr(pl, attr):
            return name
    if isinstance(dtype, pl.Datetime):
        return "timestamp" if dtype.time_zone is None else f"timestamp[{dtype.time_zone}]"
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    return str(dtype)


ISO_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M%#z",
               "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def iso_timestamps(values: Any) -> Any:
    """A polars String Series parsed as ISO 8601 into naive UTC timestamps (microseconds).

    ``T`` or a space between date and time, optional fraction, optional ``Z``/offset
    (converted to UTC, then dropped: cadencia's timestamps are naive UTC), or a bare date.
    A value in none of these forms becomes null; callers count those as failures.
    """
    import polars as pl

    exact = _arrow_iso(values)
    if exact is not None:
        return exact
    # Arrow refused the column: the common form (what extract-http writes) in one pass,
    # the other forms only where it failed
    # cache=False: a day's timestamps are nearly all distinct; polars' cache of parsed
    # values only costs (5M values: 1.65 -> 1.3 s)
    fast = values.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False,
                                  cache=False)
    todo = fast.is_null() & values.is_not_null()
    if not todo.any():
        return fast
    normal = pl.col("v").str.strip_chars().str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    slow = values.filter(todo).to_frame("v").select(pl.coalesce([
        normal.str.to_datetime(f, time_unit="us", time_zone="UTC", strict=False)
        for f in ISO_FORMATS]).dt.replace_time_zone(None)).to_series()
    return fast.scatter(todo.arg_true(), slow)


def _arrow_iso(values: Any) -> Any:
    """``values`` parsed by Arrow's ISO 8601 cast (6x faster than polars' ``to_datetime``:
    5M values 0.2 s against 1.2 s), or None when it cannot take them all. It reads the
    forms above without an offset, and refuses the rest (an offset, a fraction finer than
    microseconds, spaces around, a leap second...), which are left to polars; it also
    reads a bare hour (``2024-01-01T10``, 13 characters), which cadencia does not: a
    column with one is left to polars too, which makes it a failure."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.compute as pc

    text = values.to_arrow()
    try:
        if pc.any(pc.equal(pc.utf8_length(text), 13)).as_py():
            return None
        stamps = pc.cast(text, pa.timestamp("us"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pl.Series(values.name, stamps)


def read_frame(path: str | Path) -> Any:
    """A whole Parquet input as a polars DataFrame (missing file 78, unreadable file 65)."""
    import polars as pl

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"input file not found: {p}", path=str(p))
    try:
        return pl.read_parquet(p)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"input {p} is not a readable Parquet file: "
                        f"{str(exc).strip().splitlines()[0]}", path=str(p)) from exc


def write_frame(path: str | Path, frame: Any) -> int:
    """Write a polars DataFrame as zstd Parquet, atomically: nothing is left on failure.

    polars' own writer (parallel, ~2x pyarrow's here); strings read back as large_string.
    """
    from steps._core.files import atomic_path
    from steps._core.parquet_io import ROW_GROUP_SIZE

    with atomic_path(path) as tmp:
        frame.write_parquet(tmp, compression="zstd", row_group_size=ROW_GROUP_SIZE)
    return int(frame.height)
