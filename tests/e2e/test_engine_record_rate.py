"""The run record of a large run: written at a bounded rate, never at every node change.

Rewriting the whole ``workflow.json`` at every change made the engine's cost grow with
the square of the node count (10,000 nodes took 441 s). ``bench engine`` shows the cost
per node; this test shows the cause is gone and live readers still follow the run.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from workflows.engine import run_workflow
from workflows.runs.record import RunRecord
from workflows.runs.store import RunStore

NODES = 300
BOUND = 0.5  # seconds: the documented lag of the record behind the run (SAVE_INTERVAL)


class CountingRecord(RunRecord):
    """A real run record that also notes when it was written."""

    writes: list[float]

    def save(self, workflow: dict[str, Any], **kwargs: Any) -> None:
        super().save(workflow, **kwargs)
        self.writes.append(time.monotonic())


class CountingStore(RunStore):
    def new_run(self, workflow_name: str, *, created: datetime | None = None) -> RunRecord:
        record = CountingRecord(super().new_run(workflow_name, created=created).path)
        record.writes = []
        self.record = record
        return record


def fan_out(nodes: int) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "many"},
            "spec": {"entrypoint": "main", "parallelism": 2, "templates": [
                {"name": "main", "dag": {"tasks": [
                    {"name": "noop", "template": "true",
                     "withSequence": {"count": str(nodes)}}]}},
                # 20 ms each, two at a time: the run lasts several SAVE_INTERVALs
                {"name": "true", "container": {"image": "alpine:3.20",
                                               "command": ["sleep", "0.02"]}}]}}


def test_a_300_node_run_writes_its_record_at_a_bounded_rate_and_readers_follow_it(
        tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "runs")
    seen: list[str] = []  # the progress `cadencia get` would show, read while it runs
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            records = store.records()
            if records:
                seen.append(records[0].load()["status"].get("progress", ""))
            time.sleep(0.05)

    reader = threading.Thread(target=read)
    reader.start()
    started = time.monotonic()
    try:
        workflow = run_workflow([fan_out(NODES)], store=store)
    finally:
        done.set()
        reader.join()
    wall = time.monotonic() - started

    assert workflow["status"]["phase"] == "Succeeded"
    assert store.record.load()["status"]["progress"] == f"{NODES}/{NODES}"
    writes = store.record.writes
    # Each node changes phase three or four times; one write per change would be >= 900.
    assert len(writes) <= wall / BOUND + 4, (len(writes), wall)
    # ...yet the record keeps up: while nodes change, it is rewritten every BOUND seconds,
    gaps = [b - a for a, b in itertools.pairwise(writes)]
    assert max(gaps) < BOUND + 0.5, gaps
    # and a reader meanwhile sees the run part-way, not only its start and end.
    partial = {p for p in seen if p and p not in ("0/0", f"{NODES}/{NODES}")}
    assert len(partial) >= 2, sorted(set(seen))
