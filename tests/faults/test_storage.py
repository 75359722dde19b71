"""Issue 6, case 11: the artifact store (S3) fails between steps.

The extracts hand their Parquet to clean through moto's S3. Here S3 goes down once both
extracts have uploaded (and comes back on the same endpoint during the backoff), or an
object is corrupted behind the engine's back. The engine fetches inputs before a step
starts and checks each object's size and sha256 against what it stored: an unreachable
store is a transient Error, retried; a corrupted object is refused before any step
process could read it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.pipeline_support import PipelineRun, ledger_rows, target_rows
from tests.faults.support import ALL_IDS, DATE, Case, attempts

pytestmark = pytest.mark.timeout(120)
EXTRACTS = ("extract-http", "extract-sql")


def both_extracts_done(events: list[dict[str, Any]]) -> bool:
    done = {e["displayName"] for e in events
            if e["kind"] == "node" and e["type"] == "Retry" and e["phase"] == "Succeeded"}
    return set(EXTRACTS) <= done


def stored(case: Case, step: str) -> tuple[str, bytes]:
    """The key and bytes of the S3 object ``step`` uploaded."""
    client, bucket = case.s3.client(), case.s3.bucket
    key = next(k["Key"] for k in client.list_objects_v2(Bucket=bucket)["Contents"]
               if step in k["Key"])
    return key, client.get_object(Bucket=bucket, Key=key)["Body"].read()


def loaded_once(case: Case, run: PipelineRun) -> None:
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(run.name, len(ALL_IDS))]


def test_s3_down_between_steps_is_a_transient_error_and_the_retry_succeeds(
        case: Case) -> None:
    case.seed()
    seen: list[dict[str, Any]] = []

    def break_and_heal(event: dict[str, Any]) -> None:
        seen.append(event)
        if case.s3.running and both_extracts_done(seen) and not any(
                e.get("displayName") == "clean(0)" for e in seen):
            case.s3.down()
        if event.get("displayName") == "clean(0)" and event["phase"] == "Error":
            case.s3.up()  # same endpoint, same objects, within the 2 s backoff

    run = case.run(hooks=(break_and_heal,)).run

    assert run.phase == "Succeeded", run.describe()
    first, second = attempts(run, "clean")
    assert first["phase"] == "Error"
    assert "unreachable" in first["message"] and "cannot download artifact" in first["message"]
    assert "exitCode" not in first.get("outputs", {})  # the step never started
    assert second["phase"] == "Succeeded"
    for step in EXTRACTS:
        assert len(run.pods(step)) == 1  # what was uploaded was not redone
    loaded_once(case, run)


@pytest.mark.parametrize("damage", ["flipped", "truncated"])
def test_corrupted_artifact_is_refused_before_any_step_reads_it(
        case: Case, damage: str) -> None:
    case.seed()
    client, bucket = case.s3.client(), case.s3.bucket
    seen: list[dict[str, Any]] = []
    original: dict[str, bytes] = {}

    def corrupt_then_repair(event: dict[str, Any]) -> None:
        seen.append(event)
        if not original and both_extracts_done(seen):
            key, body = stored(case, "extract-sql")
            original[key] = body
            bad = body[:-100] + bytes(b ^ 0xFF for b in body[-100:]) if damage == "flipped" \
                else body[: len(body) // 2]
            client.put_object(Bucket=bucket, Key=key, Body=bad)
        if event.get("displayName") == "clean(0)" and event["phase"] == "Error":
            for key, body in original.items():  # the store heals before the retry
                client.put_object(Bucket=bucket, Key=key, Body=body)

    run = case.run(hooks=(corrupt_then_repair,)).run

    assert run.phase == "Succeeded", run.describe()
    first, second = attempts(run, "clean")
    assert first["phase"] == "Error", run.describe()
    what = "sha256" if damage == "flipped" else "size"
    assert what in first["message"], first["message"]
    assert "exitCode" not in first.get("outputs", {})  # clean never ran on the bad bytes
    assert second["phase"] == "Succeeded"
    loaded_once(case, run)


def test_corrupted_artifact_that_stays_corrupted_fails_the_run_and_loads_nothing(
        case: Case) -> None:
    case.seed()
    client, bucket = case.s3.client(), case.s3.bucket
    seen: list[dict[str, Any]] = []
    done: list[str] = []

    def corrupt(event: dict[str, Any]) -> None:
        seen.append(event)
        if not done and both_extracts_done(seen):
            key, body = stored(case, "extract-http")
            client.put_object(Bucket=bucket, Key=key, Body=body[::-1])  # same size
            done.append(key)

    run = case.run(hooks=(corrupt,)).run

    assert run.phase == "Error", run.describe()  # Argo: an errored node errors the run
    pods = attempts(run, "clean")
    assert [p["phase"] for p in pods] == ["Error", "Error", "Error"]
    assert all("sha256" in p["message"] and "exitCode" not in p.get("outputs", {})
               for p in pods)
    assert run.node("clean")["message"] == "No more retries left"
    assert run.node("load")["phase"] == "Omitted"
    assert case.sql("SELECT to_regclass('vendas')") == [(None,)]
