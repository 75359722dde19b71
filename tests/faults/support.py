"""The fault-injection suite's harness: the COMPILED local pipeline, broken on purpose.

Built on ``tests.e2e.pipeline_support`` (manifests, seeding, secrets file, run record
questions). Added here:

- ``Case``: one test's world (a fresh PostgreSQL database, a moto S3 that can go down
  and come back on the same port, a run store, the ``cadencia-settings`` ConfigMap and a
  private copy of the manifests to edit) and ``Case.run``, which runs the pipeline with
  the sample API, calling ``hooks`` on every engine event (a hook's exception fails the
  test instead of being swallowed by the engine).
- manifest edits that keep the rest as compiled: ``set_flag``, ``replace_arg``,
  ``add_args``, ``raw_artifact``.
- evidence: ``errors`` (a node's error log lines), ``notices`` (what notify sent),
  ``metrics`` (the run's ``metrics.prom``), ``memo_keys``, ``attempts``; ``wait_for``
  (a bounded poll).
"""

from __future__ import annotations

import contextlib
import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from moto.server import ThreadedMotoServer

from tests.e2e.pipeline_support import (
    PIPELINE,
    PipelineRun,
    libpq,
    local_manifests,
    point_at,
    sample_api,
    seed_source,
    write_secrets,
)
from tests.fixtures_s3 import MotoS3
from workflows.devservices.sample_api import Faults, SampleApi
from workflows.engine import run_workflow
from workflows.runs.store import RunStore

DATE = "2026-03-14"
# The SQL source holds orders 1001..2500; the API serves 1..2000: 2500 distinct rows.
SQL_START, SQL_COUNT = 1000, 1500
ALL_IDS = list(range(1, SQL_START + SQL_COUNT + 1))
FAST_HTTP = {"CADENCIA_HTTP_BACKOFF_BASE": "0.05", "CADENCIA_HTTP_BACKOFF_CAP": "0.2"}
Hook = Callable[[dict[str, Any]], None]


class RestartableS3(MotoS3):
    """moto's S3 that can go down and come back on the same endpoint, data intact
    (moto keeps its backend in the process, not in the server)."""

    def down(self) -> None:
        self.stop()

    def up(self) -> None:
        host, port = self.endpoint.split(":")
        self._server = ThreadedMotoServer(ip_address=host, port=int(port), verbose=False)
        self._server.start()
        self.running = True


class TimedApi(SampleApi):
    """The sample API, remembering when each request arrived (monotonic seconds)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[float] = []

    def _count(self, target: str) -> int:
        self.arrivals.append(time.monotonic())
        return super()._count(target)


@dataclass
class Outcome:
    """A finished run and what the API saw."""

    run: PipelineRun
    requests: int
    arrivals: list[float] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # request targets, in order


class Case:
    """One test's services, settings and manifests (see the module docstring)."""

    def __init__(self, tmp: Path, pg_url: str, s3: RestartableS3) -> None:
        self.tmp, self.pg_url, self.s3 = tmp, pg_url, s3
        self.docs = local_manifests()
        self.settings: dict[str, str] = dict(FAST_HTTP)
        self.store = RunStore(tmp / "runs")
        self.target_url: str | None = None  # load's database URL when not pg_url
        self.hook_errors: list[BaseException] = []

    def seed(self, *, start: int = SQL_START, count: int = SQL_COUNT, bad: int = 0) -> None:
        seed_source(self.pg_url, DATE, start=start, count=count, bad=bad)

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(libpq(self.pg_url), autocommit=True) as conn:
            cur = conn.execute(statement.encode(), params)  # tests' own fixed statements
            return list(cur.fetchall()) if cur.description else []

    def run(self, *, faults: Faults | None = None, hooks: tuple[Hook, ...] = (),
            store: RunStore | None = None, date: str = DATE,
            now: Callable[[], datetime] | None = None,
            previous: dict[str, Any] | None = None) -> Outcome:
        # one file per run: two runs started together must not share a half-written one
        secrets = write_secrets(self.tmp / f"secrets-{uuid.uuid4().hex[:8]}.yaml",
                                self.pg_url, self.s3, self.settings,
                                target_url=self.target_url)
        store = store or self.store
        events: list[dict[str, Any]] = []

        def on_event(event: dict[str, Any]) -> None:
            events.append(event)
            for hook in hooks:
                try:
                    hook(event)
                except BaseException as exc:  # the engine would swallow it; keep it
                    self.hook_errors.append(exc)

        with sample_api(faults, TimedApi) as api:
            docs = point_at(copy.deepcopy(self.docs), api)
            began = time.monotonic()
            workflow = run_workflow(docs, entry=PIPELINE, parameters={"run-date": date},
                                    store=store, repository_spec=self.s3.repository_spec(),
                                    secrets_file=secrets, on_event=on_event, now=now,
                                    previous=previous)
            result = PipelineRun(workflow, store, time.monotonic() - began, events)
            outcome = Outcome(result, api.requests, list(api.arrivals), list(api.seen))
        if self.hook_errors:
            raise AssertionError(f"a hook failed: {self.hook_errors!r}")
        return outcome


@contextlib.contextmanager
def open_case(tmp: Path, pg_url: str) -> Iterator[Case]:
    s3 = RestartableS3()
    s3.start()
    try:
        yield Case(tmp, pg_url, s3)
    finally:
        s3.stop()


# -- manifest edits -----------------------------------------------------------------------

def template(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [t for doc in docs for t in (doc.get("spec") or {}).get("templates") or []
             if t.get("name") == name]
    assert len(found) == 1, f"template {name!r}: found {len(found)}"
    return found[0]


def _args(docs: list[dict[str, Any]], name: str) -> list[str]:
    args: list[str] = template(docs, name)["container"]["args"]
    return args


def set_flag(docs: list[dict[str, Any]], name: str, flag: str, value: str) -> None:
    """The value after ``flag`` in ``name``'s container args (exactly one)."""
    args = _args(docs, name)
    where = [i for i, a in enumerate(args) if a == flag]
    assert len(where) == 1, f"{name}: {flag} appears {len(where)} times"
    args[where[0] + 1] = value


def replace_arg(docs: list[dict[str, Any]], name: str, old: str, new: str) -> None:
    args = _args(docs, name)
    assert args.count(old) == 1, f"{name}: {old!r} appears {args.count(old)} times"
    args[args.index(old)] = new


def add_args(docs: list[dict[str, Any]], name: str, *extra: str) -> None:
    _args(docs, name).extend(extra)


def raw_artifact(docs: list[dict[str, Any]], name: str, artifact: str) -> dict[str, Any]:
    """The ``raw`` input artifact (``{"data": text}``) of template ``name``."""
    for art in template(docs, name)["inputs"]["artifacts"]:
        if art["name"] == artifact:
            raw: dict[str, Any] = art["raw"]
            return raw
    raise AssertionError(f"{name} has no raw artifact {artifact!r}")


# -- evidence -----------------------------------------------------------------------------

def errors(run: PipelineRun, node: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in run.json_log(node) if r.get("level") == "error"]


def notify_records(run: PipelineRun) -> list[dict[str, Any]]:
    (pod,) = run.pods("notify")
    return run.json_log(pod)


def notices(run: PipelineRun) -> list[dict[str, Any]]:
    return [r["notification"] for r in notify_records(run) if "notification" in r]


def metrics(run: PipelineRun) -> str:
    path = run.store.load(run.name).path / "metrics.prom"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def memo_keys(store: RunStore) -> set[str]:
    path = store.root / ".memo" / "cadencia-memo-cache.json"
    if not path.exists():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8")))


def attempts(run: PipelineRun, step: str) -> list[dict[str, Any]]:
    """The attempts of ``step`` in order (its pods)."""
    return sorted(run.pods(step), key=lambda n: n["displayName"])


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def node_phases(run: PipelineRun, *names: str) -> dict[str, str]:
    return {n: run.node(n)["phase"] for n in names}

