"""Run records: names, atomic saves, listing newest first, lookup by prefix, Argo ids."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflows.argo.nodes import fnv32a, node_id, pod_name
from workflows.runs.store import AmbiguousRun, RunStore, UnknownRun
from workflows.runs.times import timestamp

T0 = datetime(2024, 3, 5, 2, 0, tzinfo=timezone.utc)


def test_fnv_hash_matches_argo_test_vectors() -> None:
    assert fnv32a("hello") == 1335831723
    assert fnv32a("world") == 933488787


def test_node_ids_and_pod_names_follow_argo() -> None:
    assert node_id("etl-x7k2p", "etl-x7k2p") == "etl-x7k2p"
    assert node_id("etl-x7k2p", "etl-x7k2p.clean") == f"etl-x7k2p-{fnv32a('etl-x7k2p.clean')}"
    assert pod_name("etl-x7k2p", "clean", "etl-x7k2p.clean(0)") == (
        f"etl-x7k2p-clean-{fnv32a('etl-x7k2p.clean(0)')}")
    assert pod_name("etl-x7k2p", "main", "etl-x7k2p") == "etl-x7k2p"


def test_new_run_gets_an_argo_style_name_and_a_pending_record(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    record = store.new_run("cadencia-etl", created=T0)
    assert record.name.startswith("cadencia-etl-") and len(record.name) == len("cadencia-etl-") + 5
    assert record.path == tmp_path / "runs" / record.name
    workflow = record.load()
    assert workflow["metadata"] == {
        "name": record.name, "creationTimestamp": "2024-03-05T02:00:00Z", "labels": {}}
    assert workflow["status"]["phase"] == "Pending"
    long = store.new_run("x" * 80)
    assert len(long.name) <= 63


def test_save_is_atomic_and_round_trips(tmp_path: Path) -> None:
    record = RunStore(tmp_path).new_run("wf")
    workflow = record.load()
    workflow["status"] = {"phase": "Running", "message": "café ✔", "nodes": {}}
    record.save(workflow)
    assert record.load() == workflow
    assert json.loads(record.workflow_path.read_text(encoding="utf-8"))["status"]["message"] == (
        "café ✔")

    # Readers racing with writers only ever see a whole object.
    stop = threading.Event()
    bad: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                record.load()
            except json.JSONDecodeError as exc:
                bad.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(200):
            workflow["status"]["progress"] = f"{i}/200"
            workflow["status"]["nodes"] = {f"n{j}": {"id": f"n{j}"} for j in range(i % 50)}
            record.save(workflow)
    finally:
        stop.set()
        reader.join(timeout=10)
    assert bad == []
    assert [p.name for p in record.path.iterdir() if p.name.startswith(".workflow")] == []


def test_list_runs_newest_first_with_summaries(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    assert store.list_runs() == []
    first = store.new_run("etl", created=T0)
    second = store.new_run("etl", created=T0)  # same second: creation order still decides
    wf = second.load()
    wf["status"].update(phase="Failed", startedAt="2024-03-05T02:00:00Z",
                        finishedAt="2024-03-05T02:01:30Z", progress="3/5",
                        message="child failed")
    second.save(wf)
    runs = store.list_runs()
    assert [r.name for r in runs] == [second.name, first.name]
    assert (runs[0].phase, runs[0].duration, runs[0].progress, runs[0].message) == (
        "Failed", 90.0, "3/5", "child failed")
    assert (runs[1].phase, runs[1].duration) == ("Pending", None)

    first.workflow_path.write_text("{not json")  # edited by hand: still listed, not fatal
    broken = store.list_runs()[1]
    assert (broken.name, broken.phase) == (first.name, "Unknown")
    assert "unreadable workflow.json" in broken.message


def test_load_by_name_prefix_and_latest(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    a = store.new_run("alpha")
    b = store.new_run("beta")
    assert store.load(a.name).path == a.path
    assert store.load("alp").name == a.name
    assert store.load("@latest").name == b.name
    assert store.load(b.name).load()["metadata"]["name"] == b.name


def test_ambiguous_and_missing_runs_name_the_candidates(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    one, two = store.new_run("etl"), store.new_run("etl")
    with pytest.raises(AmbiguousRun) as ambiguous:
        store.load("etl-")
    assert one.name in str(ambiguous.value) and two.name in str(ambiguous.value)
    assert sorted(ambiguous.value.candidates) == sorted([one.name, two.name])
    with pytest.raises(UnknownRun) as unknown:
        store.load("nightly")
    assert "'nightly'" in str(unknown.value) and one.name in str(unknown.value)
    with pytest.raises(UnknownRun, match="none yet"):
        RunStore(tmp_path / "empty").load("x")


def test_log_path_is_per_node_and_refuses_path_tricks(tmp_path: Path) -> None:
    record = RunStore(tmp_path).new_run("etl")
    log = record.log_path("etl-abcde-123")
    assert log == record.path / "logs" / "etl-abcde-123.log" and log.parent.is_dir()
    with pytest.raises(ValueError, match="invalid node id"):
        record.log_path("../../etc/passwd")


def test_timestamp_is_utc_rfc3339() -> None:
    naive = datetime(2024, 3, 5, 2, 0, 7)
    assert timestamp(naive) == "2024-03-05T02:00:07Z"
    sao_paulo = datetime.fromisoformat("2024-03-04T23:00:00-03:00")
    assert timestamp(sao_paulo) == "2024-03-05T02:00:00Z"


def test_a_retry_reopens_its_run_and_sets_aside_what_runs_again(tmp_path: Path) -> None:
    """argo retry deletes the failed pods: their sandboxes go, their logs move aside."""
    from workflows.engine.reuse import set_aside

    store = RunStore(tmp_path / "runs")
    record = store.new_run("etl")
    assert store.reopen(record.name).path == record.path
    with pytest.raises(UnknownRun):
        store.reopen("etl")  # an exact name only, never a prefix
    logs, sandbox = record.path / "logs", record.path / "sandbox" / "etl-load-1"
    sandbox.mkdir(parents=True)
    (sandbox / "leftover").write_text("x")
    for pod in ("ok", "bad", "exit"):
        (logs / f"{pod}.log").parent.mkdir(exist_ok=True)
        (logs / f"{pod}.log").write_text(pod)
    nodes = {"ok": {"id": "ok", "name": f"{record.name}.a", "type": "Pod", "phase": "Succeeded"},
             "bad": {"id": "bad", "name": f"{record.name}.b", "type": "Pod", "phase": "Failed"},
             "exit": {"id": "exit", "name": f"{record.name}.onExit", "type": "Pod",
                      "phase": "Succeeded"}}
    previous = {"metadata": {"name": record.name}, "status": {"nodes": nodes}}
    assert set_aside(record.path, previous) == logs / "retry-1"
    assert not (record.path / "sandbox").exists()
    assert sorted(p.name for p in (logs / "retry-1").iterdir()) == ["bad.log", "exit.log"]
    assert (logs / "ok.log").read_text() == "ok"
    (logs / "bad.log").write_text("again")
    assert set_aside(record.path, previous) == logs / "retry-2"
