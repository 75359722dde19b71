"""extract-sql: run a parameterised SQL query and stream the rows to Parquet.

PostgreSQL (through libpq: ``postgresql://``, ``+psycopg``, ``+psycopg2``) is read straight
into Arrow by ADBC's driver, in a READ ONLY transaction (see steps/_core/pg_arrow.py); a
result with a column type that path does not take, and any other database, is read
through SQLAlchemy.

Inputs:
  the database at ``CADENCIA_SOURCE_DB_URL`` (a SQLAlchemy URL; a secret, no default)
  ``--query SQL`` or ``--query-file PATH``: one SELECT with named bind parameters
  (``:logical_date`` is bound to the run's logical date as a date; ``--param k=v`` binds
  more values as strings; values are always bound, never pasted into the SQL)
  ``--columns id,nome,...``: the contract: columns the result must have (only these are
  written, in this order)

Outputs:
  ``--out PATH``: Parquet (zstd), written in ``--chunk-rows`` batches as the rows stream
  in, so memory is bounded by the chunk size, not by the result size

Settings:
  CADENCIA_SOURCE_DB_URL  (required)
  CADENCIA_SOURCE_CONNECT_TIMEOUT  seconds to wait for a PostgreSQL connection (default
  10; whole seconds, rounded up; a ``connect_timeout`` in the URL wins)

Errors: unreachable database or connect timeout 75; bad SQL, unknown table, unknown
database, a :name without a value, a statement that writes (PostgreSQL) or a SQLite file
in a folder that does not exist 78; wrong password or unknown role 76; an error while the
rows stream keeps its class (a division by zero 65); a column required by ``--columns``
missing from the result (schema drift) or a column whose type changes between chunks 65.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps._core import db, runner
from steps._core.errors import ConfigError, DataError
from steps._core.settings import Secret, Settings

if TYPE_CHECKING:  # pyarrow is imported where it is used, so that --help stays fast
    import pyarrow as pa

logger = logging.getLogger("steps.extract_sql")
LOOKAHEAD_CHUNKS = 8


@dataclasses.dataclass(frozen=True)
class SourceSettings(Settings):
    prefix = "CADENCIA_SOURCE_"
    db_url: Secret
    connect_timeout: float = 10.0


def rows_to_batch(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    """Column-wise conversion of DBAPI rows (faster than ``from_pylist`` of dicts)."""
    import pyarrow as pa

    cols = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    arrays = []
    for name, values in zip(columns, cols, strict=True):
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise DataError(f"column {name!r} has mixed types: {exc}", column=name) from exc
        if pa.types.is_decimal128(array.type) and array.type.precision < 38:
            # Precision is inferred from this chunk's values: widen it, or a later chunk
            # with larger numbers would not fit the schema the first chunk fixed.
            array = array.cast(pa.decimal128(38, array.type.scale))
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=list(columns))


def settle_schema(batches: Sequence[pa.RecordBatch]) -> pa.Schema:
    """The schema of the first batches, with all-null columns typed from later ones."""
    import pyarrow as pa

    schema = batches[0].schema
    for i, field in enumerate(schema):
        if pa.types.is_null(field.type):
            for b in batches[1:]:
                if not pa.types.is_null(b.schema.field(i).type):
                    schema = schema.set(i, field.with_type(b.schema.field(i).type))
                    break
    return schema


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    import pyarrow as pa

    if batch.schema.equals(schema):
        return batch
    arrays = []
    for i, field in enumerate(schema):
        col = batch.column(i)
        if col.type != field.type:
            try:
                col = col.cast(field.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise DataError(
                    f"column {field.name!r} changed type from {field.type} to {col.type} "
                    "between chunks", column=field.name) from exc
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def write_batches(batches: Iterable[pa.RecordBatch], out: Path) -> int:
    """Stream batches into ``out``; the schema settles over the first few chunks."""
    import pyarrow as pa

    from steps._core.parquet_io import ParquetSink

    it: Iterator[pa.RecordBatch] = iter(batches)
    head: list[pa.RecordBatch] = []
    for batch in it:
        head.append(batch)
        if len(head) >= LOOKAHEAD_CHUNKS or not any(
                pa.types.is_null(f.type) for f in batch.schema):
            break
    with ParquetSink(out) as sink:
        if not head:
            return 0
        schema = settle_schema(head)
        for batch in head:
            sink.write(conform(batch, schema))
        for batch in it:
            sink.write(conform(batch, schema))
        return sink.rows


def connect_args(url: str, timeout: float) -> dict[str, Any]:
    """Driver arguments for SQLAlchemy's ``connect_args``: a connect timeout for libpq.

    Without one, a host that silently drops packets hangs the step until the Argo
    deadline instead of failing fast as transient (75) and being retried.
    """
    if not timeout > 0:  # also refuses NaN
        raise ConfigError(f"{SourceSettings.env_name('connect_timeout')} must be more than "
                          f"0 seconds, got {timeout}")
    u = db.parse_url(url)
    # Other PostgreSQL drivers (pg8000, asyncpg) spell it differently or not at all.
    if u.dialect != "postgresql" or u.driver not in (None, "psycopg", "psycopg2") \
            or "connect_timeout" in u.query:
        return {}
    return {"connect_timeout": math.ceil(timeout)}  # libpq takes whole seconds


def check_columns(columns: Sequence[str], required: Sequence[str]) -> list[str]:
    """The output columns: ``required`` in its order (all of it must be in ``columns``), or
    every column of the result when nothing is required."""
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataError(
            f"the source result has no column {', '.join(repr(c) for c in missing)} "
            "(required by --columns): schema drift", columns=missing)
    return list(required) or list(columns)


def query_batches(url: str, query: str, params: Mapping[str, Any], chunk_rows: int, *,
                  connect_timeout: float = 10.0, required: Sequence[str] = ()
                  ) -> Iterator[pa.RecordBatch]:
    """Run ``query`` with bound ``params``; yield Arrow batches of ``chunk_rows`` rows
    holding the ``required`` columns (default: all of them).

    PostgreSQL through libpq reads straight into Arrow (:mod:`steps._core.pg_arrow`);
    a result with a column type that path does not write as SQLAlchemy does, and every
    other URL, goes through SQLAlchemy.
    """
    from steps._core import pg_arrow, pg_types  # deferred: they import pyarrow

    extra = connect_args(url, connect_timeout)
    if pg_arrow.handles(url):
        uri = pg_arrow.libpq_uri(url, extra)
        fast = pg_arrow.query_batches(uri, query, params, chunk_rows,
                                      lambda names: check_columns(names, required))
        try:
            first = next(fast)
        except pg_types.Unsupported as why:
            logger.info("reading through SQLAlchemy: %s", why)
        else:
            logger.info("reading through ADBC (binary COPY into Arrow)")
            yield first
            yield from fast
            return
    yield from sqlalchemy_batches(url, query, params, chunk_rows, extra, required)


def sqlalchemy_batches(url: str, query: str, params: Mapping[str, Any], chunk_rows: int,
                       connect_args: dict[str, Any], required: Sequence[str]
                       ) -> Iterator[pa.RecordBatch]:
    import sqlalchemy as sa  # deferred: 0.35 s of imports, not needed for --help

    if (parsed := db.parse_url(url)).dialect == "sqlite":
        db.check_sqlite_directory(parsed)
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ConfigError(f"invalid CADENCIA_SOURCE_DB_URL: {exc}") from exc
    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(
                sa.text(query), dict(params))
            if not result.returns_rows:
                raise ConfigError("the query returns no rows: --query must be a SELECT")
            columns = list(result.keys())
            if not columns:
                raise ConfigError("the query returned no columns")
            keep = check_columns(columns, required)
            empty = True
            for part in result.partitions(chunk_rows):
                empty = False
                yield rows_to_batch(columns, part).select(keep)
            if empty:
                # A day without rows is an empty table with the query's columns, not a file
                # without columns that the next step cannot union or check.
                yield rows_to_batch(columns, []).select(keep)
    except sa.exc.SQLAlchemyError as exc:
        raise db.classify(exc, "source query failed") from exc
    finally:
        engine.dispose()


def bind_params(query: str, logical_date: str | None, extra: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if logical_date is not None:
        params["logical_date"] = dt.date.fromisoformat(logical_date)
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--param expects name=value, got {item!r}")
        params[db.check_identifier(key, "parameter name")] = value
    if ":logical_date" in query and logical_date is None:
        raise ConfigError("the query uses :logical_date but no --logical-date was given")
    return params


def main() -> None:
    p = runner.parser("extract_sql", __doc__)
    q = p.add_mutually_exclusive_group(required=True)
    q.add_argument("--query", help="the SELECT to run (bind parameters as :name)")
    q.add_argument("--query-file", type=Path, help="read the SELECT from this file")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="bind a string parameter (repeatable)")
    p.add_argument("--chunk-rows", type=int, default=100_000, help="rows per batch")
    p.add_argument("--columns", default="", metavar="NAME,...",
                   help="the columns the result must have (a contract: a missing one is "
                        "schema drift, exit 65); only these are written, in this order")
    p.add_argument("--out", type=Path, required=True, help="output Parquet path")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        settings = SourceSettings.from_env()
        if a.query_file is not None:
            try:
                query = a.query_file.read_text()
            except OSError as exc:
                raise ConfigError(f"cannot read --query-file: {exc}") from exc
        else:
            query = a.query
        params = bind_params(query, a.logical_date, a.param)
        logger.info("querying %s", db.parse_url(settings.db_url.reveal()).redacted())
        required = [db.check_identifier(c.strip(), "column name")
                    for c in a.columns.split(",") if c.strip()]
        rows = write_batches(query_batches(settings.db_url.reveal(), query, params, a.chunk_rows,
                                           connect_timeout=settings.connect_timeout,
                                           required=required), a.out)
        return {"rows": rows, "out": str(a.out)}

    runner.run("extract_sql", args, body)


if __name__ == "__main__":
    main()
