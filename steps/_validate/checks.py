"""Evaluate rules on a polars frame.

A row-level rule (not_null, unique, range, allowed, regex) gives a boolean "this row
fails" expression and a per-row reason; nulls pass every row rule but not_null. A
dataset-level rule gives a problem message or None. A rule that cannot apply to the data
(its column is missing, or has a type the rule cannot use) is a problem of the dataset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from steps._spec import type_name_of
from steps._validate.rules import Rule


class NotApplicable(Exception):
    """The rule cannot be evaluated on this data; the message says why."""


def _require(frame: pl.DataFrame | Profile, rule: Rule) -> None:
    missing = [c for c in rule.columns if c not in frame.columns]
    if missing:
        raise NotApplicable(f"column {missing[0]!r} is missing from the data")


def _bound(value: Any, dtype: Any, rule: Rule, key: str) -> Any:
    """A range bound as a literal comparable with a column of ``dtype``."""
    col = rule.column
    if dtype.is_numeric() and isinstance(value, (int, float)) and not isinstance(value, bool):
        return pl.lit(value)
    if dtype == pl.String and isinstance(value, str):
        return pl.lit(value)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        try:
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value)
            if isinstance(value, dt.date):
                return pl.lit(value).cast(dtype)
        except ValueError:
            pass
    raise NotApplicable(f"{key} {value!r} does not fit column {col!r}, which is "
                        f"{type_name_of(dtype)}")


def _reason(*parts: str | pl.Expr) -> pl.Expr:
    """A per-row reason from literal text and column values, joined as they are.

    Not ``pl.format``: its template reads ``{}`` as a placeholder, so a pattern such as
    ``^\\d{5}$`` or a column named ``a{b}`` would be taken for format syntax. User text is
    only ever a literal here.
    """
    return pl.concat_str([pl.lit(p, pl.String) if isinstance(p, str) else p.cast(pl.String)
                          for p in parts])


def row_check(rule: Rule, frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """``(fails, reason)`` for a row-level rule; NotApplicable when it cannot apply."""
    _require(frame, rule)
    name = rule.column or ""
    col = pl.col(name)
    dtype: Any = frame.schema.get(name)
    if rule.kind == "not_null":
        return col.is_null(), pl.lit(f"{name} is null")
    if rule.kind == "unique":
        keys = [pl.col(c) for c in rule.columns]
        key = pl.struct(keys) if len(keys) > 1 else keys[0]
        dup = key.is_duplicated() if rule.params["keep"] == "none" else ~key.is_first_distinct()
        label = ", ".join(rule.columns)
        label = f"({label})" if len(keys) > 1 else label
        shown = pl.concat_str([k.cast(pl.String) for k in keys], separator=", ")
        return (dup & pl.all_horizontal([k.is_not_null() for k in keys]),
                _reason(f"{label}=", shown, " is duplicated"))
    if rule.kind == "range":
        low, high, inclusive = rule.params["min"], rule.params["max"], rule.params["inclusive"]
        below = pl.lit(False)
        above = pl.lit(False)
        if low is not None:
            bound = _bound(low, dtype, rule, "min")
            below = col < bound if inclusive else col <= bound
        if high is not None:
            bound = _bound(high, dtype, rule, "max")
            above = col > bound if inclusive else col >= bound
        reason = pl.when(below).then(_reason(f"{name}=", col, f" is below the minimum {low}")
                                     ).otherwise(_reason(f"{name}=", col,
                                                         f" is above the maximum {high}"))
        return below | above, reason
    if rule.kind == "allowed":
        values = rule.params["values"]
        try:
            allowed = pl.Series(values, strict=False)
            allowed = allowed if allowed.dtype == dtype else allowed.cast(dtype, strict=True)
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            raise NotApplicable(f"the allowed values {values!r} do not fit column {name!r}, "
                                f"which is {type_name_of(dtype)}") from None
        return (col.is_not_null() & ~col.is_in(allowed.implode()),
                _reason(f"{name}=", col, " is not an allowed value"))
    assert rule.kind == "regex"
    if dtype != pl.String:
        raise NotApplicable(f"regex needs a string column, but {name!r} is "
                            f"{type_name_of(dtype)}")
    pattern = rule.params["pattern"]
    return (col.is_not_null() & ~col.str.contains(pattern),
            _reason(f"{name}=", col, f" does not match {pattern}"))


class Profile:
    """What the dataset-level rules read of the data (row count, schema, null counts,
    newest values), gathered batch by batch with :meth:`add`."""

    def __init__(self, schema: dict[str, Any], rules: list[Rule]) -> None:
        self.schema = dict(schema)
        self.columns = list(schema)
        self.height = 0
        self.nulls = {r.column: 0 for r in rules
                      if r.kind == "max_null_ratio" and r.column in self.schema}
        self.newest: dict[str, Any] = {
            r.column: None for r in rules if r.kind == "freshness" and r.column in
            self.schema and _temporal(self.schema[r.column])}

    @classmethod
    def of(cls, frame: pl.DataFrame, rules: list[Rule]) -> Profile:
        profile = cls(dict(frame.schema), rules)
        profile.add(frame)
        return profile

    def add(self, frame: pl.DataFrame) -> None:
        self.height += frame.height
        for name in self.nulls:
            self.nulls[name] += frame[name].null_count()
        for name, newest in self.newest.items():
            column = frame[name]
            dtype = self.schema[name]
            if isinstance(dtype, pl.Datetime) and dtype.time_zone:
                column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            latest = column.max()
            if latest is not None and (newest is None or latest > newest):
                self.newest[name] = latest

    def to_json(self) -> dict[str, Any]:
        """What :meth:`from_json` rebuilds: a shard's profile for the gather
        (``steps._validate.gather``); the schema as Arrow's own serialized schema."""
        import base64

        arrow = pl.DataFrame(schema=self.schema).to_arrow().schema
        return {"rows": self.height, "nulls": dict(self.nulls),
                "newest": {k: v.isoformat() if v is not None else None
                           for k, v in self.newest.items()},
                "schema": base64.b64encode(arrow.serialize().to_pybytes()).decode()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        import base64

        import pyarrow as pa

        arrow = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["schema"])))
        frame = pl.from_arrow(arrow.empty_table())
        assert isinstance(frame, pl.DataFrame)
        profile = cls(dict(frame.schema), [])
        profile.height = int(data["rows"])
        profile.nulls = {k: int(v) for k, v in data["nulls"].items()}
        profile.newest = {k: None if v is None else _parse_newest(v, profile.schema[k])
                          for k, v in data["newest"].items()}
        return profile

    def merge(self, other: Profile) -> None:
        """Add another shard's profile of the same schema."""
        self.height += other.height
        for name, nulls in other.nulls.items():
            self.nulls[name] = self.nulls.get(name, 0) + nulls
        for name, latest in other.newest.items():
            newest = self.newest.get(name)
            if newest is None or (latest is not None and latest > newest):
                self.newest[name] = latest


def _parse_newest(text: str, dtype: Any) -> dt.date | dt.datetime:
    return dt.date.fromisoformat(text) if dtype == pl.Date else dt.datetime.fromisoformat(text)


def _temporal(dtype: Any) -> bool:
    return bool(dtype == pl.Date or isinstance(dtype, pl.Datetime))


def dataset_check(rule: Rule, data: Profile | pl.DataFrame, reference: dt.datetime
                  ) -> tuple[str | None, int | None]:
    """``(problem or None, rows involved or None)`` for a dataset-level rule."""
    frame = data if isinstance(data, Profile) else Profile.of(data, [rule])
    rows = frame.height
    value: Any = rule.params.get("value")
    if rule.kind == "min_rows":
        if rows == 0 and value > 0:
            return f"the input has zero rows; at least {value} required", None
        return (f"{rows} rows, fewer than the minimum {value}" if rows < value else None), None
    if rule.kind == "max_rows":
        return (f"{rows} rows, more than the maximum {value}" if rows > value else None), None
    if rule.kind == "required_columns":
        missing = [c for c in rule.columns if c not in frame.columns]
        return (f"missing column(s): {', '.join(missing)}" if missing else None), None
    if rule.kind == "types":
        return _types(rule, frame), None
    _require(frame, rule)
    name = rule.column or ""
    if rule.kind == "max_null_ratio":
        nulls = frame.nulls[name]
        ratio = nulls / rows if rows else 0.0
        if ratio > value:
            return (f"{ratio:.1%} of {name!r} is null ({nulls} of {rows} rows), more than "
                    f"the maximum {value:.1%}"), nulls
        return None, nulls
    assert rule.kind == "freshness"
    return _freshness(rule, frame, name, reference), None


def _types(rule: Rule, frame: Profile) -> str | None:
    wrong = []
    for col, want in rule.params["types"].items():
        if col not in frame.columns:
            wrong.append(f"{col} is missing")
        elif not want.matches(frame.schema[col]):
            wrong.append(f"{col} is {type_name_of(frame.schema[col])}, expected {want}")
    if rule.params["strict"]:
        wrong += [f"unexpected column {c}" for c in frame.columns if c not in rule.columns]
    return "; ".join(wrong) or None


def _freshness(rule: Rule, frame: Profile, name: str, reference: dt.datetime
               ) -> str | None:
    dtype = frame.schema[name]
    if not _temporal(dtype):
        raise NotApplicable(f"freshness needs a date or timestamp column, but {name!r} is "
                            f"{type_name_of(dtype)}")
    latest = frame.newest[name]
    if latest is None:
        return f"no values in {name!r} to judge freshness (zero rows or all null)"
    if not isinstance(latest, dt.datetime):
        assert isinstance(latest, dt.date)
        latest = dt.datetime.combine(latest, dt.time())
    age = reference - latest
    if age > rule.params["max_age"]:
        return (f"the newest {name} is {latest.isoformat(' ')}, {_hours(age)} before "
                f"{reference.isoformat(' ')}; the maximum age is "
                f"{_hours(rule.params['max_age'])}")
    return None


def _hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"
