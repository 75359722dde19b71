"""The load ledger: one row per successful load, written in the load's own transaction.

A row is keyed by (pipeline, target, logical_date, run_id): a rerun of the same run
(an Argo retry) updates its row, while a new run for the same partition adds one, so the
ledger keeps the history of loads per partition. ``target`` is part of the key so one
pipeline run may load several tables. Because the row commits with the data, a killed
load leaves neither rows nor a ledger entry.
"""

from __future__ import annotations

import dataclasses

from steps._core.db import quote_ident

COLUMNS = ("pipeline", "target", "logical_date", "run_id", "mode", "rows", "deleted_rows",
           "checksum")
KEY = ("pipeline", "target", "logical_date", "run_id")


@dataclasses.dataclass(frozen=True)
class Entry:
    pipeline: str
    target: str
    logical_date: str
    run_id: str
    mode: str
    rows: int
    deleted_rows: int
    checksum: str

    def params(self) -> tuple[object, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)


def table_sql(schema: str | None, name: str) -> str:
    prefix = quote_ident(schema, "schema name") + "." if schema else ""
    return prefix + quote_ident(name, "ledger table name")


def create_sql(schema: str | None, name: str, *, sqlite: bool) -> str:
    text, date, big = ("TEXT", "TEXT", "INTEGER") if sqlite else ("text", "date", "bigint")
    loaded = ("TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))" if sqlite
              else "timestamptz NOT NULL DEFAULT clock_timestamp()")
    return (
        f"CREATE TABLE IF NOT EXISTS {table_sql(schema, name)} ("
        f"pipeline {text} NOT NULL, target {text} NOT NULL, logical_date {date} NOT NULL, "
        f"run_id {text} NOT NULL, mode {text} NOT NULL, rows {big} NOT NULL, "
        f"deleted_rows {big} NOT NULL, checksum {text} NOT NULL, loaded_at {loaded}, "
        f"PRIMARY KEY ({', '.join(KEY)}))"
    )


def upsert_sql(schema: str | None, name: str, *, sqlite: bool) -> str:
    marks = ", ".join(["?" if sqlite else "%s"] * len(COLUMNS))
    now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" if sqlite else "clock_timestamp()"
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
    return (
        f"INSERT INTO {table_sql(schema, name)} ({', '.join(COLUMNS)}, loaded_at) "
        f"VALUES ({marks}, {now}) ON CONFLICT ({', '.join(KEY)}) "
        f"DO UPDATE SET {updates}, loaded_at = excluded.loaded_at"
    )
