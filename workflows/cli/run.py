"""``cadencia run`` and ``retry``: compiled manifests through the local engine, shown live.

Both go through ``execute``: ``run`` starts a run from the manifests it is given
(:mod:`workflows.local_run`), ``retry`` goes on with a run's record from what its
``invocation.json`` says. The engine is :mod:`workflows.engine`, the embedded defaults
:mod:`workflows.run_embedded`, the terminal's lines :mod:`workflows.runs.terminal`, and
how the command ends :mod:`workflows.cli.outcome`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml
from rich.console import Console

from steps._core import yaml_safe
from workflows.cli import outcome
from workflows.cli.errors import Command
from workflows.cli.options import HOME
from workflows.runs.invocation import Invocation
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


@click.command(cls=Command)
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

    target = ", ".join(targets) or "local"
    try:
        files, pipeline = local_run.manifest_paths(targets, pipeline)
        docs = local_run.load_docs(files)
    except local_run.PipelineChoiceError:
        raise  # a usage error (cli/errors.py)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(str(exc)) from exc
    date = logical_date or scheduled_run_date(docs)
    chosen = entry or local_run.default_entry(docs, pipeline)
    params = dict(parameters)
    if local_run.declares_parameter(docs, chosen, "run-date"):
        params = {"run-date": date, **params}
    if pipeline is not None and target == "local" and secrets_file is None:
        secrets_file = run_embedded.embedded_defaults(
            home, run_embedded.seeded_dates(date, params))
    try:
        repository = yaml_safe.load(artifacts_file.read_text()) if artifacts_file else None
    except (OSError, yaml.YAMLError) as exc:
        raise click.ClickException(f"--artifacts {artifacts_file}: "
                                   + " ".join(str(exc).split())) from exc
    how = Invocation(
        target=target, files=[str(f.resolve()) for f in files], entry=chosen,
        secrets_file=str(secrets_file.resolve()) if secrets_file else None,
        repository=repository, parameters=params, pipeline=pipeline)
    where = f"{target}, pipeline {pipeline}" if pipeline else target
    execute(Console(), docs, how, home, date=date,
            header=f"[bold]cadencia[/] run of [cyan]{chosen or files[0].name}[/] ({where}), "
                   f"parameters {params or '{}'}")


@click.command(cls=Command)
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
    from workflows import local_run
    from workflows.runs.store import RunStore

    record = RunStore(home / "runs").load(run_name)
    previous = record.load()
    try:
        how = Invocation.load(record.path)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{record.name} has no invocation.json to retry from") from exc
    if previous["status"]["phase"] == "Succeeded":
        raise click.ClickException(f"{record.name} Succeeded: nothing to retry")
    docs = local_run.load_docs([Path(f) for f in how.files])
    execute(Console(), docs, how, home, date=how.parameters.get("run-date", ""),
            previous=previous)


def execute(console: Console, docs: list[dict[str, Any]], how: Invocation, home: Path, *,
            date: str, previous: dict[str, Any] | None = None,
            header: str | None = None) -> NoReturn:
    """Run ``how`` through the engine (``previous``: the record a retry goes on with), with
    the sample API served for ``date`` when the manifests read it; print ``header``, the
    live lines, the summary table and how it ended; exit with the run's code."""
    from workflows import run_embedded
    from workflows.runs.store import RunStore

    services = run_embedded.local_services(how.pipeline is not None, date, docs, console)
    store = RunStore(home / "runs")
    progress = Progress(console)
    if header is not None:
        console.print(header)
    started = time.perf_counter()
    with services:
        workflow, stopped = _engine(docs, how, store, progress, previous)
    run_dir = store.load(str((workflow.get("metadata") or {}).get("name"))).path
    finish(console, workflow, time.perf_counter() - started, run_dir, progress.timings)
    outcome.where_rows_went(console, docs, how, workflow)
    sys.exit(outcome.exit_code(console, workflow, stopped, home))


def _engine(docs: list[dict[str, Any]], how: Invocation, store: Any, progress: Progress,
            previous: dict[str, Any] | None) -> tuple[dict[str, Any], Any]:
    """Run the engine as ``how`` says (it is saved beside the record as the run starts, so
    even a stopped run can be retried); returns the workflow and the RunStopped exception
    when a signal stopped it."""
    from workflows.engine import run_workflow
    from workflows.engine.engine import RunStopped
    from workflows.runs.record import describe_os_error

    try:
        workflow = run_workflow(
            docs, entry=how.entry, parameters=how.parameters, store=store,
            repository_spec=how.repository,
            secrets_file=Path(how.secrets_file) if how.secrets_file else None,
            on_event=progress, previous=previous, on_start=lambda run_dir: _started(how, run_dir))
    except RunStopped as stop:
        return stop.workflow, stop
    except OSError as exc:  # the run's folder or invocation.json (e.g. a full disk)
        raise click.ClickException(f"cannot write {describe_os_error(exc)}; the run did not "
                                   "start") from exc
    return workflow, None


def _started(how: Invocation, run_dir: Path) -> None:
    """As the run starts: what it runs (for ``cadencia retry``) and which process runs it
    (for ``cadencia ui``'s stop)."""
    from workflows.runs import process

    how.save(run_dir)
    process.record(run_dir)
