"""The words of a run's summary: node labels inside fan-outs and a failed pod's cause."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.runs.logs import error_line
from workflows.runs.node_label import items, label


@pytest.mark.parametrize(("name", "display", "expected"), [
    ("orders-backfill-x.run(0:2026-11-01).load(0)", "load(0)", "2026-11-01 load(0)"),
    ("orders-backfill-x.run(1:2026-11-02).load", "load", "2026-11-02 load"),
    ("orders-backfill-x.run(1:2026-11-02)", "run(1:2026-11-02)", "run(1:2026-11-02)"),
    ("wf.a(0:x.y).b(2:{\"k\":1}).c", "c", "x.y {\"k\":1} c"),  # items with dots, nested
    ("orders-x.load(0)", "load(0)", "load(0)"),  # a retry attempt is not a fan-out
    ("orders-x.extract-http", "extract-http", "extract-http"),
])
def test_a_node_in_a_fan_out_is_labelled_by_its_items(name: str, display: str,
                                                       expected: str) -> None:
    assert label(name, display) == expected
    assert items(name) == tuple(expected.split()[:-1])


def _log(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "pod.log"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_the_cause_is_the_steps_one_error_line_with_its_exit_code_and_kind(
        tmp_path: Path) -> None:
    log = _log(tmp_path, json.dumps({"level": "info", "message": "querying sqlite:///x"}),
               json.dumps({"level": "error", "message": "source query failed: no such table",
                           "error_kind": "configuration", "exit_code": 78}),
               "a stray line a library printed")
    assert error_line(log) == "source query failed: no such table (exit 78, configuration)"


def test_another_programs_cause_is_its_last_line_and_no_log_is_none(tmp_path: Path) -> None:
    assert error_line(_log(tmp_path, "starting", "cat: /in: No such file", "")) == \
        "cat: /in: No such file"
    assert error_line(tmp_path / "missing.log") is None
    assert error_line(_log(tmp_path)) is None
