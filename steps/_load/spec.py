"""What one load does: the validated target, mode, keys and ledger entry.

Every name is checked here, before any connection is opened, so a name such as
``x; drop table y`` is a ConfigError (78) and nothing reaches the database.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from steps._core.db import check_identifier, qualified
from steps._core.errors import ConfigError

MODES = ("replace-partition", "upsert", "append")
LOCK_PREFIX = "cadencia.load:"


@dataclasses.dataclass(frozen=True)
class LoadSpec:
    schema: str | None
    name: str
    mode: str
    keys: tuple[str, ...]
    partition_column: str
    logical_date: str
    run_id: str
    pipeline: str
    ledger_schema: str | None
    ledger_name: str
    batch_rows: int

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def ledger(self) -> str:
        schema = self.ledger_schema
        return f"{schema}.{self.ledger_name}" if schema else self.ledger_name


def make_spec(*, table: str, mode: str, keys: Sequence[str], partition_column: str,
              logical_date: str, run_id: str, pipeline: str, ledger_table: str,
              batch_rows: int) -> LoadSpec:
    """Validate the options of one load (ConfigError on the first bad one)."""
    schema, name = qualified(table)
    if mode not in MODES:
        raise ConfigError(f"unknown --mode {mode!r}; choose one of {', '.join(MODES)}")
    for key in keys:
        check_identifier(key, "key column")
    if mode == "upsert" and not keys:
        raise ConfigError("--mode upsert needs at least one --key column")
    if mode != "upsert" and keys:
        raise ConfigError(f"--key applies to --mode upsert only, not {mode}")
    if len(set(keys)) != len(keys):
        raise ConfigError("--key names a column twice")
    check_identifier(partition_column, "partition column")
    if partition_column in keys:
        raise ConfigError(f"the partition column {partition_column!r} cannot be an upsert key")
    ledger_schema, ledger_name = qualified(ledger_table)
    if (ledger_schema, ledger_name) == (schema, name):
        raise ConfigError("--ledger-table must differ from --table")
    if not pipeline or len(pipeline) > 200:
        raise ConfigError("--pipeline must be 1 to 200 characters")
    if batch_rows < 1:
        raise ConfigError("--batch-rows must be positive")
    return LoadSpec(schema, name, mode, tuple(keys), partition_column, logical_date, run_id,
                    pipeline, ledger_schema, ledger_name, batch_rows)
