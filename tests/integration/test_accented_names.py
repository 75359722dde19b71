"""Accented column and table names, through clean, transform, validate and load.

``Preço`` is an identifier as much as ``preco`` is: every statement double-quotes its
names, so PostgreSQL and SQLite keep them as written. The limit is PostgreSQL's: 63
bytes of UTF-8 (32 letters ``ç`` are 64 bytes), refused with 78 before any SQL runs.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.db import parse_url
from tests.support import StepResult, run_step

TABLE = "vendas_preço"
TOO_LONG = "ç" * 32  # 32 letters, 64 bytes in UTF-8


def target_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'target.db'}"
    return str(request.getfixturevalue("pg_url"))


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    parsed = parse_url(url)
    if parsed.dialect == "sqlite":
        with sqlite3.connect(str(parsed.database)) as conn:
            return conn.execute(sql).fetchall()
    with psycopg.connect(**parsed.psycopg_kwargs()) as conn:
        return conn.execute(sql).fetchall()


def columns_of(url: str, table: str) -> list[str]:
    if parse_url(url).dialect == "sqlite":
        return [r[1] for r in query(url, f"SELECT * FROM pragma_table_info('{table}')")]
    return [r[0] for r in query(url, "SELECT column_name FROM information_schema.columns "
                                     f"WHERE table_name = '{table}' ORDER BY ordinal_position")]


def ok(result: StepResult) -> StepResult:
    assert result.code == 0, result
    return result


def pipeline(tmp_path: Path, url: str, prices: list[float], run_id: str) -> StepResult:
    """clean -> transform -> validate -> load of one day's rows, each a real process."""
    work = tmp_path / run_id
    work.mkdir()
    pq.write_table(pa.table({"Código": [1, 2, 3], "Preço": prices,
                             "descrição": ["café", "pão", "açúcar"]}), work / "in.parquet")
    (work / "transform.json").write_text(json.dumps({
        "rename": {"descrição": "Descrição"},
        "compute": {"Preço_dobrado": "Preço * 2"}}), encoding="utf-8")
    (work / "rules.json").write_text(json.dumps({"rules": [
        {"kind": "not_null", "column": "Preço"},
        {"kind": "range", "column": "Preço", "min": 0},
        {"kind": "unique", "column": "Código"}]}), encoding="utf-8")
    ok(run_step("clean", "--input", str(work / "in.parquet"), "--key", "Código",
                "--out", str(work / "clean.parquet")))
    ok(run_step("transform", "--input", str(work / "clean.parquet"), "--spec",
                str(work / "transform.json"), "--out", str(work / "transform.parquet")))
    ok(run_step("validate", "--input", str(work / "transform.parquet"), "--rules",
                str(work / "rules.json"), "--out", str(work / "valid.parquet")))
    return run_step("load", "--input", str(work / "valid.parquet"), "--table", TABLE,
                    "--mode", "upsert", "--key", "Código", "--partition-column", "data_referência",
                    "--logical-date", "2026-11-25", "--run-id", run_id,
                    env={"CADENCIA_TARGET_DB_URL": url})


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_an_accented_column_passes_every_step_and_loads_under_its_own_name(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = target_url(kind, tmp_path, request)
    first = ok(pipeline(tmp_path, url, [10.5, 20.0, 30.25], "r1"))
    assert first.errors == []
    assert columns_of(url, TABLE) == ["Código", "Preço", "Descrição", "Preço_dobrado",
                                      "data_referência"]
    # a second run goes through the existing-table path (drift check, unique key, merge)
    ok(pipeline(tmp_path, url, [11.0, 20.0, 30.25], "r2"))
    got = query(url, f'SELECT "Código", "Preço", "Descrição", "Preço_dobrado" FROM "{TABLE}" '
                     'ORDER BY "Código"')
    assert [tuple(r) for r in got] == [(1, 11.0, "café", 22.0), (2, 20.0, "pão", 40.0),
                                      (3, 30.25, "açúcar", 60.5)]


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_64_byte_accented_column_is_refused_78_before_any_sql(
        kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = target_url(kind, tmp_path, request)
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1], TOO_LONG: [1.0], "ç" * 31 + "a": [2.0]}), path)
    result = run_step("load", "--input", str(path), "--table", TABLE, "--logical-date",
                      "2026-11-25", env={"CADENCIA_TARGET_DB_URL": url})
    assert result.code == 78 and len(result.errors) == 1, result
    message = result.errors[0]["message"]
    assert TOO_LONG in message and "64 bytes" in message and "at most 63 bytes" in message
    assert columns_of(url, TABLE) == []
