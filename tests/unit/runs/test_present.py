"""``cadencia get/runs/logs`` output, against golden text written from ``argo get``'s format."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from workflows.argo.nodes import node_id
from workflows.runs import humanize
from workflows.runs.get import format_get
from workflows.runs.listing import format_runs
from workflows.runs.logs import UnknownNode, format_logs
from workflows.runs.record import RunSummary
from workflows.runs.store import RunStore

DATA = Path(__file__).parent / "data"
NOW = datetime(2024, 3, 5, 5, 3, 10, tzinfo=timezone.utc)
W = "cadencia-etl-x7k2p"


def workflow() -> dict[str, Any]:
    """A failed run in Argo's shape: a retried extract, a memoized extract, a failed
    validate, an Omitted load, a Skipped report and an exit handler."""
    loaded: dict[str, Any] = json.loads((DATA / "argo_get_workflow.json").read_text())
    return loaded


GOLDEN_GET = """\
Name:                cadencia-etl-x7k2p
Status:              Failed
Message:             child 'cadencia-etl-x7k2p-2892468052' failed
Created:             Tue Mar 05 02:00:00 +0000 (3 hours ago)
Started:             Tue Mar 05 02:00:00 +0000 (3 hours ago)
Finished:            Tue Mar 05 02:03:10 +0000 (3 hours ago)
Duration:            3 minutes 10 seconds
Progress:            5/7
Parameters:
  run-date:          2024-03-05
  env:               local
Output Parameters:
  rows-loaded:       0

STEP                          TEMPLATE      PODNAME                                     DURATION  MESSAGE
 ✖ cadencia-etl-x7k2p         main                                                                child 'cadencia-etl-x7k2p-2892468052' failed
 ├─✔ extract-http             extract-http
 │ ├─✖ extract-http(0)        extract-http  cadencia-etl-x7k2p-extract-http-871567421   4s        Error (exit code 75)
 │ └─✔ extract-http(1)        extract-http  cadencia-etl-x7k2p-extract-http-1207266896  15s
 ├─✔ extract-sql              extract-sql   cadencia-etl-x7k2p-extract-sql-2758417314   0s        (memoized)
 ├─✔ clean                    clean         cadencia-etl-x7k2p-clean-2212212951         19s
 ├─✖ validate                 validate      cadencia-etl-x7k2p-validate-2892468052      19s       Error (exit code 65)
 ├─○ load                     load                                                                omitted: depends condition not met
 └─○ report                   report                                                              when 'Failed == Succeeded' evaluated false

 ✔ cadencia-etl-x7k2p.onExit  notify        cadencia-etl-x7k2p-notify-2062353315        1m
"""  # noqa: E501


def test_format_get_matches_argo_get() -> None:
    assert format_get(workflow(), now=NOW, tz=timezone.utc) == GOLDEN_GET


def test_node_order_follows_start_time_not_the_json_order() -> None:
    wf = workflow()
    wf["status"]["nodes"] = dict(reversed(list(wf["status"]["nodes"].items())))
    assert format_get(wf, now=NOW, tz=timezone.utc) == GOLDEN_GET


def test_retry_with_one_attempt_shows_the_attempt_in_its_place() -> None:
    wf = workflow()
    nodes = wf["status"]["nodes"]
    retry = nodes[node_id(W, f"{W}.extract-http")]
    first = retry["children"].pop(0)
    del nodes[first]
    lines = format_get(wf, now=NOW, tz=timezone.utc).splitlines()
    start = lines.index(next(line for line in lines if line.startswith("STEP")))
    assert re.fullmatch(r" ├─✔ extract-http\(1\) +extract-http +"
                        r"cadencia-etl-x7k2p-extract-http-1207266896 +15s", lines[start + 2])
    assert not any("extract-http(0)" in line for line in lines)
    assert not any(line.startswith(" ├─✔ extract-http   ") for line in lines)


def test_running_workflow_shows_elapsed_time_and_running_nodes() -> None:
    wf = workflow()
    status = wf["status"]
    status.update(phase="Running", message="", progress="2/7")
    del status["finishedAt"]
    validate = status["nodes"][node_id(W, f"{W}.validate")]
    validate.update(phase="Running", message="")
    del validate["finishedAt"]
    text = format_get(wf, now=datetime(2024, 3, 5, 2, 2, 30, tzinfo=timezone.utc),
                      tz=timezone.utc)
    assert "Status:              Running\n" in text and "Message:" not in text
    assert "Finished:" not in text
    assert "Duration:            2 minutes 30 seconds\n" in text
    assert " ├─● validate                 validate      cadencia-etl-x7k2p-validate-2892468052" \
           "      49s\n" in text


def test_a_run_without_nodes_prints_only_the_header() -> None:
    wf = {"metadata": {"name": "etl-abcde", "creationTimestamp": "2024-03-05T02:00:00Z"},
          "status": {"phase": "Pending"}}
    assert format_get(wf, now=NOW, tz=timezone.utc) == (
        "Name:                etl-abcde\n"
        "Status:              Pending\n"
        "Created:             Tue Mar 05 02:00:00 +0000 (3 hours ago)\n"
        "Progress:\n")


def test_format_runs_lists_like_argo_list() -> None:
    runs = [
        RunSummary(name="etl-bcdfg", phase="Running", created="2024-03-05T05:00:10Z",
                   started="2024-03-05T05:00:10Z", finished=None, duration=None,
                   progress="1/7", message="", path=Path("x")),
        RunSummary(name="etl-x7k2p", phase="Failed", created="2024-03-05T02:00:00Z",
                   started="2024-03-05T02:00:00Z", finished="2024-03-05T02:03:10Z",
                   duration=190.0, progress="5/7", message="child 'etl-x7k2p-1' failed",
                   path=Path("y")),
    ]
    assert format_runs(runs, now=NOW) == (
        "NAME       STATUS   AGE  DURATION  PROGRESS  MESSAGE\n"
        "etl-bcdfg  Running  3m   3m        1/7\n"
        "etl-x7k2p  Failed   3h   3m        5/7       child 'etl-x7k2p-1' failed\n")
    assert format_runs([], now=NOW) == "No runs found.\n"


def test_durations_truncate_like_the_argo_cli() -> None:
    assert [humanize.short(s) for s in (0.4, 1.9, 59, 119, 3599, 7199, 86399, 200000)] == [
        "0s", "1s", "59s", "1m", "59m", "1h", "23h", "2d"]
    assert [humanize.long(s) for s in (1, 45, 90, 3725, 90000)] == [
        "1 second", "45 seconds", "1 minute 30 seconds", "1 hour 2 minutes", "1 day 1 hours"]
    assert humanize.ago(NOW, NOW) == "now"


@pytest.fixture
def logged_run(tmp_path: Path) -> Any:
    record = RunStore(tmp_path).new_run("cadencia-etl")
    record.save(workflow())
    lines = {f"{W}.extract-http(0)": "connection refused\n",
             f"{W}.extract-http(1)": "fetched 250 rows\n",
             f"{W}.clean": "kept 240 rows\ndropped 10 duplicates\n",
             f"{W}.validate": "3 rows failed rule amount>0\n",
             f"{W}.onExit": "notified log\n"}
    for name, text in lines.items():
        record.log_path(node_id(W, name)).write_text(text)
    return record


def test_logs_of_one_pod_are_printed_as_is(logged_run: Any) -> None:
    assert format_logs(logged_run, "clean") == "kept 240 rows\ndropped 10 duplicates\n"
    pod = "cadencia-etl-x7k2p-validate-2892468052"
    assert format_logs(logged_run, pod) == "3 rows failed rule amount>0\n"


def test_logs_of_a_retried_task_show_every_attempt(logged_run: Any) -> None:
    assert format_logs(logged_run, "extract-http") == (
        "extract-http(0): connection refused\n"
        "extract-http(1): fetched 250 rows\n")


def test_logs_of_the_whole_run_in_start_order(logged_run: Any) -> None:
    assert format_logs(logged_run) == (
        "extract-http(0): connection refused\n"
        "extract-sql: (no log: memoized)\n"
        "extract-http(1): fetched 250 rows\n"
        "clean: kept 240 rows\n"
        "clean: dropped 10 duplicates\n"
        "validate: 3 rows failed rule amount>0\n"
        "cadencia-etl-x7k2p.onExit: notified log\n")


def test_logs_of_an_unknown_node_name_the_pods(logged_run: Any) -> None:
    with pytest.raises(UnknownNode, match=r"no node 'transform' \(pods: extract-http\(0\), "):
        format_logs(logged_run, "transform")
