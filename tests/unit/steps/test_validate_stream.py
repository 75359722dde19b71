"""validate over a file in batches (unique by hash partitions) gives what validate on the
whole frame gives: the same report, quarantine and good rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from steps._validate.rules import parse_rules
from steps._validate.stream import validate_file
from steps.validate import validate

REFERENCE = dt.datetime(2024, 1, 3)
RULES: list[dict[str, Any]] = [
    {"kind": "not_null", "column": "id"},
    {"kind": "unique", "column": "id"},
    {"kind": "unique", "columns": ["id", "nome"], "keep": "first", "name": "pair"},
    {"kind": "range", "column": "valor", "min": 0, "max": 100},
    {"kind": "regex", "column": "nome", "pattern": "^[A-Z]", "severity": "warn"},
    {"kind": "allowed", "column": "categoria", "values": ["a", "b"]},
    {"kind": "min_rows", "value": 3}, {"kind": "max_rows", "value": 100},
    {"kind": "max_null_ratio", "column": "valor", "value": 0.1},
    {"kind": "freshness", "column": "created_at", "max_age": "1d"},
    {"kind": "types", "columns": {"id": "int64"}, "strict": True},
    {"kind": "not_null", "column": "missing", "name": "gone"},
]


def orders(rows: int) -> pl.DataFrame:
    ids = [i % 7 if i % 5 else None for i in range(rows)]
    return pl.DataFrame({
        "id": ids,
        "nome": [["Ana", "bob", None, "Eva"][i % 4] for i in range(rows)],
        "valor": [None if i % 6 == 0 else float(i * 9 % 130 - 10) for i in range(rows)],
        "categoria": [["a", "b", "c", None][i % 4] for i in range(rows)],
        "created_at": [dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(rows)],
    })


@pytest.mark.parametrize("rows", [0, 23])
def test_batches_give_the_whole_frame_report_and_rows(tmp_path: Path, rows: int) -> None:
    rules, _ = parse_rules({"rules": RULES})
    frame = orders(rows)
    source = tmp_path / "in.parquet"
    frame.write_parquet(source, row_group_size=4)
    whole = validate(frame, rules, reject_threshold=0.5, reference=REFERENCE)
    good: list[pl.DataFrame] = []
    quarantine: list[pl.DataFrame] = []
    report, failures = validate_file(source, rules, reject_threshold=0.5, reference=REFERENCE,
                                     on_good=good.append, on_quarantine=quarantine.append,
                                     batch_rows=5, partition_rows=6, whole_rows=-1)
    assert report == whole.report
    assert failures == whole.failures
    assert_frame_equal(pl.concat(good), whole.good)
    assert_frame_equal(pl.concat(quarantine), whole.quarantine)
    if rows:
        assert whole.report["totals"]["rejected"] > 0
        assert any(e["sample_rows"] for e in whole.report["rules"] if e["kind"] == "unique")
