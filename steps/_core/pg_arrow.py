"""PostgreSQL straight into Arrow: extract_sql's fast path, through ADBC's libpq driver.

Why: through SQLAlchemy every value becomes a Python object and back (40 s for 5M rows).
Here the server sends ``COPY (query) TO STDOUT (FORMAT BINARY)`` and ADBC's driver
decodes it into Arrow batches in C, as the rows stream in (bounded memory).

How a query runs, on one connection, in one ``READ ONLY`` transaction (a statement that
writes is refused by the server, 25006, reported as configuration, 78):
  1. Bound parameters. COPY is a utility statement and takes no bind parameters, so each
     value is bound instead to ``set_config('cadencia.extract_param_N', $1, true)`` and
     the query reads it back as ``(SELECT CAST(current_setting(...) AS <type>))``: an
     InitPlan evaluated once. ``<type>`` is what the server itself infers for the
     parameter, asked through ``PREPARE`` (``:logical_date`` declared ``date``, the others
     ``unknown``, as psycopg sends a Python ``str``), so ``id = :id`` compares as bigint
     exactly as before. Values never enter the SQL text. ``:name`` is found with
     SQLAlchemy's own pattern (``\\:`` escapes a colon), so a query means the same on
     both paths.
  2. The result's columns and PostgreSQL types are described before any row is read: a
     column missing from ``--columns`` is schema drift (65) at once.
  3. Types are made what the SQLAlchemy path writes (see :data:`PASS` and :class:`Plan`):
     integers int64, ``real`` float64 by its shortest text (1.1 stays 1.1), ``numeric``
     decimal128(38, scale), ``timestamptz`` labelled with the session's TimeZone. A column
     of any other type (json, interval, arrays, inet, money, ...) is :class:`Unsupported`:
     the caller reads that query through SQLAlchemy instead, so no type changes silently.
"""

from __future__ import annotations

import queue
import re
import threading
import zoneinfo
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from steps._core import db
from steps._core.errors import ConfigError, DataError, PipelineError

# SQLAlchemy's TextClause._bind_params_regex and compiler.BIND_PARAMS_ESC (2.x)
BIND_PARAM = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)
BIND_ESCAPE = re.compile(r"\x5c(:\w*)(?![:\w])", re.UNICODE)
PARAM_SETTING = "cadencia.extract_param_{}"
STATEMENT = "cadencia_extract"
PREFETCH_BATCHES = 2  # ~16 MB each: ADBC's default batch size hint

PASS = frozenset({"int8", "float8", "text", "varchar", "bpchar", "name", "char", "bool",
                  "date", "timestamp", "time", "bytea", "uuid"})
WIDEN = {"int2": pa.int64(), "int4": pa.int64()}
CONVERTED = frozenset({"float4", "numeric", "timestamptz"})
# PostgreSQL's first day is 4714-11-24 BC (Julian day 0). ADBC moves 'infinity' and
# '-infinity' (its int64/int32 extremes, counted from 2000) to 1970 with wrap-around,
# landing far below that day: any earlier value is one of them, not a date.
FIRST_DAY = {"timestamp": -210_866_803_200_000_000, "timestamptz": -210_866_803_200_000_000,
             "date": -2_440_588}


class Unsupported(Exception):
    """The result has a column this path would type differently: use the SQLAlchemy path."""


def handles(url: str) -> bool:
    """A PostgreSQL URL whose driver is libpq (psycopg, psycopg2 or the default)."""
    u = db.parse_url(url)
    return u.dialect == "postgresql" and u.driver in (None, "psycopg", "psycopg2")


def libpq_uri(url: str, extra: Mapping[str, Any]) -> str:
    """The SQLAlchemy URL as libpq reads it: no ``+driver``, ``extra`` added to the query."""
    rest = url.split("://", 1)[1]
    pairs = "&".join(f"{k}={v}" for k, v in extra.items())
    if pairs:
        rest += ("&" if "?" in rest else "?") + pairs
    return "postgresql://" + rest


def render(query: str, placeholder: Callable[[str], str]) -> str:
    """``query`` with each ``:name`` replaced by ``placeholder(name)``, ``\\:`` unescaped."""
    return BIND_ESCAPE.sub(lambda m: m.group(1),
                           BIND_PARAM.sub(lambda m: placeholder(m.group(1)), query))


def bind_names(query: str, params: Mapping[str, Any]) -> list[str]:
    """The parameters ``query`` uses, in order of first use; each must have a value."""
    names = list(dict.fromkeys(BIND_PARAM.findall(query)))
    missing = [n for n in names if n not in params]
    if missing:
        raise ConfigError(f"the query uses :{missing[0]} but no --param {missing[0]}=VALUE "
                          "was given", parameter=missing[0])
    return names


def pg_type(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"POSTGRESQL:type", b"?").decode()


class Plan:
    """How each kept column of the raw ADBC batches becomes the SQLAlchemy path's type."""

    def __init__(self, schema: pa.Schema, keep: Sequence[str], timezone: str) -> None:
        self.keep = list(keep)
        self.types: dict[str, str] = {}
        self.scales: dict[str, int] = {}  # numeric(p, s): s from the type modifier
        for name in self.keep:
            field = schema.field(name)
            typ = pg_type(field)
            if typ not in PASS and typ not in WIDEN and typ not in CONVERTED:
                raise Unsupported(f"column {name!r} has type {typ}")
            self.types[name] = typ
            typmod = int((field.metadata or {}).get(b"POSTGRESQL:typmod", b"-1"))
            if typ == "numeric" and typmod >= 4:
                self.scales[name] = (typmod - 4) & 0xFFFF
        self.timezone = timezone

    def column(self, name: str, array: pa.Array) -> pa.Array:
        typ = self.types[name]
        if typ in WIDEN:
            return array.cast(WIDEN[typ])
        if typ == "float4":  # as psycopg parses PostgreSQL's shortest text, 1.1 -> 1.1
            return array.cast(pa.string()).cast(pa.float64())
        if typ == "numeric":
            text = array.storage if isinstance(array, pa.ExtensionArray) else array
            return to_decimal(name, text, self.scales.get(name))
        if typ in FIRST_DAY:
            check_finite(name, typ, array)
        if typ == "timestamptz":
            return array.cast(pa.timestamp("us", tz=self.timezone))
        return array

    def convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays = [self.column(n, batch.column(n)) for n in self.keep]
        return pa.RecordBatch.from_arrays(arrays, names=self.keep)


def check_finite(name: str, typ: str, array: pa.Array) -> None:
    """A DataError for 'infinity' (psycopg refused it too: Python has no such datetime)."""
    if array.null_count == len(array):
        return
    first = pc.min(array.view(pa.int32() if typ == "date" else pa.int64())).as_py()
    if first < FIRST_DAY[typ]:
        raise DataError(f"column {name!r} holds an infinite {typ}, which has no Arrow value",
                        column=name)


def to_decimal(name: str, text: pa.Array, scale: int | None) -> pa.Array:
    """PostgreSQL numeric text as decimal128(38, scale): the declared scale, else the
    largest in the batch, as the SQLAlchemy path infers it from the Decimal values."""
    if scale is None:
        dot = pc.find_substring(text, ".")
        digits = pc.subtract(pc.subtract(pc.utf8_length(text), dot), 1)
        scale = pc.max(pc.if_else(pc.less(dot, 0), 0, digits)).as_py() or 0
    try:
        return text.cast(pa.decimal128(38, scale))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(f"column {name!r} holds a numeric that does not fit "
                        f"decimal128(38, {scale}) (NaN, infinity or over 38 digits): {exc}",
                        column=name) from exc


def rechunk(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last may be shorter) from ADBC's ~16 MB ones."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            batch, count = batch.slice(take), count + take
            if count == rows:
                yield combine(pending)
                pending, count = [], 0
    if pending:
        yield combine(pending)


def combine(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def failure(exc: BaseException) -> PipelineError:
    if db.sqlstate(exc) == "25006":
        return ConfigError(f"the query writes, and the extract runs read-only: --query must "
                           f"be a SELECT ({db.classify(exc, 'refused').message})",
                           sqlstate="25006")
    return db.classify(exc, "source query failed")


class Reader:
    """One query on one connection: :meth:`open` up to the described result, then
    :meth:`batches`. Close it (a context manager) to end the transaction.

    ADBC's low-level API, not its DB-API module: that one imports pandas and polars
    (0.5 s of a step's start) and prepares every statement again.
    """

    def __init__(self, uri: str) -> None:
        import adbc_driver_manager  # deferred: --help stays fast
        import adbc_driver_postgresql

        self.adbc = adbc_driver_manager
        self.db = adbc_driver_postgresql.connect(uri)
        try:
            self.conn = adbc_driver_manager.AdbcConnection(self.db)  # autocommit
        except BaseException:
            self.db.close()
            raise
        self.statements: list[Any] = []

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        for stmt in self.statements:
            stmt.close()
        self.conn.close()
        self.db.close()

    def statement(self, sql: str, values: Sequence[str] = ()) -> Any:
        stmt = self.adbc.AdbcStatement(self.conn)
        self.statements.append(stmt)
        stmt.set_sql_query(sql)
        if values:
            stmt.bind(pa.record_batch([pa.array([v], pa.string()) for v in values],
                                      names=[f"p{i}" for i in range(len(values))]))
        return stmt

    def execute(self, sql: str) -> None:
        self.statement(sql).execute_update()

    def query(self, sql: str, values: Sequence[str] = ()) -> pa.RecordBatchReader:
        from adbc_driver_manager import _reader

        handle, _ = self.statement(sql, values).execute_query()
        # the driver manager's reader, not a bare pyarrow one: its errors mid-stream keep
        # the server's SQLSTATE (a division by zero stays 22012, data, not retried)
        return _reader.AdbcRecordBatchReader._import_from_c(handle.address)

    def scalar(self, sql: str, values: Sequence[str] = ()) -> Any:
        rows = self.query(sql, values).read_all().to_pylist()
        return next(iter(rows[0].values())) if rows else None

    def bind(self, query: str, params: Mapping[str, Any]) -> str:
        """Bind the values the query uses (module docstring, step 1); the query to run."""
        names = bind_names(query, params)
        if not names:
            return render(query, lambda n: f":{n}")
        number = {n: i + 1 for i, n in enumerate(names)}
        declared = ", ".join("date" if n == "logical_date" else "unknown" for n in names)
        self.execute(f"PREPARE {STATEMENT} ({declared}) AS "
                     + render(query, lambda n: f"${number[n]}"))
        types = self.scalar("SELECT parameter_types::text[] FROM pg_prepared_statements "
                            "WHERE name = $1", [STATEMENT])
        self.execute(f"DEALLOCATE {STATEMENT}")
        settings = ", ".join(f"set_config('{PARAM_SETTING.format(i)}', ${i}, true)"
                             for i in number.values())
        self.query(f"SELECT {settings}", [str(params[n]) for n in names]).read_all()
        return render(query, lambda n: f"(SELECT CAST(current_setting("
                                       f"'{PARAM_SETTING.format(number[n])}') AS "
                                       f"{types[number[n] - 1]}))")

    def open(self, query: str, params: Mapping[str, Any],
             choose: Callable[[list[str]], list[str]]) -> Plan:
        """Bind, describe and plan; ``choose`` picks the kept columns from the result's."""
        self.execute("BEGIN TRANSACTION READ ONLY")
        self.sql = self.bind(query, params)
        describe = self.statement(self.sql)
        handle = describe.execute_schema()  # alive while pyarrow takes it over
        schema = pa.Schema._import_from_c(handle.address)
        if not schema.names:
            raise ConfigError("the query returns no rows: --query must be a SELECT")
        zone = session_zone(self.scalar("SELECT current_setting('TimeZone')"))
        plan = Plan(schema, choose(schema.names), zone)
        self.empty = plan.convert(empty_batch(schema))
        return plan

    def batches(self, plan: Plan, chunk_rows: int) -> Iterator[pa.RecordBatch]:
        reader = self.query(self.sql)
        ahead = prefetch(reader, PREFETCH_BATCHES)
        try:
            empty = True
            for chunk in rechunk((b.select(plan.keep) for b in ahead), chunk_rows):
                empty = False
                yield plan.convert(chunk)
            if empty:
                yield self.empty
        finally:
            ahead.close()  # stops the reading thread before the reader goes
            reader.close()


def prefetch(batches: Iterable[pa.RecordBatch], depth: int
             ) -> Generator[pa.RecordBatch, None, None]:
    """``batches`` read ahead by a thread, at most ``depth`` waiting: the driver decodes
    (without the GIL) and the server keeps sending while the caller writes Parquet."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def pump() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        ahead.put(("batch", batch), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(("end", None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            ahead.put(("error", exc))

    worker = threading.Thread(target=pump, name="pg-arrow-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], f.type) for f in schema], schema=schema)


def session_zone(name: str | None) -> str:
    """psycopg labels timestamptz values with the session's TimeZone when Python knows
    it, else UTC; the Arrow type follows (``Etc/UTC`` stays ``Etc/UTC``)."""
    try:
        zoneinfo.ZoneInfo(name or "")
        pa.timestamp("us", tz=name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, pa.ArrowException):
        return "UTC"
    return str(name)


def query_batches(uri: str, query: str, params: Mapping[str, Any], chunk_rows: int,
                  choose: Callable[[list[str]], list[str]]) -> Iterator[pa.RecordBatch]:
    """Batches of ``chunk_rows`` rows of the columns ``choose`` keeps; raises
    :class:`Unsupported` before the first batch when a column needs the SQLAlchemy path."""
    import adbc_driver_manager

    errors = (adbc_driver_manager.Error, OSError, pa.ArrowException)
    try:
        with Reader(uri) as reader:
            plan = reader.open(query, params, choose)
            yield from reader.batches(plan, chunk_rows)
    except errors as exc:
        raise failure(exc) from exc
