"""transform over a file in batches gives what transform on the whole frame gives: the same
rows, counts and errors (a strict cast failure counted over every batch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from steps._core.errors import DataError
from steps.transform import parse_spec, transform, transform_file


def orders() -> pl.DataFrame:
    return pl.DataFrame({
        "id": list(range(1, 15)),
        "valor": ["1.5", "2", "x", "4", "5", " 6 ", "y", "8", "9", "x", "11", "12", "z",
                  "14"],
        "quantidade": [1, 2, None, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    })


def both_ways(tmp_path: Path, raw: dict[str, Any]) -> tuple[Any, Any]:
    spec = parse_spec(raw)
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    orders().write_parquet(source, row_group_size=3)
    whole: Any
    streamed: Any
    try:
        whole = transform(orders(), spec)
    except DataError as exc:
        whole = str(exc)
    try:
        counts = transform_file(source, spec, out, batch_rows=4, whole_rows=-1)
        streamed = (pl.read_parquet(out), counts)
    except DataError as exc:
        streamed = str(exc)
        assert not out.exists()
    return whole, streamed


def test_batches_give_the_whole_frame_rows_and_counts(tmp_path: Path) -> None:
    whole, streamed = both_ways(tmp_path, {
        "rename": {"quantidade": "qtd"}, "cast": {"valor": "float64"}, "strict": False,
        "compute": {"total": "valor * qtd"}, "filter": ["total > 10", "id != 12"],
        "drop": ["id"]})
    assert_frame_equal(streamed[0], whole[0])
    assert streamed[1] == whole[1]
    assert whole[1]["cast_nulls"] == {"valor": 4}


def test_a_strict_cast_failure_is_counted_over_every_batch(tmp_path: Path) -> None:
    whole, streamed = both_ways(tmp_path, {"cast": {"valor": "float64"},
                                           "compute": {"q": "quantidade * 2"}})
    assert streamed == whole
    assert "failed for 4 of 14 rows" in whole and "'x', 'y', 'z'" in whole


@pytest.mark.parametrize("batch_rows", [1, 100])
def test_zero_rows_keep_the_columns(tmp_path: Path, batch_rows: int) -> None:
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    orders().head(0).write_parquet(source)
    counts = transform_file(source, parse_spec({"compute": {"q": "quantidade * 2"}}), out,
                            batch_rows=batch_rows, whole_rows=-1)
    assert pl.read_parquet(out).columns == ["id", "valor", "quantidade", "q"]
    assert counts["rows"] == 0 and counts["columns"] == ["id", "valor", "quantidade", "q"]


def test_dates_in_mixed_formats_read_as_the_whole_column_would(tmp_path: Path) -> None:
    # polars takes the format of a column's first value: a later batch must not take its own
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    frame = pl.DataFrame({"dia": [None, "2024-01-02", "2024-01-03", "03/01/2024", "x",
                                  "2024-01-04"]})
    frame.write_parquet(source, row_group_size=3)
    spec = parse_spec({"cast": {"dia": "date"}, "strict": False})
    whole = transform(frame, spec)
    counts = transform_file(source, spec, out, batch_rows=3, whole_rows=-1)
    assert_frame_equal(pl.read_parquet(out), whole[0])
    assert counts["cast_nulls"] == whole[1]["cast_nulls"] == {"dia": 2}
