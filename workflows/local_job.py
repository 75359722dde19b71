"""The pipeline on embedded defaults, run on one machine with no external service.

Sources: a sample API served on 127.0.0.1 for the run, and a SQLite database of sample
orders (half of them overlap the API's, and a few break the validation rules, so the run
shows deduplication and quarantine). Target: a SQLite warehouse. Everything lives under
``.cadencia/`` in the current folder; each run gets ``.cadencia/runs/<run-id>/``.

Every stage is a real ``python -m steps.<name>`` process, as in a container.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from workflows.devservices.sample_data import orders
from workflows.sequence import StepCall

TABLE = "vendas"
SOURCE_QUERY = "SELECT * FROM pedidos WHERE date(created_at) = :logical_date"
HTTP_SCHEMA = ("id:int64,nome:string,valor:float64,quantidade:int64,created_at:string,"
               "categoria:string")
# Rows the default rules quarantine: quantity 0 fails `range quantidade >= 1`.
BAD_ROWS = 3


@dataclass(frozen=True)
class LocalJob:
    home: Path
    logical_date: str
    run_id: str
    records: int

    @property
    def run_dir(self) -> Path:
        return self.home / "runs" / self.run_id

    @property
    def source_db(self) -> Path:
        return self.home / "source.db"

    @property
    def warehouse_db(self) -> Path:
        return self.home / "warehouse.db"

    def artifact(self, name: str) -> str:
        return str(self.run_dir / "artifacts" / name)


def new_job(home: Path, logical_date: str | None, records: int) -> LocalJob:
    date = logical_date or dt.date.today().isoformat()
    run_id = f"local-{date}-{uuid.uuid4().hex[:6]}"
    return LocalJob(home=home, logical_date=date, run_id=run_id, records=records)


def seed_source(job: LocalJob) -> int:
    """(Re)write the day's rows of the SQLite source: ids from records/2 on, some bad."""
    job.home.mkdir(parents=True, exist_ok=True)
    start = job.records // 2
    rows = [dict(r) for r in orders(job.logical_date, start, job.records)]
    for r in rows[-BAD_ROWS:]:
        r["quantidade"] = 0
    with sqlite3.connect(job.source_db) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS pedidos (id INTEGER, nome TEXT, valor REAL, "
                     "quantidade INTEGER, created_at TEXT, categoria TEXT)")
        conn.execute("DELETE FROM pedidos WHERE date(created_at) = ?", (job.logical_date,))
        conn.executemany("INSERT INTO pedidos VALUES (:id, :nome, :valor, :quantidade, "
                         ":created_at, :categoria)", rows)
    return len(rows)


def default_file(name: str) -> str:
    return str(resources.files("workflows") / "defaults" / name)


def stages(job: LocalJob, api_url: str) -> list[list[StepCall]]:
    """The DAG of the pipeline as ordered stages of step calls."""
    a = job.artifact
    common = ("--run-id", job.run_id, "--logical-date", job.logical_date)
    return [
        [
            StepCall("extract-http", "extract_http", (
                *common, "--url", f"{api_url}/orders/page", "--pagination", "page",
                "--page-size", "500", "--param", "date={logical_date}",
                "--param", f"records={job.records}", "--schema", HTTP_SCHEMA,
                "--out", a("http.parquet"))),
            StepCall("extract-sql", "extract_sql", (
                *common, "--query", SOURCE_QUERY, "--out", a("sql.parquet")),
                env={"CADENCIA_SOURCE_DB_URL": f"sqlite:///{job.source_db.resolve()}"}),
        ],
        [StepCall("clean", "clean", (
            *common, "--input", a("http.parquet"), "--input", a("sql.parquet"),
            "--key", "id", "--order-by", "created_at", "--parse-timestamps", "created_at",
            "--out", a("clean.parquet")))],
        [StepCall("transform", "transform", (
            *common, "--input", a("clean.parquet"), "--spec", default_file("transform.yaml"),
            "--out", a("transformed.parquet")))],
        [StepCall("validate", "validate", (
            *common, "--input", a("transformed.parquet"), "--rules",
            default_file("rules.yaml"), "--out", a("valid.parquet"),
            "--quarantine", a("quarantine.parquet"), "--report", a("report.json")))],
        [StepCall("load", "load", (
            *common, "--input", a("valid.parquet"), "--table", TABLE),
            env={"CADENCIA_TARGET_DB_URL": f"sqlite:///{job.warehouse_db.resolve()}"})],
    ]


def notify_call(job: LocalJob, status: str, seconds: float, failures: str,
                counts: dict[str, int | None]) -> StepCall:
    args = ["--run-id", job.run_id, "--logical-date", job.logical_date,
            "--workflow", "cadencia-etl", "--status", status, "--duration", f"{seconds:.1f}",
            "--failures", failures, "--sla-verdict", "met" if seconds < 3600 else "missed",
            "--channel", "log"]
    for name, value in counts.items():
        if value is not None:
            args += ["--count", f"{name}={value}"]
    return StepCall("notify", "notify", tuple(args))
