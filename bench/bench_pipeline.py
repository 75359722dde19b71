"""The whole orders pipeline as a user runs it, against a one-process lower bound and the
seed tutorial's pandas way: whole processes, side by side, on the same sources, into the
same kind of PostgreSQL table.

Sources (one throwaway PostgreSQL, the project's TempPostgres, holds the source and the
target, as on a laptop with one local server):
  - the sample API (workflows/devservices/sample_api.py) serves N orders of the date,
    in pages of 500 (the pipeline's page size), every page encoded ahead of time so the
    sides measure their client, not the server's Python;
  - ``pedidos`` holds N orders of the date, ids N/2+1 .. 3N/2: half of them are the API's
    ids again, with other values and a ``created_at`` half a second off the API's whole
    seconds (so "the latest wins" never ties and picks either source), made server-side
    with generate_series. One row in 1,000 has ``valor = 0`` (the transform's filter drops
    it), one ``quantidade = 0`` and one the category ``outros`` (validate quarantines
    them), when that row wins the dedupe.

The sides, each a whole process, one after the other in interleaved rounds whose order
rotates (one untimed warm-up round, then ``--runs`` rounds; medians compared); the target
table is dropped before each side, so each one creates it:
  - cadencia: ``python -m workflows.cli run --env <manifest> --date D --secrets S --home H``,
    the compiled local manifest (k8s/workflows/local/orders/orders.yaml) with two of its
    arguments changed: the sample API's port and ``records=N``. Artifacts go to the local
    folder under ``--home``, what ``cadencia run`` uses on a laptop unless ``--artifacts``
    names an S3 repository; a fresh home each run, so memoize never skips an extract.
    Every node runs as on a laptop: source-fingerprint, sla-watch, the exit handler.
  - the lower bound: one Python process on the libraries the fast paths use: urllib3 +
    orjson pages into Arrow (a fetch thread), ADBC's PostgreSQL reader for ``pedidos``
    (another thread), polars for the union, the dedupe by id (latest ``created_at``
    wins), orders.yaml's transform and the validate rules that drop rows, and one pgpq
    binary COPY into the partition in one transaction. No Parquet, no per-step process.
  - the seed tutorial's way (its method, embedded here: requests + stdlib json into one
    DataFrame, ``pd.read_sql``, ``pd.concat``, the dedupe and rules written in pandas,
    ``to_sql(method='multi', chunksize=1000)``). It costs ~1.5 minutes per million rows,
    so it runs only at 100k rows per source (and at the sizes ``--seed-rows`` names, once,
    in the last round, without a warm-up: ~6 minutes at 1M, ~30 at 5M); at the
    other sizes its time is the measured one scaled linearly by the row count ("scaled
    from 100k"). That is an estimate: at 100k, ``to_sql`` is over 90% of its time (one
    multi-row INSERT per 1,000 rows: linear in rows), but pandas' frame operations grow
    a little faster than linearly and a frame of 10M rows takes gigabytes, so the real
    seed way is at least that slow, probably slower. ``--seed-rows 5000000`` measures it;
    a run that passes ``--seed-timeout`` (default 30 minutes) is stopped, and its time
    and the speed-up are then reported as lower bounds ("at least").

``--shards K`` adds a side: the same pipeline compiled with ``shards: K``
(docs/workflows.md, Sharded pipelines), run the same way; its digest must equal the
others', and it prints its time beside the unsharded run's with each sharded step's pods.
``--page-size N`` asks every side for pages of N records (default 500, orders.yaml's).

After every side the target partition's digest is taken: its row count and an md5 of its
rows as text in id order, over the columns the pipeline selects (the md5 of each 100k-id
range's md5, so no string passes PostgreSQL's 1 GiB limit). All must be equal, or the
bench fails. For cadencia's last run it prints each node's duration (the run record's
startedAt/finishedAt, whole seconds as in Argo) with the step's own ``duration_s`` and
peak RSS (``peak_rss_mib``, both on the step's ``finished`` log line), and the phases of
the lower bound and of the seed way.

Goals (issue 14): every step's peak RSS <= 512 MiB at every size; at 5M rows per source
and more: cadencia within 1.5x of the lower bound and at least 50x faster than the seed
way. Exits non-zero when a judged goal is missed or a digest differs.

    .venv/bin/python -m bench pipeline [--quick]
    .venv/bin/python -m bench.bench_pipeline [--rows N ...] [--runs 3] [--large]
        [--seed-rows N ...] [--shards K] [--page-size N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml

from bench.timing import Sample, measure
from workflows.devservices.postgres import TempPostgres
from workflows.devservices.sample_api import SampleApi
from workflows.local_defaults import repoint_sample_api
from workflows.runs.store import RunStore
from workflows.runs.times import parse_time

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "k8s" / "workflows" / "local" / "orders" / "orders.yaml"
DATE = "2026-03-14"
PAGE = 500  # orders.yaml's page size: every side asks for the same pages
SIZES = [100_000, 1_000_000, 5_000_000]
LARGE = 10_000_000
QUICK = 20_000
SEED_ROWS = 100_000
SEED_TIMEOUT = 1800.0
RSS_GOAL_MIB = 512
RATIO_GOAL = 1.5
SPEEDUP_GOAL = 50
GOAL_ROWS = 5_000_000
CATEGORIES = ("eletronicos", "livros", "casa", "esporte", "moda", "mercado")
COLUMNS = ("id", "cliente", "categoria", "valor", "quantidade", "valor_total", "created_at",
           "dia")
# md5 of the rows as text, in id order, taken by id ranges of 100k and then over those
# (one string of every row would pass PostgreSQL's 1 GiB limit at 10M rows per source).
DIGEST_SQL = (f"SELECT coalesce(sum(n), 0), md5(coalesce(string_agg(h, '' ORDER BY g), '')) "
              f"FROM (SELECT id / 100000 AS g, count(*) AS n, md5(string_agg("
              f"ROW({', '.join(COLUMNS)})::text, E'\\n' ORDER BY id)) AS h FROM vendas "
              "WHERE logical_date = %s GROUP BY 1) AS chunks")
SOURCE_TABLE = ("CREATE TABLE pedidos (id bigint, nome text, valor double precision, "
                "quantidade bigint, created_at timestamp, categoria text)")
SOURCE_ROWS = """
INSERT INTO pedidos
SELECT i,
       'sql-' || lpad((i * 7919 %% 10000)::text, 4, '0'),
       CASE WHEN i %% 1000 = 250 THEN 0
            ELSE round(1 + (i * 104729 %% 49900) / 100.0, 2)::float8 END,
       CASE WHEN i %% 1000 = 0 THEN 0 ELSE 1 + i %% 19 END,
       %(date)s::timestamp + make_interval(secs => (i * 7 %% 86400)::float8 + 0.5),
       CASE WHEN i %% 1000 = 500 THEN 'outros'
            ELSE (ARRAY['eletronicos','livros','casa','esporte','moda','mercado'])[1 + i %% 6]
       END
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
"""

# The one-process lower bound. argv: API URL, libpq URI, date, records per source.
LOWER_BOUND = r'''
import datetime as dt, json, queue, sys, threading, time
import adbc_driver_manager, adbc_driver_postgresql, orjson, pgpq, polars as pl, psycopg
import pyarrow as pa, urllib3
from urllib.parse import urlencode

api, uri, date, records, page_size = sys.argv[1:6]
CATEGORIES = ["eletronicos", "livros", "casa", "esporte", "moda", "mercado"]
SCHEMA = pa.schema([("id", pa.int64()), ("nome", pa.string()), ("valor", pa.float64()),
                    ("quantidade", pa.int64()), ("created_at", pa.string()),
                    ("categoria", pa.string())])
phases, began = {}, time.perf_counter()

def read_sql(out):
    sql = f"SELECT * FROM pedidos WHERE date(created_at) = '{date}'"
    with adbc_driver_postgresql.connect(uri) as db, \
            adbc_driver_manager.AdbcConnection(db) as conn, \
            adbc_driver_manager.AdbcStatement(conn) as stmt:
        stmt.set_sql_query(sql)
        handle, _ = stmt.execute_query()
        out.append(pa.RecordBatchReader._import_from_c(handle.address).read_all())
    phases["extract sql"] = time.perf_counter() - began

def fetch(pages):
    pool, page = urllib3.PoolManager(), 1
    while True:
        query = urlencode({"page": page, "per_page": page_size, "date": date,
                           "records": records})
        r = pool.request("GET", f"{api}?{query}", timeout=60, retries=False)
        assert r.status == 200, r.status
        body = orjson.loads(r.data)
        pages.put(body["data"])
        if not body["has_more"]:
            pages.put(None)
            return
        page += 1

sql_out = []
sql_thread = threading.Thread(target=read_sql, args=(sql_out,))
sql_thread.start()
pages = queue.Queue(maxsize=4)
threading.Thread(target=fetch, args=(pages,), daemon=True).start()
batches = []
while (recs := pages.get()) is not None:
    batches.append(pa.RecordBatch.from_arrays(
        [pa.array([r[n] for r in recs], t) for n, t in zip(SCHEMA.names, SCHEMA.types)],
        schema=SCHEMA))
http = pa.Table.from_batches(batches, SCHEMA)
phases["extract http"] = time.perf_counter() - began
sql_thread.join()
t = time.perf_counter()

api_frame = pl.from_arrow(http).with_columns(
    pl.col("created_at").str.to_datetime("%Y-%m-%dT%H:%M:%S", time_unit="us"))
sql_frame = pl.from_arrow(sql_out[0]).with_columns(pl.col("created_at").dt.cast_time_unit("us"))
union = pl.concat([api_frame, sql_frame], how="vertical_relaxed")
latest = union.sort("created_at").unique(subset="id", keep="last")
shaped = (latest.lazy()
          .rename({"nome": "cliente"})
          .with_columns(pl.col("quantidade").cast(pl.Int64), pl.col("valor").cast(pl.Float64))
          .with_columns((pl.col("valor") * pl.col("quantidade")).alias("valor_total"),
                        pl.col("created_at").dt.date().alias("dia"))
          .filter(pl.col("valor") > 0)
          .select("id", "cliente", "categoria", "valor", "quantidade", "valor_total",
                  "created_at", "dia")
          .collect())
good = (pl.col("id").is_not_null() & pl.col("quantidade").is_between(1, 1000)
        & pl.col("categoria").is_in(CATEGORIES) & ~pl.col("id").is_duplicated())
kept = shaped.filter(good)
if shaped.height - kept.height > 0.05 * shaped.height:
    sys.exit(65)
phases["dedupe, transform, validate"] = time.perf_counter() - t
t = time.perf_counter()

day = dt.date.fromisoformat(date)
table = kept.to_arrow()
table = table.cast(pa.schema([pa.field(f.name, pa.string()) if f.name in ("cliente", "categoria")
                              else f for f in table.schema]))
table = table.append_column("logical_date", pa.array([day] * table.num_rows, pa.date32()))
encoder = pgpq.ArrowToPostgresBinaryEncoder(table.schema)
with psycopg.connect(uri) as conn:  # one transaction
    conn.execute("CREATE TABLE IF NOT EXISTS vendas (id bigint, cliente text, categoria text, "
                 "valor double precision, quantidade bigint, valor_total double precision, "
                 "created_at timestamp without time zone, dia date, logical_date date NOT NULL)")
    conn.execute("CREATE INDEX IF NOT EXISTS vendas_logical_date_idx ON vendas "
                 "USING brin (logical_date)")
    conn.execute("DELETE FROM vendas WHERE logical_date = %s", (day,))
    with conn.cursor().copy("COPY vendas FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(encoder.write_header())
        for batch in table.to_batches(max_chunksize=128 * 1024):
            copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())
phases["load"] = time.perf_counter() - t
print(json.dumps(phases))
'''

# The seed tutorial's way: its extract, clean, transform and load with pandas, plus what
# it takes to land the same rows (the dedupe keeps the latest created_at; the rules that
# drop rows). argv: API URL, SQLAlchemy URL, date, records per source.
SEED_WAY = r'''
import json, sys, time
import pandas as pd, requests
from sqlalchemy import create_engine, text

api, url, date, records, page_size = sys.argv[1:6]
phases, t = {}, time.perf_counter()

def extract_from_api(url, params):
    response = requests.get(url, params=params, timeout=30)
    response.raise_for_status()
    return response.json()

data, page = [], 1
while True:
    body = extract_from_api(api, {"page": page, "per_page": page_size, "date": date,
                                  "records": records})
    data.extend(body["data"])
    if not body["has_more"]:
        break
    page += 1
df_api = pd.DataFrame(data)
engine = create_engine(url)
df_db = pd.read_sql(text("SELECT * FROM pedidos WHERE date(created_at) = :d"), engine,
                    params={"d": date})
phases["extract"] = time.perf_counter() - t
t = time.perf_counter()

df_api["created_at"] = pd.to_datetime(df_api["created_at"])
df_combined = pd.concat([df_api, df_db], ignore_index=True)
df_clean = df_combined.sort_values("created_at", kind="stable").drop_duplicates(
    subset=["id"], keep="last")
df_clean = df_clean.dropna(subset=["id"])
df = df_clean.copy()
df = df.rename(columns={"nome": "cliente"})
df["quantidade"] = df["quantidade"].astype("int64")
df["valor"] = df["valor"].astype("float64")
df["valor_total"] = df["valor"] * df["quantidade"]
df["dia"] = df["created_at"].dt.date
df = df[df["valor"] > 0]
df = df[["id", "cliente", "categoria", "valor", "quantidade", "valor_total", "created_at",
         "dia"]]
good = (df["id"].notna() & df["quantidade"].between(1, 1000)
        & df["categoria"].isin(["eletronicos", "livros", "casa", "esporte", "moda", "mercado"])
        & ~df["id"].duplicated(keep=False))
if (~good).sum() > 0.05 * len(df):
    sys.exit(65)
df = df[good]
if len(df) < 1:
    raise ValueError("less than 1 row")
phases["clean, transform, validate"] = time.perf_counter() - t
t = time.perf_counter()

df["logical_date"] = pd.Timestamp(date).date()
df.to_sql("vendas", engine, schema="public", if_exists="append", index=False, method="multi",
          chunksize=1000)
phases["load"] = time.perf_counter() - t
print(json.dumps(phases))
'''

CADENCIA, LOWER, SEED = "cadencia run", "lower bound", "seed way"


@dataclass
class Side:
    name: str
    samples: list[Sample] = field(default_factory=list)
    digests: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False  # a run stopped at --seed-timeout: its time is a lower bound

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)


@dataclass
class Node:
    name: str
    started: float
    seconds: float  # from the record: Argo's timestamps, whole seconds
    step_seconds: float | None  # the step's own duration_s (its body, after the imports)
    peak_rss_mib: float | None


@dataclass
class Result:
    rows: int
    sides: dict[str, Side]
    nodes: list[Node]
    phases: dict[str, dict[str, float]]
    seed_scaled_from: int | None = None
    seed_seconds: float | None = None
    sharded_nodes: dict[str, list[Node]] = field(default_factory=dict)


def seed_source(pg: TempPostgres, rows: int) -> None:
    """``pedidos``: ``rows`` orders of DATE, ids rows/2+1 .. rows/2+rows (server-side)."""
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS pedidos")
        first = rows // 2 + 1
        conn.execute(SOURCE_TABLE)
        conn.execute(SOURCE_ROWS, {"date": DATE, "first": first, "last": first + rows - 1})
        conn.execute("VACUUM ANALYZE pedidos")


def sharded_source(tmp: Path, shards: int) -> str:
    """The local orders manifest compiled with ``shards: <shards>`` (docs/workflows.md,
    Sharded pipelines): this checkout's environments and pipelines, one setting added."""
    from workflows.compile import render
    from workflows.config.project import Project

    project = tmp / f"project-{shards}-shards"
    shutil.rmtree(project, ignore_errors=True)
    for part in ("environments", "pipelines"):
        shutil.copytree(ROOT / "workflows" / part, project / "workflows" / part,
                        ignore=shutil.ignore_patterns("__pycache__"))
    local = project / "workflows" / "pipelines" / "orders.local.yaml"
    local.write_text(local.read_text(encoding="utf-8") + f"\nshards: {shards}\n",
                     encoding="utf-8")
    return render(Project.default(project), ["local"])[("local", "orders")]["orders.yaml"]


def manifest(tmp: Path, port: int, rows: int, page: int, text: str | None = None,
             name: str = "orders.yaml") -> Path:
    """The compiled local manifest (or ``text``) with the API's port, ``records=rows``
    and the page size ``page``."""
    text = MANIFEST.read_text(encoding="utf-8") if text is None else text
    docs = [d for d in yaml.safe_load_all(text) if d]
    if repoint_sample_api(docs, port) != 2:
        raise SystemExit(f"{MANIFEST}: expected two sample-API URLs to repoint")
    replaced = paged = 0
    for doc in docs:
        for template in doc["spec"]["templates"]:
            args = (template.get("container") or {}).get("args") or []
            for i, arg in enumerate(args):
                if isinstance(arg, str) and arg.startswith("records="):
                    args[i], replaced = f"records={rows}", replaced + 1
                if arg == "--page-size":
                    args[i + 1], paged = str(page), paged + 1
    if replaced != 1 or paged != 1:
        raise SystemExit(f"{MANIFEST}: expected one records= and one --page-size argument, "
                         f"found {replaced} and {paged}")
    path = tmp / name
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    return path


def reset_target(pg: TempPostgres) -> None:
    """Drop the target, and write out what the last side left in PostgreSQL's buffers
    (a checkpoint), so that no side pays for the one before it."""
    with psycopg.connect(pg.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS vendas, cadencia_load_ledger")
        conn.execute("CHECKPOINT")


def digest(pg: TempPostgres) -> tuple[int, str]:
    with psycopg.connect(pg.dsn) as conn:
        row = conn.execute(DIGEST_SQL, (DATE,)).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def run_nodes(home: Path) -> list[Node]:
    """Each pod node of the run under ``home``, in the order they started: its duration,
    and its step's duration_s and peak RSS from the step's last log line."""
    (record,) = RunStore(home / "runs").records()
    workflow = record.load()
    nodes = []
    for node in workflow["status"]["nodes"].values():
        if node.get("type") != "Pod":
            continue
        started, finished = parse_time(node.get("startedAt")), parse_time(node.get("finishedAt"))
        seconds = (finished - started).total_seconds() if started and finished else float("nan")
        last: dict[str, Any] = {}
        log = record.log_path(node["id"])
        if log.is_file():
            for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{"):
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue
                    if "peak_rss_mib" in entry or "peak_rss_mib" in (entry.get("summary") or {}):
                        last = {**entry, **(entry.get("summary") or {})}
        name = str(node.get("templateName") or node["displayName"])
        peak, step = last.get("peak_rss_mib"), last.get("duration_s")
        nodes.append(Node(name, started.timestamp() if started else 0.0, seconds,
                          None if step is None else float(step),
                          None if peak is None else float(peak)))
    return sorted(nodes, key=lambda n: (n.started, n.name))


def run_side(name: str, pg: TempPostgres, api: SampleApi, rows: int, tmp: Path,
             docs: Path, env: dict[str, str], page: int, seed_timeout: float = SEED_TIMEOUT
             ) -> tuple[Sample, list[Node]]:
    reset_target(pg)
    uri = f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    url = f"{api.url}/orders/page"
    nodes: list[Node] = []
    if name.startswith(CADENCIA):
        home = tmp / "home"
        shutil.rmtree(home, ignore_errors=True)
        try:
            sample = measure([sys.executable, "-m", "workflows.cli", "run", "--env", str(docs),
                              "--date", DATE, "-p", f"run-date={DATE}",
                              "--secrets", str(tmp / "secrets.yaml"),
                              "--home", str(home)], env=env, cwd=str(ROOT))
        except RuntimeError as exc:
            kept = shutil.move(home, tempfile.mkdtemp(prefix="cadencia-bench-pipeline-failed-"))
            raise RuntimeError(f"{exc}\nthe run's home is kept in {kept} "
                               f"(cadencia get @latest --home {kept}/home)") from exc
        nodes = run_nodes(home)
        shutil.rmtree(home, ignore_errors=True)
    elif name == LOWER:
        sample = measure([sys.executable, "-c", LOWER_BOUND, url, uri, DATE, str(rows),
                          str(page)], env=env, cwd=str(ROOT))
    else:
        sample = measure([sys.executable, "-c", SEED_WAY, url, pg.url, DATE, str(rows),
                          str(page)], env=env, cwd=str(ROOT), timeout=seed_timeout)
    return sample, nodes


def sharded_side(shards: int) -> str:
    return f"{CADENCIA}, {shards} shards"


def run_size(pg: TempPostgres, rows: int, runs: int, warm_up: bool, with_seed: bool,
             tmp: Path, page: int = PAGE, shards: int = 1,
             seed_timeout: float = SEED_TIMEOUT) -> Result:
    print(f"\n{rows:,} orders per source: making the sources...", flush=True)
    seed_source(pg, rows)
    (tmp / "secrets.yaml").write_text(yaml.safe_dump({
        "cadencia-source-db": {"url": pg.url}, "cadencia-target-db": {"url": pg.url}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["PYTHONPATH"] = str(ROOT)
    names = ([CADENCIA, LOWER] + ([sharded_side(shards)] if shards > 1 else [])
             + ([SEED] if with_seed else []))
    sides = {n: Side(n) for n in names}
    nodes: list[Node] = []
    sharded_nodes: dict[str, list[Node]] = {}
    phases: dict[str, dict[str, float]] = {}
    api = SampleApi(rows, date=DATE, cache_bytes=1 << 34)
    api.warm(page)  # before its server thread starts: the warm-up forks
    with api:
        docs = {CADENCIA: manifest(tmp, api.port, rows, page)}
        if shards > 1:
            docs[sharded_side(shards)] = manifest(tmp, api.port, rows, page,
                                                  sharded_source(tmp, shards), "sharded.yaml")
        print(f"sources ready; {'one warm-up round, then ' if warm_up else ''}{runs} "
              f"interleaved rounds (load average {os.getloadavg()[0]:.1f})", flush=True)
        for i in range(runs + 1 if warm_up else runs):
            timed = i >= 1 or not warm_up
            order = names[i % len(names):] + names[:i % len(names)]
            for name in order:
                if name == SEED and rows != SEED_ROWS and i != runs + int(warm_up) - 1:
                    continue  # a large seed way runs once, in the last round
                side, label = sides[name], f"round {i}" if timed else "warm-up"
                try:
                    sample, run_nodes_ = run_side(name, pg, api, rows, tmp,
                                                  docs.get(name, docs[CADENCIA]), env, page,
                                                  seed_timeout)
                except subprocess.TimeoutExpired:
                    if name != SEED:
                        raise
                    print(f"  {label}: {name:<24} stopped at {seed_timeout:.0f} s "
                          "(--seed-timeout): at least that long", flush=True)
                    side.stopped = True
                    side.samples.append(Sample(seed_timeout, 0.0, -1))
                    continue
                side.digests.append(digest(pg))
                print(f"  {label}: {name:<24} {sample.seconds:7.2f} s  "
                      f"{side.digests[-1][0]:,} rows digest {side.digests[-1][1][:12]}",
                      flush=True)
                if timed:
                    side.samples.append(sample)
                    if name == CADENCIA:
                        nodes = run_nodes_
                    elif name.startswith(CADENCIA):
                        sharded_nodes[name] = run_nodes_
                    if not name.startswith(CADENCIA) and sample.stdout.strip():
                        phases[name] = json.loads(sample.stdout.strip().splitlines()[-1])
    return Result(rows, sides, nodes, phases, sharded_nodes=sharded_nodes)


def report(results: list[Result]) -> bool:
    """Print the tables; whether every judged goal was met. A seed way stopped at its
    timeout gives lower bounds: its time, and the speed-up."""
    met = True
    seed_by_rows = {r.rows: r.sides[SEED].median for r in results if SEED in r.sides}
    stopped = {r.rows for r in results if SEED in r.sides and r.sides[SEED].stopped}
    measured = {n: t for n, t in seed_by_rows.items() if n not in stopped}
    seed_base = min(measured) if measured else None
    print(f"\n{'rows/source':>11} {'cadencia':>9} {'lower bd':>9} {'ratio':>6} "
          f"{'seed way':>9} {'seed':<18} {'speed-up':>8} {'max step RSS':>12}  digest (rows, md5)")
    for r in results:
        cad, low = r.sides[CADENCIA], r.sides[LOWER]
        ratio = cad.median / low.median
        if r.rows in seed_by_rows:
            seed_s = seed_by_rows[r.rows]
            how = "at least (stopped)" if r.rows in stopped else "measured"
        elif seed_base is not None:
            seed_s = measured[seed_base] * r.rows / seed_base
            how = f"scaled from {seed_base // 1000}k"
        else:
            seed_s, how = float("nan"), "-"
        speedup = seed_s / cad.median
        peaks = [n.peak_rss_mib for n in r.nodes if n.peak_rss_mib is not None]
        top = max(peaks) if peaks else float("nan")
        all_digests = {d for s in r.sides.values() for d in s.digests}
        same = len(all_digests) == 1
        shown = next(iter(all_digests)) if same else None
        seed_text = f"{seed_s:>8.1f}s" if seed_s == seed_s else f"{'-':>9}"  # NaN: not run
        at_least = ">=" if r.rows in stopped else ""
        speed_text = f"{at_least}{speedup:.1f}x" if speedup == speedup else "-"
        speed_text = f"{speed_text:>8}"
        print(f"{r.rows:>11,} {cad.median:>8.2f}s {low.median:>8.2f}s {ratio:>5.2f}x "
              f"{seed_text} {how:<18} {speed_text} {top:>8.0f} MiB  "
              + (f"equal ({shown[0]:,}, {shown[1][:12]})" if shown
                 else f"DIFFER: {sorted(all_digests)}"))
        if not same:
            met = False
        r.seed_seconds = seed_s
    for r in results:
        print(f"\n{r.rows:,} per source, cadencia's last run: node duration and peak RSS "
              f"(runs: cadencia {fmt(r.sides[CADENCIA])}; lower bound "
              f"{fmt(r.sides[LOWER])}" + (f"; seed {fmt(r.sides[SEED])}" if SEED in r.sides
                                          else "") + ")")
        print(f"  {'node':<20} {'node s':>7} {'step s':>7} {'peak RSS':>11}")
        for n in r.nodes:
            rss = f"{n.peak_rss_mib:7.0f} MiB" if n.peak_rss_mib is not None else "      - MiB"
            over = " OVER" if n.peak_rss_mib is not None and n.peak_rss_mib > RSS_GOAL_MIB \
                else ""
            step = f"{n.step_seconds:7.2f}" if n.step_seconds is not None else f"{'-':>7}"
            print(f"  {n.name:<20} {n.seconds:7.0f} {step} {rss}{over}")
        print("  (node s: the run record's startedAt to finishedAt, whole seconds as in Argo; "
              "step s: the step's own duration_s, after its imports)")
        for name, sharded in r.sharded_nodes.items():
            by_step: dict[str, list[Node]] = {}
            for n in sharded:
                by_step.setdefault(n.name, []).append(n)
            peaks = [n.peak_rss_mib for n in sharded if n.peak_rss_mib is not None]
            print(f"  {name}: {fmt(r.sides[name])}, median "
                  f"{r.sides[name].median / r.sides[CADENCIA].median:.2f}x the unsharded "
                  f"run's; max step RSS {max(peaks) if peaks else float('nan'):.0f} MiB; "
                  "steps (pods: step s each): " + "; ".join(
                      f"{step} ({len(ns)}: " + " ".join(
                          f"{n.step_seconds:.1f}" if n.step_seconds is not None else "-"
                          for n in ns) + ")" for step, ns in by_step.items()
                      if step not in ("sla-watch", "notify", "source-fingerprint")))
        for name, phases in r.phases.items():
            print(f"  {name}'s phases, last run"
                  + (" (the extracts overlap: seconds from its start)" if name == LOWER else "")
                  + ": " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print()
    for r in results:
        peaks = [n.peak_rss_mib for n in r.nodes if n.peak_rss_mib is not None]
        rss_ok = bool(peaks) and max(peaks) <= RSS_GOAL_MIB
        met = met and rss_ok
        line = (f"{r.rows:,}: every step's peak RSS <= {RSS_GOAL_MIB} MiB: "
                + ("met" if rss_ok else "MISSED"))
        ratio = r.sides[CADENCIA].median / r.sides[LOWER].median
        speedup = (r.seed_seconds or float("nan")) / r.sides[CADENCIA].median
        if r.rows >= GOAL_ROWS:
            ratio_ok = ratio <= RATIO_GOAL
            met = met and ratio_ok
            line += (f"; cadencia within {RATIO_GOAL}x of the lower bound: "
                     + ("met" if ratio_ok else f"MISSED ({ratio:.2f}x)")
                     + f"; >= {SPEEDUP_GOAL}x faster than the seed way: ")
            if speedup != speedup:  # NaN: the seed way ran at no size
                line += f"not judged (measure it: --rows {SEED_ROWS} or --seed-rows N)"
            else:
                met = met and speedup >= SPEEDUP_GOAL
                line += ("met" if speedup >= SPEEDUP_GOAL
                         else f"not shown (at least {speedup:.1f}x: the seed way was stopped)"
                         if r.rows in stopped else f"MISSED ({speedup:.1f}x)")
        else:
            line += f"; ratio {ratio:.2f}x and speed-up {speedup:.1f}x reported, judged " \
                    f"from {GOAL_ROWS:,} rows"
        print(line)
    return met


def fmt(side: Side) -> str:
    return " ".join(f"{s.seconds:.1f}" for s in side.samples) + " s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, nargs="+", metavar="N",
                   help=f"orders per source (default {', '.join(f'{s:,}' for s in SIZES)})")
    p.add_argument("--runs", type=int, default=3, help="timed rounds (median of these)")
    p.add_argument("--large", action="store_true", help=f"also {LARGE:,} rows per source")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK:,} rows, one round, no warm-up: a smoke run in seconds")
    p.add_argument("--seed-rows", type=int, nargs="+", metavar="N", default=[],
                   help=f"also run the seed way at these sizes, once, in the last round "
                        f"(it always runs at {SEED_ROWS:,}, in every round, when that size "
                        "is measured)")
    p.add_argument("--seed-timeout", type=float, default=SEED_TIMEOUT, metavar="S",
                   help=f"stop a seed way run after S seconds (default {SEED_TIMEOUT:.0f}); "
                        "its time is then reported as at least S, and the speed-up as at "
                        "least S over cadencia's")
    p.add_argument("--page-size", type=int, default=PAGE, metavar="N",
                   help=f"the API's page size, for every side (default {PAGE}, orders.yaml's)")
    p.add_argument("--shards", type=int, default=1, metavar="K",
                   help="also run the pipeline compiled with shards: K (docs/workflows.md), "
                        "as a side of its own: its time and digest beside the unsharded run's")
    a = p.parse_args(argv)
    sizes = [QUICK] if a.quick else sorted(set((a.rows or SIZES) + ([LARGE] if a.large else [])))
    runs = 1 if a.quick else a.runs
    seed_sizes = set(sizes) if a.quick else {SEED_ROWS, *a.seed_rows} & set(sizes)
    results = []
    with tempfile.TemporaryDirectory(prefix="cadencia-bench-pipeline-") as tmp, \
            TempPostgres() as pg:
        print(f"pipeline bench: the orders pipeline at {', '.join(f'{s:,}' for s in sizes)} "
              f"orders per source; PostgreSQL {pg.bindir.parent.name} on 127.0.0.1 "
              f"(throwaway); {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
              "seed way run at " + (', '.join(f'{s:,}' for s in sorted(seed_sizes)) or
                                    "no size (add --seed-rows N)"), flush=True)
        for rows in sizes:
            results.append(run_size(pg, rows, runs, not a.quick, rows in seed_sizes,
                                    Path(tmp), a.page_size, a.shards, a.seed_timeout))
    met = report(results)
    print(f"load average at the end {os.getloadavg()[0]:.1f}; ratio = cadencia / lower bound, "
          "speed-up = seed way / cadencia")
    print("goals " + ("met" if met else "MISSED"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
