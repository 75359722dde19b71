"""Parquet I/O: outputs appear whole or not at all; bad inputs are classified."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.errors import ConfigError, DataError
from steps._core.files import atomic_path, write_json
from steps._core.parquet_io import ParquetSink, iter_batches, read_table, write_table

TABLE = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", None]})


def test_sink_streams_batches_into_one_zstd_file(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.parquet"
    with ParquetSink(out) as sink:
        for batch in TABLE.to_batches(max_chunksize=2):
            sink.write(batch)
            assert not out.exists()  # nothing visible before success
    assert sink.rows == 3
    assert read_table(out).equals(TABLE)
    meta = pq.ParquetFile(out).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.parquet"]


def test_sink_publishes_nothing_and_leaves_no_temp_on_exception(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError), ParquetSink(out) as sink:
        sink.write(TABLE)
        raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rerun_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    write_table(out, TABLE)
    with pytest.raises(RuntimeError), ParquetSink(out) as sink:
        sink.write(TABLE.slice(0, 1))
        raise RuntimeError("crash")
    assert read_table(out).equals(TABLE)
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_empty_sink_writes_a_readable_empty_file_with_its_schema(tmp_path: Path) -> None:
    out = tmp_path / "empty.parquet"
    with ParquetSink(out, TABLE.schema):
        pass
    t = read_table(out)
    assert t.num_rows == 0 and t.schema.equals(TABLE.schema)
    with ParquetSink(tmp_path / "bare.parquet"):
        pass
    assert read_table(tmp_path / "bare.parquet").num_rows == 0


def test_compatible_batches_are_cast_and_incompatible_ones_are_data_errors(
        tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    with ParquetSink(out) as sink:
        sink.write(TABLE)
        sink.write(pa.table({"id": pa.array([4], pa.int32()), "name": ["d"]}))
    assert read_table(out).column("id").to_pylist() == [1, 2, 3, 4]
    with pytest.raises(DataError, match="schema changed"), ParquetSink(out) as sink:
        sink.write(TABLE)
        sink.write(pa.table({"id": ["not a number"], "name": ["e"]}))
    assert read_table(out).num_rows == 4  # the earlier output is untouched


def test_missing_input_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_table(tmp_path / "nope.parquet")
    with pytest.raises(ConfigError):
        list(iter_batches(tmp_path / "nope.parquet"))


@pytest.mark.parametrize("content", [b"", b"not parquet at all", b"PAR1garbagePAR1"])
def test_corrupt_input_is_a_data_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(content)
    with pytest.raises(DataError):
        read_table(bad)
    with pytest.raises(DataError):
        list(iter_batches(bad))


def test_truncated_file_is_a_data_error(tmp_path: Path) -> None:
    good = tmp_path / "good.parquet"
    write_table(good, pa.table({"x": list(range(10_000))}))
    bad = tmp_path / "cut.parquet"
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 2] + data[-8:])  # footer magic kept, body cut
    with pytest.raises(DataError):
        read_table(bad)


def test_iter_batches_streams_in_bounded_batches(tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    write_table(out, pa.table({"x": list(range(2500))}))
    sizes = [b.num_rows for b in iter_batches(out, batch_size=1000)]
    assert sizes == [1000, 1000, 500]
    assert [b.num_columns for b in iter_batches(out, columns=["x"])] == [1]


def test_atomic_path_and_write_json(tmp_path: Path) -> None:
    target = tmp_path / "a" / "report.json"
    write_json(target, {"rows": 3, "ok": True})
    assert target.read_text() == '{\n  "rows": 3,\n  "ok": true\n}\n'
    with pytest.raises(ValueError), atomic_path(target) as tmp:
        tmp.write_text("partial")
        raise ValueError
    assert target.read_text().startswith("{")
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_only_repetitive_columns_are_dictionary_encoded_and_the_data_round_trips(
        tmp_path: Path) -> None:
    # A dictionary over a near-unique column costs most of the write time and makes the
    # file larger; a low-cardinality one shrinks it.
    n = 20_000
    table = pa.table({"id": pa.array(range(n), pa.int64()),
                      "name": [f"customer-{i}" for i in range(n)],
                      "category": [("books", "home", None)[i % 3] for i in range(n)],
                      "tags": [[("a", "b")[i % 2]] for i in range(n)]})
    out = tmp_path / "out.parquet"
    write_table(out, table)
    assert read_table(out).equals(table)
    group = pq.ParquetFile(out).metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings
                 for i in range(group.num_columns)}
    assert "RLE_DICTIONARY" in encodings["category"]
    assert "RLE_DICTIONARY" in encodings["tags.list.element"]  # nested: pyarrow's default
    assert "RLE_DICTIONARY" not in encodings["id"]
    assert "RLE_DICTIONARY" not in encodings["name"]
    with ParquetSink(out, use_dictionary=["name"]) as sink:  # a caller's choice wins
        sink.write(table)
    group = pq.ParquetFile(out).metadata.row_group(0)
    assert "RLE_DICTIONARY" in group.column(1).encodings
    assert "RLE_DICTIONARY" not in group.column(2).encodings
