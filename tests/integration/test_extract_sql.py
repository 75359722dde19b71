"""extract_sql as a real process against a real PostgreSQL (the ``pg_url`` fixture)."""

from __future__ import annotations

import datetime as dt
import socket
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq
import pytest

from tests.support import StepResult, run_step

DAYS = (dt.date(2026, 11, 25), dt.date(2026, 11, 26))
REGIONS = ("north", "south", "east")


def conninfo(pg_url: str) -> str:
    return pg_url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def source(pg_url: str) -> str:
    """A ``sales`` table of 2,500 rows over two days and three regions."""
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute("""CREATE TABLE sales (id bigint PRIMARY KEY, day date NOT NULL,
                        region text, amount numeric(10, 2), note text,
                        created_at timestamptz)""")
        with conn.cursor().copy("COPY sales FROM STDIN") as copy:
            for i in range(1, 2501):
                copy.write_row((i, DAYS[i % 2], REGIONS[i % 3], Decimal(i) / 4,
                                None if i % 5 else f"note {i}",
                                dt.datetime(2026, 11, 26, 3, tzinfo=dt.timezone.utc)
                                + dt.timedelta(seconds=i)))
    return pg_url


def extract(url: str | None, out: Path, *args: str) -> StepResult:
    env = {} if url is None else {"CADENCIA_SOURCE_DB_URL": url}
    return run_step("extract_sql", "--out", str(out), "--logical-date", "2026-11-26", *args,
                    env=env, timeout=60)


def source_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(sql).fetchall()


def assert_failed(result: StepResult, code: int, out: Path) -> dict[str, object]:
    assert result.code == code, result
    assert len(result.errors) == 1, result
    assert not out.exists() and list(out.parent.iterdir()) == []
    return result.errors[0]


def test_logical_date_is_bound_and_filters_rows(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query",
                     "SELECT id, day FROM sales WHERE day = :logical_date ORDER BY id",
                     "--rows-out", str(tmp_path / "rows.txt"))
    assert result.code == 0, result
    table = pq.read_table(out)
    assert set(table.column("day").to_pylist()) == {dt.date(2026, 11, 26)}
    assert table.column("id").to_pylist() == list(range(1, 2501, 2))
    assert (tmp_path / "rows.txt").read_text() == "1250"


def test_a_result_larger_than_a_chunk_streams_and_equals_the_source(source: str,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sql = "SELECT id, day, region, amount, note, created_at FROM sales ORDER BY id"
    result = extract(source, out, "--query", sql, "--chunk-rows", "1000")
    assert result.code == 0, result
    assert pq.ParquetFile(out).num_row_groups == 3  # 1000 + 1000 + 500, one per chunk
    table = pq.read_table(out)
    assert [tuple(r.values()) for r in table.to_pylist()] == source_rows(source, sql)
    assert str(table.schema.field("amount").type) == "decimal128(38, 2)"
    (summary,) = [r["summary"] for r in result.logs if "summary" in r]
    assert summary["rows"] == 2500


def test_query_file_and_params_are_bound(source: str, tmp_path: Path) -> None:
    query = tmp_path / "q.sql"
    query.write_text("SELECT id FROM sales WHERE day = :logical_date AND region = :region")
    out = tmp_path / "out" / "x.parquet"
    result = extract(source, out, "--query-file", str(query), "--param", "region=south")
    assert result.code == 0, result
    expected = source_rows(source, "SELECT id FROM sales WHERE day = '2026-11-26' "
                                   "AND region = 'south'")
    assert sorted(pq.read_table(out).column("id").to_pylist()) == sorted(r[0] for r in expected)


@pytest.mark.parametrize("value", ["south' OR '1'='1", "x'; DROP TABLE sales; --"])
def test_an_injection_attempt_in_a_param_is_just_a_value(source: str, tmp_path: Path,
                                                         value: str) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", "SELECT id FROM sales WHERE region = :region",
                     "--param", f"region={value}")
    assert result.code == 0, result
    assert pq.read_table(out).num_rows == 0
    assert source_rows(source, "SELECT count(*) FROM sales") == [(2500,)]


def test_an_empty_result_keeps_its_columns(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", "SELECT id, region FROM sales WHERE id < 0")
    assert result.code == 0, result
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.schema.names == ["id", "region"]


@pytest.mark.parametrize(("sql", "needle"), [
    ("SELEC id FROM sales", "syntax error"),
    ("SELECT id FROM no_such_table", 'relation "no_such_table" does not exist'),
])
def test_bad_sql_or_unknown_table_is_78(source: str, tmp_path: Path, sql: str,
                                        needle: str) -> None:
    out = tmp_path / "out.parquet"
    error = assert_failed(extract(source, out, "--query", sql), 78, out)
    assert needle in str(error["message"])
    assert str(error["sqlstate"]).startswith("42")


def test_a_statement_that_is_not_a_select_is_78_and_changes_nothing(source: str,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    # PostgreSQL refuses it as a cursor (syntax error); SQLite reaches "must be a SELECT".
    assert_failed(extract(source, out, "--query", "DELETE FROM sales"), 78, out)
    assert source_rows(source, "SELECT count(*) FROM sales") == [(2500,)]


def test_unreachable_server_is_transient_75(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out.parquet"
    result = extract(f"postgresql+psycopg://etl:hunter2@127.0.0.1:{port}/db", out,
                     "--query", "SELECT 1")
    error = assert_failed(result, 75, out)
    assert error["error_kind"] == "transient"
    assert "hunter2" not in result.stderr


def test_a_server_that_never_answers_times_out_as_transient_75(tmp_path: Path) -> None:
    # A listener that never accepts: the TCP handshake completes, then nothing comes back,
    # like a host behind a firewall that drops packets. Without a connect timeout the
    # step waits until the Argo deadline; run_step's 30 s limit turns that into a failure.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql+psycopg://etl:hunter2@127.0.0.1:{silent.getsockname()[1]}/db"
        out = tmp_path / "out.parquet"
        started = time.monotonic()
        result = run_step("extract_sql", "--out", str(out), "--query", "SELECT 1",
                          env={"CADENCIA_SOURCE_DB_URL": url,
                               "CADENCIA_SOURCE_CONNECT_TIMEOUT": "2"}, timeout=30)
        elapsed = time.monotonic() - started
    error = assert_failed(result, 75, out)
    assert "timeout" in str(error["message"])
    assert elapsed < 20  # 2 s timeout plus start-up, with a wide margin for a slow machine
    assert "hunter2" not in result.stderr


def test_missing_source_url_is_78_naming_the_variable(tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    error = assert_failed(extract(None, out, "--query", "SELECT 1"), 78, out)
    assert "CADENCIA_SOURCE_DB_URL" in str(error["message"])


def test_the_password_never_reaches_the_log(source: str, tmp_path: Path) -> None:
    # trust auth accepts any password, so a wrong-password case (76) cannot be staged here.
    url = source.replace("postgres@", "postgres:hunter2-secret@", 1)
    ok = extract(url, tmp_path / "out.parquet", "--query", "SELECT id FROM sales LIMIT 1")
    assert ok.code == 0, ok
    assert "hunter2-secret" not in ok.stderr
    assert "postgresql://postgres:***@" in ok.stderr
