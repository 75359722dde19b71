"""clean: union the extracted inputs, drop duplicate rows and superseded versions.

Inputs:
  ``--input PATH`` or ``--input NAME=PATH`` (repeatable): Parquet files, e.g. from
  extract-http and extract-sql. Messages name an input by NAME, else by its file stem.
  An input with zero rows, or even zero columns, is fine.

Same entity: a union is refused (65) when two non-empty inputs share no column (they
cannot describe the same entity: join them instead), or when a ``--key`` column that
other inputs have is missing from a non-empty input (all its rows would have a null key).

Union: columns are matched by name; a column missing in an input is null there. Types
are aligned per column: integers widen (int32 + int64 -> int64); integers and floats give
float64; a date and a timestamp give a timestamp; an all-null column takes the other
inputs' type. A string column meeting a timestamp (or date) column is parsed as ISO 8601
(``T`` or space, optional fraction and ``Z``/offset, which is converted to UTC and
dropped); ``--parse-timestamps COL`` parses a string column even when no input has it as
a timestamp. Timestamps come out naive (UTC by convention). Any other mix (e.g. int64
and string) is a data error naming the column and both types.

Dedupe: ``--key COL`` (repeatable or comma-separated) removes only what is provably
redundant and passes on what it cannot decide, for validate's ``not_null`` and ``unique``
rules to quarantine with the rule each row broke:
  - whole-row duplicates (e.g. the same order from both sources): the first is kept;
  - with ``--order-by COL``, older versions of a key: the rows with the key's greatest
    COL are kept (a null COL counts as oldest);
  - rows that still share a key but differ (no ``--order-by``, or tied at the greatest
    COL) are conflicts: all are kept, counted and logged as a warning;
  - rows with a null in any key column are kept, counted and logged as a warning.
Without ``--key`` only whole-row duplicates are dropped. Output keeps input order.

Outputs:
  ``--out PATH``: Parquet (zstd), written atomically (nothing on failure)

Settings: none.

Errors: a missing input or a --key/--order-by column that no input has 78; inputs that
share no column, an input without a key column the others have, incompatible column
types or an unparseable timestamp 65.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps import _spec
from steps._core import runner
from steps._core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger("steps.clean")
SAMPLES = 5


def _target(column: str, types: list[tuple[str, Any]]) -> Any:
    """The one type all inputs' ``column`` becomes; DataError when they cannot agree."""
    import polars as pl

    real = [(src, t) for src, t in types if t != pl.Null]
    kinds = {t for _, t in real}
    if len(kinds) <= 1:
        return real[0][1] if real else pl.Null
    if all(t.is_integer() for t in kinds):
        return pl.Int64
    if all(t.is_integer() or t.is_float() for t in kinds):
        return pl.Float64
    if all(t == pl.Date or isinstance(t, pl.Datetime) or t == pl.String for t in kinds):
        return pl.Datetime("us") if any(isinstance(t, pl.Datetime) for t in kinds) else pl.Date
    (src_a, a), (src_b, b) = real[0], next((s, t) for s, t in real if t != real[0][1])
    raise DataError(f"column {column!r} has incompatible types: "
                    f"{_spec.type_name_of(a)} in {src_a} and {_spec.type_name_of(b)} in "
                    f"{src_b}", column=column, types=[str(a), str(b)])


def _align(frame: pl.DataFrame, schema: dict[str, Any], source: str) -> pl.DataFrame:
    import polars as pl

    columns = []
    for col, dtype in frame.schema.items():
        values, want = frame[col], schema[col]
        if dtype != want and dtype == pl.String:
            values = _spec.iso_timestamps(values)
            values = values.dt.date() if want == pl.Date else values
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone:
            values = values.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        columns.append(values.cast(want, strict=False).alias(col))
    out = pl.DataFrame(columns)
    for col in frame.columns:
        if frame.schema[col] == schema[col]:
            continue
        bad = frame[col].is_not_null() & out[col].is_null()
        if bad.any():
            samples = frame[col].filter(bad).unique(maintain_order=True).head(SAMPLES)
            raise DataError(f"column {col!r} in {source}: {int(bad.sum())} value(s) do not "
                            f"convert to {_spec.type_name_of(schema[col])}; sample values: "
                            f"{samples.to_list()!r}", column=col, input=source)
    return out


def _non_empty(frames: Sequence[pl.DataFrame], names: Sequence[str]
               ) -> list[tuple[str, pl.DataFrame]]:
    return [(n, f) for n, f in zip(names, frames, strict=True) if f.width and f.height]


def check_same_entity(frames: Sequence[pl.DataFrame], names: Sequence[str],
                      key: Sequence[str] = ()) -> None:
    """DataError when the non-empty inputs cannot describe one entity (module docstring).

    A key column that no input has is left to :func:`clean` (a configuration typo, 78).
    """
    full = _non_empty(frames, names)
    for i, (name_a, a) in enumerate(full):
        for name_b, b in full[i + 1:]:
            if not set(a.columns) & set(b.columns):
                raise DataError(f"inputs {name_a} and {name_b} share no column: they cannot "
                                f"describe the same entity (join them instead of a union); "
                                f"{name_a} has {', '.join(a.columns)}; {name_b} has "
                                f"{', '.join(b.columns)}", inputs=[name_a, name_b])
    known = {c for f in frames for c in f.columns}
    for name, frame in full:
        missing = [k for k in key if k in known and k not in frame.columns]
        if missing:
            raise DataError(f"input {name} has no key column {', '.join(map(repr, missing))} "
                            f"that other inputs have: its rows would all have a null key; "
                            f"its columns: {', '.join(frame.columns)}", input=name,
                            columns=missing)


def union(frames: Sequence[pl.DataFrame], names: Sequence[str] | None = None,
          *, parse_timestamps: Sequence[str] = ()) -> pl.DataFrame:
    """Stack ``frames`` by column name with aligned types (see the module docstring)."""
    import polars as pl

    names = list(names) if names is not None else [f"input {i + 1}" for i in range(len(frames))]
    columns: dict[str, list[tuple[str, Any]]] = {}
    for name, frame in zip(names, frames, strict=True):
        for col, dtype in frame.schema.items():
            forced = col in parse_timestamps and dtype in (pl.String, pl.Null)
            columns.setdefault(col, []).append((name, pl.Datetime("us") if forced else dtype))
    schema = {col: _target(col, types) for col, types in columns.items()}
    for col in parse_timestamps:
        if schema and col not in schema:
            raise ConfigError(f"--parse-timestamps: column {col!r} is not in the inputs"
                              f"{_spec.suggest(col, schema)}", column=col)
    aligned = [_align(f, schema, n) for n, f in zip(names, frames, strict=True) if f.width]
    if not aligned:
        return pl.DataFrame()
    return pl.concat(aligned, how="diagonal").select(list(schema))


def clean(frame: pl.DataFrame, *, key: Sequence[str] = (), order_by: str | None = None
          ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Drop duplicates and superseded versions; count what is passed on (module docstring)."""
    import polars as pl

    counts: dict[str, Any] = {"rows_in": frame.height, "duplicates_dropped": 0,
                              "superseded_dropped": 0, "null_key_rows": 0,
                              "conflicting_rows": 0}
    if frame.height == 0 or frame.width == 0:
        return frame, {**counts, "rows": frame.height}
    for col in [*key, *([order_by] if order_by else [])]:
        if col not in frame.columns:
            raise ConfigError(f"column {col!r} (from --key/--order-by) is not in the inputs"
                              f"{_spec.suggest(col, frame.columns)}; columns: "
                              f"{', '.join(frame.columns)}", column=col)
    if not key:
        out = frame.unique(keep="first", maintain_order=True)
        counts["duplicates_dropped"] = frame.height - out.height
        return out, {**counts, "rows": out.height}
    # Only rows whose key is null or not unique can be duplicates, superseded or in
    # conflict: work on that (usually small) part and keep the rest as it is.
    row = "__cadencia_row"
    null_key = pl.any_horizontal([pl.col(k).is_null() for k in key])
    key_expr = pl.struct(key) if len(key) > 1 else pl.col(key[0])
    work = frame.with_row_index(row)
    shared = work.select(key_expr.is_duplicated() | null_key).to_series()
    part = work.filter(shared)
    # the row index keeps the output in input order, so unique need not
    unique_rows = part.unique(subset=frame.columns, keep="first", maintain_order=False)
    counts["duplicates_dropped"] = part.height - unique_rows.height
    part = unique_rows
    if order_by:  # null keys are not one group: they never supersede each other
        latest = pl.col(order_by).max().over(key)
        part = part.filter(null_key | latest.is_null() | (pl.col(order_by) == latest))
        counts["superseded_dropped"] = unique_rows.height - part.height
    nulls = part.filter(null_key).height
    conflicts = part.filter(~null_key).filter(key_expr.is_duplicated())
    counts.update(null_key_rows=nulls, conflicting_rows=conflicts.height)
    out = work.filter(~shared | pl.col(row).is_in(part[row].implode())).drop(row)
    if nulls or conflicts.height:
        keys = conflicts.sort(row).select(key).unique(maintain_order=True).head(SAMPLES)
        samples = keys.to_series().to_list() if len(key) == 1 else keys.rows()
        logger.warning(
            "%d row(s) with a null key and %d row(s) sharing a key with different values "
            "passed on for validate's not_null/unique rules%s", nulls, conflicts.height,
            f"; conflicting keys: {samples!r}" if conflicts.height else "",
            extra={"null_key_rows": nulls, "conflicting_rows": conflicts.height})
    return out, {**counts, "rows": out.height}


def note(counts: dict[str, Any]) -> str:
    """The summary's one line, e.g. "1,000 duplicates dropped; 2 null keys passed on"."""
    def listed(pairs: tuple[tuple[str, str], ...], verb: str) -> list[str]:
        found = [f"{counts[k]:,} {what}" for k, what in pairs if counts.get(k)]
        return [", ".join(found) + f" {verb}"] if found else []

    return "; ".join(
        listed((("duplicates_dropped", "duplicates"), ("superseded_dropped", "superseded")),
               "dropped")
        + listed((("null_key_rows", "null keys"), ("conflicting_rows", "conflicting rows")),
                 "passed on"))


_INPUT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def input_arg(value: str) -> tuple[str | None, Path]:
    """``--input PATH`` or ``--input NAME=PATH`` (a file named like ``a=b`` stays a path)."""
    name, sep, path = value.partition("=")
    if sep and path and _INPUT_NAME.fullmatch(name) and not Path(value).is_file():
        return name, Path(path)
    return None, Path(value)


def input_names(inputs: Sequence[tuple[str | None, Path]]) -> list[str]:
    """Each input's label: its NAME, else its file stem (its path where stems repeat)."""
    stems = [p.stem for _, p in inputs]
    return [name or (p.stem if stems.count(p.stem) == 1 else str(p)) for name, p in inputs]


def main() -> None:
    p = runner.parser("clean", __doc__)
    p.add_argument("--input", type=input_arg, action="append", required=True,
                   metavar="[NAME=]PATH", help="input Parquet path, optionally named "
                   "(repeatable)")
    p.add_argument("--out", type=Path, required=True, help="output Parquet path")
    p.add_argument("--key", action="append", default=[], metavar="COL",
                   help="key column for dedupe (repeatable or comma-separated)")
    p.add_argument("--order-by", metavar="COL", help="keep the row with the greatest COL")
    p.add_argument("--parse-timestamps", action="append", default=[], metavar="COL",
                   help="parse this string column as ISO 8601 timestamps (repeatable)")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        frames = [_spec.read_frame(path) for _, path in a.input]
        names, key = input_names(a.input), _spec.option_names(a.key)
        check_same_entity(frames, names, key)
        merged = union(frames, names,
                       parse_timestamps=_spec.option_names(a.parse_timestamps))
        out, counts = clean(merged, key=key, order_by=a.order_by)
        _spec.write_frame(a.out, out)
        return {"inputs": [{"path": str(path), "rows": f.height}
                           for (_, path), f in zip(a.input, frames, strict=True)],
                **counts, "note": note(counts), "out": str(a.out)}

    runner.run("clean", args, body)


if __name__ == "__main__":
    main()
