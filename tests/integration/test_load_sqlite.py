"""load as a real process into SQLite: the same semantics as PostgreSQL, embedded."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support import StepResult, run_step

D1, D2 = "2026-11-25", "2026-11-26"


def orders(n: int, *, start: int = 1, tag: str = "new") -> pa.Table:
    ids = range(start, start + n)
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "nome": pa.array([f"{tag}_{i}" for i in ids]),
        "valor": pa.array([i * 0.5 for i in ids], pa.float64()),
        "created_at": pa.array([dt.datetime(2026, 1, 1) + dt.timedelta(seconds=i) for i in ids],
                               pa.timestamp("us")),
        "ativo": pa.array([i % 2 == 0 for i in ids]),
    })


def parquet(tmp_path: Path, table: pa.Table, name: str = "in.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def load(db: Path, path: Path, *args: str, date: str = D1, run_id: str = "r1",
         table: str = "orders") -> StepResult:
    return run_step("load", "--input", str(path), "--table", table, "--logical-date", date,
                    "--run-id", run_id, *args, env={"CADENCIA_TARGET_DB_URL": f"sqlite:///{db}"})


def ok(result: StepResult) -> dict[str, Any]:
    assert result.code == 0, result
    return next(r["summary"] for r in result.logs if r["message"] == "load finished")


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_loading_twice_leaves_one_copy_and_the_ledger_shows_each_run(tmp_path: Path) -> None:
    db = tmp_path / "target.db"
    path = parquet(tmp_path, orders(500))
    assert ok(load(db, path))["created"] is True
    assert ok(load(db, path, run_id="r2"))["deleted_rows"] == 500
    ok(load(db, parquet(tmp_path, orders(3), "d2.parquet"), date=D2, run_id="r3"))
    assert rows(db, "SELECT logical_date, count(*), count(DISTINCT id) FROM orders "
                    "GROUP BY 1 ORDER BY 1") == [(D1, 500, 500), (D2, 3, 3)]
    assert rows(db, "SELECT nome, valor, created_at, ativo FROM orders WHERE id = 2 "
                    "AND logical_date = ?", D1) == [("new_2", 1.0, "2026-01-01 00:00:02.000000", 1)]
    assert rows(db, "SELECT target, logical_date, run_id, rows, deleted_rows "
                    "FROM cadencia_load_ledger ORDER BY loaded_at") == [
        ("orders", D1, "r1", 500, 0), ("orders", D1, "r2", 500, 500), ("orders", D2, "r3", 3, 0)]


def test_upsert_updates_inserts_and_the_last_duplicate_wins(tmp_path: Path) -> None:
    db = tmp_path / "target.db"
    ok(load(db, parquet(tmp_path, orders(3, tag="v1"), "v1.parquet"), "--mode", "upsert",
            "--key", "id"))
    batch = pa.concat_tables([orders(2, start=2, tag="v2"), orders(2, start=4, tag="v3"),
                              orders(1, start=4, tag="last")])
    ok(load(db, parquet(tmp_path, batch, "v2.parquet"), "--mode", "upsert", "--key", "id",
            date=D2, run_id="r2"))
    assert rows(db, "SELECT id, nome, logical_date FROM orders ORDER BY id") == [
        (1, "v1_1", D1), (2, "v2_2", D2), (3, "v2_3", D2), (4, "last_4", D2), (5, "v3_5", D2)]


def test_upsert_needs_a_unique_key_and_append_appends(tmp_path: Path) -> None:
    db = tmp_path / "target.db"
    path = parquet(tmp_path, orders(4))
    ok(load(db, path, "--mode", "append"))
    ok(load(db, path, "--mode", "append", run_id="r2"))
    assert rows(db, "SELECT count(*), count(DISTINCT id) FROM orders") == [(8, 4)]
    result = load(db, path, "--mode", "upsert", "--key", "id", run_id="r3")
    assert result.code == 78 and len(result.errors) == 1, result
    assert "no unique constraint on (id)" in result.errors[0]["message"]


@pytest.mark.parametrize("table", ["x; drop table y", "main.orders; --"])
def test_a_bad_identifier_is_a_configuration_error_and_touches_nothing(
        tmp_path: Path, table: str) -> None:
    db = tmp_path / "target.db"
    result = load(db, parquet(tmp_path, orders(2)), table=table)
    assert result.code == 78 and len(result.errors) == 1, result
    assert "invalid table name" in result.errors[0]["message"]
    assert not db.exists()


def test_schema_drift_is_bad_data_and_rolls_back(tmp_path: Path) -> None:
    db = tmp_path / "target.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER, nome TEXT, valor TEXT, created_at TEXT, "
                     "ativo INTEGER, logical_date TEXT)")
        conn.execute("INSERT INTO orders (id, logical_date) VALUES (1, ?)", (D1,))
    result = load(db, parquet(tmp_path, orders(2)))
    assert result.code == 65 and len(result.errors) == 1, result
    assert "'valor'" in result.errors[0]["message"]
    assert rows(db, "SELECT count(*) FROM orders") == [(1,)]


def test_the_step_imports_neither_pandas_sqlalchemy_nor_numpy(tmp_path: Path) -> None:
    """Each step is its own container: those imports would cost ~0.6 s of every run."""
    result = run_step("load", "--input", str(parquet(tmp_path, orders(2))), "--table", "t",
                      "--logical-date", D1, env={
                          "CADENCIA_TARGET_DB_URL": f"sqlite:///{tmp_path / 'target.db'}",
                          "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.code == 0, result
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "pyarrow.parquet" in imported
    # A refused import still shows one line for the attempt; a real one loads submodules.
    assert not [m for m in imported if m.startswith(("pandas.", "sqlalchemy.", "numpy."))]
