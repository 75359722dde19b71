"""``cadencia lint``: offline checks of Argo manifests (:mod:`workflows.lint`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from workflows.cli.errors import Command


@click.command(cls=Command)
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
