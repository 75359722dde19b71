"""What the pipeline does, whatever the environment: sources, clean, transform, rules, target.

The transform spec and the validation rules are checked here with the steps' own parsers
(``steps.transform.parse_spec``, ``steps.validate.parse_rules``), so a bad
expression or rule fails ``cadencia compile``, not the 02:00 run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from workflows.argo.names import MAX_CRON_NAME
from workflows.config.types import DnsLabel, Identifier, TableName, Text

HTTP_TYPES = ("int64", "int32", "float64", "float32", "string", "bool", "timestamp",
              "timestamptz", "date")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pagination(Strict):
    """How extract-http walks the pages (``--pagination`` and its knobs)."""

    style: Literal["page", "offset", "cursor", "link"] = "page"
    page_size: int | None = Field(default=None, ge=1, le=100_000)
    size_param: Text | None = None
    page_param: Text | None = None
    first_page: int | None = Field(default=None, ge=0)
    offset_param: Text | None = None
    cursor_param: Text | None = None
    cursor_field: Text | None = None
    next_field: Text | None = None
    has_more_field: Text | None = None
    total_field: Text | None = None
    stop_on_empty: bool = False
    max_pages: int | None = Field(default=None, ge=1)


class HttpSource(Strict):
    url: Text = Field(pattern=r"^https?://[^\s]+$")
    pagination: Pagination = Pagination()
    records_path: Text | None = None
    params: dict[str, Text] = {}
    # column -> type; the order is the column order of the Parquet file
    columns: dict[Identifier, Literal[HTTP_TYPES]] = Field(  # type: ignore[valid-type]
        default_factory=dict, alias="schema")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SqlSource(Strict):
    query: Text = Field(min_length=1)
    params: dict[Identifier, Text] = {}
    chunk_rows: int | None = Field(default=None, ge=1)
    # the result's contract: a missing column is schema drift (exit 65), not nulls
    columns: list[Identifier] = Field(default_factory=list)


class Sources(Strict):
    http: HttpSource
    sql: SqlSource


class Clean(Strict):
    key: list[Identifier] = Field(default_factory=list)
    order_by: Identifier | None = None
    parse_timestamps: list[Identifier] = Field(default_factory=list)


class Target(Strict):
    table: TableName
    mode: Literal["replace-partition", "upsert", "append"] = "replace-partition"
    keys: list[Identifier] = Field(default_factory=list)
    partition_column: Identifier = "logical_date"
    ledger_table: TableName = "cadencia_load_ledger"
    batch_rows: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _upsert_needs_keys(self) -> Target:
        if self.mode == "upsert" and not self.keys:
            raise ValueError("mode 'upsert' needs 'keys'")
        return self


class Pipeline(Strict):
    # <name>-daily (definitions/cron.py) must fit Argo's limit on a CronWorkflow's name
    name: DnsLabel = Field(default="cadencia-etl", max_length=MAX_CRON_NAME - len("-daily"))
    sources: Sources
    clean: Clean = Clean()
    transform: dict[str, Any]
    validation: dict[str, Any]
    target: Target

    @field_validator("transform")
    @classmethod
    def _transform_spec(cls, value: dict[str, Any]) -> dict[str, Any]:
        from steps._core.errors import ConfigError
        from steps.transform import parse_spec

        try:
            parse_spec(value, "transform")
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("validation")
    @classmethod
    def _rules(cls, value: dict[str, Any]) -> dict[str, Any]:
        from steps._core.errors import ConfigError
        from steps.validate import parse_rules

        try:
            parse_rules(value)
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        if "reject_threshold" not in value:
            raise ValueError("set 'reject_threshold' (0.0 tolerates no rejected row)")
        return value
