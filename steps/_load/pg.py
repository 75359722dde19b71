"""The PostgreSQL path: one transaction, an advisory lock, binary COPY straight from Arrow.

Inside one transaction: take ``pg_advisory_xact_lock`` on a hash of the qualified table
name (two loads of one target serialize; the lock ends with the transaction), create
the table or check it for drift, delete the run's partition (replace-partition), COPY
the batches, merge them (upsert), and write the ledger row. A crash or kill before the
commit leaves the previous contents intact and visible: nothing is ever half-loaded.
The COPY itself lives in :mod:`steps._load.copy`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg

from steps._core import db
from steps._core.errors import ConfigError, DataError
from steps._load import ddl, ledger
from steps._load.copy import copy_batches
from steps._load.source import ORD_COLUMN, Checksum, Conformer, Source
from steps._load.spec import LOCK_PREFIX, LoadSpec

APPLICATION_NAME = "cadencia-load"
STAGE = '"_cadencia_stage"'

_COLUMNS_SQL = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
_UNIQUE_SQL = """
SELECT array_agg(a.attname::text ORDER BY a.attname)
FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indpred IS NULL
  AND i.indexprs IS NULL
GROUP BY i.indexrelid
"""


def connect(url: db.DbUrl) -> psycopg.Connection[Any]:
    kwargs = url.psycopg_kwargs()
    kwargs.setdefault("application_name", APPLICATION_NAME)
    try:
        return psycopg.connect(**kwargs, autocommit=True)
    except psycopg.Error as exc:
        raise db.classify(exc, f"cannot connect to {url.redacted()}") from exc


def load(url: db.DbUrl, spec: LoadSpec, source: Source, checksum: Checksum) -> dict[str, Any]:
    """Run one load; returns the summary fields."""
    conn = connect(url)
    try:
        conn.execute("BEGIN")
        with conn.cursor() as cur:
            summary = _load(cur, spec, source, checksum)
        conn.execute("COMMIT")
        return summary
    except psycopg.Error as exc:
        raise db.classify(exc, f"load into {spec.table} failed") from exc
    finally:
        # On any failure (SIGTERM mid-COPY included) closing is the rollback: the server
        # aborts the open transaction, whatever state the protocol was left in.
        conn.close()


def _one(cur: psycopg.Cursor[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    row = cur.execute(query, params).fetchone()
    return row[0] if row else None


def _load(cur: psycopg.Cursor[Any], spec: LoadSpec, source: Source, checksum: Checksum
          ) -> dict[str, Any]:
    schema = spec.schema or _one(cur, "SELECT current_schema()")
    if schema is None:
        raise ConfigError("no schema to create the table in: qualify --table as schema.name")
    qualified = f"{schema}.{spec.name}"
    table = f"{db.quote_ident(schema)}.{db.quote_ident(spec.name)}"
    cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (LOCK_PREFIX + qualified,))
    target = dict(cur.execute(_COLUMNS_SQL, (table,)).fetchall())
    created = not target
    if created:
        columns = ddl.new_columns(source.schema)
        for stmt in ddl.create_table_sql(schema, spec.name, columns, spec.partition_column,
                                         spec.keys,
                                         partition_index=spec.mode == "replace-partition"):
            cur.execute(stmt)
    else:
        columns = ddl.existing_columns(source.schema, target, qualified)
        _check_target(cur, spec, table, target, qualified)

    deleted = 0
    if spec.mode == "replace-partition":
        cur.execute(f"DELETE FROM {table} WHERE {db.quote_ident(spec.partition_column)} = %s",
                    (dt.date.fromisoformat(spec.logical_date),))
        deleted = max(cur.rowcount, 0)

    upsert = spec.mode == "upsert"
    names = [db.quote_ident(c.name) for c in columns] + [db.quote_ident(spec.partition_column)]
    conform = Conformer(columns, spec.partition_column,
                        dt.date.fromisoformat(spec.logical_date), with_ordinal=upsert)
    into = table
    if upsert:
        into = STAGE
        cur.execute(f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS SELECT {', '.join(names)}, "
                    f"NULL::bigint AS {db.quote_ident(ORD_COLUMN)} FROM {table} WITH NO DATA")
    copy_cols = names + ([db.quote_ident(ORD_COLUMN)] if upsert else [])
    rows = copy_batches(cur, f"COPY {into} ({', '.join(copy_cols)}) FROM STDIN (FORMAT BINARY)",
                        source, conform)
    summary: dict[str, Any] = {"rows": rows, "mode": spec.mode, "table": qualified,
                               "created": created, "deleted_rows": deleted}
    if upsert:
        inserted, updated = cur.execute(_merge_sql(table, names, spec.keys)).fetchone() or (0, 0)
        summary.update(inserted=inserted, updated=updated)

    summary["checksum"] = checksum.result()
    _write_ledger(cur, spec, ledger.Entry(
        spec.pipeline, qualified, spec.logical_date, spec.run_id, spec.mode, rows, deleted,
        summary["checksum"]))
    return summary


def _check_target(cur: psycopg.Cursor[Any], spec: LoadSpec, table: str,
                  target: dict[str, str], qualified: str) -> None:
    part = spec.partition_column
    if target.get(part) != "date":
        found = f"has type {target[part]}" if part in target else "is missing"
        raise DataError(
            f"schema drift: partition column {part!r} {found} in {qualified}; the load needs "
            "a date column (choose another with --partition-column)", column=part)
    if spec.mode == "upsert":
        unique = {tuple(r[0]) for r in cur.execute(_UNIQUE_SQL, (table,)).fetchall()}
        if tuple(sorted(spec.keys)) not in unique:
            keys = ", ".join(spec.keys)
            raise ConfigError(
                f"table {qualified} has no unique constraint on ({keys}), which upsert needs: "
                f"ALTER TABLE {qualified} ADD UNIQUE ({keys})", table=qualified)


def _merge_sql(table: str, names: list[str], keys: tuple[str, ...]) -> str:
    """Last occurrence of a key in the batch wins; existing keys are updated."""
    cols = ", ".join(names)
    key_cols = ", ".join(db.quote_ident(k) for k in keys)
    quoted_keys = {db.quote_ident(k) for k in keys}
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in quoted_keys)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (
        f"WITH up AS (INSERT INTO {table} ({cols}) "
        f"SELECT DISTINCT ON ({key_cols}) {cols} FROM {STAGE} "
        f"ORDER BY {key_cols}, {db.quote_ident(ORD_COLUMN)} DESC "
        f"ON CONFLICT ({key_cols}) {action} RETURNING (xmax = 0) AS inserted) "
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
    )


def _write_ledger(cur: psycopg.Cursor[Any], spec: LoadSpec, entry: ledger.Entry) -> None:
    table = ledger.table_sql(spec.ledger_schema, spec.ledger_name)
    if _one(cur, "SELECT to_regclass(%s)", (table,)) is None:
        # CREATE TABLE IF NOT EXISTS races with itself; loads of other targets may be here too.
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (LOCK_PREFIX + "ledger:" + spec.ledger,))
        cur.execute(ledger.create_sql(spec.ledger_schema, spec.ledger_name, sqlite=False))
    cur.execute(ledger.upsert_sql(spec.ledger_schema, spec.ledger_name, sqlite=False),
                entry.params())
