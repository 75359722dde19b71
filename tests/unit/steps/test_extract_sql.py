"""extract_sql's pure parts, and its query path on an embedded SQLite file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.errors import ConfigError, DataError
from steps.extract_sql import (
    SourceSettings,
    bind_params,
    conform,
    connect_args,
    query_batches,
    rows_to_batch,
    settle_schema,
    write_batches,
)


def test_rows_to_batch_is_column_wise() -> None:
    b = rows_to_batch(["id", "name"], [(1, "a"), (2, None)])
    assert b.schema == pa.schema([("id", pa.int64()), ("name", pa.string())])
    assert b.to_pylist() == [{"id": 1, "name": "a"}, {"id": 2, "name": None}]


def test_rows_to_batch_without_rows_keeps_the_column_names() -> None:
    b = rows_to_batch(["id", "name"], [])
    assert b.num_rows == 0 and b.schema.names == ["id", "name"]


def test_mixed_types_in_a_column_are_a_data_error() -> None:
    with pytest.raises(DataError, match="'v'"):
        rows_to_batch(["v"], [(1,), ("x",)])


def test_schema_settles_null_columns_from_later_chunks() -> None:
    first = rows_to_batch(["id", "note"], [(1, None)])
    later = rows_to_batch(["id", "note"], [(2, "hello")])
    schema = settle_schema([first, later])
    assert schema.field("note").type == pa.string()
    assert conform(first, schema).schema == schema


def test_conform_refuses_a_type_change_between_chunks() -> None:
    schema = pa.schema([("id", pa.int64())])
    with pytest.raises(DataError, match="changed type"):
        conform(rows_to_batch(["id"], [("abc",)]), schema)


def batches(*chunks: list[tuple[object, ...]]) -> Iterator[pa.RecordBatch]:
    for rows in chunks:
        yield rows_to_batch(["id", "note"], rows)


def test_write_batches_streams_every_chunk(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    n = write_batches(batches([(1, None)], [(2, None)], [(3, "c")], [(4, "d")]), out)
    assert n == 4
    t = pq.read_table(out)
    assert t.column("id").to_pylist() == [1, 2, 3, 4]
    assert t.schema.field("note").type == pa.string()
    assert pq.ParquetFile(out).num_row_groups == 4


def test_decimals_that_grow_across_chunks_still_fit(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    chunks = ([(Decimal("1.25"),)], [(Decimal("1000000.50"),)], [(Decimal("3.5"),)])
    assert write_batches((rows_to_batch(["amount"], rows) for rows in chunks), out) == 3
    assert pq.read_table(out).column("amount").to_pylist() == [
        Decimal("1.25"), Decimal("1000000.50"), Decimal("3.50")]


def test_write_batches_of_nothing_writes_an_empty_file(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    assert write_batches(iter([]), out) == 0
    assert pq.read_table(out).num_rows == 0


def test_a_failure_mid_stream_leaves_no_output(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError):
        write_batches(batches([(1, "a")], [(2, "b")], [("three", "c")]), out)
    assert list(tmp_path.iterdir()) == []


def test_bind_params_binds_the_date_as_a_date_and_params_as_strings() -> None:
    params = bind_params("SELECT * FROM t WHERE d = :logical_date AND r = :region",
                         "2026-11-26", ["region=south", "note=a=b"])
    assert params == {"logical_date": dt.date(2026, 11, 26), "region": "south", "note": "a=b"}


@pytest.mark.parametrize(("query", "date", "extra", "match"), [
    ("SELECT :logical_date", None, [], "no --logical-date"),
    ("SELECT 1", None, ["region"], "name=value"),
    ("SELECT 1", None, ["bad name=x"], "invalid parameter name"),
])
def test_bind_params_errors(query: str, date: str | None, extra: list[str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        bind_params(query, date, extra)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "src.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE sales (id INTEGER, day TEXT, amount REAL)")
        conn.executemany("INSERT INTO sales VALUES (?, ?, ?)",
                         [(i, "2026-11-26" if i % 2 else "2026-11-25", i * 1.5)
                          for i in range(1, 11)])
    return f"sqlite:///{path}"


def test_query_batches_on_sqlite_in_chunks(sqlite_url: str) -> None:
    out = list(query_batches(sqlite_url, "SELECT id, amount FROM sales WHERE day = :day "
                             "ORDER BY id", {"day": "2026-11-26"}, chunk_rows=2))
    assert [b.num_rows for b in out] == [2, 2, 1]
    assert pa.Table.from_batches(out).column("id").to_pylist() == [1, 3, 5, 7, 9]


def test_query_batches_classifies_sqlite_errors(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="no such table"):
        list(query_batches(sqlite_url, "SELECT * FROM nope", {}, 10))


def test_a_statement_that_returns_no_rows_is_a_config_error(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="returns no rows"):
        list(query_batches(sqlite_url, "DELETE FROM sales", {}, 10))
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT count(*) FROM sales").fetchone() == (10,)


def test_an_empty_result_keeps_its_columns(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    rows = write_batches(query_batches(sqlite_url, "SELECT id, day FROM sales WHERE id < 0",
                                       {}, 10), out)
    assert rows == 0
    assert pq.read_table(out).schema.names == ["id", "day"]


def test_an_invalid_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        list(query_batches("nosuchdialect://x/y", "SELECT 1", {}, 10))


@pytest.mark.parametrize(("url", "timeout", "expected"), [
    ("postgresql+psycopg://etl:pw@db:5432/sales", 10.0, {"connect_timeout": 10}),
    ("postgresql://etl@db/sales", 2.5, {"connect_timeout": 3}),  # libpq: whole seconds
    ("postgresql+psycopg2://etl@db/sales?sslmode=require", 7, {"connect_timeout": 7}),
    ("postgresql+psycopg://etl@db/sales?connect_timeout=3", 10.0, {}),  # the URL wins
    ("postgresql+pg8000://etl@db/sales", 10.0, {}),  # not a libpq driver
    ("sqlite:///tmp/x.db", 10.0, {}),
    ("mysql+pymysql://etl@db/sales", 10.0, {}),
])
def test_postgres_connections_get_a_connect_timeout(url: str, timeout: float,
                                                    expected: dict[str, int]) -> None:
    assert connect_args(url, timeout) == expected


@pytest.mark.parametrize("timeout", [0.0, -1.0, float("nan")])
def test_a_connect_timeout_that_is_not_positive_is_a_config_error(timeout: float) -> None:
    with pytest.raises(ConfigError, match="CADENCIA_SOURCE_CONNECT_TIMEOUT"):
        connect_args("postgresql://etl@db/sales", timeout)


def test_the_connect_timeout_setting_defaults_to_ten_seconds() -> None:
    url = {"CADENCIA_SOURCE_DB_URL": "postgresql://etl@db/sales"}
    assert SourceSettings.from_env(url).connect_timeout == 10.0
    assert SourceSettings.from_env(
        {**url, "CADENCIA_SOURCE_CONNECT_TIMEOUT": "2.5"}).connect_timeout == 2.5


def test_required_columns_are_kept_in_their_order_and_a_missing_one_is_schema_drift() -> None:
    from steps._core.errors import DataError
    from steps.extract_sql import check_columns

    assert check_columns(["id", "nome", "extra"], ["nome", "id"]) == ["nome", "id"]
    assert check_columns(["id", "nome"], []) == ["id", "nome"]
    with pytest.raises(DataError, match="'categoria'") as caught:
        check_columns(["id", "nome"], ["id", "categoria"])
    assert caught.value.exit_code == 65
