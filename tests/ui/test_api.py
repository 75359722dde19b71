"""The JSON endpoints of `cadencia ui` over runs made by the real engine, and its safety:
loopback by default, actions only by same-origin POST, no secret value on any page."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest

from tests.ui.conftest import PASSWORD, Runs, Server, cadencia


def vertex(run: dict[str, Any], label: str) -> dict[str, Any]:
    return next(v for v in run["graph"]["vertices"] if v["label"] == label)


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_the_server_says_it_listens_on_this_machine_only(server: Server) -> None:
    assert "http://127.0.0.1:" in server.banner
    assert "this machine only" in server.banner


def test_runs_are_listed_with_pipeline_date_and_rows_and_filtered(server: Server,
                                                                   runs: Runs) -> None:
    listed = {r["name"]: r for r in server.json("/api/runs")}
    assert {runs.succeeded, runs.memoized, runs.failed, runs.failed_pg,
            runs.backfill} <= set(listed)
    ok = listed[runs.succeeded]
    assert (ok["phase"], ok["pipeline"], ok["run_date"], ok["rows_loaded"]) == \
        ("Succeeded", "orders", "2026-11-25", 2997)
    assert listed[runs.backfill]["run_date"] == "2026-11-01..2026-11-02"
    assert listed[runs.backfill]["rows_loaded"] == 2 * 2997
    assert listed[runs.failed]["rows_loaded"] == 0
    failed = {r["name"] for r in server.json("/api/runs?phase=Failed")}
    assert {runs.failed, runs.failed_pg} <= failed and runs.succeeded not in failed
    assert server.json("/api/runs?pipeline=no-such-pipeline") == []


def test_a_failed_run_names_its_failed_node_and_the_cause(server: Server, runs: Runs) -> None:
    run = server.json(f"/api/runs/{runs.failed}")
    assert run["phase"] == "Failed" and run["done"] and run["can_retry"]
    assert not run["can_stop"]
    assert run["parameters"] == {"run-date": "2026-11-26"}
    [failure] = run["failures"]
    assert failure["label"] == "load" and failure["exit_code"] == "78"
    assert "does not exist" in failure["cause"]
    assert failure["cause"].endswith("(exit 78, configuration)")
    assert vertex(run, "load")["phase"] == "Failed"
    assert vertex(run, "validate")["phase"] == "Succeeded"
    assert vertex(run, "onExit")["phase"] == "Succeeded"
    # the exit handler judged the SLA the environment sets (15 minutes in local)
    assert run["sla"] == {"seconds": 900.0, "verdict": "met", "at_risk": False}


def test_retries_and_backoff_waits_are_in_the_graph_and_the_timeline(server: Server,
                                                                     runs: Runs) -> None:
    run = server.json(f"/api/runs/{runs.failed_pg}")
    load = vertex(run, "load")
    assert (load["phase"], load["attempts"], load["exit_code"]) == ("Failed", 3, "75")
    bars = [b for b in run["timeline"] if b["node"] == load["id"]]
    assert [b["kind"] for b in bars] == ["attempt", "backoff", "attempt", "backoff", "attempt"]
    assert [b["label"] for b in bars if b["kind"] == "attempt"] == \
        ["load #0", "load #1", "load #2"]
    assert all(b["end"] > b["start"] for b in bars if b["kind"] == "backoff")
    assert "Connection refused" in run["failures"][0]["cause"]


def test_a_memoized_rerun_marks_the_nodes_it_did_not_run(server: Server, runs: Runs) -> None:
    run = server.json(f"/api/runs/{runs.memoized}")
    for label in ("extract-http", "extract-sql", "clean", "transform"):
        assert vertex(run, label)["memoized"] is True, label
        assert vertex(run, label)["attempts"] == 0
    assert vertex(run, "load")["memoized"] is False  # never memoized: it writes


def test_a_backfill_draws_each_date_s_tasks(server: Server, runs: Runs) -> None:
    run = server.json(f"/api/runs/{runs.backfill}")
    for day in ("2026-11-01", "2026-11-02"):
        assert vertex(run, f"{day} load")["phase"] == "Succeeded"
    layers = {v["label"]: v["layer"] for v in run["graph"]["vertices"]}
    assert layers["dates"] < layers["run"] < layers["2026-11-01 load"]
    assert layers["onExit"] > layers["2026-11-01 load"]


def test_a_node_and_its_log_read_from_an_offset(server: Server, runs: Runs) -> None:
    run = server.json(f"/api/runs/{runs.failed}")
    load = vertex(run, "load")
    node = server.json(f"/api/runs/{runs.failed}/nodes/{load['id']}")
    assert node["exit_code"] == "78" and node["cause"] == run["failures"][0]["cause"]
    assert [a["name"] for a in node["inputs"]["artifacts"]] == ["validate"]
    [attempt] = node["attempts"]
    log = server.json(f"/api/runs/{runs.failed}/logs/{attempt['id']}")
    assert "does not exist" in log["text"] and not log["running"]
    rest = server.json(f"/api/runs/{runs.failed}/logs/{attempt['id']}?offset={log['offset']}")
    assert rest["text"] == "" and rest["offset"] == log["offset"]


def test_unknown_runs_and_nodes_are_404(server: Server, runs: Runs) -> None:
    assert status_of(urllib.request.Request(server.url + "/api/runs/no-such-run")) == 404
    assert status_of(urllib.request.Request(
        server.url + f"/api/runs/{runs.failed}/nodes/no-such-node")) == 404
    assert status_of(urllib.request.Request(
        server.url + f"/api/runs/{runs.failed}/logs/..%2F..%2Fworkflow")) == 404


@pytest.mark.parametrize("headers", [
    {},  # no Origin nor Referer: a form of no page of ours
    {"Origin": "http://evil.example"},
    {"Referer": "http://evil.example/page"},
])
def test_actions_refuse_requests_from_elsewhere(server: Server, runs: Runs,
                                                headers: dict[str, str]) -> None:
    request = urllib.request.Request(f"{server.url}/runs/{runs.failed}/retry", data=b"",
                                     method="POST", headers=headers)
    assert status_of(request) == 403
    assert status_of(urllib.request.Request(f"{server.url}/runs/{runs.failed}/stop")) == 405


def test_a_foreign_host_name_gets_nothing(server: Server) -> None:
    """A page whose own host name was rebound to 127.0.0.1 (DNS rebinding) reads nothing."""
    request = urllib.request.Request(server.url + "/api/runs",
                                     headers={"Host": "evil.example"})
    assert status_of(request) == 400


def test_no_page_shows_a_secret_value(server: Server, runs: Runs) -> None:
    """Every page and endpoint of every run (nodes, logs, artifacts, the data page with the
    ledger of a PostgreSQL target whose URL has a password) is free of the password."""
    seen: dict[str, str] = {"/": server.get("/"), "/api/runs": server.get("/api/runs")}
    for listed in server.json("/api/runs"):
        name = listed["name"]
        run = server.json(f"/api/runs/{name}")
        paths = [f"/runs/{name}", f"/api/runs/{name}", f"/runs/{name}/data"]
        for v in run["graph"]["vertices"]:
            paths += [f"/runs/{name}/nodes/{v['id']}", f"/api/runs/{name}/nodes/{v['id']}"]
            node = server.json(f"/api/runs/{name}/nodes/{v['id']}")
            paths += [f"/api/runs/{name}/logs/{a['id']}" for a in node["attempts"]]
            for side, owner in (("inputs", node["id"]), ("outputs", node["outputs_of"])):
                paths += [f"/runs/{name}/nodes/{owner}/artifacts/{side}/{quote(a['name'])}"
                          for a in node[side]["artifacts"]]
        for path in dict.fromkeys(paths):
            seen[path] = server.get(path)
    assert len(seen) > 100
    leaks = [path for path, text in seen.items() if PASSWORD in text]
    assert leaks == []
    data = seen[f"/runs/{runs.failed_pg}/data"]
    assert "postgresql://etl:***@127.0.0.1:" in data  # the target, redacted


def test_a_retry_the_cli_refuses_says_why(server: Server, runs: Runs) -> None:
    """The page's retry is `cadencia retry`: a Succeeded run has nothing to retry."""
    request = urllib.request.Request(f"{server.url}/runs/{runs.succeeded}/retry", data=b"",
                                     method="POST", headers={"Origin": server.url})
    try:
        urllib.request.urlopen(request, timeout=30).close()
        raise AssertionError("the retry of a Succeeded run was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 409
        assert f"{runs.succeeded} Succeeded: nothing to retry" in exc.read().decode()


def test_stop_of_a_run_that_is_not_running_is_refused(server: Server, runs: Runs) -> None:
    request = urllib.request.Request(f"{server.url}/runs/{runs.failed}/stop", data=b"",
                                     method="POST", headers={"Origin": server.url})
    assert status_of(request) == 409


def test_a_taken_port_is_one_clear_error(server: Server, runs: Runs) -> None:
    port = server.url.rsplit(":", 1)[-1]
    taken = cadencia("ui", "--home", str(runs.home), "--port", port, cwd=runs.project,
                     timeout=30)
    assert taken.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
    assert "cadencia ui: runs in" not in taken.stdout  # no banner for a server that is not
