"""The ``cadencia`` command line: a thin layer over the workflows package.

``run`` (the local engine), ``runs``, ``get``, ``logs``, ``retry`` (run records),
``compile`` (Hera -> Argo manifests) and ``lint`` (offline checks of manifests).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

PHASE_STYLE = {"Succeeded": "green", "Failed": "red", "Error": "red", "Omitted": "dim",
               "Skipped": "dim", "Running": "yellow", "Pending": "dim"}


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(metadata.version("cadencia"), prog_name="cadencia")
def main() -> None:
    """cadencia: an ETL pipeline for Argo Workflows that also runs on a laptop."""


def _params(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
            ) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected name=value, got {item!r}")
        out[name] = value
    return out


class Progress:
    """Live lines for a run: each attempt as it starts and ends, backoffs, memo hits."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen: dict[str, tuple[str, str]] = {}
        self.timings: dict[str, tuple[float, float | None, float | None]] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("kind") != "node":
            return
        phase, message = str(event.get("phase", "")), str(event.get("message") or "")
        key = str(event.get("id"))
        first = self.timings.get(key, (float(event.get("time") or 0), None, None))[0]
        self.timings[key] = (first, event.get("startedAt"), event.get("finishedAt"))
        if self.seen.get(key) == (phase, message):
            return
        self.seen[key] = (phase, message)
        name, kind = str(event.get("displayName", "")), event.get("type")
        if ".onExit" in name:
            name = "notify (onExit)"
        if kind == "Retry" and message.startswith("Backoff for"):
            self.console.print(f"  [yellow]{'Backoff':<9}[/] {name}: {message}")
        elif kind == "Pod" and phase in ("Running", "Succeeded", "Failed", "Error"):
            took = ""
            if phase != "Running" and event.get("startedAt") and event.get("finishedAt"):
                took = f" {float(event['finishedAt']) - float(event['startedAt']):.2f}s"
            memo = " (memoized)" if event.get("memoized") else ""
            note = f"  {message}" if phase in ("Failed", "Error") and message else ""
            style = PHASE_STYLE.get(phase, "")
            self.console.print(f"  [{style}]{phase:<9}[/] {name}{took}{memo}{note}")


@main.command()
@click.option("--env", "target", default="local", show_default=True, metavar="ENV|PATH",
              help="A compiled environment (k8s/workflows/ENV/) or a manifest file or folder.")
@click.option("--date", "logical_date", callback=_date, metavar="YYYY-MM-DD",
              help="Logical date: the run-date parameter (default: today).")
@click.option("-p", "--parameter", "parameters", multiple=True, callback=_params,
              metavar="NAME=VALUE", help="Set a workflow parameter (repeatable).")
@click.option("--entry", metavar="NAME",
              help="The Workflow/WorkflowTemplate/CronWorkflow to run when several are loaded.")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path, exists=True),
              help="YAML {secret: {key: value}} for secretKeyRef/envFrom (default for --env "
                   "local: the embedded SQLite databases).")
@click.option("--artifacts", "artifacts_file", type=click.Path(path_type=Path, exists=True),
              help="YAML artifact repository in Argo's shape, e.g. {s3: {endpoint, bucket, "
                   "insecure, accessKeySecret, secretKeySecret}} (default: a local folder).")
@click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
              show_default=True, help="Folder for runs, artifacts and the embedded databases.")
def run(target: str, logical_date: str | None, parameters: dict[str, str], entry: str | None,
        secrets_file: Path | None, artifacts_file: Path | None, home: Path) -> None:
    """Run compiled Argo manifests on this machine with Argo's semantics.

    With the defaults it runs the `local` environment's cadencia-etl WorkflowTemplate on
    embedded defaults: a sample API served on 127.0.0.1:18080 for the run (always, with
    --env local), and unless --secrets says otherwise a SQLite source and a SQLite
    warehouse under .cadencia/. Retries, deadlines, memoize, the exit handler and
    artifacts behave as on a cluster. Exits 0 when the workflow Succeeded.

    \b
    Examples:
      cadencia run --date 2026-11-25
      cadencia run --env local --date 2026-11-25 --secrets my-postgres-secrets.yaml
      cadencia run --entry cadencia-etl-backfill \\
          -p start-date=2026-11-01 -p end-date=2026-11-03
    """
    from workflows import local_defaults, local_run
    from workflows.engine import EngineError, run_workflow
    from workflows.engine.records import RunStore

    console = Console()
    try:
        files, from_env = local_run.manifest_files(target)
        docs = local_run.load_docs(files)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(str(exc)) from exc
    date = logical_date or dt.date.today().isoformat()
    chosen = entry or local_run.default_entry(docs, from_env)
    params = dict(parameters)
    if local_run.declares_parameter(docs, chosen, "run-date"):
        params = {"run-date": date, **params}
    embedded = from_env and target == "local" and secrets_file is None
    if embedded:
        local_defaults.seed_source(home, date, local_defaults.RECORDS)
        secrets_file = local_defaults.write_secrets(home)
    stack = _local_services(target if from_env else "", date)
    repository = yaml.safe_load(artifacts_file.read_text()) if artifacts_file else None
    store = RunStore(home / "runs")
    progress = Progress(console)
    console.print(f"[bold]cadencia[/] run of [cyan]{chosen or files[0].name}[/] "
                  f"({target}), parameters {params or '{}'}")
    started = time.perf_counter()
    with stack:
        try:
            workflow = run_workflow(docs, entry=chosen, parameters=params, store=store,
                                    repository_spec=repository, secrets_file=secrets_file,
                                    on_event=progress)
        except EngineError as exc:
            raise click.ClickException(str(exc)) from exc
    run_dir = local_run.latest_run_dir(store, workflow)
    local_run.Invocation(target=target, files=[str(f.resolve()) for f in files], entry=chosen,
                         secrets_file=str(secrets_file.resolve()) if secrets_file else None,
                         repository=repository, parameters=params).save(run_dir)
    _finish(console, workflow, time.perf_counter() - started, run_dir, progress.timings)
    succeeded = workflow["status"]["phase"] == "Succeeded"
    if embedded and chosen == local_run.DEFAULT_ENTRY and succeeded:
        console.print(f"rows for {date} are in table [cyan]{local_defaults.TABLE}[/] of "
                      f"{local_defaults.warehouse_db(home)}")
    sys.exit(0 if succeeded else 1)


def _local_services(env: str, date: str) -> Any:
    """The sample API the `local` environment's manifests read, served for the run."""
    import contextlib

    from workflows import local_defaults

    stack = contextlib.ExitStack()
    if env == "local":
        from workflows.devservices.sample_api import SampleApi

        try:
            stack.enter_context(SampleApi(records=local_defaults.RECORDS, date=date,
                                          port=local_defaults.SAMPLE_API_PORT))
        except OSError as exc:
            raise click.ClickException(
                f"cannot serve the sample API on 127.0.0.1:{local_defaults.SAMPLE_API_PORT} "
                f"({exc.strerror}); stop what uses that port") from exc
    return stack


def _finish(console: Console, workflow: dict[str, Any], seconds: float, run_dir: Path,
            timings: dict[str, tuple[float, float | None, float | None]]) -> None:
    from workflows import local_run

    table = Table(title=f"{workflow['metadata']['name']}")
    for col in ("node", "phase", "attempts", "duration", "rows", "message"):
        table.add_column(col, justify="right" if col in ("attempts", "duration", "rows")
                         else "left")
    for row in local_run.summary_rows(workflow, timings):
        style = PHASE_STYLE.get(row.phase, "")
        table.add_row(row.node, f"[{style}]{row.phase}[/]", str(row.attempts or ""),
                      "" if row.seconds is None else f"{row.seconds:.2f}s", row.rows,
                      row.message)
    console.print(table)
    phase = workflow["status"]["phase"]
    style = "green" if phase == "Succeeded" else "red"
    console.print(f"[{style}]{phase}[/] in {seconds:.1f}s; `cadencia get "
                  f"{workflow['metadata']['name']}` shows the node tree, record in {run_dir}")


def _store(home: Path) -> Any:
    from workflows.engine.records import RunStore

    return RunStore(home / "runs")


def _record(home: Path, run_name: str) -> Any:
    from workflows.engine.records import RunLookupError

    try:
        return _store(home).load(run_name)
    except RunLookupError as exc:
        raise click.ClickException(str(exc)) from exc


HOME = click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
                    show_default=True, help="The folder `cadencia run` keeps runs in.")


@main.command()
@HOME
def runs(home: Path) -> None:
    """List past local runs, newest first (like `argo list`).

    \b
    Example:
      cadencia runs
    """
    from workflows.engine.present import format_runs

    click.echo(format_runs(_store(home).list_runs()))


@main.command()
@click.argument("run_name", metavar="RUN")
@HOME
def get(run_name: str, home: Path) -> None:
    """Print a run's node tree the way `argo get` does.

    RUN is a run name, a unique prefix of one, or @latest.

    \b
    Example:
      cadencia get @latest
    """
    from workflows.engine.present import format_get

    click.echo(format_get(_record(home, run_name).load()))


@main.command()
@click.argument("run_name", metavar="RUN")
@click.argument("node", required=False)
@HOME
def logs(run_name: str, node: str | None, home: Path) -> None:
    """Print the logs of a run's nodes (all, or NODE: a name, display name or pod name).

    \b
    Example:
      cadencia logs @latest extract-http
    """
    from workflows.engine.present_logs import UnknownNode, format_logs

    try:
        click.echo(format_logs(_record(home, run_name), node), nl=False)
    except UnknownNode as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("run_name", metavar="RUN")
@HOME
def retry(run_name: str, home: Path) -> None:
    """Re-run a failed run from its failed nodes, reusing what succeeded (like `argo retry`).

    The same manifests, parameters, secrets and artifact repository are used; the nodes
    that succeeded keep their outputs and are not run again.

    \b
    Example:
      cadencia retry @latest
    """
    from workflows import local_run
    from workflows.engine import EngineError, run_workflow

    record = _record(home, run_name)
    previous = record.load()
    try:
        how = local_run.Invocation.load(record.path)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{record.name} has no invocation.json to retry from") from exc
    if previous["status"]["phase"] == "Succeeded":
        raise click.ClickException(f"{record.name} Succeeded: nothing to retry")
    console = Console()
    progress = Progress(console)
    started = time.perf_counter()
    store = _store(home)
    with _local_services(how.target, how.parameters.get("run-date", "")):
        try:
            workflow = run_workflow(
                local_run.load_docs([Path(f) for f in how.files]), entry=how.entry,
                parameters=how.parameters, store=store, repository_spec=how.repository,
                secrets_file=Path(how.secrets_file) if how.secrets_file else None,
                on_event=progress, previous=previous)
        except EngineError as exc:
            raise click.ClickException(str(exc)) from exc
    run_dir = local_run.latest_run_dir(store, workflow)
    how.save(run_dir)
    _finish(console, workflow, time.perf_counter() - started, run_dir, progress.timings)
    sys.exit(0 if workflow["status"]["phase"] == "Succeeded" else 1)


@main.command(name="compile")
@click.option("--env", "envs", multiple=True, metavar="ENV",
              help="Environment to compile (repeatable; default: all of local, dev, staging, "
                   "prod).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("k8s/workflows"),
              show_default=True, help="Folder that receives one sub-folder per environment.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when the committed manifests differ from a fresh "
                   "compile.")
def compile_cmd(envs: tuple[str, ...], out_dir: Path, check: bool) -> None:
    """Compile the Hera definitions into Argo manifests, one folder per environment.

    The manifests (WorkflowTemplate cadencia-etl, CronWorkflow cadencia-etl-daily, the
    backfill WorkflowTemplate) are generated files: commit them, never edit them.

    \b
    Example:
      cadencia compile --env prod && cadencia lint k8s/workflows/prod
    """
    from workflows import compile as compiler
    from workflows.config import ConfigError

    try:
        if check:
            problems = compiler.check_stale(out_dir)
            for line in problems:
                click.echo(line)
            click.echo(f"{len(problems)} stale file(s)" if problems else "manifests up to date",
                       err=True)
            sys.exit(1 if problems else 0)
        for path in compiler.compile_all(out_dir, list(envs) or None):
            click.echo(str(path))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def lint(paths: tuple[Path, ...]) -> None:
    """Check Argo manifests the way `argo lint --offline` does, and what it misses.

    PATHS are files or folders (default: k8s). Each finding is one line: file:line, YAML
    path, rule id and message. Exits 1 when there are findings, 2 when nothing was found
    to lint.

    \b
    Example:
      cadencia lint k8s/workflows
    """
    from workflows.lint import main as lint_main

    sys.exit(lint_main(list(paths)))


if __name__ == "__main__":
    main()
