"""load: write validated Parquet into the target table, idempotently and atomically.

Inputs:
  ``--input PATH``: the Parquet file from the validate step, or a folder of them (a
  sharded pipeline's shards, loaded in shard order in the one transaction)
  the database at ``CADENCIA_TARGET_DB_URL`` (a SQLAlchemy-style URL, a secret):
  ``postgresql[+driver]://...`` (through psycopg 3) or ``sqlite:///path.db``

Modes (``--mode``):
  replace-partition (default)  delete the rows whose partition column equals the logical
                               date, then binary-COPY the input straight into the table
  upsert                       COPY into a temporary table, keep the last row of each
                               ``--key`` in the input, then INSERT ... ON CONFLICT DO UPDATE
                               (the table needs a unique constraint on the key)
  append                       COPY only

Every mode adds the partition column (``--partition-column``, default ``logical_date``)
set to ``--logical-date`` on every row, creates the table when it is missing (types from
the Arrow schema; upsert keys become its PRIMARY KEY), and records a row in the ledger
table (pipeline, target, logical date, run id, rows, deleted rows, sha256 of the input
file, loaded_at). All of it happens in ONE transaction under a lock on the target
(PostgreSQL ``pg_advisory_xact_lock``, SQLite ``BEGIN IMMEDIATE``): a killed load leaves
the previous contents intact and visible, and concurrent loads of one target serialize.

Outputs:
  the summary (rows, mode, table, deleted_rows, checksum; ``--summary-out``) and the
  row count (``--rows-out``)

Settings:
  CADENCIA_TARGET_DB_URL  (required)

Errors: bad table/column/key name, missing input, upsert without a unique key 78;
input columns missing from or incompatible with an existing table (schema drift), rows
the table refuses 65; database unreachable or busy 75; wrong password, unknown role or
permission refused 76; unknown database or SQLite folder that does not exist 78.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path
from typing import Any

from steps._core import db, imports, runner
from steps._core.errors import ConfigError
from steps._core.settings import Secret, Settings
from steps._load.spec import MODES, make_spec

logger = logging.getLogger("steps.load")
BATCH_ROWS = 128 * 1024


@dataclasses.dataclass(frozen=True)
class TargetSettings(Settings):
    prefix = "CADENCIA_TARGET_"
    db_url: Secret


def build_parser() -> argparse.ArgumentParser:
    p = runner.parser("load", __doc__, needs_date=True)
    p.add_argument("--input", type=Path, required=True,
                   help="input Parquet path, or a folder of Parquet shards")
    p.add_argument("--table", required=True, help="target table, [schema.]name")
    p.add_argument("--mode", choices=MODES, default="replace-partition",
                   help="how rows reach the table (default replace-partition)")
    p.add_argument("--key", action="append", default=[], metavar="COL",
                   help="upsert key column (repeatable; required for upsert)")
    p.add_argument("--partition-column", default="logical_date", metavar="NAME",
                   help="date column set to --logical-date on every row (default logical_date)")
    p.add_argument("--pipeline", default="cadencia-etl", help="pipeline name in the ledger")
    p.add_argument("--ledger-table", default="cadencia_load_ledger", metavar="[SCHEMA.]NAME",
                   help="ledger table (default cadencia_load_ledger)")
    p.add_argument("--batch-rows", type=int, default=BATCH_ROWS,
                   help=f"rows per Arrow batch sent to the database (default {BATCH_ROWS})")
    return p


def main() -> None:
    imports.keep_out("numpy", "pandas")
    runner.run("load", build_parser().parse_args(), body)


def body(a: Any) -> dict[str, Any]:
    spec = make_spec(table=a.table, mode=a.mode, keys=a.key,
                     partition_column=a.partition_column, logical_date=a.logical_date,
                     run_id=a.run_id, pipeline=a.pipeline, ledger_table=a.ledger_table,
                     batch_rows=a.batch_rows)
    url = db.parse_url(TargetSettings.from_env().db_url.reveal())
    if url.dialect not in ("postgresql", "postgres", "sqlite"):
        raise ConfigError(f"CADENCIA_TARGET_DB_URL: unsupported database {url.dialect!r}; "
                          "use postgresql:// or sqlite://")

    from steps._load.source import Checksum, Source  # deferred: pyarrow is 0.1 s of imports

    source = Source(a.input, spec.batch_rows)
    check_columns(source.schema.names, spec.partition_column, spec.keys)
    checksum = Checksum(source.path)
    logger.info("loading %d rows into %s (%s) at %s", source.num_rows, spec.table, spec.mode,
                url.redacted())
    if url.dialect == "sqlite":
        from steps._load import sqlite as target
    else:
        from steps._load import pg as target  # type: ignore[no-redef]
    summary = target.load(url, spec, source, checksum)
    summary.update(partition_column=spec.partition_column, logical_date=spec.logical_date,
                   input=source.path)
    summary["note"] = note(summary)
    return summary


def note(summary: dict[str, Any]) -> str:
    """The summary's one line: what the load did to the rows already there."""
    if summary["mode"] == "upsert":
        if "inserted" not in summary:  # SQLite does not tell them apart
            return "upserted"
        return f"{summary['inserted']:,} inserted, {summary['updated']:,} updated"
    if summary["mode"] == "append":
        return "appended"
    return (f"replaced {summary['deleted_rows']:,} rows of {summary['logical_date']}"
            if summary["deleted_rows"] else f"new partition {summary['logical_date']}")


def check_columns(names: list[str], partition_column: str, keys: tuple[str, ...]) -> None:
    """Input column names are valid identifiers; the partition column is the load's own."""
    for name in names:
        db.check_identifier(name, "column name")
    if len(set(names)) != len(names):
        raise ConfigError("the input has duplicate column names")
    if partition_column in names:
        raise ConfigError(
            f"the input already has a column {partition_column!r}, which the load sets to the "
            "logical date; choose another --partition-column", column=partition_column)
    missing = [k for k in keys if k not in names]
    if missing:
        raise ConfigError(f"--key column(s) {', '.join(missing)} not in the input",
                          columns=missing)


if __name__ == "__main__":
    main()
