"""Rules files: the rule kinds, their keys, and the checks that turn a typo into a 78.

A rules file is a mapping ``{rules: [...], reject_threshold: 0.0}``; each rule is a
mapping with ``kind`` and the keys of :data:`KINDS`, plus optional ``name`` (default
``kind:column``) and ``severity`` (``error``, the default, or ``warn``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from steps import _spec
from steps._core.errors import ConfigError

ROW_KINDS = ("not_null", "unique", "range", "allowed", "regex")
DATASET_KINDS = ("min_rows", "max_rows", "required_columns", "max_null_ratio", "types",
                 "freshness")
COMMON = ("kind", "name", "severity", "description")
# kind -> (required keys, optional keys)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "not_null": (("column",), ()),
    "unique": ((), ("column", "columns", "keep")),
    "range": (("column",), ("min", "max", "inclusive")),
    "allowed": (("column", "values"), ()),
    "regex": (("column", "pattern"), ()),
    "min_rows": (("value",), ()),
    "max_rows": (("value",), ()),
    "required_columns": (("columns",), ()),
    "max_null_ratio": (("column", "value"), ()),
    "types": (("columns",), ("strict",)),
    "freshness": (("column", "max_age"), ()),
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    severity: str = "error"
    columns: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.columns[0] if len(self.columns) == 1 else None

    @property
    def row_level(self) -> bool:
        return self.kind in ROW_KINDS


def parse_duration(raw: object, where: str) -> dt.timedelta:
    """``90m``, ``36h``, ``2d``, ``1d12h``, ``1w``, or a number of seconds."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and raw > 0:
        return dt.timedelta(seconds=raw)
    text = str(raw).strip().lower().replace(" ", "")
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ConfigError(f"{where}: max_age {raw!r} is not a duration like 36h, 2d or 90m")
    return dt.timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def _number(raw: object, where: str, key: str, *, whole: bool = False,
            ratio: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
            whole and not isinstance(raw, int)) or raw < 0 or (ratio and raw > 1):
        want = "a whole number >= 0" if whole else "a fraction from 0 to 1" if ratio \
            else "a number >= 0"
        raise ConfigError(f"{where}: {key!r} must be {want}, not {raw!r}", key=key)
    return raw


def _check_regex(pattern: object, where: str) -> str:
    import polars as pl

    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{where}: 'pattern' must be a non-empty string", key="pattern")
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(f"{where}: invalid regular expression {pattern!r}: "
                          f"{str(exc).splitlines()[0]}", key="pattern") from exc
    return pattern


def parse_rule(raw: object, index: int) -> Rule:
    where = f"rule #{index + 1}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a rule must be a mapping with a 'kind', not {raw!r}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: unknown kind {kind!r}{_spec.suggest(str(kind), KINDS)}; "
                          f"kinds: {', '.join(KINDS)}", key="kind")
    required, optional = KINDS[kind]
    _spec.check_keys(raw, (*COMMON, *required, *optional), f"{where} ({kind})")
    for key in required:
        if key not in raw:
            raise ConfigError(f"{where} ({kind}): missing key {key!r}", key=key)
    severity = raw.get("severity", "error")
    if severity not in ("error", "warn"):
        raise ConfigError(f"{where}: severity must be 'error' or 'warn', not {severity!r}")
    columns: tuple[str, ...] = ()
    if "column" in raw:
        if not isinstance(raw["column"], str) or not raw["column"]:
            raise ConfigError(f"{where}: 'column' must be a column name", key="column")
        columns = (raw["column"],)
    params: dict[str, Any] = {}
    if kind in ("unique", "required_columns"):
        columns = (*columns, *_spec.get_str_list(raw, "columns", where))
        if not columns:
            raise ConfigError(f"{where} ({kind}): give 'column' or 'columns'", key="columns")
        params["keep"] = raw.get("keep", "none")
        if params["keep"] not in ("none", "first"):
            raise ConfigError(f"{where}: keep must be 'none' or 'first'", key="keep")
    elif kind == "types":
        mapping = _spec.get_mapping(raw, "columns", where)
        params["types"] = {c: _spec.parse_type(t, f"{where}: column {c!r}")
                           for c, t in mapping.items()}
        params["strict"] = _spec.get_bool(raw, "strict", where, False)
        columns = tuple(mapping)
    elif kind in ("min_rows", "max_rows"):
        params["value"] = _number(raw["value"], where, "value", whole=True)
    elif kind == "max_null_ratio":
        params["value"] = _number(raw["value"], where, "value", ratio=True)
    elif kind == "range":
        if "min" not in raw and "max" not in raw:
            raise ConfigError(f"{where} (range): give 'min', 'max' or both", key="min")
        params.update(min=raw.get("min"), max=raw.get("max"),
                      inclusive=_spec.get_bool(raw, "inclusive", where, True))
    elif kind == "allowed":
        if not isinstance(raw["values"], list) or not raw["values"] or not all(
                isinstance(v, (str, int, float, dt.date)) for v in raw["values"]):
            raise ConfigError(f"{where}: 'values' must be a non-empty list of plain values",
                              key="values")
        params["values"] = raw["values"]
    elif kind == "regex":
        params["pattern"] = _check_regex(raw["pattern"], where)
    elif kind == "freshness":
        params["max_age"] = parse_duration(raw["max_age"], where)
    name = raw.get("name") or f"{kind}:{','.join(columns)}".rstrip(":")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: 'name' must be a string", key="name")
    return Rule(name=name, kind=kind, severity=severity, columns=columns, params=params)


def parse_rules(raw: dict[str, Any]) -> tuple[list[Rule], float | None]:
    """The rules and the file's ``reject_threshold`` (None when the file sets none)."""
    _spec.check_keys(raw, ("rules", "reject_threshold"), "rules file")
    items = raw.get("rules")
    if not isinstance(items, list) or not items:
        raise ConfigError("rules file: 'rules' must be a non-empty list of rules", key="rules")
    rules = [parse_rule(item, i) for i, item in enumerate(items)]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise ConfigError(f"rules file: two rules are named {rule.name!r}; give one a "
                              "'name'", key="name")
        seen.add(rule.name)
    threshold = raw.get("reject_threshold")
    if threshold is not None:
        threshold = _number(threshold, "rules file", "reject_threshold", ratio=True)
    return rules, threshold
