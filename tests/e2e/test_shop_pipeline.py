"""Issue 11's proof: a team's own pipeline, made with ``cadencia new`` and edits to its own
files only, with three sources (two HTTP APIs, one SQL table), a join and two target
tables, compiled for every environment, linted clean, and run twice through the local
engine against a real PostgreSQL, a real S3 (moto's server) and two real HTTP APIs.

The pipeline's Python file and settings are the ones docs/authoring.md shows (read from
the doc), so the tutorial's pipeline is the one proven here; only ``shop.local.yaml``
differs: it points the sources at this test's servers, each with its own token.

- orders: the sample orders API (bearer ``orders-token``), 300 orders of the day;
- customers: a cursor-paginated API (bearer ``crm-token``), customers 1..40, 7 a page;
- payments: a PostgreSQL table, payments 1..60 of customers 1..45 (5 unknown to the CRM).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from tests.e2e.pipeline_support import libpq
from tests.fixtures_s3 import SECRET_NAME, MotoS3
from tests.fixtures_scripted_http import Reply, ScriptedServer, Seen, json_reply
from workflows.devservices.sample_api import SampleApi, bearer
from workflows.engine import run_workflow
from workflows.runs.store import RunStore

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authoring.md"
DATE = "2026-11-25"
ORDERS, CUSTOMERS, PAYMENTS, PAGE = 300, 40, 60, 7


def doc_files() -> dict[str, str]:
    """The files docs/authoring.md shows in full: ```<lang> file=PATH blocks, last wins."""
    files: dict[str, str] = {}
    lines = DOC.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i]
        if fence.startswith("```") and " file=" in fence:
            path = fence.split(" file=", 1)[1].strip()
            end = lines.index("```", i + 1)
            files[path] = "\n".join(lines[i + 1:end]) + "\n"
            i = end
        i += 1
    return files


@pytest.fixture(autouse=True)
def _no_host_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CADENCIA_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


def cadencia(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CADENCIA_PROJECT": str(project)}
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def customer(i: int) -> dict[str, Any]:
    return {"customer_id": i, "name": f"Cliente {i} São", "email": f"c{i}@example.com",
            "country": "BR" if i % 3 else "PT", "signup_date": "2025-01-02",
            "updated_at": f"{DATE}T0{i % 10}:00:00Z"}


def crm(seen: Seen) -> Reply:
    if seen.headers.get("Authorization") != "Bearer crm-token":
        return json_reply('{"error": "unauthorized"}', 401)
    start = int(seen.query.get("cursor") or 0)
    size = int(seen.query.get("limit") or PAGE)
    ids = range(start + 1, min(start + size, CUSTOMERS) + 1)
    following = start + size if start + size < CUSTOMERS else None
    return json_reply(json.dumps({"data": [customer(i) for i in ids],
                                  "next_cursor": None if following is None
                                  else str(following)}))


def seed_payments(pg_url: str) -> None:
    with psycopg.connect(libpq(pg_url)) as conn:
        conn.execute("CREATE TABLE payments (payment_id bigint, customer_id bigint, "
                     "amount double precision, currency text, paid_at timestamp)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO payments VALUES (%s, %s, %s, 'BRL', %s)", [
                (i, (i - 1) % 45 + 1, 10.0 + i, f"{DATE} 12:{i % 60:02d}:00")
                for i in range(1, PAYMENTS + 1)])


def local_overlay(orders_port: int, crm_port: int) -> str:
    return yaml.safe_dump({"steps": {
        "orders": {"url": f"http://127.0.0.1:{orders_port}/orders/page",
                   "params": {"records": str(ORDERS)}, "auth": "bearer",
                   "secrets": {"token": {"name": "shop-orders-api", "key": "token"}}},
        "customers": {"url": f"http://127.0.0.1:{crm_port}/customers", "auth": "bearer",
                      "pagination": {"page_size": PAGE},
                      "secrets": {"token": {"name": "shop-crm", "key": "token"}}},
        "payments": {"secret": {"name": "shop-db", "key": "url"}}}})


def rows(pg_url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq(pg_url)) as conn:
        return list(conn.execute(sql))


def test_a_new_pipeline_with_three_sources_a_join_and_two_tables_loads_each_row_once(
        tmp_path: Path, pg_url: str, s3: MotoS3) -> None:
    project = tmp_path / "project"
    for part in ("environments", "pipelines"):
        shutil.copytree(ROOT / "workflows" / part, project / "workflows" / part)
    made = cadencia(project, "new", "shop")
    assert made.returncode == 0, made.stderr
    before = {p.name for p in (project / "workflows" / "pipelines").iterdir()}
    # edits to the new pipeline's files only: the tutorial's, then this test's servers
    for rel, text in doc_files().items():
        assert rel.startswith("workflows/pipelines/shop"), rel
        (project / rel).write_text(text, encoding="utf-8")
    seed_payments(pg_url)
    with SampleApi(ORDERS, auth=bearer("orders-token")) as orders_api, \
            ScriptedServer(crm) as crm_api:
        (project / "workflows" / "pipelines" / "shop.local.yaml").write_text(
            local_overlay(orders_api.port, crm_api.port), encoding="utf-8")
        assert {p.name for p in (project / "workflows" / "pipelines").iterdir()} == before

        compiled = cadencia(project, "compile")
        assert compiled.returncode == 0, compiled.stderr
        for env in ("dev", "local", "prod", "staging"):
            assert sorted(p.name for p in (project / "k8s" / "workflows" / env / "shop")
                          .iterdir()) == ["shop-backfill.yaml", "shop-daily.yaml", "shop.yaml"]
        linted = cadencia(project, "lint", "k8s/")
        assert linted.returncode == 0, linted.stdout + linted.stderr

        docs = [d for d in yaml.safe_load_all(
            (project / "k8s/workflows/local/shop/shop.yaml").read_text()) if d]
        secrets = tmp_path / "secrets.yaml"
        secrets.write_text(yaml.safe_dump({
            "shop-orders-api": {"token": "orders-token"}, "shop-crm": {"token": "crm-token"},
            "shop-db": {"url": pg_url}, "cadencia-target-db": {"url": pg_url},
            SECRET_NAME: {"accesskey": s3.access_key, "secretkey": s3.secret_key}}))
        store = RunStore(tmp_path / "runs")
        runs = [run_workflow(docs, entry="shop", parameters={"run-date": DATE}, store=store,
                             repository_spec=s3.repository_spec(), secrets_file=secrets)
                for _ in range(2)]
    for run in runs:
        described = "\n".join(f"{n['displayName']} {n['phase']} {n.get('message', '')}"
                              for n in run["status"]["nodes"].values())
        assert run["status"]["phase"] == "Succeeded", described
    # each table holds its rows exactly once after two runs of the same date
    orders = rows(pg_url, "SELECT id FROM shop_orders WHERE logical_date = '2026-11-25'")
    assert sorted(r[0] for r in orders) == list(range(1, ORDERS + 1))
    payments = rows(pg_url, "SELECT payment_id, name FROM shop_payments ORDER BY payment_id")
    assert [r[0] for r in payments] == list(range(1, PAYMENTS + 1))
    unknown = [pid for pid, name in payments if name is None]  # the CRM knows 1..40 only
    assert unknown == [i for i in range(1, PAYMENTS + 1) if (i - 1) % 45 + 1 > CUSTOMERS]
    # the ledger shows both loads of each table
    ledger = rows(pg_url, "SELECT target, count(*) FROM cadencia_load_ledger "
                          "WHERE pipeline = 'shop' GROUP BY target ORDER BY target")
    assert ledger == [("public.shop_orders", 2), ("public.shop_payments", 2)]
    # each API saw its own token only
    assert {s.headers.get("Authorization") for s in crm_api.seen} == {"Bearer crm-token"}
