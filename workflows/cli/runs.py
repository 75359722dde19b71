"""``cadencia runs``, ``get`` and ``logs``: the records of local runs, shown as ``argo list``,
``argo get`` and ``argo logs`` show a cluster's (:mod:`workflows.runs`)."""

from __future__ import annotations

from pathlib import Path

import click

from workflows.cli.errors import Command
from workflows.cli.options import HOME


@click.command(cls=Command)
@HOME
def runs(home: Path) -> None:
    """List past local runs, newest first (like `argo list`).

    \b
    Example:
      cadencia runs
    """
    from workflows.runs.listing import format_runs
    from workflows.runs.store import RunStore

    click.echo(format_runs(RunStore(home / "runs").list_runs()))


@click.command(cls=Command)
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
    from workflows.runs.store import RunStore

    click.echo(format_get(RunStore(home / "runs").load(run_name).load()))


@click.command(cls=Command)
@click.argument("run_name", metavar="RUN")
@click.argument("node", required=False)
@HOME
def logs(run_name: str, node: str | None, home: Path) -> None:
    """Print the logs of a run's nodes (all, or NODE: a name, display name or pod name).

    \b
    Example:
      cadencia logs @latest extract-http
    """
    from workflows.runs.logs import format_logs
    from workflows.runs.store import RunStore

    click.echo(format_logs(RunStore(home / "runs").load(run_name), node), nl=False)
