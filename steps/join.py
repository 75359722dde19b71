"""join: join two Parquet inputs on key columns (SQL semantics) and count the matches.

Inputs:
  ``--left PATH``, ``--right PATH``: Parquet. ``--left-name`` / ``--right-name`` label
  them in messages and the note (default: the file stems). An input with zero columns
  (what an extract writes for zero rows and no schema) is an empty side: it matches nothing.

Join: ``--on COL`` (repeatable or comma-separated) names key columns that both sides have
under the same name. ``--how inner`` (default) keeps the matching rows, ``left`` also the
left rows without a match, ``full`` also the right rows without one. Each key column
comes out once (coalesced). A null key never matches, as in SQL. Key types must agree:
integers widen (int32 + int64 -> int64), floats widen, timestamps take the finer unit,
string and categorical give string; any other mix (int64 and string) is bad data. A
right-side non-key column whose name the left has gets ``--suffix`` (default ``_right``).
Output columns: the keys, the left's other columns, then the right's; rows in left order
(for ``full``, followed by the unmatched right rows in right order). Many-to-many matches
(a key repeated on both sides) are allowed: every pairing is a row; they are counted and
logged as a warning.

Outputs:
  ``--out PATH``: Parquet (zstd), written atomically (nothing on failure)
  summary: ``matched`` (left rows with at least one match), ``left_only`` and
  ``right_only`` (rows of each side without a match), ``many_to_many_keys`` and
  ``many_to_many_rows``, ``rows`` (output rows); note, e.g.
  ``1,480 matched, 20 customers only, 7 payments only``.

Settings: none.

Errors: a missing input, no --on, an unknown --how, a key column that neither input has
(a misspelled --on), or a --suffix that gives a duplicate column name 78; a key column
missing on one side, key types that do not agree (the message names the column and both
sides' types), a key value that does not fit the common type (a uint64 above the int64
range), or an unreadable input 65.

Public for the pipeline configuration: ``HOWS`` and ``check_options``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from steps import _spec
from steps._core import runner
from steps._core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger("steps.join")
HOWS = ("inner", "left", "full")
_UNITS = ("ms", "us", "ns")  # coarse to fine
How = Literal["inner", "left", "full"]


@dataclass(frozen=True)
class Side:
    """One input: its label, its lazy frame, its schema and its row count."""

    name: str
    frame: pl.LazyFrame
    schema: dict[str, Any]
    rows: int


def check_options(on: Sequence[str], how: str) -> list[str]:
    """The key columns (in order, once each); ConfigError for no key or an unknown how."""
    keys = list(dict.fromkeys(on))
    if not keys:
        raise ConfigError("--on: give at least one key column", option="on")
    if how not in HOWS:
        raise ConfigError(f"--how {how!r} is not one of {', '.join(HOWS)}"
                          f"{_spec.suggest(how, HOWS)}", option="how")
    return keys


def read_side(path: Path, name: str) -> Side:
    """A lazy scan of ``path`` (missing file 78, unreadable file 65)."""
    import polars as pl

    from steps._core.parquet_io import open_parquet

    rows = open_parquet(path).metadata.num_rows
    try:
        frame = pl.scan_parquet(path)
        schema = dict(frame.collect_schema())
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"{name} ({path}) is not a readable Parquet file: "
                        f"{str(exc).strip().splitlines()[0]}", path=str(path)) from exc
    return Side(name, frame, schema, rows if schema else 0)


def _key_type(column: str, left: Side, right: Side) -> Any:
    """The one type both sides' key ``column`` is compared as; DataError when none."""
    import polars as pl

    a, b = left.schema[column], right.schema[column]
    if a == b or b == pl.Null:
        return a
    if a == pl.Null:
        return b
    if a.is_integer() and b.is_integer():
        return pl.UInt64 if not (a.is_signed_integer() or b.is_signed_integer()) else pl.Int64
    if a.is_float() and b.is_float():
        return pl.Float64
    if isinstance(a, pl.Datetime) and isinstance(b, pl.Datetime) and a.time_zone == b.time_zone:
        unit = max(a.time_unit or "us", b.time_unit or "us", key=_UNITS.index)
        return pl.Datetime(unit, a.time_zone)
    if a in (pl.String, pl.Categorical) and b in (pl.String, pl.Categorical):
        return pl.String
    raise DataError(f"key column {column!r} has incompatible types: "
                    f"{_spec.type_name_of(a)} in {left.name} and {_spec.type_name_of(b)} in "
                    f"{right.name}", column=column, types=[str(a), str(b)])


def _as_empty(side: Side, on: Sequence[str]) -> Side:
    """A zero-column input as a side with the keys only (typed null): it matches nothing."""
    import polars as pl

    if side.schema:
        return side
    schema = {k: pl.Null for k in on}
    return Side(side.name, pl.LazyFrame(schema=schema), schema, 0)


def join(left: Side, right: Side, *, on: Sequence[str], how: str = "inner",
         suffix: str = "_right") -> tuple[pl.LazyFrame, dict[str, Any]]:
    """The joined frame (lazy) and its counts (collected from the keys only)."""
    import polars as pl

    keys = check_options(on, how)
    nowhere = [k for k in keys if k not in left.schema and k not in right.schema]
    if nowhere and (left.schema or right.schema):  # a misspelled --on, not the data's fault
        known = [*left.schema, *(c for c in right.schema if c not in left.schema)]
        raise ConfigError(f"--on: key column {nowhere[0]!r} is in neither input"
                          f"{_spec.suggest(nowhere[0], known)}; {left.name} has "
                          f"{', '.join(left.schema) or 'no columns'}; {right.name} has "
                          f"{', '.join(right.schema) or 'no columns'}", option="on",
                          columns=nowhere)
    left, right = _as_empty(left, keys), _as_empty(right, keys)
    for side in (left, right):
        missing = [k for k in keys if k not in side.schema]
        if missing:
            raise DataError(f"{side.name} has no key column {', '.join(map(repr, missing))}"
                            f"{_spec.suggest(missing[0], side.schema)}; its columns: "
                            f"{', '.join(side.schema)}", side=side.name, columns=missing)
    left_rest = [c for c in left.schema if c not in keys]
    renames = {c: c + suffix for c in right.schema if c not in keys and c in left.schema}
    right_rest = [renames.get(c, c) for c in right.schema if c not in keys]
    owners = {c: f"column {c!r} of {left.name}" for c in [*keys, *left_rest]}
    for old in (c for c in right.schema if c not in keys):
        new = renames.get(old, old)
        mine = f"column {old!r} of {right.name}" + (f" (renamed {new!r})" if new != old else "")
        if new in owners:
            raise ConfigError(f"--suffix {suffix!r}: {mine} clashes with {owners[new]} in "
                              f"the output; choose another --suffix", option="suffix",
                              column=new)
        owners[new] = mine
    types = {k: _key_type(k, left, right) for k in keys}

    def aligned(side: Side) -> pl.LazyFrame:
        return side.frame.with_columns(
            [pl.col(k).cast(t) for k, t in types.items() if side.schema[k] != t])

    lf, rf = aligned(left), aligned(right).rename(renames)
    joined = lf.join(rf, on=keys, how=cast(How, how), nulls_equal=False, coalesce=True,
                     maintain_order="left_right").select([*keys, *left_rest, *right_rest])
    return joined, _counts(lf, rf, keys, left.rows, right.rows)


def _counts(lf: pl.LazyFrame, rf: pl.LazyFrame, keys: list[str], left_rows: int,
            right_rows: int) -> dict[str, Any]:
    import polars as pl

    def per_key(frame: pl.LazyFrame, name: str) -> pl.LazyFrame:
        # a row with a null in any key column never matches: it is not a key
        return frame.select(keys).drop_nulls().group_by(keys).agg(
            pl.len().cast(pl.Int64).alias(name))

    n, m = pl.col("n"), pl.col("m")
    both = (n > 1) & (m > 1)
    with data_errors():
        stats = per_key(lf, "n").join(per_key(rf, "m"), on=keys).select(
            matched=n.sum(), right_matched=m.sum(), many_to_many_keys=both.sum(),
            many_to_many_rows=(n * m).filter(both).sum()).collect().row(0, named=True)
    return {"matched": int(stats["matched"] or 0),
            "left_only": left_rows - int(stats["matched"] or 0),
            "right_only": right_rows - int(stats["right_matched"] or 0),
            "many_to_many_keys": int(stats["many_to_many_keys"] or 0),
            "many_to_many_rows": int(stats["many_to_many_rows"] or 0)}


@contextlib.contextmanager
def data_errors() -> Iterator[None]:
    """Polars failing on the values (a key that does not fit the common type, a corrupt
    page) as a DataError: the data, not the step, is wrong."""
    import polars as pl

    try:
        yield
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError) as exc:
        raise DataError(f"the join failed on the data: "
                        f"{str(exc).strip().splitlines()[0]}") from exc


def note(counts: dict[str, Any], left_name: str, right_name: str) -> str:
    """The summary's one line, e.g. "1,480 matched, 20 customers only, 7 payments only"."""
    text = (f"{counts['matched']:,} matched, {counts['left_only']:,} {left_name} only, "
            f"{counts['right_only']:,} {right_name} only")
    if counts["many_to_many_keys"]:
        text += (f"; {counts['many_to_many_keys']:,} keys many-to-many "
                 f"({counts['many_to_many_rows']:,} rows)")
    return text


def write(path: Path, frame: pl.LazyFrame) -> int:
    """Stream ``frame`` into zstd Parquet at ``path``, atomically; the rows written."""
    import pyarrow.parquet as pq

    from steps._core.files import atomic_path
    from steps._core.parquet_io import ROW_GROUP_SIZE

    with atomic_path(path) as tmp:
        with data_errors():
            frame.sink_parquet(tmp, compression="zstd", row_group_size=ROW_GROUP_SIZE)
        return int(pq.ParquetFile(tmp).metadata.num_rows)


def main() -> None:
    p = runner.parser("join", __doc__)
    p.add_argument("--left", type=Path, required=True, help="left input Parquet path")
    p.add_argument("--right", type=Path, required=True, help="right input Parquet path")
    p.add_argument("--on", action="append", default=[], metavar="COL",
                   help="key column, the same name on both sides (repeatable or "
                        "comma-separated)")
    p.add_argument("--how", default="inner", help=f"{' | '.join(HOWS)} (default inner)")
    p.add_argument("--suffix", default="_right",
                   help="appended to right columns whose name the left has (default _right)")
    p.add_argument("--left-name", metavar="NAME", help="label of the left input "
                   "(default: its file stem)")
    p.add_argument("--right-name", metavar="NAME", help="label of the right input "
                   "(default: its file stem)")
    p.add_argument("--out", type=Path, required=True, help="output Parquet path")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        keys = check_options(_spec.option_names(a.on), a.how)
        left = read_side(a.left, a.left_name or a.left.stem)
        right = read_side(a.right, a.right_name or a.right.stem)
        joined, counts = join(left, right, on=keys, how=a.how, suffix=a.suffix)
        if counts["many_to_many_keys"]:
            logger.warning(
                "%d key value(s) repeat on both sides (many-to-many): every pairing is a "
                "row, %d in all", counts["many_to_many_keys"], counts["many_to_many_rows"],
                extra={"many_to_many_keys": counts["many_to_many_keys"],
                       "many_to_many_rows": counts["many_to_many_rows"]})
        rows = write(a.out, joined)
        return {"left": {"name": left.name, "path": str(a.left), "rows": left.rows},
                "right": {"name": right.name, "path": str(a.right), "rows": right.rows},
                "on": keys, "how": a.how, **counts, "rows": rows,
                "note": note(counts, left.name, right.name), "out": str(a.out)}

    runner.run("join", args, body)


if __name__ == "__main__":
    main()
