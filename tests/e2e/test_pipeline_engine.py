"""Issue 4's end-to-end proof: the COMPILED local pipeline, run by the engine, for real.

``k8s/workflows/local/orders/orders.yaml`` (WorkflowTemplate ``orders``) runs against a
real PostgreSQL (source ``pedidos`` and target ``vendas`` in one fresh database), a real S3
(moto's server; the artifact repository is Argo's s3 shape) and the sample orders API on
127.0.0.1:18080, every step a real ``python -m steps.<name>`` process.

Data: the API serves orders 1..2000 of the date (the manifest's ``records=2000``); the SQL
source holds orders 1001..2500, the same rows for the overlap, the last 3 with quantity 0.
After deduplication (clean) and quarantine (validate) the target holds ids 1..2497 once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.pipeline_support import (
    API_RECORDS,
    PipelineRun,
    ledger_rows,
    local_manifests,
    point_at,
    run_pipeline,
    sample_api,
    seed_source,
    table_exists,
    target_rows,
    write_secrets,
)
from tests.fixtures_s3 import MotoS3
from workflows.argo.nodes import pod_name
from workflows.devservices.sample_api import Faults
from workflows.runs.store import RunStore

pytestmark = pytest.mark.timeout(120)

DATE = "2026-03-14"
SQL_START, SQL_COUNT, BAD = 1000, 1500, 3
EXPECTED_IDS = list(range(1, SQL_START + SQL_COUNT - BAD + 1))  # 1..2497
EXTRACTS_AND_FRAMES = ("extract-http", "extract-sql", "clean", "transform", "validate")


@pytest.fixture(autouse=True)
def _no_host_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine passes every CADENCIA_* variable to the steps; the host's must not leak."""
    for name in [n for n in os.environ if n.startswith("CADENCIA_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


def bucket_keys(s3: MotoS3) -> set[str]:
    listing = s3.client().list_objects_v2(Bucket=s3.bucket)
    return {obj["Key"] for obj in listing.get("Contents", [])}


def run(tmp_path: Path, pg_url: str, s3: MotoS3, store: RunStore, *,
        faults: Faults | None = None, settings: dict[str, str] | None = None,
        ) -> tuple[PipelineRun, int]:
    """One run of the compiled pipeline; also how many requests the API answered."""
    secrets = write_secrets(tmp_path / "secrets.yaml", pg_url, s3, settings)
    with sample_api(faults) as api:
        result = run_pipeline(point_at(local_manifests(), api), date=DATE, store=store,
                              secrets=secrets, s3=s3)
        return result, api.requests


def test_compiled_pipeline_lands_the_days_rows_once_with_artifacts_in_s3(
        tmp_path: Path, pg_url: str, s3: MotoS3) -> None:
    seed_source(pg_url, DATE, start=SQL_START, count=SQL_COUNT, bad=BAD)

    result, _ = run(tmp_path, pg_url, s3, RunStore(tmp_path / "runs"))

    assert result.phase == "Succeeded", result.describe()
    for step in (*EXTRACTS_AND_FRAMES, "load"):
        assert result.node(step)["phase"] == "Succeeded", result.describe()
    assert result.node(f"{result.name}.onExit")["phase"] == "Succeeded"
    rows, distinct, ids = target_rows(pg_url, DATE)
    assert (rows, distinct) == (len(EXPECTED_IDS), len(EXPECTED_IDS))
    assert ids == EXPECTED_IDS
    assert ledger_rows(pg_url, DATE) == [(result.name, len(EXPECTED_IDS))]

    keys = bucket_keys(s3)
    assert keys and all(k.startswith(f"{result.name}/") for k in keys), sorted(keys)
    for step in EXTRACTS_AND_FRAMES:
        (pod,) = result.pods(step)
        prefix = f"{result.name}/{pod_name(result.name, step, pod['name'])}/"
        assert f"{prefix}data.parquet" in keys, (step, sorted(keys))
        for artifact in pod["outputs"]["artifacts"]:
            assert artifact["s3"]["key"] in keys
    (validate,) = result.pods("validate")
    report_key = next(a["s3"]["key"] for a in validate["outputs"]["artifacts"]
                      if a["name"] == "report")
    report = json.loads(s3.client().get_object(Bucket=s3.bucket, Key=report_key)["Body"].read())
    assert report["totals"]["rows"] == SQL_START + SQL_COUNT  # 2500 after dedupe
    assert report["totals"]["rejected"] == BAD


def test_second_run_for_the_same_date_hits_memoize_and_leaves_the_target_unchanged(
        tmp_path: Path, pg_url: str, s3: MotoS3) -> None:
    seed_source(pg_url, DATE, start=SQL_START, count=SQL_COUNT, bad=BAD)
    store = RunStore(tmp_path / "runs")
    first, first_requests = run(tmp_path, pg_url, s3, store)
    assert first.phase == "Succeeded", first.describe()
    before = target_rows(pg_url, DATE)

    second, second_requests = run(tmp_path, pg_url, s3, store)

    assert second.phase == "Succeeded", second.describe()
    for step in ("extract-http", "extract-sql"):
        node = second.node(step)
        assert node["phase"] == "Succeeded"
        assert node["memoizationStatus"]["hit"] is True, node
        assert node["memoizationStatus"]["cacheName"] == "cadencia-memo-cache"
        assert first.node(step)["memoizationStatus"]["hit"] is False
    assert first_requests >= API_RECORDS // 500
    assert second_requests == 0  # the API was not asked again
    (load,) = second.pods("load")
    assert load["phase"] == "Succeeded" and "memoizationStatus" not in load
    assert target_rows(pg_url, DATE) == before
    assert before[0] == len(EXPECTED_IDS)
    # the load replaced the partition (same rows) and the ledger remembers both loads
    assert ledger_rows(pg_url, DATE) == [(first.name, len(EXPECTED_IDS)),
                                         (second.name, len(EXPECTED_IDS))]


def test_api_failing_twice_then_recovering_succeeds_on_the_third_attempt_with_backoff(
        tmp_path: Path, pg_url: str, s3: MotoS3) -> None:
    seed_source(pg_url, DATE, start=SQL_START, count=SQL_COUNT, bad=BAD)
    # No in-step retries: each attempt's one request fails, the step exits 75 at once.
    settings = {"CADENCIA_HTTP_MAX_RETRIES": "0"}

    result, requests = run(tmp_path, pg_url, s3, RunStore(tmp_path / "runs"),
                           faults=Faults(fail_first=2), settings=settings)

    assert result.phase == "Succeeded", result.describe()
    retry = result.node("extract-http")
    assert retry["type"] == "Retry" and retry["phase"] == "Succeeded"
    children = [result.workflow["status"]["nodes"][c] for c in retry["children"]]
    assert [c["displayName"] for c in children] == [
        "extract-http(0)", "extract-http(1)", "extract-http(2)"]
    assert [c["phase"] for c in children] == ["Failed", "Failed", "Succeeded"]
    assert [c["outputs"]["exitCode"] for c in children] == ["75", "75", "0"]
    assert requests == 2 + API_RECORDS // 500
    for failed in children[:2]:
        errors = [r for r in result.json_log(failed) if r.get("level") == "error"]
        assert errors and "HTTP 500" in errors[0]["message"], result.log(failed)
        assert errors[0]["exit_code"] == 75

    messages = [e["message"] for e in result.events
                if e["kind"] == "node" and e["id"] == retry["id"] and e["message"]]
    # Argo writes the wait with argoproj/pkg humanize.Duration: "2 seconds", not "2s"
    assert messages == ["Backoff for 2 seconds", "Backoff for 4 seconds"]
    times = {e["displayName"]: e for e in result.events
             if e["kind"] == "node" and e.get("finishedAt") is not None}
    starts = {e["displayName"]: e["startedAt"] for e in result.events if e["kind"] == "node"}
    for before, after, wait in (("extract-http(0)", "extract-http(1)", 2.0),
                                ("extract-http(1)", "extract-http(2)", 4.0)):
        waited = starts[after] - times[before]["finishedAt"]
        assert wait * 0.8 <= waited <= wait * 1.2, (before, after, waited)
    assert target_rows(pg_url, DATE)[0] == len(EXPECTED_IDS)


def test_bad_data_fails_at_validate_omits_load_and_notify_reports_the_failure(
        tmp_path: Path, pg_url: str, s3: MotoS3) -> None:
    # 200 of 2200 rows (9 %) break `range quantidade >= 1`: above the 5 % reject threshold.
    seed_source(pg_url, DATE, start=API_RECORDS, count=200, bad=200)

    result, _ = run(tmp_path, pg_url, s3, RunStore(tmp_path / "runs"))

    assert result.phase == "Failed", result.describe()
    validate = result.node("validate")
    assert validate["phase"] == "Failed", result.describe()
    (attempt,) = result.pods("validate")  # a data error is not retried
    assert attempt["outputs"]["exitCode"] == "65"
    assert result.node("load")["phase"] == "Omitted", result.describe()
    assert not table_exists(pg_url, "vendas")

    notify = result.node(f"{result.name}.onExit")
    assert notify["phase"] == "Succeeded", result.describe()
    (notify_pod,) = result.pods("notify")
    notices = [r["notification"] for r in result.json_log(notify_pod) if "notification" in r]
    assert len(notices) == 1, result.log(notify_pod)
    notice = notices[0]
    assert notice["status"] == "Failed"
    # {{workflow.failures}} arrived as JSON the step parsed (else "(unparsed failures)")
    failed = {f["name"]: f for f in notice["failures"]}
    assert "validate" in {f["template"] for f in failed.values()}, notice["failures"]
    assert all(f["phase"] in ("Failed", "Error") for f in failed.values())
    assert not any(f["template"] == "load" for f in failed.values()), notice["failures"]
    (summary,) = [r["summary"] for r in result.json_log(notify_pod) if "summary" in r]
    assert summary["status"] == "Failed"
    assert summary["channels"] == {"log": "delivered"}
