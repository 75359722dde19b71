"""notify as the SLA watcher (--delay-seconds) and the exit handler's verdict (--sla-seconds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from steps.notify import known_counts, sla_verdict
from tests.support import ROOT, run_step


@pytest.mark.parametrize(("explicit", "duration", "sla", "verdict"), [
    (None, "3599.9", 3600.0, "met"),
    (None, "3600", 3600.0, "met"),
    (None, "3600.5", 3600.0, "missed"),
    (None, "{{workflow.duration}}", 3600.0, "unknown"),
    (None, "", 3600.0, "unknown"),
    ("at-risk", "10", 3600.0, "at-risk"),   # an explicit verdict wins
    (None, "10", None, None),               # no SLA given: no verdict
])
def test_sla_verdict_from_the_duration(explicit: str | None, duration: str, sla: float | None,
                                       verdict: str | None) -> None:
    assert sla_verdict(explicit, duration, sla) == verdict


def test_counts_a_failed_run_never_produced_read_unknown() -> None:
    assert known_counts(["load={{workflow.outputs.parameters.rows-load}}", "clean=12",
                         "http=", "x=n/a"]) == ["load=unknown", "clean=12", "http=unknown",
                                                "x=n/a"]


def notification(logs: list[dict[str, object]]) -> dict[str, object]:
    (line,) = [r for r in logs if "notification" in r]
    value = line["notification"]
    assert isinstance(value, dict)
    return value


def test_exit_handler_flags_give_a_missed_verdict_and_unknown_counts() -> None:
    result = run_step("notify", "--workflow", "cadencia-etl", "--status", "Failed",
                      "--duration", "4000.2", "--sla-seconds", "3600",
                      "--count", "load={{workflow.outputs.parameters.rows-load}}",
                      "--count", "extract-http=2000")
    assert result.code == 0, result
    sent = notification(result.logs)
    assert sent["sla_verdict"] == "missed"
    assert sent["counts"] == {"load": "unknown", "extract-http": 2000}


def test_the_watcher_sends_sla_at_risk_after_the_delay() -> None:
    started = time.monotonic()
    result = run_step("notify", "--workflow", "cadencia-etl", "--event", "sla-at-risk",
                      "--sla-verdict", "at-risk", "--delay-seconds", "0.5",
                      "--logical-date", "2026-11-25")
    assert result.code == 0, result
    assert time.monotonic() - started >= 0.5
    sent = notification(result.logs)
    assert sent["title"] == "cadencia-etl 2026-11-25: SLA at risk"
    assert sent["duration_s"] == 0.5 and sent["sla_verdict"] == "at-risk"


def test_sigterm_during_the_delay_exits_0_quietly_sending_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["CADENCIA_LOG_FORMAT"] = "json"
    with subprocess.Popen(
            [sys.executable, "-m", "steps.notify", "--event", "sla-at-risk",
             "--delay-seconds", "60"], cwd=ROOT, env=env, stderr=subprocess.PIPE,
            text=True) as proc:
        try:
            assert proc.stderr is not None
            first = json.loads(proc.stderr.readline())  # the wait has begun
            assert first["message"] == "waiting 60 s before sending"
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=10)
            rest = [json.loads(line) for line in proc.stderr.read().splitlines()]
        finally:
            proc.kill()
    assert code == 0
    assert time.monotonic() - started < 5
    assert [r["level"] for r in rest] == ["info"]
    assert rest[0]["summary"]["sent"] is False
    assert not [r for r in rest if "notification" in r]


def test_a_channel_without_its_settings_fails_before_the_wait() -> None:
    started = time.monotonic()
    result = run_step("notify", "--event", "sla-at-risk", "--delay-seconds", "60",
                      "--channel", "webhook", timeout=30)
    assert result.code == 78
    assert time.monotonic() - started < 30
    assert "CADENCIA_NOTIFY_WEBHOOK_URL" in result.errors[0]["message"]


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_a_bad_number_of_seconds_is_a_configuration_error(value: str) -> None:
    assert run_step("notify", "--delay-seconds", value).code == 78
    assert run_step("notify", "--sla-seconds", value).code == 78
