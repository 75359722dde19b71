"""Source steps: ``extract_http`` and ``extract_sql``, any number per pipeline, each with
its own URL or query, pagination, contract and Secret; and the ``source-fingerprint``
task the build puts before them.

source-fingerprint reads each source's non-secret identity from that source's own
Secrets (Argo evaluates a memoize key without them) and outputs one hash per source;
each extract takes its source's hash into its memoize key, so another source never hits
its entries.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import Container, Parameter, Task
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import ConfigError
from workflows.config.environment import SecretRef
from workflows.definitions import defaults as d
from workflows.definitions.memo import memoize
from workflows.definitions.metrics import step_metrics
from workflows.definitions.ports import OUT_ARGS, SHA_ARGS, parquet_out, reported, sha_out
from workflows.library.args import HttpSource, SqlSource, memo_config
from workflows.library.build import Build, Source, current
from workflows.library.data import Data

FINGERPRINT = "source-fingerprint"
EXTRACT_PARAMS = [RUN_DATE, FINGERPRINT]


def _suffix(name: str) -> str:
    return name.upper().replace("-", "_")


def _fingerprint_argument(name: str) -> Parameter:
    return Parameter(name=FINGERPRINT,
                     value=f"{{{{tasks.{FINGERPRINT}.outputs.parameters.{name}}}}}")


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


def _http_env(src: HttpSource) -> tuple[dict[str, str], list[tuple[str, SecretRef]]]:
    plain = {}
    if src.auth is not None:
        plain["CADENCIA_HTTP_AUTH"] = src.auth
    if src.api_key_header is not None:
        plain["CADENCIA_HTTP_API_KEY_HEADER"] = src.api_key_header
    own = [(f"CADENCIA_HTTP_{field.upper()}", ref)
           for field, ref in src.secrets if ref is not None]
    return plain, own


def extract_http(name: str, **settings: Any) -> Data:
    """Add an extract-http task named ``name``: a paginated JSON API into Parquet.

    Settings (keywords here, or ``steps.<name>`` in the pipeline's settings files):
    ``url``, ``pagination`` (style page|offset|cursor|link and its knobs),
    ``records_path``, ``params``, ``schema`` (column: type), ``auth``,
    ``api_key_header``, ``secrets`` (token, username, password, api_key: this source's
    own Secrets), ``deadline``, ``resources``.
    """
    b = current()
    b.claim(name, "step")
    src = b.settings(name, HttpSource, settings)
    env = b.env
    plain, own = _http_env(src)
    template = d.step_container(
        env, name, kind="extract-http",
        args=[*d.common_args(), *http_args(src), *OUT_ARGS, *SHA_ARGS],
        # a source with Secrets of its own never gets the shared ones (another API's token)
        secrets_for=None if own else "http_", secrets=own, plain_env=plain,
        deadline=env.seconds(src.deadline) if src.deadline else None,
        step_resources=src.resources,
        inputs=[Parameter(name=p) for p in EXTRACT_PARAMS],
        outputs=[parquet_out("data"), *reported(name), sha_out()],
        memoize=memoize(env, name, memo_config(src), EXTRACT_PARAMS),
        metrics=step_metrics(env, name, "extract-http"))
    task = Task(name=name, template=template, dependencies=[FINGERPRINT],
                arguments=[Parameter(name=RUN_DATE, value=RUN_DATE_INPUT),
                           _fingerprint_argument(name)])
    fp_env: list[tuple[str, Any]] = []
    s = _suffix(name)
    if src.auth is not None:
        fp_env.append((f"CADENCIA_HTTP_AUTH__{s}", src.auth))
    if src.api_key_header is not None:
        fp_env.append((f"CADENCIA_HTTP_API_KEY_HEADER__{s}", src.api_key_header))
    username = src.secrets.username if own else env.secrets.http_username
    if username is not None:
        fp_env.append((f"CADENCIA_HTTP_USERNAME__{s}", username))
    b.sources.append(Source(name, "http", src.url, tuple(fp_env)))
    b.counted.append(name)
    return Data(name, "extract-http", task, columns=tuple(src.columns) or None,
                checksum=True)


def extract_sql(name: str, **settings: Any) -> Data:
    """Add an extract-sql task named ``name``: a SQL query through SQLAlchemy into Parquet.

    Settings: ``query`` (bound ``:logical_date`` and ``params``), ``params``,
    ``chunk_rows``, ``columns`` (the result's contract), ``secret`` (this source's
    database URL; default the shared ``secrets.source_db_url``), ``deadline``,
    ``resources``.
    """
    b = current()
    b.claim(name, "step")
    src = b.settings(name, SqlSource, settings)
    env = b.env
    secret = src.secret or env.secrets.source_db_url
    if secret is None:
        raise ConfigError([b.problem(name, ("secret",), "a SQL source needs the Secret of its "
                                     "database URL: set it here or secrets.source_db_url",
                                     b.resolved.steps.sub(name))])
    args = [*d.common_args(), "--query", src.query]
    for key, value in src.params.items():
        args += ["--param", f"{key}={value}"]
    if src.chunk_rows is not None:
        args += ["--chunk-rows", str(src.chunk_rows)]
    if src.columns:
        args += ["--columns", ",".join(src.columns)]
    template = d.step_container(
        env, name, kind="extract-sql", args=[*args, *OUT_ARGS, *SHA_ARGS],
        secrets=[("CADENCIA_SOURCE_DB_URL", secret)],
        deadline=env.seconds(src.deadline) if src.deadline else None,
        step_resources=src.resources,
        inputs=[Parameter(name=p) for p in EXTRACT_PARAMS],
        outputs=[parquet_out("data"), *reported(name), sha_out()],
        memoize=memoize(env, name, memo_config(src), EXTRACT_PARAMS),
        metrics=step_metrics(env, name, "extract-sql"))
    task = Task(name=name, template=template, dependencies=[FINGERPRINT],
                arguments=[Parameter(name=RUN_DATE, value=RUN_DATE_INPUT),
                           _fingerprint_argument(name)])
    b.sources.append(Source(name, "sql", None,
                            ((f"CADENCIA_SOURCE_DB_URL__{_suffix(name)}", secret),)))
    b.counted.append(name)
    return Data(name, "extract-sql", task, columns=tuple(src.columns) or None, checksum=True)


def fingerprint_task(b: Build) -> Task:
    """The ``source-fingerprint`` task: one output parameter per source, by its name."""
    args = [*d.common_args(run_date=False)]
    plain: dict[str, str] = {}
    secrets: list[tuple[str, SecretRef]] = []
    for src in b.sources:
        args += ["--http", f"{src.name}={src.url}"] if src.kind == "http" else ["--sql",
                                                                               src.name]
        args += ["--out", f"{src.name}={{{{outputs.parameters.{src.name}.path}}}}"]
        for var, value in src.env:
            if isinstance(value, SecretRef):
                secrets.append((var, value))
            else:
                plain[var] = value
    template: Container = d.step_container(
        b.env, FINGERPRINT, args=args, secrets=secrets, plain_env=plain,
        outputs=[Parameter(name=src.name, value_from=m.ValueFrom(path=d.out_path(src.name, "")))
                 for src in b.sources])
    return Task(name=FINGERPRINT, template=template)
