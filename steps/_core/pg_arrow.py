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
  3. Types are made what the SQLAlchemy path writes (:mod:`steps._core.pg_types`):
     integers int64, ``real`` float64 by its shortest text (1.1 stays 1.1), ``numeric``
     decimal128(38, scale), ``timestamptz`` labelled with the session's TimeZone. A column
     of any other type (json, interval, arrays, inet, money, ...) is ``Unsupported``:
     the caller reads that query through SQLAlchemy instead, so no type changes silently.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from steps._core import db
from steps._core.batch_flow import prefetch, rechunk
from steps._core.errors import ConfigError, PipelineError
from steps._core.pg_types import Plan, empty_batch, session_zone

# SQLAlchemy's TextClause._bind_params_regex and compiler.BIND_PARAMS_ESC (2.x)
BIND_PARAM = re.compile(r"(?<![:\w\x5c]):(\w+)(?![:\w])", re.UNICODE)
BIND_ESCAPE = re.compile(r"\x5c(:\w*)(?![:\w])", re.UNICODE)
PARAM_SETTING = "cadencia.extract_param_{}"
STATEMENT = "cadencia_extract"
PREFETCH_BATCHES = 2  # ~16 MB each: ADBC's default batch size hint


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


def as_subquery(query: str) -> str:
    """The query as ADBC wraps it, ``COPY (query) TO ...``: without the trailing ``;`` a
    file often ends with, and on its own line, so that a last ``-- comment`` ends first."""
    query = query.rstrip()
    while query.endswith(";"):
        query = query[:-1].rstrip()
    return query + "\n"


def one_string(value: str) -> pa.Array:
    """A one-value string array, built from buffers: ``pa.array`` imports pandas (0.6 s)."""
    data = value.encode()
    return pa.StringArray.from_buffers(1, pa.py_buffer(struct.pack("<ii", 0, len(data))),
                                       pa.py_buffer(data))


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
            stmt.bind(pa.record_batch([one_string(v) for v in values],
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
        self.sql = as_subquery(self.bind(query, params))
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


def query_batches(uri: str, query: str, params: Mapping[str, Any], chunk_rows: int,
                  choose: Callable[[list[str]], list[str]]) -> Iterator[pa.RecordBatch]:
    """Batches of ``chunk_rows`` rows of the columns ``choose`` keeps; raises
    ``pg_types.Unsupported`` before the first batch when a column needs the SQLAlchemy path."""
    import adbc_driver_manager

    errors = (adbc_driver_manager.Error, OSError, pa.ArrowException)
    try:
        with Reader(uri) as reader:
            plan = reader.open(query, params, choose)
            yield from reader.batches(plan, chunk_rows)
    except errors as exc:
        raise failure(exc) from exc
