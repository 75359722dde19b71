"""The ETL step templates: source-fingerprint, extract-http, extract-sql, clean, transform,
validate, load.

Every path a step reads or writes is an Argo placeholder (``{{inputs.artifacts.X.path}}``,
``{{outputs.artifacts.X.path}}``, ``{{outputs.parameters.X.path}}``), never a literal, so
the local engine can place the files. Parquet artifacts are stored unarchived. Each step
exports its row count as a global output parameter (``rows-<step>``) for the exit
handler; the pure steps also export the sha256 of their output for the memoize keys
downstream. The transform spec and the rules travel inside the manifest as raw input
artifacts: visible, versioned with the manifest, and not secret.
"""

from __future__ import annotations

from typing import Any

import yaml
from hera.workflows import Artifact, Container, NoneArchiveStrategy, Parameter, RawArtifact
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE
from workflows.config import Environment
from workflows.config.pipeline import HttpSource
from workflows.definitions import defaults as d
from workflows.definitions.memo import memoize
from workflows.definitions.metrics import step_metrics

MISSING = "unknown"  # output parameter value when a step ended without writing it


def parquet_out(name: str, *, optional: bool = False, suffix: str = ".parquet") -> Artifact:
    return Artifact(name=name, path=d.out_path(name, suffix), archive=NoneArchiveStrategy(),
                    optional=optional or None)


def parquet_in(name: str) -> Artifact:
    return Artifact(name=name, path=d.in_path(name))


def raw_in(name: str, data: dict[str, Any]) -> RawArtifact:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return RawArtifact(name=name, path=d.in_path(name, ".yaml"), data=text)


def rows_out(step: str) -> Parameter:
    return Parameter(name="rows", global_name=f"rows-{step}",
                     value_from=m.ValueFrom(path=d.out_path("rows", ""), default=MISSING))


def note_out(step: str) -> Parameter:
    """A one-line note on what the step did: the local summary's message column, and the
    global ``note-<step>`` the exit handler reports."""
    return Parameter(name="note", global_name=f"note-{step}",
                     value_from=m.ValueFrom(path=d.out_path("note", ""), default=""))


def reported(step: str) -> list[Parameter]:
    """The step's row count and note, global for the exit handler."""
    return [rows_out(step), note_out(step)]


def sha_out() -> Parameter:
    return Parameter(name="sha256", value_from=m.ValueFrom(path=d.out_path("sha256", ""),
                                                           default=MISSING))


NOTE_ARGS = ["--note-out", "{{outputs.parameters.note.path}}"]
OUT_ARGS = ["--out", "{{outputs.artifacts.data.path}}",
            "--rows-out", "{{outputs.parameters.rows.path}}", *NOTE_ARGS]
SHA_ARGS = ["--checksum-out", "{{outputs.parameters.sha256.path}}"]


def http_args(src: HttpSource) -> list[str]:
    p = src.pagination
    args = ["--url", src.url, "--pagination", p.style]
    for flag, value in (("--page-size", p.page_size), ("--size-param", p.size_param),
                        ("--page-param", p.page_param), ("--first-page", p.first_page),
                        ("--offset-param", p.offset_param), ("--cursor-param", p.cursor_param),
                        ("--cursor-field", p.cursor_field), ("--next-field", p.next_field),
                        ("--has-more-field", p.has_more_field),
                        ("--total-field", p.total_field), ("--max-pages", p.max_pages),
                        ("--records-path", src.records_path)):
        if value is not None:
            args += [flag, str(value)]
    if p.stop_on_empty:
        args.append("--stop-on-empty")
    for name, value in src.params.items():
        args += ["--param", f"{name}={value}"]
    if src.columns:
        args += ["--schema", ",".join(f"{c}:{t}" for c, t in src.columns.items())]
    return args


# The secrets source-fingerprint reads: what names a source, never a password or token
# (the database URL holds its password, which the step leaves out of the hash).
FINGERPRINT_SECRETS = ("source_db_url", "http_username")
EXTRACT_PARAMS = [RUN_DATE, "source-fingerprint"]


def source_fingerprint(env: Environment) -> Container:
    """The hash of each source's resolved settings, an input of the extracts' memo keys."""
    return d.step_container(
        env, "source-fingerprint",
        args=[*d.common_args(run_date=False), "--http-url", env.pipeline.sources.http.url,
              "--http-out", "{{outputs.parameters.http.path}}",
              "--sql-out", "{{outputs.parameters.sql.path}}"],
        secrets_for=FINGERPRINT_SECRETS,
        outputs=[Parameter(name=name, value_from=m.ValueFrom(path=d.out_path(name, "")))
                 for name in ("http", "sql")])


def extract_http(env: Environment) -> Container:
    src = env.pipeline.sources.http
    return d.step_container(
        env, "extract-http", args=[*d.common_args(), *http_args(src), *OUT_ARGS, *SHA_ARGS],
        secrets_for="http_", inputs=[Parameter(name=p) for p in EXTRACT_PARAMS],
        outputs=[parquet_out("data"), *reported("extract-http"), sha_out()],
        memoize=memoize(env, "extract-http", src.model_dump(by_alias=True), EXTRACT_PARAMS),
        metrics=step_metrics(env, "extract-http"))


def extract_sql(env: Environment) -> Container:
    src = env.pipeline.sources.sql
    args = [*d.common_args(), "--query", src.query]
    for name, value in src.params.items():
        args += ["--param", f"{name}={value}"]
    if src.chunk_rows is not None:
        args += ["--chunk-rows", str(src.chunk_rows)]
    if src.columns:
        args += ["--columns", ",".join(src.columns)]
    return d.step_container(
        env, "extract-sql", args=[*args, *OUT_ARGS, *SHA_ARGS], secrets_for="source_db",
        inputs=[Parameter(name=p) for p in EXTRACT_PARAMS],
        outputs=[parquet_out("data"), *reported("extract-sql"), sha_out()],
        memoize=memoize(env, "extract-sql", src.model_dump(), EXTRACT_PARAMS),
        metrics=step_metrics(env, "extract-sql"))


def clean(env: Environment) -> Container:
    c = env.pipeline.clean
    args = [*d.common_args(), "--input", "{{inputs.artifacts.http.path}}",
            "--input", "{{inputs.artifacts.sql.path}}"]
    for key in c.key:
        args += ["--key", key]
    if c.order_by:
        args += ["--order-by", c.order_by]
    for column in c.parse_timestamps:
        args += ["--parse-timestamps", column]
    params = [RUN_DATE, "http-sha256", "sql-sha256"]
    return d.step_container(
        env, "clean", args=[*args, *OUT_ARGS, *SHA_ARGS],
        inputs=[*(Parameter(name=p) for p in params), parquet_in("http"), parquet_in("sql")],
        outputs=[parquet_out("data"), *reported("clean"), sha_out()],
        memoize=memoize(env, "clean", c.model_dump(), params),
        metrics=step_metrics(env, "clean"))


def transform(env: Environment) -> Container:
    spec = env.pipeline.transform
    params = [RUN_DATE, "input-sha256"]
    return d.step_container(
        env, "transform",
        args=[*d.common_args(), "--input", "{{inputs.artifacts.data.path}}",
              "--spec", "{{inputs.artifacts.spec.path}}", *OUT_ARGS, *SHA_ARGS],
        inputs=[*(Parameter(name=p) for p in params), parquet_in("data"), raw_in("spec", spec)],
        outputs=[parquet_out("data"), *reported("transform"), sha_out()],
        memoize=memoize(env, "transform", spec, params),
        metrics=step_metrics(env, "transform"))


def validate(env: Environment) -> Container:
    return d.step_container(
        env, "validate",
        args=[*d.common_args(), "--input", "{{inputs.artifacts.data.path}}",
              "--rules", "{{inputs.artifacts.rules.path}}", *OUT_ARGS,
              "--quarantine", "{{outputs.artifacts.quarantine.path}}",
              "--report", "{{outputs.artifacts.report.path}}"],
        inputs=[Parameter(name=RUN_DATE), parquet_in("data"),
                raw_in("rules", env.pipeline.validation)],
        # quarantine and report are written even when validation fails; optional so that a
        # step failing before them keeps its own error message
        outputs=[parquet_out("data"), parquet_out("quarantine", optional=True),
                 parquet_out("report", optional=True, suffix=".json"), *reported("validate")],
        metrics=step_metrics(env, "validate"))


def load(env: Environment) -> Container:
    t = env.pipeline.target
    args = [*d.common_args(), "--input", "{{inputs.artifacts.data.path}}", "--table", t.table,
            "--mode", t.mode, "--partition-column", t.partition_column,
            "--pipeline", env.pipeline.name, "--ledger-table", t.ledger_table]
    for key in t.keys:
        args += ["--key", key]
    if t.batch_rows is not None:
        args += ["--batch-rows", str(t.batch_rows)]
    return d.step_container(
        env, "load", args=[*args, "--rows-out", "{{outputs.parameters.rows.path}}", *NOTE_ARGS],
        secrets_for="target_db", inputs=[Parameter(name=RUN_DATE), parquet_in("data")],
        outputs=[*reported("load")],
        # one load of a target at a time in the namespace: cron, ad-hoc runs and backfills
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=mutex_name(env))]),
        metrics=step_metrics(env, "load", rows_gauge=True))


def mutex_name(env: Environment) -> str:
    table = env.pipeline.target.table.replace(".", "-").replace("_", "-")
    return f"{env.pipeline.name}-load-{table}".lower()


def all_steps(env: Environment) -> list[Container]:
    return [source_fingerprint(env), extract_http(env), extract_sql(env), clean(env),
            transform(env), validate(env), load(env)]
