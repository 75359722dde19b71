"""Logging: one JSON object per line with the step context, or a human line on request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from steps._core import log


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line]


def test_json_line_has_context_message_and_fields(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADENCIA_LOG_FORMAT", "json")
    log.setup("clean", "run-7", "2026-11-26")
    logging.getLogger("steps.clean").info("dropped %d rows", 3, extra={"rows": 3, "key": "id"})
    (line,) = lines(capsys)
    rec = json.loads(line)
    assert rec["level"] == "info" and rec["logger"] == "steps.clean"
    assert rec["message"] == "dropped 3 rows"
    assert (rec["step"], rec["run_id"], rec["logical_date"]) == ("clean", "run-7", "2026-11-26")
    assert (rec["rows"], rec["key"]) == (3, "id")
    assert rec["time"].endswith("Z") and len(rec["time"]) == len("2026-11-26T05:00:00.000Z")


def test_json_line_carries_the_traceback_and_odd_values(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    monkeypatch.setenv("CADENCIA_LOG_FORMAT", "json")
    log.setup("load", "r", None)
    try:
        raise ValueError("bad")
    except ValueError:
        logging.getLogger("steps.load").exception("failed", extra={"obj": {1, 2}})
    (line,) = lines(capsys)  # one line: the traceback is escaped inside the JSON
    rec = json.loads(line)
    assert "ValueError: bad" in rec["exception"] and rec["logical_date"] is None
    assert rec["obj"] in ("{1, 2}", "{2, 1}")


def test_human_format_is_a_readable_line(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADENCIA_LOG_FORMAT", "human")
    log.setup("clean", "run-7", "2026-11-26")
    logging.getLogger("steps.clean").warning("slow", extra={"rows": 3})
    (line,) = lines(capsys)
    assert not line.startswith("{")
    assert line.split(" ", 1)[1] == "warning clean: slow  rows=3"
    assert "run-7" not in line


def test_auto_is_json_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CADENCIA_LOG_FORMAT", raising=False)
    log.setup("clean", "r", None)
    logging.getLogger("steps").info("hello")
    assert json.loads(lines(capsys)[0])["message"] == "hello"


def test_level_filters_and_urllib3_retries_are_quiet(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CADENCIA_LOG_FORMAT", "json")
    monkeypatch.setenv("CADENCIA_LOG_LEVEL", "warning")
    log.setup("x", "r", None)
    logging.getLogger("steps.x").info("hidden")
    logging.getLogger("urllib3.connectionpool").warning("Retrying url?key=secret")
    logging.getLogger("steps.x").warning("shown")
    assert [json.loads(line)["message"] for line in lines(capsys)] == ["shown"]
