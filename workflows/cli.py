"""The ``cadencia`` command line.

``cadencia run`` runs the whole pipeline on one machine on embedded defaults (a sample
API on localhost, a SQLite source and a SQLite warehouse) and prints a summary table.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from importlib import metadata
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from workflows import local_job
from workflows.sequence import StepOutcome, run_stages

PHASE_STYLE = {"Succeeded": "green", "Failed": "red", "Omitted": "dim", "Running": "yellow",
               "Pending": "dim"}


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


@main.command()
@click.option("--date", "logical_date", callback=_date, metavar="YYYY-MM-DD",
              help="Logical date of the run (default: today).")
@click.option("--records", default=2000, show_default=True,
              help="Sample records per source for the day.")
@click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
              show_default=True, help="Folder for runs, the sample source and the warehouse.")
def run(logical_date: str | None, records: int, home: Path) -> None:
    """Run the whole pipeline locally on embedded defaults.

    extract-http and extract-sql run in parallel, then clean, transform, validate and
    load into a SQLite warehouse; notify reports the outcome. Running the same date again
    replaces that day's partition: it never duplicates rows.

    \b
    Example:
      cadencia run --date 2026-11-25
    """
    from workflows.devservices.sample_api import SampleApi

    console = Console(stderr=False)
    job = local_job.new_job(home, logical_date, records)
    console.print(f"[bold]cadencia-etl[/] run [cyan]{job.run_id}[/] "
                  f"logical date [cyan]{job.logical_date}[/]")
    local_job.seed_source(job)

    def show(o: StepOutcome) -> None:
        style = PHASE_STYLE.get(o.phase, "")
        extra = f" {o.seconds:.2f}s" if o.phase in ("Succeeded", "Failed") else ""
        console.print(f"  [{style}]{o.phase:<9}[/] {o.name}{extra}")

    started = time.perf_counter()
    with SampleApi(records=records, date=job.logical_date) as api:
        outcomes = run_stages(local_job.stages(job, api.url), job.run_dir, on_change=show)
    seconds = time.perf_counter() - started
    failed = [o for o in outcomes if o.phase == "Failed"]
    status = "Failed" if failed else "Succeeded"
    failures = json.dumps([{"displayName": o.name, "templateName": o.name, "phase": "Failed",
                            "message": o.message} for o in failed])
    rows = {o.name: o.rows for o in outcomes}
    counts = {"extracted_http": rows.get("extract-http"), "extracted_sql": rows.get("extract-sql"),
              "loaded": rows.get("load")}
    outcomes += run_stages([[local_job.notify_call(job, status, seconds, failures, counts)]],
                           job.run_dir, on_change=show)
    _summary(console, outcomes)
    style = "green" if status == "Succeeded" else "red"
    console.print(f"[{style}]{status}[/] in {seconds:.1f}s; logs and artifacts in {job.run_dir}")
    if status == "Succeeded":
        console.print(f"rows for {job.logical_date} are in table [cyan]{local_job.TABLE}[/] "
                      f"of {job.warehouse_db}")
    sys.exit(0 if status == "Succeeded" else 1)


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


def _summary(console: Console, outcomes: list[StepOutcome]) -> None:
    table = Table(title="summary")
    for col in ("node", "phase", "duration", "rows", "message"):
        table.add_column(col, justify="right" if col in ("duration", "rows") else "left")
    for o in outcomes:
        style = PHASE_STYLE.get(o.phase, "")
        table.add_row(o.name, f"[{style}]{o.phase}[/]",
                      f"{o.seconds:.2f}s" if o.exit_code is not None else "",
                      "" if o.rows is None else f"{o.rows:,}", o.message)
    console.print(table)


if __name__ == "__main__":
    main()
