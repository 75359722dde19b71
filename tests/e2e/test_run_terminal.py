"""What `cadencia run` and `cadencia retry` print at an 80-column terminal: a failed node's
cause under the summary, a backfill's children named by their date, and where the rows
went, PostgreSQL included, without the password."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import yaml

from workflows.devservices.postgres import TempPostgres

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-11-25"


def cadencia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="80")
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


def seeded(tmp_path: Path) -> Path:
    """An embedded run of DATE: the SQLite source is seeded; returns it."""
    run = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    return tmp_path / ".cadencia" / "source.db"


def secrets(tmp_path: Path, source: Path, target: str) -> str:
    path = tmp_path / "secrets.yaml"
    path.write_text(yaml.safe_dump({"cadencia-source-db": {"url": f"sqlite:///{source}"},
                                    "cadencia-target-db": {"url": target}}))
    return str(path)


def test_a_failed_runs_summary_ends_with_the_steps_error_line(tmp_path: Path) -> None:
    source = seeded(tmp_path)
    broken = secrets(tmp_path, source, f"sqlite:///{tmp_path}/missing/dir/w.db")
    failed = cadencia("run", "--pipeline", "orders", "--date", DATE, "--secrets", broken,
                      cwd=tmp_path)
    assert failed.returncode == 1
    out = failed.stdout
    assert all(len(line) <= 80 for line in out[:out.index("Failed in")].splitlines()), out
    tail = out[out.rindex("notify (onExit)"):]
    cause = " ".join(tail[tail.index("cause of load:"):tail.index("Failed in")].split())
    logged = cadencia("logs", "@latest", "load", cwd=tmp_path).stdout
    error = next(yaml.safe_load(line) for line in logged.splitlines()
                 if '"level": "error"' in line)
    assert cause == f"cause of load: {' '.join(error['message'].split())} (exit 78, configuration)"
    assert f"{tmp_path}/missing/dir" in cause.replace(" ", "")


def test_a_backfill_at_80_columns_names_each_child_by_its_date(tmp_path: Path) -> None:
    run = cadencia("run", "--pipeline", "orders", "--entry", "orders-backfill",
                   "-p", "start-date=2026-11-01", "-p", "end-date=2026-11-02", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    # the live lines and the table fit; the closing lines are left to the terminal to
    # wrap, so that a path pastes whole
    shown = lines[:next(i for i, line in enumerate(lines) if line.startswith("Succeeded in"))]
    assert all(len(line) <= 80 for line in shown) and "…" not in run.stdout, run.stdout
    for day in ("2026-11-01", "2026-11-02"):
        assert any(re.fullmatch(rf"  Succeeded {day} load\(0\) [0-9.]+s  new partition {day}",
                                line) for line in lines), run.stdout
        # the summary: a row per date, then its nodes under it
        head = next(i for i, line in enumerate(lines) if line.rstrip() == f" {day}")
        under = []
        for line in lines[head + 1:]:
            if re.match(r" \S", line):  # the next date, or the exit handler
                break
            if re.match(r"   \S", line):  # a node (a message's wrapped lines start further)
                under.append(line.split()[0])
        assert under == ["sla-watch", "source-fingerprint", "extract-http", "extract-sql",
                         "clean", "transform", "validate", "load"], lines[head:]
    assert "rows for 2026-11-01..2026-11-02 are in table vendas of " in run.stdout


def test_a_postgresql_target_is_named_after_a_run_and_a_retry_without_its_password(
        tmp_path: Path, postgres: TempPostgres) -> None:
    """The load's Secret points at a database that does not exist yet (78, not retried);
    once it exists, `cadencia retry` finishes the run. Both say where the rows are: the
    server, the database and the table, the password hidden."""
    source = seeded(tmp_path)
    name = "t_terminal_" + os.urandom(4).hex()
    url = f"postgresql+psycopg://postgres:not-a-real-pw-3@127.0.0.1:{postgres.port}/{name}"
    target = secrets(tmp_path, source, url)
    failed = cadencia("run", "--pipeline", "orders", "--date", DATE, "--secrets", target,
                      cwd=tmp_path)
    assert failed.returncode == 1
    assert "cause of load:" in failed.stdout and "rows for" not in failed.stdout
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    retried = cadencia("retry", "@latest", cwd=tmp_path)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    where = f"postgresql://postgres:***@127.0.0.1:{postgres.port}/{name}"
    assert f"rows for {DATE} are in table vendas of {where}\n" in retried.stdout
    for run in (failed, retried):
        assert "not-a-real-pw-3" not in run.stdout + run.stderr
    again = cadencia("run", "--pipeline", "orders", "--date", DATE, "--secrets", target,
                     cwd=tmp_path)
    assert again.returncode == 0
    assert f"rows for {DATE} are in table vendas of {where}\n" in again.stdout
    with psycopg.connect(host="127.0.0.1", port=postgres.port, user="postgres",
                         dbname=name) as conn:
        assert conn.execute("SELECT count(*) FROM vendas").fetchone() == (2997,)
