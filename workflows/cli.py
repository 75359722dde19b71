"""The ``cadencia`` command line: a thin layer over the workflows package.

``run`` (the local engine), ``runs``, ``get``, ``logs``, ``retry`` (run records; in
:mod:`workflows.cli_run`), ``ui`` (a local web app over the run records), ``compile``
(Hera -> Argo manifests), ``new`` (scaffold a pipeline), ``show`` (a pipeline's DAG and
settings) and ``lint`` (offline checks of manifests).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import click

from workflows import cli_run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(metadata.version("cadencia"), prog_name="cadencia")
def main() -> None:
    """cadencia: an ETL pipeline for Argo Workflows that also runs on a laptop."""


for _command in (cli_run.run, cli_run.runs, cli_run.get, cli_run.logs, cli_run.retry):
    main.add_command(_command)


_PROJECT = click.option("--project", type=click.Path(path_type=Path, file_okay=False),
                        envvar="CADENCIA_PROJECT",
                        help="The project folder holding workflows/ (default: the current "
                             "folder when it holds workflows/environments/, else this "
                             "checkout).")


@main.command(name="compile")
@click.option("--env", "envs", multiple=True, metavar="ENV",
              help="Environment to compile (repeatable; default: every environment in "
                   "workflows/environments/).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder that receives one sub-folder per environment and pipeline "
                   "(default: k8s/workflows of the project).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when the committed manifests differ from a fresh "
                   "compile.")
@_PROJECT
def compile_cmd(envs: tuple[str, ...], out_dir: Path | None, check: bool,
                project: Path | None) -> None:
    """Compile every pipeline into Argo manifests, one folder per environment and pipeline.

    Each pipeline (workflows/pipelines/NAME.py) gives k8s/workflows/ENV/NAME/: the
    WorkflowTemplate NAME, the CronWorkflow NAME-daily and the WorkflowTemplate
    NAME-backfill. They are generated files: commit them, never edit them.

    \b
    Example:
      cadencia compile --env prod && cadencia lint k8s/workflows/prod
    """
    from workflows import compile as compiler
    from workflows.config import ConfigError, Project

    where = Project.default(project)
    try:
        if check:
            problems = compiler.check_stale(where, out_dir)
            for line in problems:
                click.echo(line)
            click.echo(f"{len(problems)} stale file(s)" if problems else "manifests up to date",
                       err=True)
            sys.exit(1 if problems else 0)
        for path in compiler.compile_all(where, out_dir, list(envs) or None):
            click.echo(str(path))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.argument("name")
@_PROJECT
def new(name: str, project: Path | None) -> None:
    """Scaffold the pipeline NAME: a DAG, its settings, an overlay per environment, a test.

    The new pipeline reads the sample API's orders, checks them and loads them into the
    table NAME (with _ for -): it compiles, lints clean and runs locally at once. The
    command prints what to edit next. Nothing is overwritten.

    \b
    Example:
      cadencia new shop && cadencia compile && cadencia run --pipeline shop
    """
    from workflows import scaffold
    from workflows.config import Project

    if project is None and not (Path.cwd() / "workflows" / "environments").is_dir():
        # never write a pipeline into wherever cadencia happens to be installed
        raise click.ClickException(
            "run `cadencia new` in your project's folder (the one holding "
            "workflows/environments/), or name it with --project or CADENCIA_PROJECT")
    where = Project.default(project)
    try:
        made = scaffold.scaffold(where, name)
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in scaffold.write(made):
        click.echo(f"wrote {path.relative_to(where.root)}")
    click.echo(scaffold.next_steps(made))


@main.command()
@click.argument("name")
@click.option("--env", default="local", show_default=True, metavar="ENV",
              help="The environment whose settings resolve the pipeline.")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]),
              default="text", show_default=True,
              help="text: the DAG and every resolved setting with the file it came from; "
                   "mermaid or dot: the DAG alone, as a graph to draw.")
@click.option("--spec", "spec_of", metavar="TASK",
              help="Print only the file TASK reads as its spec, as compiled (transform's "
                   "spec, validate's rules): to run that step by hand.")
@_PROJECT
def show(name: str, env: str, fmt: str, spec_of: str | None, project: Path | None) -> None:
    """Show the pipeline NAME: its DAG and its resolved settings, each with its origin.

    Every value says the file that set it (environments/prod.yaml,
    pipelines/NAME.yaml, the pipeline's .py for a keyword of a step function) or
    "default". Nothing is compiled to disk.

    \b
    Examples:
      cadencia show orders --env prod
      cadencia show orders --format mermaid > orders.mmd
      cadencia show orders --spec validate > rules.yaml
    """
    from workflows import show as showing
    from workflows.config import ConfigError, Project

    try:
        click.echo(showing.show(Project.default(project), name, env, fmt, spec_of))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except showing.NoSpec as exc:
        raise click.BadParameter(str(exc), param_hint="--spec") from exc


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-policy", is_flag=True,
              help="Leave out house policy (retries, deadlines, resources, security context, "
                   "pinned images, a cron timezone): Argo's own rules only, for your own "
                   "workflows.")
@click.option("--fail-on", type=click.Choice(["warning", "error"]), default="warning",
              show_default=True,
              help="Exit 1 on any finding (warning), or on errors only (error).")
def lint(paths: tuple[Path, ...], no_policy: bool, fail_on: str) -> None:
    """Check Argo manifests the way `argo lint --offline` does, and what it misses.

    PATHS are files or folders (default: k8s). Each finding is one line: file:line,
    severity, YAML path, rule id and message. An error is what Argo would reject or run
    wrongly, or a secret written in the manifest; a warning is house policy. Exits 1 when
    there are findings (see --fail-on), 2 when nothing was found to lint.

    \b
    Examples:
      cadencia lint k8s/workflows
      cadencia lint --no-policy my-workflow.yaml
    """
    from workflows.lint import main as lint_main

    sys.exit(lint_main(list(paths), policy=not no_policy, fail_on=fail_on))


@main.command()
@click.option("--home", type=click.Path(path_type=Path), default=Path(".cadencia"),
              show_default=True, help="The folder `cadencia run` keeps runs in.")
@click.option("--port", type=click.IntRange(1, 65535), default=2746, show_default=True,
              help="The port to listen on (2746 is the Argo Server's).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. The default serves this machine only; "
                   "another address shows your runs, logs and data to the network.")
def ui(home: Path, port: int, host: str) -> None:
    """Serve a web page of your local runs, like the Argo UI: open the printed address.

    \b
    Runs: the list of runs (phase, pipeline, run date, duration, rows loaded), filtered
      by phase and pipeline.
    A run: its DAG drawn live while it goes (each node's phase, attempts, memoized or
      omitted), a timeline of attempts and backoff waits, its parameters, failures with
      their cause line, and the SLA verdict; `retry` and `stop` buttons.
    A node: inputs, outputs, exit code, error line, logs (followed while it runs).
    Data: output artifacts (Parquet previewed with schema and rows, validate's report and
      quarantine with the rule each row broke) and the targets' load ledger.

    Needs no network: pages and scripts ship with cadencia. Secret values are never
    shown (database URLs appear with the password as ***). Ctrl-C stops the server; the
    runs it started go on.

    \b
    Example:
      cadencia ui --port 8080
    """
    from workflows.ui.server import LOOPBACK, listen, serve

    try:
        sock = listen(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                                   "(another cadencia ui? pick a port with --port)") from exc
    where = (home / "runs").resolve()
    local = host in (LOOPBACK, "localhost", "::1")
    reach = "this machine only" if local else "[WARNING] reachable from the network"
    click.echo(f"cadencia ui: runs in {where}, at http://{host}:{port}/ ({reach}; Ctrl-C "
               "stops it)")
    serve(home, sock, host, port)


if __name__ == "__main__":
    main()
