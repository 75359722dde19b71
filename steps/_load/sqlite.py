"""The SQLite path: the same semantics as PostgreSQL in one ``BEGIN IMMEDIATE`` transaction.

``BEGIN IMMEDIATE`` takes the database's write lock up front, so two loads serialize the
way the PostgreSQL advisory lock makes them. Rows go in through ``executemany`` from
Arrow batches; dates and times are stored as ISO text, decimals as exact text (NUMERIC
affinity turns them into numbers when that is lossless). Upserts use ``INSERT ... ON
CONFLICT DO UPDATE`` row by row in input order, so the last duplicate of a key wins.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from steps._core import db
from steps._core.errors import ConfigError, DataError
from steps._load import ddl, ledger
from steps._load.source import Checksum, Conformer, Source
from steps._load.spec import LoadSpec

BUSY_TIMEOUT_S = 600.0


def load(url: db.DbUrl, spec: LoadSpec, source: Source, checksum: Checksum) -> dict[str, Any]:
    """Run one load; returns the summary fields."""
    path = url.database or ":memory:"
    db.check_sqlite_directory(url)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise db.classify(exc, f"cannot open SQLite database {path}") from exc
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            summary = _load(conn, spec, source, checksum)
            conn.execute("COMMIT")
            return summary
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise db.classify(exc, f"load into {spec.table} failed") from exc
    finally:
        conn.close()


def _table_sql(spec: LoadSpec) -> str:
    prefix = db.quote_ident(spec.schema) + "." if spec.schema else ""
    return prefix + db.quote_ident(spec.name)


def _pragma(conn: sqlite3.Connection, spec: LoadSpec, pragma: str, arg: str) -> list[Any]:
    """``PRAGMA pragma(arg)`` through its table-valued form, so ``arg`` is bound, not pasted."""
    return conn.execute(f"SELECT * FROM pragma_{pragma}(?, ?)",
                        (arg, spec.schema or "main")).fetchall()


def _load(conn: sqlite3.Connection, spec: LoadSpec, source: Source, checksum: Checksum
          ) -> dict[str, Any]:
    table = _table_sql(spec)
    info = _pragma(conn, spec, "table_info", spec.name)
    created = not info
    if created:
        columns = ddl.new_columns(source.schema)
        for stmt in ddl.create_table_sql(spec.schema, spec.name, columns, spec.partition_column,
                                         spec.keys, sqlite=True,
                                         partition_index=spec.mode == "replace-partition"):
            conn.execute(stmt)
    else:
        declared = {row[1]: row[2] for row in info}
        columns = _existing_columns(source.schema, declared, spec)
        if spec.mode == "upsert":
            _check_unique(conn, spec, info)

    deleted = 0
    part = db.quote_ident(spec.partition_column)
    if spec.mode == "replace-partition":
        deleted = conn.execute(f"DELETE FROM {table} WHERE {part} = ?",
                               (spec.logical_date,)).rowcount
    names = [db.quote_ident(c.name) for c in columns] + [part]
    insert = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    if spec.mode == "upsert":
        keys = ", ".join(db.quote_ident(k) for k in spec.keys)
        quoted = {db.quote_ident(k) for k in spec.keys}
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in quoted)
        insert += f" ON CONFLICT ({keys}) " + (f"DO UPDATE SET {updates}" if updates
                                               else "DO NOTHING")
    conform = Conformer(columns, spec.partition_column, spec.logical_date)
    for batch in source.batches():
        conn.executemany(insert, _rows(conform(batch)))
    digest = checksum.result()
    result = {"rows": conform.rows, "mode": spec.mode, "table": spec.table,
              "created": created, "deleted_rows": deleted, "checksum": digest}
    conn.execute(ledger.create_sql(spec.ledger_schema, spec.ledger_name, sqlite=True))
    conn.execute(ledger.upsert_sql(spec.ledger_schema, spec.ledger_name, sqlite=True),
                 ledger.Entry(spec.pipeline, spec.table, spec.logical_date, spec.run_id,
                              spec.mode, conform.rows, deleted, digest).params())
    return result


def _rows(batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
    cols = []
    for array in batch.columns:
        t = array.type
        if (pa.types.is_temporal(t) and not pa.types.is_duration(t)) or pa.types.is_decimal(t):
            array = array.cast(pa.string())
        elif pa.types.is_duration(t):
            array = array.cast(pa.int64())
        cols.append(array.to_pylist())
    return zip(*cols, strict=True)


def _affinity(declared: str) -> str:
    """SQLite's type-affinity rules (https://www.sqlite.org/datatype3.html, 3.1)."""
    d = declared.upper()
    if "INT" in d:
        return "INTEGER"
    if any(s in d for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if not d or "BLOB" in d:
        return "BLOB"
    if any(s in d for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _accepts(src: pa.DataType, affinity: str) -> bool:
    if affinity == "BLOB" or pa.types.is_null(src):
        return True
    if pa.types.is_dictionary(src):
        src = src.value_type
    if pa.types.is_integer(src) or pa.types.is_boolean(src) or pa.types.is_duration(src):
        return affinity in ("INTEGER", "REAL", "NUMERIC")
    if pa.types.is_floating(src) or pa.types.is_decimal(src):
        return affinity in ("REAL", "NUMERIC")
    if pa.types.is_binary(src) or pa.types.is_large_binary(src):
        return False
    return affinity == "TEXT"  # strings, dates and times are stored as text


def _existing_columns(schema: pa.Schema, declared: dict[str, str], spec: LoadSpec
                      ) -> list[ddl.Column]:
    if spec.partition_column not in declared:
        raise DataError(f"schema drift: partition column {spec.partition_column!r} is missing "
                        f"in {spec.table} (choose another with --partition-column)",
                        column=spec.partition_column)
    out = []
    for field in schema:
        db.check_identifier(field.name, "column name")
        if field.name not in declared:
            raise DataError(f"schema drift: input column {field.name!r} does not exist in "
                            f"{spec.table}", column=field.name, table=spec.table)
        if not _accepts(field.type, _affinity(declared[field.name])):
            raise DataError(f"schema drift: input column {field.name!r} has type {field.type}, "
                            f"not compatible with {spec.table}.{field.name} "
                            f"{declared[field.name]}", column=field.name, table=spec.table)
        out.append(ddl.Column(field.name, declared[field.name]))
    return out


def _check_unique(conn: sqlite3.Connection, spec: LoadSpec, info: list[Any]) -> None:
    wanted = set(spec.keys)
    uniques = [{row[1] for row in info if row[5]}]
    for _, name, unique, _, partial in _pragma(conn, spec, "index_list", spec.name):
        if unique and not partial:
            uniques.append({row[2] for row in _pragma(conn, spec, "index_info", name)})
    if wanted not in uniques:
        keys = ", ".join(spec.keys)
        raise ConfigError(f"table {spec.table} has no unique constraint on ({keys}), which "
                          f"upsert needs: CREATE UNIQUE INDEX ON {spec.table} ({keys})",
                          table=spec.table)
