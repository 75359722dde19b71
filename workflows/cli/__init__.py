"""The ``cadencia`` command line: a thin layer over the workflows package, a module per noun.

- ``run``: ``run`` and ``retry``, compiled manifests through the local engine;
- ``runs``: ``runs``, ``get`` and ``logs``, the records of local runs;
- ``ui``: ``ui``, a local web app over those records;
- ``pipelines``: ``compile`` (Hera -> Argo manifests), ``new`` (scaffold a pipeline) and
  ``show`` (a pipeline's DAG and settings);
- ``lint``: ``lint``, offline checks of manifests.

``errors`` is the one place where an exception becomes a message and an exit code;
``outcome`` says how a run ends and its exit code; ``options`` holds the options several
commands share.
"""

from __future__ import annotations

from importlib import metadata

import click

from workflows.cli import lint, pipelines, run, runs, ui


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(metadata.version("cadencia"), prog_name="cadencia")
def main() -> None:
    """cadencia: an ETL pipeline for Argo Workflows that also runs on a laptop."""


for _command in (run.run, run.retry, runs.runs, runs.get, runs.logs, ui.ui,
                 pipelines.compile_cmd, pipelines.new, pipelines.show, lint.lint):
    main.add_command(_command)
