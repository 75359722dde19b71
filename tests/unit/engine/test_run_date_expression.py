"""Issue 10, case 13: a scheduled run loads the day that has ended, not the one just begun.

The compiled CronWorkflow's ``run-date`` argument is evaluated here by the local engine's
expression evaluator, with ``{{workflow.scheduledTime}}`` written both as Argo's
controller writes it (RFC 3339 in its own zone, UTC in its container) and as the local
engine writes it (in the CronWorkflow's zone): the date must not depend on which.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from workflows.definitions.cron import run_date_expression
from workflows.engine.admit.load import scheduled_time
from workflows.engine.expr import EvaluationError, evaluate, substitute
from workflows.run_date import scheduled_run_date

ROOT = Path(__file__).resolve().parents[3]
SAO_PAULO = "America/Sao_Paulo"


def compiled_cron(env: str) -> dict[str, object]:
    text = (ROOT / "k8s" / "workflows" / env / "orders" / "orders-daily.yaml").read_text()
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def run_date_of(value: str, tick: str) -> str:
    return substitute(value, {"workflow.scheduledTime": tick}, where="run-date")


def compiled_run_date(env: str) -> str:
    spec = compiled_cron(env)["spec"]
    (param,) = spec["workflowSpec"]["arguments"]["parameters"]  # type: ignore[index]
    assert param["name"] == "run-date"
    return str(param["value"])


@pytest.mark.parametrize("env", ["dev", "local", "prod", "staging"])
@pytest.mark.parametrize("tick", ["2026-11-26T05:00:00Z", "2026-11-26T02:00:00-03:00"])
def test_the_0200_sao_paulo_tick_of_day_d_loads_the_day_before(env: str, tick: str) -> None:
    assert run_date_of(compiled_run_date(env), tick) == "2026-11-25"


def test_a_utc_tick_just_after_midnight_is_still_the_previous_day_in_sao_paulo() -> None:
    # 01:30 UTC on the 26th is 22:30 on the 25th in Sao Paulo: that day's previous day
    value = compiled_run_date("prod")
    assert run_date_of(value, "2026-11-26T01:30:00Z") == "2026-11-24"
    assert run_date_of(value, "2026-11-25T22:30:00-03:00") == "2026-11-24"
    assert run_date_of(value, "2026-11-26T03:00:00Z") == "2026-11-25"  # 00:00 there


@pytest.mark.parametrize(("offset", "expected"), [(0, "2026-11-26"), (-1, "2026-11-25"),
                                                  (-2, "2026-11-24")])
@pytest.mark.parametrize("tick", ["2026-11-26T05:00:00Z", "2026-11-26T02:00:00-03:00",
                                  "2026-11-26T13:45:10.5+00:00"])
def test_the_offset_setting_moves_the_run_date_by_whole_days(offset: int, expected: str,
                                                               tick: str) -> None:
    assert run_date_of(run_date_expression(SAO_PAULO, offset), tick) == expected


@pytest.mark.parametrize(("tick", "expected"), [
    ("2026-03-08T05:30:00Z", "2026-03-07"),  # 00:30 EST, the night clocks spring forward
    ("2026-03-08T07:30:00Z", "2026-03-07"),  # 03:30 EDT, just after the jump
    ("2026-11-01T04:30:00Z", "2026-10-31"),  # 00:30 EDT, the night clocks fall back
    ("2026-11-02T04:30:00Z", "2026-10-31"),  # 23:30 EST on Nov 1: its previous day
])
def test_a_dst_change_never_moves_the_run_date_by_a_day(tick: str, expected: str) -> None:
    assert run_date_of(run_date_expression("America/New_York", -1), tick) == expected


def test_the_engine_scheduled_tick_of_a_date_loads_the_previous_day() -> None:
    cron = compiled_cron("local")
    tick = scheduled_time(cron["spec"], date(2026, 11, 26),  # type: ignore[arg-type]
                          datetime(2026, 11, 26, 12, tzinfo=timezone.utc))
    assert tick == "2026-11-26T05:00:00Z"  # written in UTC, as the controller does
    assert run_date_of(compiled_run_date("local"), tick) == "2026-11-25"


def test_cadencia_run_without_a_date_uses_what_the_schedule_would_load_now() -> None:
    docs = [compiled_cron("local")]
    assert scheduled_run_date(docs, datetime(2026, 11, 26, 5, 0, tzinfo=timezone.utc)) == (
        "2026-11-25")
    assert scheduled_run_date(docs, datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)) == (
        "2026-11-24")  # 22:00 on the 25th in Sao Paulo
    assert scheduled_run_date([], datetime(2026, 11, 26, 1, 0, tzinfo=timezone.utc)) == (
        "2026-11-25")  # no CronWorkflow: yesterday in UTC


def test_a_malformed_scheduled_time_fails_instead_of_loading_year_one() -> None:
    with pytest.raises(EvaluationError, match="cannot parse"):
        run_date_of(compiled_run_date("prod"), "2026-11-26 02:00")
    # toDate (not mustToDate) gives Go's zero time, which is why the compiled one is "must"
    assert evaluate("sprig.dateInZone('2006-01-02', sprig.toDate('2006-01-02', 'x'), 'UTC')",
                    {}) == "0001-01-01"


def test_sprig_date_functions_follow_go() -> None:
    rfc = "'2006-01-02T15:04:05Z07:00'"
    t = f"sprig.mustToDate({rfc}, '2026-11-26T02:00:00-03:00')"
    assert evaluate(f"string({t})", {}) == "2026-11-26 02:00:00 -0300 -0300"
    assert evaluate(f"sprig.dateInZone({rfc}, {t}, 'UTC')", {}) == "2026-11-26T05:00:00Z"
    assert evaluate(f"sprig.dateInZone({rfc}, {t}, 'No/Such_Zone')", {}) == (
        "2026-11-26T05:00:00Z")  # sprig falls back to UTC
    assert evaluate(f"sprig.dateInZone({rfc}, sprig.dateModify('90m', {t}), "
                    f"'{SAO_PAULO}')", {}) == "2026-11-26T03:30:00-03:00"
    assert evaluate(f"sprig.dateInZone({rfc}, sprig.dateModify('1d', {t}), 'UTC')", {}) == (
        "2026-11-26T05:00:00Z")  # not a Go duration: the time unchanged
    assert evaluate(f"sprig.unixEpoch({t})", {}) == "1795669200"
    assert evaluate("sprig.dateInZone('2006-01-02', 0, 'UTC')", {}) == "1970-01-01"
    with pytest.raises(EvaluationError, match="invalid duration"):
        evaluate(f"sprig.mustDateModify('1d', {t})", {})
    with pytest.raises(EvaluationError, match="invalid duration"):  # Go does not trim
        evaluate(f"sprig.mustDateModify(' -24h', {t})", {})
    with pytest.raises(EvaluationError, match=r"as time\.Time"):
        evaluate("sprig.dateModify('1h', '2026-11-26')", {})
    with pytest.raises(EvaluationError, match="not supported by the local engine"):
        evaluate(f"sprig.dateInZone('Jan 2, 2006', {t}, 'UTC')", {})
