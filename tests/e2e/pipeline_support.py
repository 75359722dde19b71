"""Helpers for running the COMPILED local pipeline through the engine against real services.

- ``local_manifests()``: ``k8s/workflows/local/orders/orders.yaml`` as the engine reads it.
- ``sample_api(faults)``: the sample orders API on the port the manifest names
  (127.0.0.1:18080). When that port is taken, the API binds a free port instead and
  ``point_at(docs, api)`` rewrites extract-http's ``--url`` (and source-fingerprint's
  ``--http extract-http=URL``), so the run
  still happens; the rest of the manifest runs exactly as compiled.
- ``seed_source(pg_url, date, ...)``: the ``pedidos`` table the SQL source query reads,
  filled with the same deterministic orders the API serves (``sample_data.orders``).
- ``write_secrets(path, pg_url, s3, settings)``: the local secrets file: source and target
  database URLs, the S3 repository's keys, and the ``cadencia-settings`` ConfigMap.
- ``PipelineRun``: one ``run_workflow`` call with its events and record, and the questions
  the tests ask of it (nodes by display name, node logs, the target table).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import yaml

from tests.fixtures_s3 import SECRET_NAME, MotoS3
from workflows.devservices.sample_api import Faults, SampleApi
from workflows.devservices.sample_data import orders
from workflows.engine import run_workflow
from workflows.local_defaults import repoint_sample_api, serve_sample_api
from workflows.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "orders"
MANIFEST = ROOT / "k8s" / "workflows" / "local" / PIPELINE / f"{PIPELINE}.yaml"
COMPILED_URL = "http://127.0.0.1:18080/orders/page"
API_PORT = 18080
API_RECORDS = 2000  # the manifest's `--param records=2000`
TARGET_TABLE = "vendas"
LEDGER_TABLE = "cadencia_load_ledger"


def local_manifests() -> list[dict[str, Any]]:
    with MANIFEST.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


@contextlib.contextmanager
def sample_api(faults: Faults | None = None,
               kind: type[SampleApi] = SampleApi) -> Iterator[SampleApi]:
    """The sample API (or a ``kind`` of it) on 127.0.0.1:18080, or where ``cadencia run``
    would serve it when 18080 is taken (the same port run after run, so memo keys hold)."""
    api = serve_sample_api(lambda port: kind(API_RECORDS, port=port, faults=faults))
    with api:
        yield api


def point_at(docs: list[dict[str, Any]], api: SampleApi) -> list[dict[str, Any]]:
    """``docs`` with extract-http's URL on ``api`` (unchanged when it serves on 18080)."""
    if api.port == API_PORT:
        return docs
    replaced = repoint_sample_api(docs, api.port)
    # extract-http's --url and source-fingerprint's --http extract-http=URL (its memo
    # keys' source)
    assert replaced == 2, f"expected two {COMPILED_URL} arguments, found {replaced}"
    return docs


def seed_source(pg_url: str, date: str, *, start: int, count: int, bad: int = 0) -> None:
    """Orders ``start+1 .. start+count`` of ``date`` in ``pedidos``; the last ``bad`` of
    them with ``quantidade = 0``, which the validation rule ``range quantidade >= 1``
    quarantines."""
    rows = [dict(r) for r in orders(date, start, count)]
    for row in rows[len(rows) - bad:] if bad else []:
        row["quantidade"] = 0
    with psycopg.connect(libpq(pg_url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS pedidos (id bigint, nome text, "
                     "valor double precision, quantidade bigint, created_at timestamp, "
                     "categoria text)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO pedidos VALUES (%(id)s, %(nome)s, %(valor)s, %(quantidade)s, "
                "%(created_at)s, %(categoria)s)", rows)


def libpq(pg_url: str) -> str:
    """The psycopg connection string of a ``postgresql+psycopg://`` SQLAlchemy URL."""
    return pg_url.replace("postgresql+psycopg://", "postgresql://", 1)


def write_secrets(path: Path, pg_url: str, s3: MotoS3,
                  settings: dict[str, str] | None = None, *,
                  target_url: str | None = None) -> Path:
    """The secrets file: ``pg_url`` is the source and, unless ``target_url``, the target."""
    data: dict[str, Any] = {
        "cadencia-source-db": {"url": pg_url},
        "cadencia-target-db": {"url": target_url or pg_url},
        SECRET_NAME: {"accesskey": s3.access_key, "secretkey": s3.secret_key},
    }
    if settings:
        data["configMaps"] = {"cadencia-settings": dict(settings)}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@dataclass
class PipelineRun:
    """One run of the compiled pipeline: the final workflow object and what happened."""

    workflow: dict[str, Any]
    store: RunStore
    seconds: float
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.workflow["metadata"]["name"])

    @property
    def phase(self) -> str:
        return str(self.workflow["status"]["phase"])

    @property
    def nodes(self) -> list[dict[str, Any]]:
        return list(self.workflow["status"]["nodes"].values())

    def node(self, display_name: str) -> dict[str, Any]:
        found = [n for n in self.nodes if n["displayName"] == display_name]
        assert len(found) == 1, f"{display_name!r}: {[n['displayName'] for n in self.nodes]}"
        return found[0]

    def pods(self, template: str) -> list[dict[str, Any]]:
        return [n for n in self.nodes if n["type"] == "Pod" and n.get("templateName") == template]

    def log(self, node: dict[str, Any]) -> str:
        record = self.store.load(self.name)
        return record.log_path(node["id"]).read_text(encoding="utf-8")

    def json_log(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log(node).splitlines()
                if line.startswith("{")]

    def describe(self) -> str:
        """Every node with its phase and message, for assertion messages."""
        return "\n".join(f"{n['displayName']:<28} {n['type']:<6} {n['phase']:<10} "
                         f"{n.get('message', '')}" for n in self.nodes)


def run_pipeline(docs: list[dict[str, Any]], *, date: str, store: RunStore, secrets: Path,
                 s3: MotoS3) -> PipelineRun:
    events: list[dict[str, Any]] = []
    began = time.monotonic()
    workflow = run_workflow(docs, entry=PIPELINE, parameters={"run-date": date},
                            store=store, repository_spec=s3.repository_spec(),
                            secrets_file=secrets, on_event=events.append)
    return PipelineRun(workflow, store, time.monotonic() - began, events)


def target_rows(pg_url: str, date: str) -> tuple[int, int, list[int]]:
    """(rows, distinct ids, sorted ids) of ``date``'s partition of the target table."""
    with psycopg.connect(libpq(pg_url)) as conn:
        ids = [r[0] for r in conn.execute(
            f"SELECT id FROM {TARGET_TABLE} WHERE logical_date = %s ORDER BY id",
            (date,))]
    return len(ids), len(set(ids)), ids


def ledger_rows(pg_url: str, date: str) -> list[tuple[str, int]]:
    with psycopg.connect(libpq(pg_url)) as conn:
        return [(str(r[0]), int(r[1])) for r in conn.execute(
            f"SELECT run_id, rows FROM {LEDGER_TABLE} "
            "WHERE logical_date = %s ORDER BY loaded_at", (date,))]


def table_exists(pg_url: str, table: str) -> bool:
    with psycopg.connect(libpq(pg_url)) as conn:
        row = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
    return row is not None and row[0] is not None
