"""The pure parts of the UI: the graph and timeline of a node tree, the same-origin rule,
and which process a run's stop signals."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflows.runs import process
from workflows.ui import run_graph, timeline
from workflows.ui.actions import same_origin

ROOT = Path(__file__).resolve().parents[2]


def node(nid: str, kind: str, display: str, phase: str, *, children: tuple[str, ...] = (),
         started: str | None = None, finished: str | None = None, **extra: Any
         ) -> dict[str, Any]:
    return {"id": nid, "name": f"wf.{display}", "displayName": display, "type": kind,
            "phase": phase, "children": list(children), "startedAt": started,
            "finishedAt": finished, **extra}


T = "2026-11-25T02:00:{:02d}Z"
WORKFLOW = {
    "metadata": {"name": "wf"},
    "status": {"startedAt": T.format(0), "nodes": {
        "wf": node("wf", "DAG", "wf", "Failed", children=("a", "m")),
        "a": node("a", "Retry", "a", "Succeeded", children=("a0",)),
        "a0": node("a0", "Pod", "a(0)", "Succeeded", children=("b",),
                   started=T.format(0), finished=T.format(2)),
        "m": node("m", "Pod", "m", "Succeeded", children=("b",),
                  memoizationStatus={"hit": True}),
        "b": node("b", "Retry", "b", "Failed", children=("b0", "b1"),
                  message="No more retries left"),
        "b0": node("b0", "Pod", "b(0)", "Failed", started=T.format(2), finished=T.format(3)),
        "b1": node("b1", "Pod", "b(1)", "Failed", started=T.format(7), finished=T.format(8),
                   outputs={"exitCode": "75"}),
        "x": node("x", "Retry", "wf.onExit", "Succeeded", children=("x0",)),
        "x0": node("x0", "Pod", "wf.onExit(0)", "Succeeded", started=T.format(8),
                   finished=T.format(9)),
    }},
}


def test_the_graph_has_one_vertex_per_task_in_layers_with_the_exit_handler_last(
        tmp_path: Path) -> None:
    drawn = run_graph.graph(WORKFLOW, tmp_path)
    vertices = {v["label"]: v for v in drawn["vertices"]}
    assert set(vertices) == {"wf", "a", "m", "b", "onExit"}  # attempts are not vertices
    assert sorted(map(tuple, drawn["edges"])) == [("a", "b"), ("m", "b"), ("wf", "a"),
                                                  ("wf", "m")]
    layers = {label: v["layer"] for label, v in vertices.items()}
    assert layers == {"wf": 0, "a": 1, "m": 1, "b": 2, "onExit": 3}
    assert (vertices["b"]["attempts"], vertices["b"]["exit_code"]) == (2, "75")
    assert vertices["b"]["message"] == "No more retries left"
    assert (vertices["m"]["memoized"], vertices["m"]["attempts"]) == (True, 0)


def test_the_cause_of_a_failed_task_is_its_last_attempt_s_error_line(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "b0.log").write_text('{"level": "error", "message": "first"}\n')
    (tmp_path / "logs" / "b1.log").write_text(
        '{"level": "info", "message": "connecting"}\n'
        '{"level": "error", "message": "database down", "exit_code": 75, '
        '"error_kind": "transient"}\n')
    vertices = {v["label"]: v for v in run_graph.graph(WORKFLOW, tmp_path)["vertices"]}
    assert vertices["b"]["cause"] == "database down (exit 75, transient)"
    assert vertices["a"]["cause"] is None


def test_the_timeline_has_each_attempt_and_the_backoff_wait_between_them() -> None:
    now = datetime(2026, 11, 25, 2, 0, 30, tzinfo=timezone.utc)
    bars = [(b.label, b.kind, b.start, b.end) for b in timeline.timeline(WORKFLOW, now)]
    assert bars == [("a", "attempt", 0.0, 2.0),
                    ("b #0", "attempt", 2.0, 3.0), ("b backoff", "backoff", 3.0, 7.0),
                    ("b #1", "attempt", 7.0, 8.0),
                    ("onExit", "attempt", 8.0, 9.0)]  # the memoized m never ran


def test_a_running_attempt_lasts_until_now() -> None:
    running = {"metadata": {"name": "wf"}, "status": {"startedAt": T.format(0), "nodes": {
        "p": node("p", "Pod", "p", "Running", started=T.format(1))}}}
    now = datetime(2026, 11, 25, 2, 0, 5, tzinfo=timezone.utc)
    [bar] = timeline.timeline(running, now)
    assert (bar.start, bar.end, bar.running) == (1.0, 5.0, True)


def test_same_origin_accepts_only_this_server_s_own_pages() -> None:
    hosts = {"127.0.0.1:2746", "localhost:2746"}
    ours = {"host": "127.0.0.1:2746", "origin": "http://127.0.0.1:2746"}
    assert same_origin(ours, hosts)
    assert same_origin({"host": "localhost:2746", "referer": "http://localhost:2746/runs/x"},
                       hosts)
    assert not same_origin({**ours, "origin": "http://evil.example"}, hosts)
    assert not same_origin({**ours, "origin": "null"}, hosts)
    assert not same_origin({"host": "127.0.0.1:2746"}, hosts)  # neither header
    assert not same_origin({"host": "evil.example:2746", "origin": "http://evil.example:2746"},
                           hosts)


def test_stop_signals_the_process_that_recorded_the_run_and_no_other(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from workflows.runs import process; "
         "process.record(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
         str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        assert process.running(tmp_path) == child.pid
        assert process.stop(tmp_path)
        assert child.wait(timeout=10) == -15  # SIGTERM
        assert process.running(tmp_path) is None and not process.stop(tmp_path)
    finally:
        child.kill()
        child.wait()
        if child.stdout:
            child.stdout.close()
    # a pid now used by another process (its start time differs) is left alone
    (tmp_path / process.PID_FILE).write_text(f"{os.getpid()} 1\n")
    assert process.running(tmp_path) is None


def test_the_sla_verdict_is_the_exit_handler_s_and_the_watcher_s_warning(tmp_path: Path
                                                                        ) -> None:
    from workflows.ui.run_view import sla

    notify_args = ["--event", "finished", "--sla-seconds", "3600"]
    workflow: dict[str, Any] = {
        "spec": {"templates": [{"name": "notify", "container": {"args": notify_args}}]},
        "status": {"nodes": {
            "w": node("w", "Pod", "sla-watch(0)", "Succeeded", templateName="sla-watch"),
            "n": node("n", "Pod", "wf.onExit(0)", "Succeeded", templateName="notify")}}}
    assert sla(workflow, tmp_path) == {"seconds": 3600.0, "verdict": None, "at_risk": False}
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "w.log").write_text(
        '{"level": "info", "message": "at risk", "notification": {"event": "sla-at-risk", '
        '"sla_verdict": "at-risk"}}\n')
    (tmp_path / "logs" / "n.log").write_text(
        'not json\n{"level": "info", "message": "orders: Succeeded", "notification": '
        '{"event": "finished", "status": "Succeeded", "sla_verdict": "missed"}}\n')
    assert sla(workflow, tmp_path) == {"seconds": 3600.0, "verdict": "missed", "at_risk": True}


def test_on_a_shared_address_any_host_name_is_served_but_actions_stay_same_origin() -> None:
    from workflows.ui.server import allowed_hosts

    assert allowed_hosts("127.0.0.1", 2746) == {"127.0.0.1:2746", "localhost:2746"}
    shared = allowed_hosts("0.0.0.0", 2746)
    assert shared == {"*"}
    assert same_origin({"host": "box.lan:2746", "origin": "http://box.lan:2746"}, shared)
    assert not same_origin({"host": "box.lan:2746", "origin": "http://evil.example"}, shared)
