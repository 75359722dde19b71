"""The embedded defaults of one ``cadencia run``: what it seeds, writes and serves.

With ``--env local`` and no ``--secrets``, the SQLite source is seeded for every date the
run loads (its run date, or each date of a backfill) and a secrets file points the
manifests at it and at the SQLite warehouse (:mod:`workflows.local_defaults`). For any
compiled pipeline whose manifests read the sample API, the API is served for the run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from rich.console import Console

from steps._core.errors import ConfigError
from steps.date_range import dates
from workflows import local_defaults, local_run
from workflows.runs.record import describe_os_error


class SetupError(RuntimeError):
    """The embedded source or secrets cannot be written, or the sample API cannot be served:
    the run does not start (the CLI prints the message and exits 1)."""


def seeded_dates(date: str, params: dict[str, str]) -> list[str]:
    """The logical dates the run loads: its run date, or each date of a backfill's
    start-date..end-date (a range the backfill itself refuses seeds its run date only)."""
    start, end = params.get("start-date"), params.get("end-date")
    if start is None or end is None:
        return [date]
    try:
        return dates(dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                     max_days=MAX_SEEDED_DAYS)
    except (ValueError, ConfigError):
        return [date]


MAX_SEEDED_DAYS = 366  # the backfill's own default limit (steps.date_range --max-days)


def embedded_defaults(home: Path, seeded: list[str]) -> Path:
    """Seed the embedded SQLite source for each date of ``seeded`` (every table any local
    pipeline reads) and write the secrets file that points the manifests at it and at the
    warehouse."""
    try:
        for day in seeded:
            local_defaults.seed_source(home, day, local_defaults.RECORDS)
    except (OSError, sqlite3.Error) as exc:  # e.g. a full disk under --home
        reason = getattr(exc, "strerror", None) or str(exc)
        raise SetupError(
            f"cannot write the embedded source {local_defaults.source_db(home)}: "
            f"{reason}") from exc
    try:
        return local_defaults.write_secrets(home)
    except OSError as exc:
        raise SetupError(f"cannot write the embedded secrets: "
                                   f"{describe_os_error(exc)}") from exc


def local_services(compiled: bool, date: str, docs: list[dict[str, Any]],
                    console: Console) -> Any:
    """The sample API, served for the run when a compiled pipeline's manifests read it
    (the `local` environment's do): on 127.0.0.1:18080 as compiled, or when that port is
    taken on the first free fallback port (the same one run after run, so memo entries
    still hit), with the loaded manifests pointed at it (the files stay as compiled)."""
    stack = contextlib.ExitStack()
    if compiled and any(map(local_defaults.reads_sample_api, local_run.container_args(docs))):
        from workflows.devservices.sample_api import SampleApi

        def serve(port: int) -> SampleApi:
            api = SampleApi(records=local_defaults.RECORDS, date=date, port=port)
            stack.enter_context(api)
            return api

        try:
            api = local_defaults.serve_sample_api(serve)
        except OSError as exc:
            raise SetupError(
                f"cannot serve the sample API on 127.0.0.1 ({exc.strerror})") from exc
        if api.port != local_defaults.SAMPLE_API_PORT:
            local_defaults.repoint_sample_api(docs, api.port)
            console.print(f"127.0.0.1:{local_defaults.SAMPLE_API_PORT} is in use: the sample "
                          f"API serves this run on 127.0.0.1:{api.port}")
    return stack
