"""Issue 6, case 15: memoize entries are reused only while fresh, and only from successes.

The pure steps (extracts, clean, transform) are memoized in ``cadencia-memo-cache``
with ``maxAge: 10m``; the run store's cache file holds the entries. The engine's clock
is moved forward (``now=``) instead of waiting ten minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.pipeline_support import PipelineRun, ledger_rows, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    memo_keys,
    template,
)
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
