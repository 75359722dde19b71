"""The typed settings of each library step, checked when the pipeline is defined.

A step's settings are the keyword arguments its function gets in the pipeline's Python
file, with the pipeline's settings files (``steps.<name>:``) over them. The transform spec
and the validation rules are checked with the steps' own parsers
(``steps.transform.parse_spec``, ``steps.validate.parse_rules``), so a bad expression or
rule fails ``cadencia compile``, not the 02:00 run.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from workflows.config.environment import SecretRef
from workflows.config.per_step import StepResources
from workflows.config.pipeline import Strict
from workflows.config.types import GoDuration, Identifier, TableName, Text

HTTP_TYPES = ("int64", "int32", "float64", "float32", "string", "bool", "timestamp",
              "timestamptz", "date")
AUTH_MODES = ("none", "bearer", "basic", "api-key")


class StepArgs(Strict):
    """What every step may set for itself over the shared per-program values."""

    deadline: GoDuration | None = None
    resources: StepResources | None = None


def memo_config(args: StepArgs) -> dict[str, Any]:
    """What decides a pure step's output, for its memoize key: its settings as set, but
    not its deadline or resources (a longer deadline computes the same rows)."""
    return args.model_dump(by_alias=True, exclude_defaults=True,
                           exclude={"deadline", "resources"})


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


class HttpSecrets(Strict):
    """The source's own Secrets; unset ones fall back to the shared ``secrets.http_*``."""

    token: SecretRef | None = None
    username: SecretRef | None = None
    password: SecretRef | None = None
    api_key: SecretRef | None = None


class HttpSource(StepArgs):
    url: Text = Field(pattern=r"^https?://[^\s]+$")
    pagination: Pagination = Pagination()
    records_path: Text | None = None
    params: dict[str, Text] = Field(default_factory=dict)
    # column -> type; the order is the column order of the Parquet file
    columns: dict[Identifier, Literal[HTTP_TYPES]] = Field(  # type: ignore[valid-type]
        default_factory=dict, alias="schema")
    # unset: CADENCIA_HTTP_AUTH of the settings ConfigMap decides (default none)
    auth: Literal[AUTH_MODES] | None = None  # type: ignore[valid-type]
    api_key_header: Text | None = None
    secrets: HttpSecrets = HttpSecrets()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SqlSource(StepArgs):
    query: Text = Field(min_length=1)
    params: dict[Identifier, Text] = Field(default_factory=dict)
    chunk_rows: int | None = Field(default=None, ge=1)
    # the result's contract: a missing column is schema drift (exit 65), not nulls
    columns: list[Identifier] = Field(default_factory=list)
    # the database URL's Secret; unset: the shared secrets.source_db_url
    secret: SecretRef | None = None


class Union(StepArgs):
    key: list[Identifier] = Field(default_factory=list)
    order_by: Identifier | None = None
    parse_timestamps: list[Identifier] = Field(default_factory=list)


class Join(StepArgs):
    on: list[Identifier] = Field(min_length=1)
    how: Literal["inner", "left", "full"] = "inner"
    suffix: Text = Field(default="_right", pattern=r"^[A-Za-z0-9_]+$")


def _checked_spec(value: dict[str, Any]) -> None:
    from steps.contracts import StepConfigError as ConfigError
    from steps.transform import parse_spec

    try:
        parse_spec(value, "transform")
    except ConfigError as exc:
        raise ValueError(exc.message) from None


class Transform(StepArgs):
    """The transform spec (docs/expressions.md): the keys of ``steps.transform.SPEC_KEYS``."""

    rename: dict[str, str] = Field(default_factory=dict)
    cast: dict[str, str] = Field(default_factory=dict)
    strict: bool | None = None
    compute: dict[str, str] = Field(default_factory=dict)
    filter: list[str] | str = Field(default_factory=list)
    select: list[str] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spec(self) -> Transform:
        _checked_spec(self.spec())
        return self

    def spec(self) -> dict[str, Any]:
        """The spec file transform reads (what is set, in the spec's own key order)."""
        return self.model_dump(exclude_defaults=True, exclude={"deadline", "resources"})


class Validate(StepArgs):
    """The validation rules (docs/validation.md) and the share of rows that may fail."""

    reject_threshold: float = Field(ge=0.0, le=1.0)
    rules: list[dict[str, Any]] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules(self) -> Validate:
        from steps.contracts import StepConfigError as ConfigError
        from steps.validate import parse_rules

        try:
            parse_rules(self.document())
        except ConfigError as exc:
            raise ValueError(exc.message) from None
        return self

    def document(self) -> dict[str, Any]:
        """The rules file validate reads."""
        return {"reject_threshold": self.reject_threshold, "rules": self.rules}


class Load(StepArgs):
    table: TableName
    mode: Literal["replace-partition", "upsert", "append"] = "replace-partition"
    keys: list[Identifier] = Field(default_factory=list)
    partition_column: Identifier = "logical_date"
    ledger_table: TableName = "cadencia_load_ledger"
    batch_rows: int | None = Field(default=None, ge=1)
    # the target database URL's Secret; unset: the shared secrets.target_db_url
    secret: SecretRef | None = None

    @model_validator(mode="after")
    def _upsert_needs_keys(self) -> Load:
        if self.mode == "upsert" and not self.keys:
            raise ValueError("mode 'upsert' needs 'keys'")
        return self
