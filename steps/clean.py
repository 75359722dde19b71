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

Memory: inputs are read in batches; past ``PARTITION_ROWS`` rows the union is spread over
hash partitions on disk by key (by the whole row without ``--key``), each deduplicated
on its own, and the output is written in input order from the aligned rows kept on disk
during the first read (steps._clean.stream), so the peak stays flat as the day grows.

Shards: ``--shard I --shards K`` (a sharded pipeline's branch I) keeps only the rows
whose key hashes to shard I, after the types are aligned, then dedupes them: every row of
a key, from any input, lands in one shard, so the K outputs together hold exactly the
rows one unsharded clean keeps. A value that does not convert is counted over the
shard's rows only (the run fails all the same).

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


def convert(frame: pl.DataFrame, schema: dict[str, Any]
            ) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """``frame`` in the union's ``schema`` (its columns only, in its order), and for each
    column with values that did not convert, the mask of those rows."""
    import polars as pl

    if all(schema[col] == dtype and not getattr(dtype, "time_zone", None)
           for col, dtype in frame.schema.items()):
        return frame, {}  # the common case: nothing to convert
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
    failures = {}
    for col in frame.columns:
        if frame.schema[col] == schema[col]:
            continue
        bad = frame[col].is_not_null() & out[col].is_null()
        if bad.any():
            failures[col] = bad
    return out, failures


def conversion_error(column: str, source: str, count: int, samples: list[Any],
                     schema: dict[str, Any]) -> DataError:
    return DataError(f"column {column!r} in {source}: {count} value(s) do not convert to "
                     f"{_spec.type_name_of(schema[column])}; sample values: {samples!r}",
                     column=column, input=source)


def _align(frame: pl.DataFrame, schema: dict[str, Any], source: str) -> pl.DataFrame:
    out, failures = convert(frame, schema)
    for col, bad in failures.items():
        samples = frame[col].filter(bad).unique(maintain_order=True).head(SAMPLES)
        raise conversion_error(col, source, int(bad.sum()), samples.to_list(), schema)
    return out


def check_same_entity(frames: Sequence[pl.DataFrame], names: Sequence[str],
                      key: Sequence[str] = ()) -> None:
    """DataError when the non-empty inputs cannot describe one entity (module docstring).

    A key column that no input has is left to :func:`clean` (a configuration typo, 78).
    """
    check_shapes([(n, f.columns, f.height) for n, f in zip(names, frames, strict=True)], key)


def check_shapes(shapes: Sequence[tuple[str, Sequence[str], int]], key: Sequence[str] = ()
                 ) -> None:
    """:func:`check_same_entity` on each input's (name, columns, rows), read without rows."""
    full = [(n, list(cols)) for n, cols, rows in shapes if cols and rows]
    for i, (name_a, a) in enumerate(full):
        for name_b, b in full[i + 1:]:
            if not set(a) & set(b):
                raise DataError(f"inputs {name_a} and {name_b} share no column: they cannot "
                                f"describe the same entity (join them instead of a union); "
                                f"{name_a} has {', '.join(a)}; {name_b} has "
                                f"{', '.join(b)}", inputs=[name_a, name_b])
    known = {c for _, cols, _ in shapes for c in cols}
    for name, columns in full:
        missing = [k for k in key if k in known and k not in columns]
        if missing:
            raise DataError(f"input {name} has no key column {', '.join(map(repr, missing))} "
                            f"that other inputs have: its rows would all have a null key; "
                            f"its columns: {', '.join(columns)}", input=name,
                            columns=missing)


def union_schema(schemas: Sequence[tuple[str, dict[str, Any]]],
                 parse_timestamps: Sequence[str] = ()) -> dict[str, Any]:
    """The union's columns and types from each input's (name, schema) (module docstring)."""
    import polars as pl

    columns: dict[str, list[tuple[str, Any]]] = {}
    for name, frame_schema in schemas:
        for col, dtype in frame_schema.items():
            forced = col in parse_timestamps and dtype in (pl.String, pl.Null)
            columns.setdefault(col, []).append((name, pl.Datetime("us") if forced else dtype))
    schema = {col: _target(col, types) for col, types in columns.items()}
    for col in parse_timestamps:
        if schema and col not in schema:
            raise ConfigError(f"--parse-timestamps: column {col!r} is not in the inputs"
                              f"{_spec.suggest(col, schema)}", column=col)
    return schema


def union(frames: Sequence[pl.DataFrame], names: Sequence[str] | None = None,
          *, parse_timestamps: Sequence[str] = ()) -> pl.DataFrame:
    """Stack ``frames`` by column name with aligned types (see the module docstring)."""
    import polars as pl

    names = list(names) if names is not None else [f"input {i + 1}" for i in range(len(frames))]
    schema = union_schema([(n, dict(f.schema)) for n, f in zip(names, frames, strict=True)],
                          parse_timestamps)
    aligned = [_align(f, schema, n) for n, f in zip(names, frames, strict=True) if f.width]
    if not aligned:
        return pl.DataFrame()
    return pl.concat(aligned, how="diagonal").select(list(schema))


def check_columns(wanted: Sequence[str], columns: Sequence[str]) -> None:
    """ConfigError for a --key/--order-by column the union does not have."""
    for col in wanted:
        if col not in columns:
            raise ConfigError(f"column {col!r} (from --key/--order-by) is not in the inputs"
                              f"{_spec.suggest(col, columns)}; columns: "
                              f"{', '.join(columns)}", column=col)


def no_counts() -> dict[str, int]:
    return {"duplicates_dropped": 0, "superseded_dropped": 0, "null_key_rows": 0,
            "conflicting_rows": 0}


def clean(frame: pl.DataFrame, *, key: Sequence[str] = (), order_by: str | None = None
          ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Drop duplicates and superseded versions; count what is passed on (module docstring)."""
    import polars as pl

    counts: dict[str, Any] = {"rows_in": frame.height, **no_counts()}
    if frame.height == 0 or frame.width == 0:
        return frame, {**counts, "rows": frame.height}
    check_columns([*key, *([order_by] if order_by else [])], frame.columns)
    work = frame.with_row_index(ROW)
    dropped, found, conflicts = dedupe(work, frame.columns, key, order_by)
    counts.update(found)
    out = work.filter(~pl.col(ROW).is_in(dropped.implode())).drop(ROW)
    log_passed_on(counts, conflicts, key)
    return out, {**counts, "rows": out.height}


ROW = "__cadencia_row"


def dedupe(work: pl.DataFrame, columns: Sequence[str], key: Sequence[str],
           order_by: str | None) -> tuple[pl.Series, dict[str, int], pl.DataFrame]:
    """The rows of ``work`` (numbered in ``ROW``) that go, the counts, and the conflicting
    keys (``ROW`` and the key, each key's first row, at most SAMPLES in row order).

    Every row of a key, and every copy of a row, must be in ``work``: the whole union,
    or one of clean's hash partitions (steps._clean.stream)."""
    import polars as pl

    counts = no_counts()
    if not key:
        kept = work.unique(subset=list(columns), keep="first", maintain_order=True)
        counts["duplicates_dropped"] = work.height - kept.height
        dropped = work.filter(~pl.col(ROW).is_in(kept[ROW].implode()))[ROW]
        return dropped, counts, work.select(ROW).head(0)
    # Only rows whose key is null or not unique can be duplicates, superseded or in
    # conflict: work on that (usually small) part and keep the rest as it is.
    null_key = pl.any_horizontal([pl.col(k).is_null() for k in key])
    key_expr = pl.struct(key) if len(key) > 1 else pl.col(key[0])
    shared = work.select(key_expr.is_duplicated() | null_key).to_series()
    part = work.filter(shared)
    # the row index keeps the output in input order, so unique need not
    unique_rows = part.unique(subset=list(columns), keep="first", maintain_order=False)
    counts["duplicates_dropped"] = part.height - unique_rows.height
    part = unique_rows
    if order_by:  # null keys are not one group: they never supersede each other
        latest = pl.col(order_by).max().over(key)
        part = part.filter(null_key | latest.is_null() | (pl.col(order_by) == latest))
        counts["superseded_dropped"] = unique_rows.height - part.height
    nulls = part.filter(null_key).height
    conflicts = part.filter(~null_key).filter(key_expr.is_duplicated())
    counts.update(null_key_rows=nulls, conflicting_rows=conflicts.height)
    dropped = work.filter(shared).filter(~pl.col(ROW).is_in(part[ROW].implode()))[ROW]
    first = conflicts.select(ROW, *key).sort(ROW).unique(subset=list(key), keep="first",
                                                         maintain_order=True)
    return dropped, counts, first.head(SAMPLES)


def log_passed_on(counts: dict[str, Any], conflicts: pl.DataFrame, key: Sequence[str]
                  ) -> None:
    """One warning for the null-key and conflicting rows passed on, with sample keys."""
    nulls, conflicting = counts["null_key_rows"], counts["conflicting_rows"]
    if nulls or conflicting:
        keys = conflicts.sort(ROW).select(key).unique(maintain_order=True).head(SAMPLES)
        samples = keys.to_series().to_list() if len(key) == 1 else keys.rows()
        logger.warning(
            "%d row(s) with a null key and %d row(s) sharing a key with different values "
            "passed on for validate's not_null/unique rules%s", nulls, conflicting,
            f"; conflicting keys: {samples!r}" if conflicting else "",
            extra={"null_key_rows": nulls, "conflicting_rows": conflicting})


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


def shard_arg(shard: int | None, shards: int, key: Sequence[str]) -> tuple[int, int] | None:
    """``(shard, shards)`` from ``--shard``/``--shards``; ConfigError when they disagree."""
    if shards < 1 or (shard is not None and not 0 <= shard < shards):
        raise ConfigError(f"--shard {shard} of --shards {shards}: a shard is 0 .. shards-1",
                          shard=shard, shards=shards)
    if shards == 1:
        return None
    if shard is None:
        raise ConfigError(f"--shards {shards} needs --shard: which one this step keeps")
    if not key:
        raise ConfigError("--shards needs --key: rows are spread over shards by their key, "
                          "so that every row of a key meets in one shard")
    return shard, shards


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
    p.add_argument("--shard", type=int, metavar="I", help="keep only shard I of the key "
                   "(0 .. --shards - 1): one branch of a sharded pipeline")
    p.add_argument("--shards", type=int, default=1, metavar="K",
                   help="how many shards the key is spread over (default 1)")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        from steps._clean.stream import clean_files

        key = _spec.option_names(a.key)
        shard = shard_arg(a.shard, a.shards, key)
        names = input_names(a.input)
        counts = clean_files(list(zip(names, [p for _, p in a.input], strict=True)), a.out,
                             key=key, order_by=a.order_by,
                             parse_timestamps=_spec.option_names(a.parse_timestamps),
                             shard=shard)
        return {"inputs": [{"path": str(path), "rows": rows} for (_, path), rows
                           in zip(a.input, counts.pop("input_rows"), strict=True)],
                **counts, "note": note(counts), "out": str(a.out)}

    runner.run("clean", args, body)


if __name__ == "__main__":
    main()
