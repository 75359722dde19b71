"""`cadencia run --pipeline`: one of a project's compiled pipelines, by the name it has now.

Each test is a real `cadencia` subprocess on embedded defaults (the sample API, a SQLite
source and warehouse under the run's folder), as a user would type it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.e2e.test_local_job import DATE, cadencia

ROOT = Path(__file__).resolve().parents[2]


def project_copy(tmp_path: Path) -> Path:
    """A project of its own: this checkout's environments, pipelines and compiled k8s/."""
    project = tmp_path / "project"
    skip = shutil.ignore_patterns("__pycache__")
    for part in ("environments", "pipelines"):
        shutil.copytree(ROOT / "workflows" / part, project / "workflows" / part, ignore=skip)
    shutil.copytree(ROOT / "k8s", project / "k8s", ignore=skip)
    return project


def run_dirs(home: Path) -> list[Path]:
    return [p for p in (home / ".cadencia" / "runs").iterdir() if not p.name.startswith(".")]


def rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / ".cadencia" / "warehouse.db") as conn:
        return conn.execute(sql).fetchall()


def test_a_renamed_pipeline_is_run_by_its_new_name_after_compile(tmp_path: Path) -> None:
    """`name: sales` in orders.yaml and `cadencia compile`: nothing else changes, and
    `cadencia run --pipeline sales` (from the project's folder) runs it; the old name is
    gone from what `cadencia run` offers."""
    project = project_copy(tmp_path)
    settings = project / "workflows" / "pipelines" / "orders.yaml"
    text = settings.read_text()
    assert "\nname: orders\n" in text
    settings.write_text(text.replace("\nname: orders\n", "\nname: sales\n"))
    compiled = cadencia("compile", "--project", str(project), cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert (project / "k8s/workflows/local/sales/sales-backfill.yaml").is_file()
    assert not (project / "k8s/workflows/local/orders").exists()

    ran = cadencia("run", "--pipeline", "sales", "--date", DATE, cwd=project)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "run of sales (local, pipeline sales)" in ran.stdout
    assert "customers" not in ran.stdout  # the other pipeline did not run
    assert f"rows for {DATE} are in table vendas" in ran.stdout
    assert rows(project, "SELECT count(*) FROM vendas") == [(2997,)]
    assert rows(project, "SELECT pipeline FROM cadencia_load_ledger") == [("sales",)]
    (run_dir,) = run_dirs(project)
    assert run_dir.name.startswith("sales-")
    invocation = json.loads((run_dir / "invocation.json").read_text())
    assert invocation["pipeline"] == "sales" and invocation["entry"] == "sales"
    assert all("/k8s/workflows/local/sales/" in f for f in invocation["files"])

    old = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=project)
    assert old.returncode == 2, old.stdout + old.stderr
    assert "no pipeline 'orders' is compiled" in old.stderr
    assert "  sales              loads vendas" in old.stderr
    assert "  customer-payments  loads customers, payments_daily" in old.stderr


def test_the_only_compiled_pipeline_runs_without_naming_it(tmp_path: Path) -> None:
    """A project with one pipeline compiled: `cadencia run` needs no --pipeline."""
    folder = tmp_path / "k8s" / "workflows" / "local" / "orders"
    shutil.copytree(ROOT / "k8s" / "workflows" / "local" / "orders", folder)
    ran = cadencia("run", "--date", DATE, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "run of orders (local, pipeline orders)" in ran.stdout
    assert rows(tmp_path, "SELECT count(*) FROM vendas") == [(2997,)]
    (run_dir,) = run_dirs(tmp_path)
    invocation = json.loads((run_dir / "invocation.json").read_text())
    assert invocation["files"] == [str(p) for p in sorted(folder.glob("*.yaml"))]


def test_a_backfill_of_one_pipeline_loads_every_date_of_its_range(tmp_path: Path) -> None:
    """`--entry orders-backfill`: each date as the daily run loads it, SQL rows included
    (the embedded source is seeded for every date of the range, not only the run date)."""
    ran = cadencia("run", "--pipeline", "orders", "--entry", "orders-backfill",
                   "-p", "start-date=2026-11-01", "-p", "end-date=2026-11-02", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "run of orders-backfill (local, pipeline orders)" in ran.stdout
    assert "rows for 2026-11-01..2026-11-02 are in table vendas" in ran.stdout
    # per date: 2000 API ids + 2000 SQL ids overlapping by 1000, 3 quarantined
    assert rows(tmp_path, "SELECT logical_date, count(*), count(DISTINCT id) FROM vendas "
                          "GROUP BY logical_date ORDER BY logical_date") == [
        ("2026-11-01", 2997, 2997), ("2026-11-02", 2997, 2997)]
    assert rows(tmp_path, "SELECT count(*) FROM cadencia_load_ledger") == [(2,)]


def test_customer_payments_runs_twice_on_embedded_defaults_and_keeps_each_payment_once(
        tmp_path: Path) -> None:
    """The sample API's /customers (cursor-paginated) and the embedded source's payments,
    joined and loaded; the second run of the date replaces the day's payments and upserts
    the customers, so nothing is doubled."""
    for _ in range(2):
        ran = cadencia("run", "--pipeline", "customer-payments", "--date", DATE, cwd=tmp_path)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "run of customer-payments (local, pipeline customer-payments)" in ran.stdout
        assert f"rows for {DATE} are in tables customers, payments_daily" in ran.stdout
    with sqlite3.connect(tmp_path / ".cadencia" / "source.db") as conn:
        source = conn.execute("SELECT payment_id, customer_id, amount FROM payments "
                              "WHERE date(paid_at) = ? ORDER BY payment_id", (DATE,)).fetchall()
    assert len(source) == 80
    assert rows(tmp_path, "SELECT payment_id, customer_id, amount FROM payments_daily "
                          "ORDER BY payment_id") == source
    # the left join keeps the payments of customers the API does not know, without a name
    assert rows(tmp_path, "SELECT count(*) FROM payments_daily WHERE name IS NULL") == [(2,)]
    assert rows(tmp_path, "SELECT count(*), count(DISTINCT customer_id), min(customer_id) "
                          "FROM customers") == [(500, 500, 1001)]
    assert rows(tmp_path, "SELECT target, count(*), sum(rows) FROM cadencia_load_ledger "
                          "GROUP BY target ORDER BY target") == [
        ("customers", 2, 1000), ("payments_daily", 2, 160)]
    assert len(run_dirs(tmp_path)) == 2
