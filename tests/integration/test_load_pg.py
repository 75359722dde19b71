"""load as a real process against a real PostgreSQL: idempotence, atomicity, locking, errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.db import parse_url
from steps._core.errors import DataError
from steps._load.spec import LOCK_PREFIX
from steps.load import body, build_parser
from tests.support import ROOT, StepResult, run_step
from workflows.devservices.postgres import free_port

D1, D2 = "2026-11-25", "2026-11-26"


def orders(n: int, *, start: int = 1, tag: str = "new") -> pa.Table:
    ids = range(start, start + n)
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "nome": pa.array([f"{tag}_{i}" for i in ids]),
        "valor": pa.array([i * 0.5 for i in ids], pa.float64()),
        "quantidade": pa.array([i % 50 for i in ids], pa.int32()),
        "created_at": pa.array([dt.datetime(2026, 1, 1) + dt.timedelta(seconds=i) for i in ids],
                               pa.timestamp("us")),
        "categoria": pa.array([("a", "b", "c")[i % 3] for i in ids]),
    })


def parquet(tmp_path: Path, table: pa.Table, name: str = "in.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path, row_group_size=10_000)
    return path


def load(url: str, path: Path | str, *args: str, date: str = D1, run_id: str = "r1",
         table: str = "orders") -> StepResult:
    return run_step("load", "--input", str(path), "--table", table, "--logical-date", date,
                    "--run-id", run_id, *args, env={"CADENCIA_TARGET_DB_URL": url})


Here = Callable[..., dict[str, Any]]


@pytest.fixture
def here(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Here:
    """The same load in this process, without interpreter start-up: for tests of semantics."""
    monkeypatch.setenv("CADENCIA_TARGET_DB_URL", pg_url)

    def run(path: Path, *args: str, date: str = D1, run_id: str = "r1",
            table: str = "orders") -> dict[str, Any]:
        return body(build_parser().parse_args([
            "--input", str(path), "--table", table, "--logical-date", date, "--run-id", run_id,
            *args]))
    return run


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(**parse_url(pg_url).psycopg_kwargs(), autocommit=True) as c:
        yield c


def rows(conn: psycopg.Connection[Any], sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


def summary(result: StepResult) -> dict[str, Any]:
    assert result.code == 0, result
    return next(r["summary"] for r in result.logs if r["message"] == "load finished")


def one_error(result: StepResult, code: int, *words: str) -> str:
    assert result.code == code, result
    assert len(result.errors) == 1, result.errors
    message = result.errors[0]["message"]
    for word in words:
        assert word in message, message
    return message


def test_loading_twice_leaves_one_copy_dates_coexist_and_the_ledger_shows_each_run(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], here: Here) -> None:
    path = parquet(tmp_path, orders(1000))
    first = summary(load(pg_url, path, run_id="r1"))
    assert first["created"] is True and first["deleted_rows"] == 0
    assert first["note"] == f"new partition {D1}"
    out = tmp_path / "rows.txt"
    second = summary(load(pg_url, path, "--rows-out", str(out), "--batch-rows", "300",
                          run_id="r2"))
    here(parquet(tmp_path, orders(10, tag="d2"), "d2.parquet"), date=D2, run_id="r3")

    assert second["deleted_rows"] == 1000 and second["rows"] == 1000 and out.read_text() == "1000"
    assert second["note"] == f"replaced 1,000 rows of {D1}"
    assert second["checksum"] == first["checksum"] and first["checksum"].startswith("sha256:")
    assert rows(conn, "SELECT logical_date::text, count(*), count(DISTINCT id) FROM orders "
                      "GROUP BY 1 ORDER BY 1") == [(D1, 1000, 1000), (D2, 10, 10)]
    assert rows(conn, "SELECT nome, valor, quantidade, created_at, categoria FROM orders "
                      "WHERE id = 7 AND logical_date = %s", D1) == [
        ("new_7", 3.5, 7, dt.datetime(2026, 1, 1, 0, 0, 7), "b")]
    assert rows(conn, "SELECT pipeline, target, logical_date::text, run_id, rows, deleted_rows "
                      "FROM cadencia_load_ledger ORDER BY loaded_at") == [
        ("cadencia-etl", "public.orders", D1, "r1", 1000, 0),
        ("cadencia-etl", "public.orders", D1, "r2", 1000, 1000),
        ("cadencia-etl", "public.orders", D2, "r3", 10, 0)]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_load_killed_in_the_middle_of_copy_leaves_the_previous_partition_intact(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], here: Here,
        sig: signal.Signals) -> None:
    here(parquet(tmp_path, orders(300, tag="old"), "old.parquet"))
    big = parquet(tmp_path, orders(50_000), "big.parquet")
    # An uncommitted row with a key the COPY will reach parks the COPY on a lock midway,
    # so the kill lands inside the COPY every time instead of racing it.
    conn.execute("CREATE UNIQUE INDEX ON orders (id)")
    blocker = psycopg.connect(**parse_url(pg_url).psycopg_kwargs())
    blocker.execute("INSERT INTO orders (id, logical_date) VALUES (40000, %s)", (D2,))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(CADENCIA_TARGET_DB_URL=pg_url, CADENCIA_LOG_FORMAT="json")
    proc = subprocess.Popen(
        [sys.executable, "-m", "steps.load", "--input", str(big), "--table", "orders",
         "--logical-date", D1, "--run-id", "r2"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        copied = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and copied == 0:
            found = rows(conn, "SELECT p.tuples_processed FROM pg_stat_activity a "
                               "JOIN pg_stat_progress_copy p USING (pid) "
                               "WHERE a.application_name = 'cadencia-load' "
                               "AND a.query LIKE 'COPY%%' AND a.wait_event_type = 'Lock'")
            copied = found[0][0] if found else 0
            time.sleep(0.02)
        assert copied > 0, "the load's COPY never showed up in pg_stat_activity"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=10)
        if sig == signal.SIGTERM:  # a deadline: the step exits 143 with one error line
            assert proc.returncode == 143, err
            assert StepResult(subprocess.CompletedProcess([], 143, "", err)).errors[0][
                "message"] == "terminated by SIGTERM (deadline or cancel)"
        else:
            assert proc.returncode == -signal.SIGKILL
        assert rows(conn, "SELECT count(*), min(nome), max(id) FROM orders "
                          "WHERE logical_date = %s", D1) == [(300, "old_1", 300)]
    finally:
        proc.kill()
        blocker.rollback()
        blocker.close()
    deadline = time.monotonic() + 30  # the orphaned backend aborts once it reads the EOF
    while rows(conn, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'cadencia-load'"):
        assert time.monotonic() < deadline, "the killed load's backend never went away"
        time.sleep(0.05)
    assert rows(conn, "SELECT count(*), min(nome) FROM orders WHERE logical_date = %s",
                D1) == [(300, "old_1")]

    assert here(big, run_id="r3")["deleted_rows"] == 300
    assert rows(conn, "SELECT count(*), count(DISTINCT id), min(nome) FROM orders "
                      "WHERE logical_date = %s", D1) == [(50_000, 50_000, "new_1")]
    assert rows(conn, "SELECT run_id, rows FROM cadencia_load_ledger ORDER BY loaded_at") == [
        ("r1", 300), ("r3", 50_000)]


def test_upsert_updates_existing_keys_inserts_new_ones_and_the_last_duplicate_wins(
        tmp_path: Path, conn: psycopg.Connection[Any], here: Here) -> None:
    here(parquet(tmp_path, orders(3, tag="v1"), "v1.parquet"), "--mode", "upsert", "--key", "id")
    batch = pa.concat_tables([orders(2, start=2, tag="v2"), orders(2, start=4, tag="v3"),
                              orders(1, start=4, tag="last")])
    result = here(parquet(tmp_path, batch, "v2.parquet"), "--mode", "upsert", "--key", "id",
                  date=D2, run_id="r2")
    assert (result["rows"], result["inserted"], result["updated"]) == (5, 2, 2)
    assert result["note"] == "2 inserted, 2 updated"
    assert rows(conn, "SELECT id, nome, logical_date::text FROM orders ORDER BY id") == [
        (1, "v1_1", D1), (2, "v2_2", D2), (3, "v2_3", D2), (4, "last_4", D2), (5, "v3_5", D2)]


def test_upsert_into_a_table_without_a_unique_key_is_a_configuration_error(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], here: Here) -> None:
    path = parquet(tmp_path, orders(3))
    here(path)
    one_error(load(pg_url, path, "--mode", "upsert", "--key", "id", run_id="r2"), 78,
              "no unique constraint on (id)")
    assert rows(conn, "SELECT count(*) FROM orders") == [(3,)]


def test_append_appends(tmp_path: Path, conn: psycopg.Connection[Any], here: Here) -> None:
    path = parquet(tmp_path, orders(5))
    here(path, "--mode", "append")
    here(path, "--mode", "append", run_id="r2")
    assert rows(conn, "SELECT count(*), count(DISTINCT id) FROM orders") == [(10, 5)]
    assert rows(conn, "SELECT count(*) FROM cadencia_load_ledger") == [(2,)]


def test_concurrent_loads_of_one_partition_serialize_and_leave_one_copy(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], here: Here) -> None:
    path = parquet(tmp_path, orders(20_000))
    here(path, run_id="r0")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(CADENCIA_TARGET_DB_URL=pg_url, CADENCIA_LOG_FORMAT="json")
    holder = psycopg.connect(**parse_url(pg_url).psycopg_kwargs())
    # Holding the target's lock makes both loads queue up behind it, so they really overlap.
    holder.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                   (LOCK_PREFIX + "public.orders",))
    procs = [subprocess.Popen(
        [sys.executable, "-m", "steps.load", "--input", str(path), "--table", "orders",
         "--logical-date", D1, "--run-id", f"c{i}"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in (1, 2)]
    try:
        deadline = time.monotonic() + 30
        while rows(conn, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND NOT granted") != [(2,)]:
            assert time.monotonic() < deadline, "the loads never waited on the target lock"
            time.sleep(0.02)
    finally:
        holder.rollback()
        holder.close()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert rows(conn, "SELECT count(*), count(DISTINCT id) FROM orders") == [(20_000, 20_000)]
    assert [r[0] for r in rows(conn, "SELECT run_id FROM cadencia_load_ledger ORDER BY 1")] == [
        "c1", "c2", "r0"]


@pytest.mark.parametrize("table", ["x; drop table y", "orders--", 'a"b', "a.b.c"])
def test_a_bad_table_name_is_a_configuration_error_and_touches_nothing(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], table: str) -> None:
    result = load(pg_url, parquet(tmp_path, orders(3)), table=table)
    one_error(result, 78, "invalid", "table")
    assert rows(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_bad_column_name_is_a_configuration_error_and_touches_nothing(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any]) -> None:
    bad = orders(3).rename_columns(["id", "nome; drop table orders", "valor", "quantidade",
                                    "created_at", "categoria"])
    one_error(load(pg_url, parquet(tmp_path, bad)), 78, "invalid column name",
              "nome; drop table orders")
    assert rows(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_schema_drift_against_an_existing_table_is_bad_data_naming_the_column(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any], here: Here) -> None:
    conn.execute("CREATE TABLE orders (id bigint, nome text, valor text, quantidade bigint, "
                 "created_at timestamp, categoria text, logical_date date)")
    conn.execute("INSERT INTO orders (id, logical_date) VALUES (1, %s)", (D1,))
    one_error(load(pg_url, parquet(tmp_path, orders(3))), 65, "schema drift", "'valor'")
    assert rows(conn, "SELECT count(*) FROM orders") == [(1,)]  # untouched

    here(parquet(tmp_path, orders(3), "ok.parquet"), table="orders2")
    extra = orders(3).append_column("desconto", pa.array([1.0, 2.0, 3.0]))
    one_error(load(pg_url, parquet(tmp_path, extra, "extra.parquet"), table="orders2",
                   run_id="r2"), 65, "'desconto'", "does not exist")
    assert rows(conn, "SELECT count(*) FROM orders2") == [(3,)]


def test_widening_into_an_existing_table_is_accepted(
        tmp_path: Path, conn: psycopg.Connection[Any], here: Here) -> None:
    conn.execute("CREATE TABLE orders (id bigint, nome varchar(40), valor double precision, "
                 "quantidade bigint, created_at timestamp, categoria text, "
                 "logical_date date, extra text)")
    here(parquet(tmp_path, orders(4)))
    assert rows(conn, "SELECT sum(quantidade), count(extra) FROM orders") == [(10, 0)]


def test_an_unreachable_database_is_transient(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    one_error(load(url, parquet(tmp_path, orders(3))), 75, "cannot connect")


def test_a_missing_input_is_a_configuration_error(tmp_path: Path, pg_url: str) -> None:
    one_error(load(pg_url, tmp_path / "absent.parquet"), 78, "input file not found")


def test_the_summary_file_and_json_logs_never_show_the_password(tmp_path: Path) -> None:
    url = f"postgresql://etl:hunter2-secret@127.0.0.1:{free_port()}/nowhere"
    out = tmp_path / "summary.json"
    result = load(url, parquet(tmp_path, orders(1)), "--summary-out", str(out))
    assert result.code == 75 and "hunter2-secret" not in result.stderr
    assert not out.exists() or "hunter2-secret" not in json.dumps(json.loads(out.read_text()))


def test_every_supported_type_round_trips(tmp_path: Path, pg_url: str,
                                          conn: psycopg.Connection[Any]) -> None:
    import decimal

    when = dt.datetime(2026, 11, 26, 5, 30, 1, 250_000)
    table = pa.table({
        "small": pa.array([1, None], pa.int8()),
        "flag": pa.array([True, False]),
        "ratio": pa.array([0.25, None], pa.float32()),
        "price": pa.array([decimal.Decimal("12.34"), decimal.Decimal("-0.01")],
                          pa.decimal128(10, 2)),
        "day": pa.array([dt.date(2026, 1, 31), None], pa.date32()),
        "naive_ns": pa.array([when, when], pa.timestamp("ns")),
        "aware": pa.array([when, when], pa.timestamp("us", "America/Sao_Paulo")),
        "cat": pa.array(["x", "y"]).dictionary_encode(),
        "raw": pa.array([b"\x00\xff", b""]),
        "note": pa.array(["ação ✓", None], pa.large_string()),
    })
    summary(load(pg_url, parquet(tmp_path, table)))
    assert rows(conn, "SELECT small, flag, ratio, price, day, naive_ns, aware, cat, raw, note "
                      "FROM orders ORDER BY flag DESC") == [
        (1, True, 0.25, decimal.Decimal("12.34"), dt.date(2026, 1, 31), when,
         when.replace(tzinfo=dt.timezone.utc), "x", b"\x00\xff", "ação ✓"),
        (None, False, None, decimal.Decimal("-0.01"), None, when,
         when.replace(tzinfo=dt.timezone.utc), "y", b"", None)]
    assert dict(rows(conn, "SELECT attname::text, format_type(atttypid, atttypmod) "
                           "FROM pg_attribute WHERE attrelid = 'orders'::regclass "
                           "AND attnum > 0"))["aware"] == "timestamp with time zone"


def test_an_empty_input_empties_the_partition(tmp_path: Path, conn: psycopg.Connection[Any],
                                              here: Here) -> None:
    here(parquet(tmp_path, orders(5)))
    result = here(parquet(tmp_path, orders(0), "empty.parquet"), run_id="r2")
    assert (result["rows"], result["deleted_rows"]) == (0, 5)
    assert rows(conn, "SELECT count(*) FROM orders") == [(0,)]


def test_rows_the_table_refuses_are_bad_data_and_nothing_is_loaded(
        tmp_path: Path, pg_url: str, conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TABLE orders (id bigint, nome varchar(3), valor float8, quantidade int,"
                 " created_at timestamp, categoria text, logical_date date)")
    conn.execute("INSERT INTO orders (id, logical_date) VALUES (1, %s)", (D1,))
    one_error(load(pg_url, parquet(tmp_path, orders(3))), 65, "too long")
    assert rows(conn, "SELECT count(*), max(id) FROM orders") == [(1, 1)]
    assert rows(conn, "SELECT to_regclass('cadencia_load_ledger')") == [(None,)]


def test_a_folder_of_shards_loads_in_one_transaction_with_one_ledger_row(
        tmp_path: Path, conn: psycopg.Connection[Any], here: Here) -> None:
    """A sharded pipeline's validate writes one file per shard (0.parquet .. 10.parquet):
    the load takes the folder as one input, in shard order, with one ledger row; a rerun
    replaces the partition and keeps the checksum."""
    shards = tmp_path / "shards"
    shards.mkdir()
    for i in range(11):
        parquet(shards, orders(30, start=1 + 30 * i), f"{i}.parquet")
    (shards / "notes.txt").write_text("not a shard")
    first = here(shards, run_id="r1")
    again = here(shards, run_id="r2")
    assert first["rows"] == again["rows"] == 330 and again["deleted_rows"] == 330
    assert again["checksum"] == first["checksum"]
    assert rows(conn, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM orders") == [
        (330, 330, 1, 330)]
    assert rows(conn, "SELECT run_id, rows FROM cadencia_load_ledger ORDER BY loaded_at") == [
        ("r1", 330), ("r2", 330)]
    parquet(shards, orders(5).drop(["nome"]), "11.parquet")
    with pytest.raises(DataError, match=r"11\.parquet has another schema"):
        here(shards, run_id="r3")
    assert rows(conn, "SELECT count(*) FROM orders") == [(330,)]
