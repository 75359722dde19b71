"""date-range: the dates of a backfill, for Argo's withParam."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from steps._core.errors import ConfigError
from steps.date_range import dates
from tests.support import run_step


def test_dates_include_both_ends_and_cross_month_and_leap_day() -> None:
    assert dates(dt.date(2028, 2, 28), dt.date(2028, 3, 1), max_days=10) == [
        "2028-02-28", "2028-02-29", "2028-03-01"]
    assert dates(dt.date(2026, 11, 25), dt.date(2026, 11, 25), max_days=1) == ["2026-11-25"]


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ConfigError, match="before the start"):
        dates(dt.date(2026, 11, 25), dt.date(2026, 11, 24), max_days=10)


def test_a_range_longer_than_max_days_is_refused() -> None:
    with pytest.raises(ConfigError, match="is 367 days; the limit is 366"):
        dates(dt.date(2025, 1, 1), dt.date(2026, 1, 2), max_days=366)


def test_the_step_prints_a_json_list_and_writes_it_for_argo(tmp_path: Path) -> None:
    out = tmp_path / "dates.json"
    result = run_step("date_range", "--start", "2026-11-30", "--end", "2026-12-02",
                      "--out", str(out))
    assert result.code == 0, result
    expected = ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert json.loads(result.stdout) == expected
    assert json.loads(out.read_text()) == expected
    assert result.logs[-1]["summary"]["rows"] == 3


@pytest.mark.parametrize("args", [
    ("--start", "2026-11-31", "--end", "2026-12-01"),
    ("--start", "2026-12-02", "--end", "2026-12-01"),
    ("--start", "2026-01-01", "--end", "2026-12-31", "--max-days", "30"),
    ("--start", "2026-01-01"),
])
def test_bad_ranges_exit_78_and_print_nothing(args: tuple[str, ...]) -> None:
    result = run_step("date_range", *args)
    assert result.code == 78
    assert result.stdout == ""
