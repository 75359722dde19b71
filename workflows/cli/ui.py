"""``cadencia ui``: a local web app over the run records (:mod:`workflows.ui`)."""

from __future__ import annotations

from pathlib import Path

import click

from workflows.cli.errors import Command
from workflows.cli.options import HOME


@click.command(cls=Command)
@HOME
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
