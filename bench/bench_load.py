"""Load benchmark: ``python -m steps.load`` (Parquet -> binary COPY) against ``psql \\copy``
(CSV), both as whole processes, side by side into one throwaway PostgreSQL.

What is compared: each timed run starts from the same state (the target table truncated
and a CHECKPOINT taken, untimed), then loads the same rows for one logical date in one
transaction that first deletes that (empty) partition:
  - the step: ``--mode replace-partition`` from a zstd Parquet file (128k-row groups):
    advisory lock, catalog checks, DELETE, binary COPY, ledger row, COMMIT;
  - psql: ``psql -1 -c "DELETE ..." -c "\\copy ... FROM file.csv (FORMAT csv)"`` with the
    same rows (and the logical_date column) as CSV.
Both write into the same table, created by the step on a warm-up run (BRIN index on the
partition column). Runs are interleaved, their order alternating, and the median of the
timed runs is compared. pandas ``to_sql(method='multi', chunksize=1000)`` (the seed's way)
is measured on fewer rows and scaled linearly per row, which flatters it (its start-up
is scaled too).

Goals: the step >= 1.4x psql at 5M rows and >= 1.0x at 1M rows; >= 100x pandas; peak
RSS of the step <= 400 MiB at every size. ``--quick`` uses small sizes, where start-up
dominates, so it checks that everything runs and reports ratios without judging speed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.data import SCHEMA, make_orders_parquet, parquet_to_csv
from bench.timing import Sample, measure, median
from workflows.devservices.postgres import TempPostgres

ROOT = Path(__file__).resolve().parent.parent
DATE = "2026-11-26"
TABLE = "orders"
ROW_GROUP = 128 * 1024
RSS_GOAL_MIB = 400.0
SPEED_GOALS = {5_000_000: 1.4, 1_000_000: 1.0}
TO_SQL_GOAL = 100.0
PSQL_LABEL = "psql \\copy from CSV"
SERVER_SETTINGS = {"max_wal_size": "4GB", "checkpoint_timeout": "30min"}

TO_SQL_SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
import pandas as pd, sqlalchemy as sa
df = pd.read_parquet(sys.argv[1])
df["logical_date"] = pd.Timestamp(sys.argv[3]).date()
engine = sa.create_engine(sys.argv[2])
with engine.begin() as conn:
    df.to_sql("orders", conn, if_exists="append", index=False, method="multi", chunksize=1000)
"""


@dataclass
class Result:
    rows: int
    step: list[Sample] = field(default_factory=list)
    psql: list[Sample] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median(self.psql) / median(self.step)


def find_psql(pg: TempPostgres) -> str:
    for cand in (pg.bindir / "psql", Path("/usr/bin/psql")):
        if cand.exists():
            return str(cand)
    found = shutil.which("psql")
    if not found:
        raise SystemExit("psql not found (apt-get install postgresql-client)")
    return found


class Bench:
    def __init__(self, pg: TempPostgres, tmp: Path) -> None:
        self.pg = pg
        self.tmp = tmp
        self.psql = find_psql(pg)
        self.url = f"postgresql://postgres@127.0.0.1:{pg.port}/bench"
        with psycopg.connect(pg.dsn, autocommit=True) as conn:
            for name, value in SERVER_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("CREATE DATABASE bench")
        self.conn = psycopg.connect(self.url, autocommit=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
        self.env.update(CADENCIA_TARGET_DB_URL=self.url, CADENCIA_LOG_FORMAT="json")

    def reset(self) -> None:
        if self.conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone() != (None,):
            self.conn.execute(f"TRUNCATE {TABLE}")
        self.conn.execute("CHECKPOINT")

    def count(self) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM {TABLE} WHERE logical_date = %s",
                                (DATE,)).fetchone()
        return int(row[0]) if row else 0

    def step(self, parquet: Path, run_id: str) -> Sample:
        return measure([sys.executable, "-m", "steps.load", "--input", str(parquet),
                        "--table", TABLE, "--logical-date", DATE, "--run-id", run_id],
                       env=self.env, cwd=str(ROOT))

    def psql_copy(self, csv: Path) -> Sample:
        cols = ", ".join([*SCHEMA.names, "logical_date"])
        return measure([
            self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
            "-p", str(self.pg.port), "-U", "postgres", "-d", "bench", "-1",
            "-c", f"DELETE FROM {TABLE} WHERE logical_date = '{DATE}'",
            "-c", f"\\copy {TABLE} ({cols}) FROM '{csv}' WITH (FORMAT csv, HEADER true)",
        ], env=self.env)

    def compare(self, rows: int, runs: int) -> Result:
        parquet = Path(make_orders_parquet(self.tmp / f"orders_{rows}.parquet", rows, ROW_GROUP))
        csv = Path(parquet_to_csv(parquet, self.tmp / f"orders_{rows}.csv",
                                  {"logical_date": DATE}))
        result = Result(rows)
        for i in range(runs + 1):  # run 0 warms the page cache and creates the table
            sides = ["step", "psql"] if i % 2 == 0 else ["psql", "step"]
            for side in sides:
                self.reset()
                sample = self.step(parquet, f"b{i}") if side == "step" else self.psql_copy(csv)
                if self.count() != rows:
                    raise SystemExit(f"{side} loaded {self.count()} rows, expected {rows}")
                if i:
                    getattr(result, side).append(sample)
        parquet.unlink()
        csv.unlink()
        return result

    def to_sql(self, rows: int) -> Sample:
        parquet = Path(make_orders_parquet(self.tmp / "to_sql.parquet", rows, ROW_GROUP))
        script = self.tmp / "to_sql.py"
        script.write_text(TO_SQL_SCRIPT)
        self.reset()
        sample = measure([sys.executable, str(script), str(parquet),
                          self.url.replace("postgresql://", "postgresql+psycopg://"), DATE],
                         env=self.env)
        if self.count() != rows:
            raise SystemExit(f"to_sql loaded {self.count()} rows, expected {rows}")
        return sample


def report(results: list[Result], to_sql_rows: int, to_sql: Sample, quick: bool) -> list[str]:
    missed = []
    print(f"{'rows':>10}  {'side':<34} {'median':>8}  {'runs (s)':<20} {'peak RSS':>9}"
          f"  {'vs psql':>8}  goal")
    for r in results:
        runs_psql = " ".join(f"{s.seconds:.2f}" for s in r.psql)
        runs_step = " ".join(f"{s.seconds:.2f}" for s in r.step)
        rss = max(s.peak_rss_mib for s in r.step)
        print(f"{r.rows:>10,}  {PSQL_LABEL:<34} {median(r.psql):>7.2f}s  "
              f"{runs_psql:<20} {max(s.peak_rss_mib for s in r.psql):>5.0f} MiB  {'1.00x':>8}")
        goal = SPEED_GOALS.get(r.rows)
        verdict = ""
        if goal is not None and not quick:
            ok = r.ratio >= goal
            verdict = f">= {goal:.1f}x {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(f"{r.rows:,} rows: {r.ratio:.2f}x < {goal:.1f}x")
        rss_ok = rss <= RSS_GOAL_MIB
        if not rss_ok:
            missed.append(f"{r.rows:,} rows: peak RSS {rss:.0f} MiB > {RSS_GOAL_MIB:.0f} MiB")
        verdict += ("; " if verdict else "") + f"RSS <= {RSS_GOAL_MIB:.0f} MiB " + (
            "ok" if rss_ok else "MISSED")
        print(f"{r.rows:>10,}  {'python -m steps.load (Parquet)':<34} {median(r.step):>7.2f}s  "
              f"{runs_step:<20} {rss:>5.0f} MiB  {r.ratio:>7.2f}x  {verdict}")
    judged = max(results, key=lambda r: r.rows)
    for r in results:
        scaled = to_sql.seconds * r.rows / to_sql_rows
        ratio = scaled / median(r.step)
        verdict = ""
        if r is judged and not quick:
            ok = ratio >= TO_SQL_GOAL
            verdict = f">= {TO_SQL_GOAL:.0f}x {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(f"vs pandas to_sql at {r.rows:,} rows: {ratio:.0f}x")
        print(f"{r.rows:>10,}  {'pandas to_sql multi (scaled)':<34} {scaled:>7.1f}s  "
              f"{f'{to_sql.seconds:.2f} @ {to_sql_rows:,}':<20} {to_sql.peak_rss_mib:>5.0f} MiB  "
              f"{'step ' + f'{ratio:.0f}x':>8}  {verdict}")
    print(f"pandas to_sql(method='multi', chunksize=1000) was measured once on {to_sql_rows:,} "
          f"rows ({to_sql.seconds:.2f} s, whole process, imports included) and scaled linearly "
          "per row to each size; 'step Nx' is that over the step's median at the size. The "
          f"goal is judged on per-row throughput, at the largest size ({judged.rows:,} rows).")
    return missed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes; a smoke run in seconds")
    p.add_argument("--runs", type=int, default=3, help="timed runs per side and size")
    args = p.parse_args(argv)
    sizes = [20_000] if args.quick else [1_000_000, 5_000_000]
    to_sql_rows = 2_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory(prefix="cadencia-bench-load-") as tmp, \
            TempPostgres() as pg:
        bench = Bench(pg, Path(tmp))
        settings = ", ".join(f"{k}={v}" for k, v in SERVER_SETTINGS.items())
        print(f"PostgreSQL {pg.bindir.parent.name} on 127.0.0.1 (throwaway): fsync=off, "
              f"synchronous_commit=off, full_page_writes=off, {settings}; {os.cpu_count()} "
              f"cores. Each run: target truncated + CHECKPOINT (untimed), then one transaction "
              f"that deletes the (empty) partition and loads all rows; {args.runs} interleaved "
              "timed runs per side after one warm-up.", flush=True)
        try:
            results = [bench.compare(rows, args.runs) for rows in sizes]
            to_sql = bench.to_sql(to_sql_rows)
        finally:
            bench.conn.close()
    missed = report(results, to_sql_rows, to_sql, args.quick)
    if args.quick:
        print("quick run: sizes too small for the speed goals (start-up dominates); "
              "only correctness and RSS are judged")
    print("goals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
