"""What `cadencia run` prints while a run goes (``workflows.runs.terminal.Progress``)."""

from __future__ import annotations

from rich.console import Console

from workflows.runs.terminal import Progress


def test_a_workflow_waiting_for_its_lock_says_so():
    console = Console(record=True, width=120)
    progress = Progress(console)
    progress({"kind": "workflow", "phase": "Pending", "workflow": "wf-abc12",
              "message": "Waiting for default/Mutex/warehouse lock. Lock status: 0/1"})
    progress({"kind": "workflow", "phase": "Running", "workflow": "wf-abc12", "message": ""})
    assert console.export_text().splitlines() == [
        "  Pending   Waiting for default/Mutex/warehouse lock. Lock status: 0/1"]
