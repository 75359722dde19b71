"""The run record on a full disk: whichever write fails first, it never stays Pending.

A full disk is simulated by an atomic write that always fails with ENOSPC (no room for a
second copy); writing over the file's own bytes still works, as it does on a real one
(tests/faults/test_full_disk.py mounts a real one).
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from workflows.engine import run_workflow
from workflows.engine.nodes import Status
from workflows.runs.invocation import Invocation
from workflows.runs.record import RESERVED, RunRecord
from workflows.runs.store import RunStore


def _no_space(self: RunRecord, data: bytes) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _opened_then_full(path: Path, text: str, **kwargs: Any) -> int:
    path.touch()  # open() gets through, write() does not: no filename in the error
    raise OSError(errno.ENOSPC, "No space left on device")


def _running(record: RunRecord, *, message: str = "child 'load' failed") -> dict[str, Any]:
    """A workflow much bigger than the first record: a long spec, many notes, nodes with
    inputs and output, as a real pipeline's."""
    nodes = {f"{record.name}-{i}": {
        "id": f"{record.name}-{i}", "name": f"{record.name}.step-{i}", "type": "Pod",
        "displayName": f"step-{i}", "phase": "Failed", "message": "Error (exit code 1)",
        "inputs": {"parameters": [{"name": "sql", "value": "SELECT 1 " * 50}]},
        "outputs": {"result": "x" * 500, "exitCode": "1"}} for i in range(20)}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": record.name, "namespace": "cadencia-local", "uid": "u-1",
                         "creationTimestamp": "2026-11-26T02:00:00Z",
                         "labels": {f"label-{i}": "v" * 60 for i in range(20)}},
            "spec": {"templates": [{"name": f"step-{i}", "container": {"args": ["a"] * 40}}
                                   for i in range(20)]},
            "status": {"phase": "Failed", "message": message,
                       "startedAt": "2026-11-26T02:00:00Z",
                       "finishedAt": "2026-11-26T02:00:09Z", "nodes": nodes,
                       "localEngine": {"clusterOnly": [f"spec.templates[{i}].resources"
                                                       for i in range(200)]}}}


def test_the_first_record_is_pending_and_holds_the_reserved_bytes(tmp_path: Path) -> None:
    record = RunStore(tmp_path).new_run("orders")
    assert record.workflow_path.stat().st_size == RESERVED
    assert record.load()["status"] == {"phase": "Pending", "nodes": {}}


def test_no_run_folder_stays_when_the_first_record_cannot_be_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RunRecord, "_replace", _no_space)
    store = RunStore(tmp_path / "runs")
    with pytest.raises(OSError, match="No space left on device"):
        store.new_run("orders")
    assert list(store.root.iterdir()) == [] and store.records() == []


@pytest.mark.parametrize("message", ["child 'load' failed", "é✔\x00\"\\" * 3000],
                         ids=["short-message", "huge-message"])
def test_when_no_save_after_the_first_got_through_the_last_write_is_bare_and_ends_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str) -> None:
    record = RunStore(tmp_path).new_run("orders")
    monkeypatch.setattr(RunRecord, "_replace", _no_space)
    status = Status(_running(record, message=message), record, None)

    assert status.save_final() == "bare"

    assert record.workflow_path.stat().st_size <= RESERVED
    saved = record.load()
    assert saved["metadata"]["name"] == record.name
    assert saved["status"]["phase"] == "Failed" and saved["status"]["nodes"] == {}
    said = saved["status"]["message"]
    assert f"cannot write {record.workflow_path}: No space left on device" in said
    assert said.startswith(message[:100])
    assert RunStore(tmp_path).list_runs()[0].phase == "Failed"


def test_when_an_earlier_save_got_through_the_last_write_keeps_the_nodes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = RunStore(tmp_path).new_run("orders")
    workflow = _running(record)
    status = Status(workflow, record, None)
    workflow["status"]["phase"] = "Running"
    assert status.save(compact=True)  # the room of a whole compact record
    workflow["status"]["phase"] = "Failed"
    monkeypatch.setattr(RunRecord, "_replace", _no_space)

    assert status.save_final() == "cut short"

    saved = record.load()["status"]
    assert saved["phase"] == "Failed" and len(saved["nodes"]) == 20
    assert not any("inputs" in n or "result" in n["outputs"] for n in saved["nodes"].values())
    assert f"cannot write {record.workflow_path}: No space left on device" in saved["message"]


def test_a_run_whose_invocation_cannot_be_written_ends_its_record_in_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills right after the first record: invocation.json, then every save."""
    workflow = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": "orders"},
                "spec": {"entrypoint": "main", "templates": [
                    {"name": "main", "container": {"image": "alpine:3.20",
                                                   "command": ["true"]}}]}}
    how = Invocation(target="local", files=[], entry=None, secrets_file=None)

    def disk_fills(run_dir: Path) -> None:
        monkeypatch.setattr(RunRecord, "_replace", _no_space)
        monkeypatch.setattr(Path, "write_text", _opened_then_full)
        how.save(run_dir)

    store = RunStore(tmp_path / "runs")
    with pytest.raises(OSError) as raised:
        run_workflow([workflow], store=store, on_start=disk_fills)

    (record,) = store.records()
    invocation = record.path / "invocation.json"
    assert raised.value.filename == str(invocation)
    assert not invocation.exists()  # no partial file for `cadencia retry` to choke on
    status = record.load()["status"]
    assert status["phase"] == "Error" and status["nodes"] == {}
    assert status["message"].startswith(f"cannot start: {invocation}: No space left on device")
