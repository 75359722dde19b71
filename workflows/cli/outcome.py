"""How a ``cadencia run`` or ``retry`` ends at the terminal, after its summary table: where
its rows went, what could not be written, and the exit code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.console import Console

from workflows.runs.invocation import Invocation

RECORD_STATE = {  # what the run record holds after some of its writes failed
    "complete": "written in full at the end",
    "cut short": "only a smaller one fit at the end (phases, messages and outputs; no node "
                 "inputs nor step output)",
    "bare": "only a bare one fit at the end (the run's phase and this error; no nodes)",
    "not written": "not written at the end either: it may still say Pending or Running",
}


FULL_BELOW = 1 << 20  # bytes free under which the filesystem of --home counts as full


def where_rows_went(console: Console, docs: list[dict[str, Any]], how: Invocation,
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


def exit_code(console: Console, workflow: dict[str, Any], stopped: Any, home: Path) -> int:
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
    try:
        fs = os.statvfs(path)
    except OSError:
        return None
    return fs.f_bavail * fs.f_frsize
