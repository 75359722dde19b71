"""transform: rename, cast, compute, filter and select columns, as a spec file says.

Inputs:
  ``--input PATH``: Parquet
  ``--spec PATH``: YAML or JSON (``.json``) with these optional keys, applied in this order:

    1. ``rename``: {old: new}
    2. ``cast``: {column: type}; types: int8..int64, float32, float64, string, bool, date,
       timestamp, decimal(p,s). ``strict`` (default true): a value that does not convert
       fails the step; ``strict: false`` turns it into null and counts it.
    3. ``compute``: {name: expression}, in order; each may use the ones before it
    4. ``filter``: [expression, ...]; a row is kept where every filter is true
       (false or null drops it)
    5. ``select``: [column, ...] (output columns, in order) or ``drop``: [column, ...]

  Expressions use the safe language of docs/expressions.md (``valor * quantidade``,
  ``df["valor"] > 0``, ``lower(nome)``, ...); they are never run by Python.

Outputs:
  ``--out PATH``: Parquet (zstd), written atomically (nothing on failure)

Settings: none.

Errors: a bad spec or expression, an unknown key or column 78; a value that does not
cast in strict mode 65 (names the column and sample values).

Public for the pipeline configuration: ``parse_spec`` (a bad spec fails ``cadencia
compile`` with the step's own message).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps import _expr, _spec
from steps._core import runner
from steps._core.errors import ConfigError, DataError, PipelineError

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger("steps.transform")
SPEC_KEYS = ("rename", "cast", "strict", "compute", "filter", "select", "drop")
SAMPLES = 5
WHOLE_ROWS = 500_000  # up to this many rows, one frame (~100 MiB) beats batches
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


@dataclass(frozen=True)
class Spec:
    rename: dict[str, str] = field(default_factory=dict)
    cast: dict[str, _spec.TypeName] = field(default_factory=dict)
    strict: bool = True
    compute: dict[str, _expr.Expression] = field(default_factory=dict)
    filter: list[_expr.Expression] = field(default_factory=list)
    select: list[str] | None = None
    drop: list[str] = field(default_factory=list)


def parse_spec(raw: dict[str, Any], where: str = "transform spec") -> Spec:
    """Check a loaded spec; every expression is parsed (not yet bound to columns)."""
    _spec.check_keys(raw, SPEC_KEYS, where)
    rename = _spec.get_mapping(raw, "rename", where)
    for old, new in rename.items():
        if not isinstance(new, str) or not new:
            raise ConfigError(f"{where}: rename {old!r} needs a new name, got {new!r}")
    cast = {col: _spec.parse_type(t, f"{where}: cast {col!r}")
            for col, t in _spec.get_mapping(raw, "cast", where).items()}
    compute = {name: _expr.parse(text, f"{where}: compute {name!r}")
               for name, text in _spec.get_mapping(raw, "compute", where).items()}
    filters = raw.get("filter") or []
    if isinstance(filters, str):
        filters = [filters]
    if not isinstance(filters, list):
        raise ConfigError(f"{where}: 'filter' must be a list of expressions", key="filter")
    if "select" in raw and "drop" in raw:
        raise ConfigError(f"{where}: give 'select' or 'drop', not both", key="drop")
    return Spec(rename=rename, cast=cast, strict=_spec.get_bool(raw, "strict", where, True),
                compute=compute,
                filter=[_expr.parse(t, f"{where}: filter #{i + 1}") for i, t in
                        enumerate(filters)],
                select=_spec.get_str_list(raw, "select", where) if "select" in raw else None,
                drop=_spec.get_str_list(raw, "drop", where))


def _missing(columns: list[str], frame: pl.DataFrame, what: str) -> None:
    for col in columns:
        if col not in frame.columns:
            raise ConfigError(f"transform spec: {what}: unknown column {col!r}"
                              f"{_spec.suggest(col, frame.columns)}; columns: "
                              f"{', '.join(frame.columns) or 'none'}", column=col)


def cast_expr(column: str, dtype: Any, target: _spec.TypeName) -> pl.Expr:
    """A non-strict cast of ``column``: values that do not convert become null.

    (Strings to timestamps go through ``_spec.iso_timestamps`` instead.)"""
    import polars as pl

    col, want = pl.col(column), target.dtype()
    if dtype == want:
        return col
    if dtype == pl.String:
        text = col.str.strip_chars()
        if target.name == "bool":
            low = text.str.to_lowercase()
            return (pl.when(low.is_in(pl.Series(_TRUE).implode())).then(True)
                    .when(low.is_in(pl.Series(_FALSE).implode())).then(False)
                    .otherwise(None).cast(pl.Boolean))
        if target.name == "date":
            return text.str.to_date(strict=False)
        return text.cast(want, strict=False)
    if target.name == "timestamp" and isinstance(dtype, pl.Datetime) and dtype.time_zone:
        return col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(want)
    return col.cast(want, strict=False)


def cast_columns(frame: pl.DataFrame, casts: dict[str, _spec.TypeName],
                 date_probes: dict[str, str] | None = None
                 ) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """``frame`` with ``casts`` applied non-strictly, and for each column with values that
    did not convert, the mask of those rows.

    polars reads a string column as dates in the format of its first non-null value.
    ``date_probes`` (column -> that value in the whole input) makes a batch read as the
    whole column would: the probe is parsed first, then dropped."""
    import polars as pl

    _missing(list(casts), frame, "cast")
    if not casts:
        return frame, {}

    def cast(c: str, t: _spec.TypeName) -> pl.Series:
        if frame[c].dtype == pl.String and t.name == "timestamp":
            return _spec.iso_timestamps(frame[c])
        if frame[c].dtype == pl.String and c in (date_probes or {}):
            probed = pl.concat([pl.Series(c, [(date_probes or {})[c]], pl.String), frame[c]])
            return probed.to_frame().select(cast_expr(c, pl.String, t)).to_series().slice(1)
        return frame.select(cast_expr(c, frame.schema[c], t)).to_series()

    try:
        casted = pl.DataFrame([cast(c, t).alias(c) for c, t in casts.items()])
    except pl.exceptions.PolarsError as exc:
        raise ConfigError(f"transform spec: cast: unsupported conversion: "
                          f"{str(exc).splitlines()[0]}") from exc
    failures = {}
    for col in casts:
        bad = frame[col].is_not_null() & casted[col].is_null()
        if bad.any():
            failures[col] = bad
    return frame.with_columns(casted), failures


def cast_error(column: str, target: _spec.TypeName, count: int, rows: int,
               samples: list[Any]) -> DataError:
    return DataError(f"cast of column {column!r} to {target} failed for {count} of "
                     f"{rows} rows; sample values: {samples!r}",
                     column=column, type=str(target), failed_rows=count)


def apply_casts(frame: pl.DataFrame, casts: dict[str, _spec.TypeName], strict: bool
                ) -> tuple[pl.DataFrame, dict[str, int]]:
    """Cast columns; in strict mode a value that does not convert is a DataError."""
    out, failures = cast_columns(frame, casts)
    for col, bad in failures.items():
        if strict:
            samples = frame[col].filter(bad).unique(maintain_order=True).head(SAMPLES)
            raise cast_error(col, casts[col], int(bad.sum()), frame.height, samples.to_list())
    return out, {col: int(bad.sum()) for col, bad in failures.items()}


def renamed(frame: pl.DataFrame, spec: Spec) -> pl.DataFrame:
    """The first stage: ``spec.rename`` applied, checked."""
    _missing(list(spec.rename), frame, "rename")
    kept = [c for c in frame.columns if c not in spec.rename]
    for new in spec.rename.values():
        if new in kept or list(spec.rename.values()).count(new) > 1:
            raise ConfigError(f"transform spec: rename: two columns would be named {new!r}",
                              column=new)
    return frame.rename(spec.rename)


def transform(frame: pl.DataFrame, spec: Spec) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Apply ``spec`` (rename, cast, compute, filter, select/drop) to a copy of ``frame``."""
    out, cast_nulls = apply_casts(renamed(frame, spec), spec.cast, spec.strict)
    out, removed = computed(out, spec)
    return out, {"rows_in": frame.height, "rows": out.height, "cast_nulls": cast_nulls,
                 "removed_by_filter": removed, "columns": out.columns}


def computed(out: pl.DataFrame, spec: Spec) -> tuple[pl.DataFrame, dict[str, int]]:
    """The stages after the casts: compute, filter, select/drop; the rows each filter
    removed."""
    import polars as pl

    for name, expr in spec.compute.items():
        compiled = expr.to_polars(out.schema)
        try:
            out = out.with_columns(compiled.alias(name))
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"compute {name!r}: {expr.text!r} failed on the data: "
                            f"{str(exc).splitlines()[0]}", column=name) from exc
    removed: dict[str, int] = {}
    for expr in spec.filter:
        compiled, dtype = expr.compile(out.schema)
        if dtype not in (pl.Boolean, pl.Null):
            raise expr.fail(f"a filter must be true or false, but this gives "
                            f"{_spec.type_name_of(dtype)}")
        before = out.height
        try:
            out = out.filter(compiled)  # null counts as false: the row is dropped
        except pl.exceptions.PolarsError as exc:
            raise DataError(f"filter {expr.text!r} failed on the data: "
                            f"{str(exc).splitlines()[0]}") from exc
        removed[expr.text] = before - out.height
    if spec.select is not None:
        _missing(spec.select, out, "select")
        out = out.select(spec.select)
    _missing(spec.drop, out, "drop")
    return out.drop(spec.drop), removed


def transform_file(source: Path, spec: Spec, out: Path, *, batch_rows: int | None = None,
                   whole_rows: int = WHOLE_ROWS) -> dict[str, Any]:
    """:func:`transform` over a Parquet file in batches, into ``out``: the same rows,
    counts and errors in bounded memory. Every stage is row by row, so a batch is
    transformed as the whole input would be; what a failure reports (a strict cast's
    failed rows and samples) is counted over the whole input before the step fails, and
    a strict cast failure anywhere wins over a later stage's error, as on a whole frame.
    An input of at most ``whole_rows`` rows is transformed whole.
    """
    import polars as pl

    from steps._core import frames

    if frames.input_shape(source)[1] <= whole_rows:  # a small day: whole, in one pass
        result, counts = transform(_spec.read_frame(source), spec)
        _spec.write_frame(out, result)
        return counts
    rows = 0
    cast_nulls: dict[str, int] = {}
    samples: dict[str, frames.FirstValues] = {}
    removed: dict[str, int] = {}
    later: PipelineError | None = None  # a compute/filter/select error, raised last
    dates = [c for c, t in spec.cast.items() if t.name == "date"]
    probes: dict[str, str] = {}  # see cast_columns
    columns: list[str] = []
    from steps._core.batch_flow import prefetch  # pyarrow: only when a day streams

    with frames.FrameSink(out) as sink:
        # read ahead by a thread: the next batch decodes while this one is shaped and written
        for frame in prefetch(frames.iter_frames(source, batch_rows or frames.BATCH_ROWS), 2):
            rows += frame.height
            named = renamed(frame, spec)
            for col in dates:
                if col not in probes and col in named and named[col].dtype == pl.String:
                    first = named[col].drop_nulls().head(1).to_list()
                    probes.update({col: first[0]} if first else {})
            casted, failures = cast_columns(named, spec.cast, probes)
            for col, bad in failures.items():
                cast_nulls[col] = cast_nulls.get(col, 0) + int(bad.sum())
                if spec.strict:
                    samples.setdefault(col, frames.FirstValues(SAMPLES)).add(
                        named[col].filter(bad).to_frame())
            if (spec.strict and cast_nulls) or later is not None:
                continue  # the step fails; only the casts' counts matter now
            try:
                result, gone = computed(casted, spec)
            except PipelineError as exc:
                later = exc
                continue
            sink.write(result)
            columns = result.columns
            for text, n in gone.items():
                removed[text] = removed.get(text, 0) + n
        if spec.strict and cast_nulls:
            col = next(c for c in spec.cast if c in cast_nulls)
            found = samples[col].frame
            assert found is not None
            raise cast_error(col, spec.cast[col], cast_nulls[col], rows,
                             found.to_series().to_list())
        if later is not None:
            raise later
    cast_nulls = {c: cast_nulls[c] for c in spec.cast if c in cast_nulls}
    return {"rows_in": rows, "rows": sink.rows, "cast_nulls": cast_nulls,
            "removed_by_filter": removed, "columns": columns}


def note(counts: dict[str, Any]) -> str:
    """The summary's one line: rows the filters removed and values casts nulled, if any."""
    parts = [f"{n:,} rows removed by filter {text}" for text, n in
             counts["removed_by_filter"].items() if n]
    parts += [f"{n:,} values of {col} nulled by the cast" for col, n in
              counts["cast_nulls"].items() if n]
    return "; ".join(parts)


def main() -> None:
    p = runner.parser("transform", __doc__)
    p.add_argument("--input", type=Path, required=True, help="input Parquet path")
    p.add_argument("--spec", type=Path, required=True, help="transform spec (YAML or JSON)")
    p.add_argument("--out", type=Path, required=True, help="output Parquet path")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        spec = parse_spec(_spec.load(a.spec, "transform spec"))
        counts = transform_file(a.input, spec, a.out)
        for col, n in counts["cast_nulls"].items():
            logger.warning("cast of %r turned %d value(s) into null", col, n,
                           extra={"column": col, "rows": n})
        return {**counts, "note": note(counts), "out": str(a.out)}

    runner.run("transform", args, body)


if __name__ == "__main__":
    main()
