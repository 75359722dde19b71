"""Issue 6, case 15: memoize entries are reused only while fresh, and only from successes.
Issue 10, case 1: an entry is reused only for the source it was read from.

The pure steps (extracts, clean, transform) are memoized in ``cadencia-memo-cache``
with ``maxAge: 10m``; the run store's cache file holds the entries. The engine's clock
is moved forward (``now=``) instead of waiting ten minutes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from tests.e2e.pipeline_support import API_RECORDS, PipelineRun, ledger_rows, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    memo_keys,
    template,
)
from workflows.devservices.postgres import TempPostgres
from workflows.devservices.sample_api import Faults

pytestmark = pytest.mark.timeout(120)
MEMOIZED = ("extract-http", "extract-sql", "clean", "transform")
PAGES = 4


def hits(run: PipelineRun) -> dict[str, bool]:
    return {s: bool(run.node(s)["memoizationStatus"]["hit"]) for s in MEMOIZED}


def test_an_entry_older_than_max_age_is_not_reused(case: Case) -> None:
    case.seed()
    assert template(case.docs, "extract-http")["memoize"]["maxAge"] == "10m"
    start = datetime(2026, 3, 15, 2, 0, tzinfo=timezone.utc)

    first = case.run(now=lambda: start)
    fresh = case.run(now=lambda: start + timedelta(minutes=9))
    expired = case.run(now=lambda: start + timedelta(minutes=10, seconds=1))

    runs = [o.run for o in (first, fresh, expired)]
    assert [r.phase for r in runs] == ["Succeeded"] * 3, [r.describe() for r in runs]
    assert hits(runs[0]) == dict.fromkeys(MEMOIZED, False)
    assert hits(runs[1]) == dict.fromkeys(MEMOIZED, True)
    assert hits(runs[2]) == dict.fromkeys(MEMOIZED, False)
    assert [o.requests for o in (first, fresh, expired)] == [PAGES, 0, PAGES]
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert [n for n, _ in ledger_rows(case.pg_url, DATE)] == [r.name for r in runs]


def test_a_failed_node_never_saves_an_entry(case: Case) -> None:
    case.seed()

    broken = case.run(faults=Faults(bad_page="html", bad_page_at=2)).run

    assert broken.phase == "Failed", broken.describe()
    failed_key = broken.node("extract-http")["memoizationStatus"]["key"]
    good_key = broken.node("extract-sql")["memoizationStatus"]["key"]
    assert memo_keys(case.store) == {good_key}  # only the extract that succeeded

    healed = case.run()

    run = healed.run
    assert run.phase == "Succeeded", run.describe()
    assert hits(run)["extract-http"] is False and healed.requests == PAGES
    assert hits(run)["extract-sql"] is True
    assert failed_key in memo_keys(case.store)
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(run.name, len(ALL_IDS))]


@pytest.fixture
def source_b(postgres: TempPostgres) -> Iterator[str]:
    """A second database on the session server, its URL carrying a password (the server
    trusts loopback, so any password logs in): the source another secrets file names."""
    name = "b_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres:pw-of-b-7f3a@127.0.0.1:{postgres.port}/{name}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_run_against_another_source_misses_and_loads_that_sources_rows(
        case: Case, source_b: str) -> None:
    warehouse = case.pg_url
    case.seed()  # source A: orders 1001..2500
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    assert target_rows(warehouse, DATE)[2] == ALL_IDS

    # the same date, other secrets: source B holds other orders; the warehouse stays
    case.pg_url, case.target_url = source_b, warehouse
    case.seed(start=7000, count=300)  # orders 7001..7300
    second = case.run()

    run = second.run
    assert run.phase == "Succeeded", run.describe()
    # the API is the same source: its extract may hit; everything fed by B must not
    assert hits(run) == {"extract-http": True, "extract-sql": False, "clean": False,
                         "transform": False}
    assert second.requests == 0
    b_ids = list(range(1, API_RECORDS + 1)) + list(range(7001, 7301))
    rows, distinct, ids = target_rows(warehouse, DATE)
    assert (rows, distinct, ids) == (len(b_ids), len(b_ids), b_ids)
    assert [n for n, _ in ledger_rows(warehouse, DATE)] == [first.name, run.name]
    prints = [{p["name"]: p["value"] for p in r.node("source-fingerprint")["outputs"][
        "parameters"]} for r in (first, run)]
    assert prints[0]["extract-http"] == prints[1]["extract-http"]  # same URL and auth kind
    assert prints[0]["extract-sql"] != prints[1]["extract-sql"]  # another database
    # a hash of the password would let anyone with the Argo UI test guesses: none is made,
    # and the password itself is nowhere in the run's record
    assert "pw-of-b-7f3a" not in json.dumps(run.workflow)
