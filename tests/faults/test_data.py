"""Issue 6, cases 5-7: bad data reaches the compiled pipeline.

Schema drift, bad rows and empty sources, through the engine against real services. A
data problem is never retried (exit 65) and never reaches the target; rows that are
merely bad are quarantined with the rule they broke while the good rows load once.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.e2e.pipeline_support import ledger_rows, table_exists, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    attempts,
    errors,
    notices,
    replace_arg,
)
from workflows.runs.store import RunStore

pytestmark = pytest.mark.timeout(120)
PEDIDOS = ("CREATE TABLE pedidos (id bigint, nome text, valor double precision, "
           "quantidade {quantidade}, created_at timestamp{categoria})")


def artifact(case: Case, pod: dict[str, Any], name: str) -> bytes:
    (art,) = [a for a in pod["outputs"]["artifacts"] if a["name"] == name]
    body: bytes = case.s3.client().get_object(Bucket=case.s3.bucket,
                                              Key=art["s3"]["key"])["Body"].read()
    return body


def test_source_changing_a_column_type_fails_clean_65_naming_it_and_target_untouched(
        case: Case) -> None:
    case.sql(PEDIDOS.format(quantidade="text", categoria=", categoria text"))
    case.sql("INSERT INTO pedidos SELECT g, 'x', 1.5, 'dois', '2026-03-14 10:00', 'casa' "
             "FROM generate_series(2001, 2100) g")

    run = case.run().run

    assert run.phase == "Failed", run.describe()
    (pod,) = attempts(run, "clean")
    assert pod["outputs"]["exitCode"] == "65"
    (error,) = errors(run, pod)
    assert error["column"] == "quantidade" and error["types"] == ["Int64", "String"]
    assert "column 'quantidade' has incompatible types" in error["message"]
    assert run.node("load")["phase"] == "Omitted"
    assert not table_exists(case.pg_url, "vendas")


def test_source_dropping_a_required_column_fails_65_naming_it_and_target_untouched(
        case: Case) -> None:
    case.sql(PEDIDOS.format(quantidade="bigint", categoria=""))
    case.sql("INSERT INTO pedidos SELECT g, 'x', 1.5, 2, '2026-03-14 10:00' "
             "FROM generate_series(2001, 2100) g")

    run = case.run().run

    failed = [p for p in run.nodes if p["type"] == "Pod" and p["phase"] == "Failed"]
    assert [p["outputs"]["exitCode"] for p in failed] == ["65"], run.describe()
    (error,) = errors(run, failed[0])
    assert "categoria" in error["message"]
    assert not table_exists(case.pg_url, "vendas")


def seed_bad_rows(case: Case) -> None:
    """The day's orders plus: 3 with quantity 0 (out of range), 2 with no id, a newer
    version of order 1500 (created later: it supersedes the old one) and a second order
    1600 with other values at the same time (a duplicate id that nothing resolves)."""
    case.seed(bad=3)
    case.sql("INSERT INTO pedidos VALUES (NULL, 'sem-id', 10, 1, '2026-03-14 10:00', 'casa'),"
             " (NULL, 'sem-id-2', 10, 1, '2026-03-14 11:00', 'casa'),"
             " (1500, 'versao-nova', 999.5, 7, '2026-03-14 23:59:59', 'casa')")
    case.sql("INSERT INTO pedidos SELECT id, 'conflito', valor + 1, quantidade, created_at, "
             "categoria FROM pedidos WHERE id = 1600")


def test_bad_rows_are_quarantined_with_the_rule_each_broke_and_the_good_rows_load_once(
        case: Case) -> None:
    seed_bad_rows(case)

    run = case.run().run

    assert run.phase == "Succeeded", run.describe()
    (clean,) = attempts(run, "clean")
    (summary,) = [r["summary"] for r in run.json_log(clean) if "summary" in r]
    assert summary["duplicates_dropped"] == 1000  # the orders both sources returned
    assert summary["superseded_dropped"] == 1  # order 1500's older version
    assert (summary["null_key_rows"], summary["conflicting_rows"]) == (2, 2)
    (validate,) = attempts(run, "validate")
    quarantine = pq.read_table(io.BytesIO(artifact(case, validate, "quarantine"))).to_pylist()
    by_rule = sorted((r["_rejected_by"], r["id"], r["_reason"]) for r in quarantine)
    assert by_rule == [
        ("not_null:id", None, "id is null"), ("not_null:id", None, "id is null"),
        ("range:quantidade", 2498, "quantidade=0 is below the minimum 1"),
        ("range:quantidade", 2499, "quantidade=0 is below the minimum 1"),
        ("range:quantidade", 2500, "quantidade=0 is below the minimum 1"),
        ("unique:id", 1600, "id=1600 is duplicated"),
        ("unique:id", 1600, "id=1600 is duplicated")]
    assert {r["cliente"] for r in quarantine if r["id"] is None} == {"sem-id", "sem-id-2"}
    good = [i for i in ALL_IDS[:-3] if i != 1600]
    assert target_rows(case.pg_url, DATE) == (len(good), len(good), good)
    assert ledger_rows(case.pg_url, DATE) == [(run.name, len(good))]
    # the duplicate that a later created_at resolves: the newest version won
    assert case.sql("SELECT cliente, valor FROM vendas WHERE id = 1500") == [
        ("versao-nova", 999.5)]
    # the on-call reads all of it in the notification, without opening a log
    (notice,) = notices(run)
    assert notice["notes"]["clean"] == ("1,000 duplicates, 1 superseded dropped; "
                                        "2 null keys, 2 conflicting rows passed on")
    assert notice["notes"]["validate"] == (
        "7 quarantined (not_null:id 2, unique:id 2, range:quantidade 3)")


def test_bad_rows_above_the_reject_threshold_fail_and_the_partition_keeps_its_rows(
        case: Case) -> None:
    case.seed()
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    # 200 more orders, all out of range: 200 / 2700 = 7 % > the 5 % threshold
    case.seed(start=2500, count=200, bad=200)

    run = case.run(store=RunStore(case.tmp / "runs-2")).run  # fresh cache: re-extract

    assert run.phase == "Failed", run.describe()
    (validate,) = attempts(run, "validate")
    assert validate["outputs"]["exitCode"] == "65"
    (error,) = errors(run, validate)
    assert error["totals"]["rejected"] == 200 and error["totals"]["rows"] == 2700
    assert run.node("load")["phase"] == "Omitted"
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(first.name, len(ALL_IDS))]


def test_zero_rows_from_both_sources_fails_on_min_rows_and_says_so(case: Case) -> None:
    case.seed(count=0)
    replace_arg(case.docs, "extract-http", "records=2000", "records=0")

    run = case.run().run

    assert run.phase == "Failed", run.describe()
    for step in ("extract-http", "extract-sql", "clean", "transform"):
        assert run.node(step)["phase"] == "Succeeded"  # empty is not an error upstream
    (validate,) = attempts(run, "validate")
    assert validate["outputs"]["exitCode"] == "65"
    (error,) = errors(run, validate)
    assert error["message"] == ("validation failed: min_rows: the input has zero rows; "
                                "at least 1 required")
    assert error["failed_rules"] == ["min_rows"]
    assert not table_exists(case.pg_url, "vendas")
    (notice,) = notices(run)
    assert notice["status"] == "Failed"
    assert {f["template"] for f in notice["failures"]} >= {"validate"}
