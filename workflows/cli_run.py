"""``cadencia run``, ``runs``, ``get``, ``logs`` and ``retry``: the local engine and its records.

The commands are thin: the engine is :mod:`workflows.engine`, what a run starts from is
:mod:`workflows.local_run`, the embedded defaults are :mod:`workflows.local_defaults`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console

from steps._core import yaml_safe
from workflows.runs.terminal import Progress, finish


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


def _params(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
            ) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected name=value, got {item!r}")
        out[name] = value
    return out

class PipelineChoice(click.ClickException):
    """Several compiled pipelines and no --pipeline, or an unknown one: a usage error."""

    exit_code = 2


@click.command()
@click.option("--env", "targets", multiple=True, metavar="ENV|PATH",
              help="A compiled environment (k8s/workflows/ENV/; default: local) or a manifest "
                   "file or folder; repeat it to give several files or folders (the "
                   "workflow first, then the templates and ConfigMaps it reads).")
@click.option("--pipeline", metavar="NAME",
              help="The compiled pipeline of ENV to run (k8s/workflows/ENV/NAME/; default: "
                   "the only one; with several, the command lists them).")
@click.option("--date", "logical_date", callback=_date, metavar="YYYY-MM-DD",
              help="Logical date: the run-date parameter (default: the date the daily "
                   "schedule loads now, by default yesterday in its time zone).")
@click.option("-p", "--parameter", "parameters", multiple=True, callback=_params,
              metavar="NAME=VALUE", help="Set a workflow parameter (repeatable).")
@click.option("--entry", metavar="NAME",
              help="The Workflow/WorkflowTemplate/CronWorkflow to run (default: the "
                   "pipeline's WorkflowTemplate, named after it; PIPELINE-backfill runs a date "
                   "range).")
@click.option("--secrets", "secrets_file", type=click.Path(path_type=Path, exists=True),
              help="YAML {secret: {key: value}} for secretKeyRef/envFrom (default for --env "
                   "local: the embedded SQLite databases).")
@click.option("--artifacts", "artifacts_file", type=click.Path(path_type=Path, exists=True),
              help="YAML artifact repository in Argo's shape, e.g. {s3: {endpoint, bucket, "
                   "insecure, accessKeySecret, secretKeySecret}} (default: a local folder).")
@click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
              show_default=True, help="Folder for runs, artifacts and the embedded databases.")
def run(targets: tuple[str, ...], pipeline: str | None, logical_date: str | None,
        parameters: dict[str, str], entry: str | None, secrets_file: Path | None,
        artifacts_file: Path | None, home: Path) -> None:
    """Run compiled Argo manifests on this machine with Argo's semantics.

    --env ENV runs one pipeline of a compiled environment, k8s/workflows/ENV/PIPELINE/
    (looked for under $CADENCIA_PROJECT when set, the current folder, then this checkout):
    the one named by --pipeline, or the only one compiled. --env PATH runs a manifest file
    or folder; repeated, its files are read together, as a cluster holds them: the first
    runnable document (or --entry) runs, and the WorkflowTemplates,
    ClusterWorkflowTemplates and ConfigMaps beside it are what its templateRef,
    workflowTemplateRef and configMapKeyRef find. With the defaults it runs the `local`
    environment's pipeline on embedded defaults: the sample API served on 127.0.0.1:18080
    for the run when the pipeline's manifests read it (on a free port when 18080 is taken),
    and unless --secrets says otherwise a SQLite source and a SQLite warehouse under
    .cadencia/. Retries, deadlines, memoize, the exit handler and artifacts behave as on a
    cluster. Exits 0 when the workflow Succeeded, 1 when it did not, 2 when several
    pipelines are compiled and --pipeline names none of them (the message lists them).

    Ctrl-C, SIGTERM or SIGHUP stop the run as `argo terminate` does: every step gets
    SIGTERM (SIGKILL 5 s later), the exit handler does not run, the record says Failed,
    "Stopped with strategy 'Terminate'", and the exit code is 128 + the signal (130, 143,
    129). `cadencia retry RUN` then runs what did not succeed.

    \b
    Examples:
      cadencia run --pipeline orders --date 2026-11-25
      cadencia run --pipeline orders --date 2026-11-25 --secrets my-postgres-secrets.yaml
      cadencia run --pipeline orders --entry orders-backfill \\
          -p start-date=2026-11-01 -p end-date=2026-11-03
      cadencia run --env k8s/workflows/local/orders/orders.yaml --date 2026-11-25
      cadencia run --env my-workflow.yaml --env my-templates/ --env my-configmaps.yaml
    """
    from workflows import local_run, run_embedded
    from workflows.run_date import scheduled_run_date
    from workflows.runs.invocation import Invocation
    from workflows.runs.store import RunStore

    console = Console()
    target = ", ".join(targets) or "local"
    try:
        files, pipeline = local_run.manifest_paths(targets, pipeline)
        docs = local_run.load_docs(files)
    except local_run.PipelineChoiceError as exc:
        raise PipelineChoice(str(exc)) from exc
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(str(exc)) from exc
    date = logical_date or scheduled_run_date(docs)
    chosen = entry or local_run.default_entry(docs, pipeline)
    params = dict(parameters)
    if local_run.declares_parameter(docs, chosen, "run-date"):
        params = {"run-date": date, **params}
    embedded = pipeline is not None and target == "local" and secrets_file is None
    seeded = run_embedded.seeded_dates(date, params)
    if embedded:
        secrets_file = run_embedded.embedded_defaults(home, seeded)
    try:
        repository = yaml_safe.load(artifacts_file.read_text()) if artifacts_file else None
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"--artifacts {artifacts_file}: "
                                   + " ".join(str(exc).split())) from exc
    stack = run_embedded.local_services(pipeline is not None, date, docs, console)
    store = RunStore(home / "runs")
    progress = Progress(console)
    where = f"{target}, pipeline {pipeline}" if pipeline else target
    console.print(f"[bold]cadencia[/] run of [cyan]{chosen or files[0].name}[/] "
                  f"({where}), parameters {params or '{}'}")
    how = Invocation(
        target=target, files=[str(f.resolve()) for f in files], entry=chosen,
        secrets_file=str(secrets_file.resolve()) if secrets_file else None,
        repository=repository, parameters=params, pipeline=pipeline)
    started = time.perf_counter()
    with stack:
        workflow, stopped = _engine(docs, how, store, progress)
    run_dir = store.load(workflow["metadata"]["name"]).path
    finish(console, workflow, time.perf_counter() - started, run_dir, progress.timings)
    _where_rows_went(console, docs, how, workflow)
    sys.exit(_exit_code(console, workflow, stopped, home))


def _where_rows_went(console: Console, docs: list[dict[str, Any]], how: Any,
                     workflow: dict[str, Any]) -> None:
    """After a pipeline's run, backfill or retry that Succeeded: where its rows are."""
    from workflows import local_run, run_embedded

    pipeline = how.pipeline
    # the backfill runs the pipeline's own WorkflowTemplate over its dates
    if pipeline is None or how.entry not in (pipeline, f"{pipeline}-backfill") or \
            workflow["status"]["phase"] != "Succeeded":
        return
    days = run_embedded.seeded_dates(how.parameters.get("run-date", ""), how.parameters)
    for line in local_run.where_rows_went(docs, pipeline, how.secrets_file, days):
        console.print(line, highlight=False, soft_wrap=True)  # a path pastes whole


def _engine(docs: list[dict[str, Any]], how: Any, store: Any, progress: Progress,
            previous: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
    """Run the engine as ``how`` (an Invocation, saved beside the record as the run starts,
    so even a stopped run can be retried) says; returns the workflow and the RunStopped
    exception when a signal stopped it."""
    from workflows.engine import EngineError, run_workflow
    from workflows.engine.engine import RunStopped

    try:
        workflow = run_workflow(
            docs, entry=how.entry, parameters=how.parameters, store=store,
            repository_spec=how.repository,
            secrets_file=Path(how.secrets_file) if how.secrets_file else None,
            on_event=progress, previous=previous, on_start=lambda run_dir: _started(how, run_dir))
    except EngineError as exc:
        raise click.ClickException(str(exc)) from exc
    except RunStopped as stop:
        return stop.workflow, stop
    except OSError as exc:  # the run's folder or invocation.json (e.g. a full disk)
        raise click.ClickException(f"cannot write {_os_error(exc)}; the run did not "
                                   "start") from exc
    return workflow, None


def _started(how: Any, run_dir: Path) -> None:
    """As the run starts: what it runs (for ``cadencia retry``) and which process runs it
    (for ``cadencia ui``'s stop)."""
    from workflows.runs import process

    how.save(run_dir)
    process.record(run_dir)


def _os_error(exc: OSError) -> str:
    from workflows.runs.record import describe_os_error

    return describe_os_error(exc)


RECORD_STATE = {  # what the run record holds after some of its writes failed
    "complete": "written in full at the end",
    "cut short": "only a smaller one fit at the end (phases, messages and outputs; no node "
                 "inputs nor step output)",
    "bare": "only a bare one fit at the end (the run's phase and this error; no nodes)",
    "not written": "not written at the end either: it may still say Pending or Running",
}


FULL_BELOW = 1 << 20  # bytes free under which the filesystem of --home counts as full


def _exit_code(console: Console, workflow: dict[str, Any], stopped: Any, home: Path) -> int:
    """0 Succeeded, 1 not or when some write of the engine failed; 128 + the signal's
    number when one stopped the run. A failed run on a full disk says so in one line."""
    local = workflow["status"].get("localEngine") or {}
    errors = local.get("writeErrors") or []
    if errors:  # one line: which file, why, and what the run record holds
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        written = local.get("recordWritten")
        record = f"; the run record: {RECORD_STATE.get(written, written)}" if written else ""
        console.print(f"[red]cannot write[/] {errors[0]}{more}{record}", soft_wrap=True)
        if stopped is None:
            return 1
    elif workflow["status"]["phase"] != "Succeeded" and stopped is None:
        free = _free_bytes(home)
        if free is not None and free < FULL_BELOW:
            console.print(f"[red]the filesystem of {home.resolve()} is full[/] ({free // 1024} "
                          "KiB free): what the steps write under --home fails there",
                          soft_wrap=True)
    if stopped is not None:
        console.print(f"[red]stopped by {stopped.signal_name}[/]: every step was stopped; "
                      f"`cadencia retry {workflow['metadata']['name']}` runs what did not "
                      "succeed")
        return 128 + int(stopped.signal_number)
    return 0 if workflow["status"]["phase"] == "Succeeded" else 1


def _free_bytes(path: Path) -> int | None:
    import os

    try:
        fs = os.statvfs(path)
    except OSError:
        return None
    return fs.f_bavail * fs.f_frsize


def _store(home: Path) -> Any:
    from workflows.runs.store import RunStore

    return RunStore(home / "runs")


def _record(home: Path, run_name: str) -> Any:
    from workflows.runs.store import RunLookupError

    try:
        return _store(home).load(run_name)
    except RunLookupError as exc:
        raise click.ClickException(str(exc)) from exc


HOME = click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
                    show_default=True, help="The folder `cadencia run` keeps runs in.")


@click.command()
@HOME
def runs(home: Path) -> None:
    """List past local runs, newest first (like `argo list`).

    \b
    Example:
      cadencia runs
    """
    from workflows.runs.listing import format_runs

    click.echo(format_runs(_store(home).list_runs()))


@click.command()
@click.argument("run_name", metavar="RUN")
@HOME
def get(run_name: str, home: Path) -> None:
    """Print a run's node tree the way `argo get` does.

    RUN is a run name, a unique prefix of one, or @latest.

    \b
    Example:
      cadencia get @latest
    """
    from workflows.runs.get import format_get

    click.echo(format_get(_record(home, run_name).load()))


@click.command()
@click.argument("run_name", metavar="RUN")
@click.argument("node", required=False)
@HOME
def logs(run_name: str, node: str | None, home: Path) -> None:
    """Print the logs of a run's nodes (all, or NODE: a name, display name or pod name).

    \b
    Example:
      cadencia logs @latest extract-http
    """
    from workflows.runs.logs import UnknownNode, format_logs

    try:
        click.echo(format_logs(_record(home, run_name), node), nl=False)
    except UnknownNode as exc:
        raise click.ClickException(str(exc)) from exc


@click.command()
@click.argument("run_name", metavar="RUN")
@HOME
def retry(run_name: str, home: Path) -> None:
    """Re-run a failed run from its failed nodes, reusing what succeeded (like `argo retry`).

    It is the same run, as with `argo retry`: its name and record stay, and `cadencia get
    RUN` shows the new attempts. The same manifests, parameters, secrets and artifact
    repository are used; the nodes that succeeded keep their outputs and are not run
    again. The logs of the attempts that are replaced move to logs/retry-N/ in the run's
    folder. A run stopped by a signal
    (Ctrl-C, SIGTERM, SIGHUP) is retried the same way. Exit codes as for `cadencia run`.

    \b
    Example:
      cadencia retry @latest
    """
    from workflows import local_run, run_embedded
    from workflows.runs.invocation import Invocation

    record = _record(home, run_name)
    previous = record.load()
    try:
        how = Invocation.load(record.path)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{record.name} has no invocation.json to retry from") from exc
    if previous["status"]["phase"] == "Succeeded":
        raise click.ClickException(f"{record.name} Succeeded: nothing to retry")
    console = Console()
    progress = Progress(console)
    started = time.perf_counter()
    store = _store(home)
    docs = local_run.load_docs([Path(f) for f in how.files])
    served = run_embedded.local_services(how.pipeline is not None,
                                         how.parameters.get("run-date", ""), docs, console)
    with served:
        workflow, stopped = _engine(docs, how, store, progress, previous)
    run_dir = store.load(workflow["metadata"]["name"]).path
    finish(console, workflow, time.perf_counter() - started, run_dir, progress.timings)
    _where_rows_went(console, docs, how, workflow)
    sys.exit(_exit_code(console, workflow, stopped, home))


