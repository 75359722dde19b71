"""FrameSink, the frame steps' output: one Parquet file, published only when every frame
was written, whatever the write behind the step's back does."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from steps._core.errors import DataError
from steps._core.frames import FrameSink


def batches(count: int, rows: int = 1000) -> list[pl.DataFrame]:
    return [pl.DataFrame({"id": range(i * rows, (i + 1) * rows),
                          "nome": [f"n{j % 7}" for j in range(rows)]}) for i in range(count)]


def test_frames_written_behind_arrive_whole_and_in_order(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    frames = batches(12)
    with FrameSink(out) as sink:
        for frame in frames:
            sink.write(frame)
    assert sink.rows == 12_000
    assert pl.read_parquet(out).equals(pl.concat(frames))


def test_a_write_that_fails_behind_the_step_leaves_no_file(tmp_path: Path) -> None:
    """The second frame cannot take the first one's schema: its write fails on the
    writer's thread; the step sees the DataError, and no partial file is published."""
    out = tmp_path / "out.parquet"
    first, second = batches(2)
    with pytest.raises(DataError, match="schema changed"), FrameSink(out) as sink:
        sink.write(first)
        sink.write(first)
        sink.write(second.with_columns(pl.lit("x").alias("id")))
    assert list(tmp_path.iterdir()) == []


def test_a_step_that_fails_or_discards_after_its_rows_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError), FrameSink(out) as sink:
        for frame in batches(3):
            sink.write(frame)
        raise RuntimeError("the step failed after writing")
    with FrameSink(out) as sink:
        for frame in batches(3):
            sink.write(frame)
        sink.discard()
    assert list(tmp_path.iterdir()) == []
