"""`cadencia run`: the README's main job, end to end, as a user runs it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CADENCIA = [sys.executable, "-m", "workflows.cli"]
ROOT = Path(__file__).resolve().parents[2]


def cadencia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["PYTHONPATH"] = str(ROOT)
    env["COLUMNS"] = "200"
    return subprocess.run([*CADENCIA, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=180)


def test_run_loads_the_day_once_even_when_run_twice(tmp_path: Path) -> None:
    first = cadencia("run", "--date", "2026-11-25", "--records", "400", cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    for node in ("extract-http", "extract-sql", "clean", "transform", "validate", "load",
                 "notify"):
        assert node in first.stdout
    assert "Succeeded in" in first.stdout

    second = cadencia("run", "--date", "2026-11-25", "--records", "400", cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr

    with sqlite3.connect(tmp_path / ".cadencia" / "warehouse.db") as conn:
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT id) FROM vendas WHERE logical_date = '2026-11-25'"
        ).fetchone()
        runs = conn.execute("SELECT count(*) FROM cadencia_load_ledger").fetchone()[0]
    # 400 API ids + 400 SQL ids overlapping by 200 = 600 distinct; 3 quarantined (quantidade 0)
    assert (total, distinct) == (597, 597)
    assert runs == 2


def test_run_that_fails_validation_exits_1_and_reports_it(tmp_path: Path) -> None:
    result = cadencia("run", "--date", "2026-11-25", "--records", "0", cwd=tmp_path)
    assert result.returncode == 1
    assert "Failed" in result.stdout
    assert "exit 65" in result.stdout  # validate's min_rows rule, in the summary table
    assert "Omitted" in result.stdout  # load never ran
    notify_log = next((tmp_path / ".cadencia" / "runs").glob("*/logs/notify.log")).read_text()
    assert '"status": "Failed"' in notify_log
    assert not (tmp_path / ".cadencia" / "warehouse.db").exists()
