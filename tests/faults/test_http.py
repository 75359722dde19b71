"""Issue 6, cases 1-4: the orders API misbehaves under the compiled pipeline.

Every test runs ``k8s/workflows/local/orders/orders.yaml`` through the local engine against
the sample API (faults switched on), a real PostgreSQL and moto S3, and checks both the
outcome and the target: after a recovered fault every id of the day is there exactly
once; after a refused payload nothing was loaded at all.
"""

from __future__ import annotations

import pytest

from tests.e2e.pipeline_support import PipelineRun, ledger_rows, table_exists, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    attempts,
    errors,
    notices,
)
from workflows.devservices.sample_api import Faults

pytestmark = pytest.mark.timeout(120)
PAGES = 4  # 2000 records, 500 a page


def loaded_exactly_once(case: Case, run: PipelineRun) -> None:
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(run.name, len(ALL_IDS))]


def nothing_loaded(case: Case, run: PipelineRun) -> None:
    assert run.node("load")["phase"] == "Omitted", run.describe()
    assert not table_exists(case.pg_url, "vendas")
    assert not table_exists(case.pg_url, "cadencia_load_ledger")


def test_api_500_500_then_200_is_retried_inside_the_step_and_the_run_succeeds(
        case: Case) -> None:
    case.seed()

    out = case.run(faults=Faults(fail_first=2, fail_status=500))

    run = out.run
    assert run.phase == "Succeeded", run.describe()
    (attempt,) = attempts(run, "extract-http")  # one pod: the step itself retried
    records = run.json_log(attempt)  # the run record keeps every attempt's log
    retries = [r for r in records if r.get("level") == "warning"]
    assert [(r["attempt"], "HTTP 500" in r["message"]) for r in retries] == [(1, True),
                                                                            (2, True)]
    (summary,) = [r["summary"] for r in records if "summary" in r]
    assert summary["http_retries"] == 2 and summary["rows"] == 2000
    assert out.requests == 2 + PAGES
    loaded_exactly_once(case, run)


def test_api_429_with_retry_after_2_waits_two_seconds_then_succeeds(case: Case) -> None:
    case.seed()

    out = case.run(faults=Faults(fail_first=1, fail_status=429, retry_after="2"))

    run = out.run
    assert run.phase == "Succeeded", run.describe()
    waited = out.arrivals[1] - out.arrivals[0]  # measured at the server
    assert 2.0 <= waited < 4.0, waited
    assert out.seen[0] == out.seen[1]  # the same page, asked again
    (attempt,) = attempts(run, "extract-http")
    (retry,) = [r for r in run.json_log(attempt) if r.get("level") == "warning"]
    assert "HTTP 429" in retry["message"] and retry["retry_in_s"] == 2.0
    loaded_exactly_once(case, run)


def test_api_hanging_past_the_read_timeout_fails_75_retries_with_backoff_and_notify_tells(
        case: Case) -> None:
    case.seed()
    case.settings.update({"CADENCIA_HTTP_READ_TIMEOUT": "0.3", "CADENCIA_HTTP_MAX_RETRIES": "1"})

    out = case.run(faults=Faults(hang_first=10**6, hang_s=3.0))

    run = out.run
    assert run.phase == "Failed", run.describe()
    retry = run.node("extract-http")
    assert retry["phase"] == "Failed" and retry["message"] == "No more retries left"
    pods = attempts(run, "extract-http")
    assert [p["outputs"]["exitCode"] for p in pods] == ["75", "75", "75"]
    for pod in pods:
        (error,) = errors(run, pod)
        assert "timed out" in error["message"] and error["exit_code"] == 75
        assert any("timed out" in r["message"] for r in run.json_log(pod)
                   if r.get("level") == "warning")  # the in-step retry came first
    backoffs = [e["message"] for e in run.events
                if e["kind"] == "node" and e["id"] == retry["id"] and e["message"]]
    assert backoffs[:2] == ["Backoff for 2 seconds", "Backoff for 4 seconds"]
    assert out.requests == 3 * 2  # 3 Argo attempts x (1 try + 1 in-step retry)
    nothing_loaded(case, run)
    (notice,) = notices(run)
    assert notice["status"] == "Failed"
    failed = {f["template"]: f for f in notice["failures"]}
    assert "extract-http" in failed, notice["failures"]


@pytest.mark.parametrize(("bad", "cause"), [
    ("html", "returned an HTML page instead of JSON"),
    ("truncated", "returned truncated JSON"),
    ("short", "fewer than the page size 500, and no end marker"),
])
def test_bad_api_payload_fails_65_naming_the_cause_without_retry_or_load(
        case: Case, bad: str, cause: str) -> None:
    case.seed()

    out = case.run(faults=Faults(bad_page=bad, bad_page_at=2))

    run = out.run
    assert run.phase == "Failed", run.describe()
    (pod,) = attempts(run, "extract-http")  # not retried by Argo
    assert pod["outputs"]["exitCode"] == "65"
    (error,) = errors(run, pod)  # one line naming the cause
    assert cause in error["message"], error["message"]
    assert error["error_kind"] == "bad_data"
    assert run.node("extract-http")["message"] == "retryStrategy.expression evaluated to false"
    assert len(out.seen) == len(set(out.seen)) == 2  # pages 1 and 2, each asked once
    nothing_loaded(case, run)


def test_connection_dropped_mid_body_is_transient_and_retried_not_loaded_half(
        case: Case) -> None:
    """Added case: the server promises a body and hangs up halfway through it."""
    case.seed()
    case.settings["CADENCIA_HTTP_MAX_RETRIES"] = "1"

    out = case.run(faults=Faults(bad_page="drop", bad_page_at=2))

    run = out.run
    pods = attempts(run, "extract-http")
    assert [p["outputs"]["exitCode"] for p in pods] == ["75", "75", "75"], run.describe()
    for pod in pods:
        (error,) = errors(run, pod)
        assert "transfer failed" in error["message"] and error["error_kind"] == "transient"
    assert run.node("extract-http")["message"] == "No more retries left"
    nothing_loaded(case, run)


def test_api_refusing_credentials_is_76_and_not_retried(case: Case) -> None:
    """Added case: HTTP 401 is the upstream refusing us; retrying cannot help."""
    case.seed()

    out = case.run(faults=Faults(fail_first=10**6, fail_status=401))

    run = out.run
    (pod,) = attempts(run, "extract-http")
    assert pod["outputs"]["exitCode"] == "76", run.describe()
    (error,) = errors(run, pod)
    assert "authentication refused: HTTP 401" in error["message"]
    assert out.requests == 1
    nothing_loaded(case, run)
