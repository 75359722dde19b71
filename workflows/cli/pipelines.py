"""``cadencia compile``, ``new`` and ``show``: the project's pipelines, compiled into Argo
manifests (:mod:`workflows.compile`), scaffolded (:mod:`workflows.scaffold`) and shown with
their resolved settings (:mod:`workflows.show`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workflows.cli.errors import Command
from workflows.cli.options import PROJECT


@click.command(name="compile", cls=Command)
@click.option("--env", "envs", multiple=True, metavar="ENV",
              help="Environment to compile (repeatable; default: every environment in "
                   "workflows/environments/).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Folder that receives one sub-folder per environment and pipeline "
                   "(default: k8s/workflows of the project).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when the committed manifests differ from a fresh "
                   "compile.")
@PROJECT
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
    from workflows.config import Project

    where = Project.default(project)
    if check:
        problems = compiler.check_stale(where, out_dir)
        for line in problems:
            click.echo(line)
        click.echo(f"{len(problems)} stale file(s)" if problems else "manifests up to date",
                   err=True)
        sys.exit(1 if problems else 0)
    for path in compiler.compile_all(where, out_dir, list(envs) or None):
        click.echo(str(path))


@click.command(cls=Command)
@click.argument("name")
@PROJECT
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
    made = scaffold.scaffold(where, name)
    for path in scaffold.write(made):
        click.echo(f"wrote {path.relative_to(where.root)}")
    click.echo(scaffold.next_steps(made))


@click.command(cls=Command)
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
@PROJECT
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
    from workflows.config import Project

    click.echo(showing.show(Project.default(project), name, env, fmt, spec_of))
