"""A sharded validate (each shard of the key judged with ``shard=True``, then the reports
gathered) gives the unsharded validate's verdict: the same totals, the same rules failed
and warned with the same counts and messages, the same good rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from steps._core.frames import shard_of
from steps._validate.gather import gather
from steps._validate.rules import parse_rules
from steps._validate.stream import validate_file
from tests.unit.steps.test_validate_stream import REFERENCE, RULES, orders

SHARDS = 3


def shard_reports(tmp_path: Path, frame: pl.DataFrame, rules: Any, key: list[str]
                  ) -> tuple[list[dict[str, Any]], list[pl.DataFrame]]:
    reports, good = [], []
    for shard in range(SHARDS):
        path = tmp_path / f"shard{shard}.parquet"
        frame.filter(shard_of(key, SHARDS) == shard).write_parquet(path, row_group_size=4)
        kept: list[pl.DataFrame] = []
        report, failures = validate_file(path, rules, reject_threshold=0.0,
                                         reference=REFERENCE, on_good=kept.append,
                                         on_quarantine=lambda _: None, shard=True)
        assert not [f for f in failures if "rows rejected" in f], "no threshold in a shard"
        reports.append(json.loads(json.dumps(report, default=str)))  # as the file holds it
        good += kept
    return reports, good


@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_gathered_shards_give_the_unsharded_verdict(tmp_path: Path, threshold: float) -> None:
    rules, _ = parse_rules({"rules": [r for r in RULES if r.get("name") != "pair"]})
    frame = orders(40)
    whole_good: list[pl.DataFrame] = []
    whole, whole_failures = validate_file(
        _written(tmp_path / "all.parquet", frame), rules, reject_threshold=threshold,
        reference=REFERENCE, on_good=whole_good.append, on_quarantine=lambda _: None)
    reports, good = shard_reports(tmp_path, frame, rules, ["id"])
    assert all(r["totals"]["rows"] for r in reports), "every shard should have rows"
    report, failures = gather(reports, rules, reject_threshold=threshold, reference=REFERENCE)
    assert report["totals"] == whole["totals"]
    assert report["status"] == whole["status"]
    assert report["failed_rules"] == whole["failed_rules"]
    assert report["warned_rules"] == whole["warned_rules"]
    assert failures == whole_failures
    for got, want in zip(report["rules"], whole["rules"], strict=True):
        assert (got["name"], got["status"], got["rows_failed"], got["message"]) == (
            want["name"], want["status"], want["rows_failed"], want["message"])
        assert set(map(str, got["sample_values"])) <= set(map(str, _values(frame, want)))
    key = ["id", "nome", "valor"]
    assert pl.concat(good).sort(key, nulls_last=True).equals(
        pl.concat(whole_good).sort(key, nulls_last=True))


def test_a_dataset_rule_fails_on_the_day_not_on_a_small_shard(tmp_path: Path) -> None:
    """min_rows 30 over a 40-row day passes though no shard has 30 rows; 50 fails."""
    for minimum, passes in ((30, True), (50, False)):
        rules, _ = parse_rules({"rules": [{"kind": "min_rows", "value": minimum}]})
        reports, _ = shard_reports(tmp_path, orders(40), rules, ["id"])
        assert all(r["totals"]["rows"] < 30 for r in reports)
        assert all(r["status"] == "passed" for r in reports)
        report, failures = gather(reports, rules, reject_threshold=0.0, reference=REFERENCE)
        assert (report["status"] == "passed") is passes, report
        assert bool(failures) is not passes
        if not passes:
            assert "40 rows, fewer than the minimum 50" in failures[0]


def test_reports_of_other_rules_are_refused(tmp_path: Path) -> None:
    from steps._core.errors import DataError

    rules, _ = parse_rules({"rules": [{"kind": "min_rows", "value": 1}]})
    other, _ = parse_rules({"rules": [{"kind": "max_rows", "value": 1}]})
    reports, _ = shard_reports(tmp_path, orders(10), other, ["id"])
    with pytest.raises(DataError, match="not written by a shard's validate with these rules"):
        gather(reports, rules, reject_threshold=0.0, reference=REFERENCE)


def _written(path: Path, frame: pl.DataFrame) -> Path:
    frame.write_parquet(path, row_group_size=4)
    return path


def _values(frame: pl.DataFrame, entry: dict[str, Any]) -> list[Any]:
    if not entry["columns"] or any(c not in frame.columns for c in entry["columns"]):
        return entry["sample_values"]
    if len(entry["columns"]) == 1:
        return frame[entry["columns"][0]].to_list()
    return frame.select(entry["columns"]).to_dicts()
