"""Issue 6, cases 8-10: the target database fails under ``load``, and loads collide.

The COPY is stalled on purpose inside the load's transaction (a row trigger sleeping on
one row, once: ``stall_copy_once``) so the fault lands mid-load, not before or after:
PostgreSQL is stopped there (case 8, on a dedicated server, never the session one) or
the load process is SIGKILLed there (case 9). Case 10 runs one date twice in a row and
two runs of it at once, held at the target by a table lock the test owns.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.e2e.pipeline_support import PipelineRun, ledger_rows, libpq, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    Hook,
    Outcome,
    attempts,
    errors,
    notices,
    open_case,
    wait_for,
)
from workflows.devservices.postgres import TempPostgres
from workflows.runs.store import RunStore

pytestmark = pytest.mark.timeout(150)


def step_pids(module: str) -> list[int]:
    """Live child processes of this test running ``python -m steps.<module>``."""
    me, found = os.getpid(), []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if ppid == me and f"steps.{module}".encode() in argv:
                found.append(int(proc.name))
    return found


def backend(pg_url: str, application: str = "cadencia-load") -> list[tuple[str, str, str]]:
    """(state, wait_event, query) of every session of ``application`` in this database."""
    with psycopg.connect(libpq(pg_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT coalesce(state, ''), coalesce(wait_event, ''), coalesce(query, '') "
            "FROM pg_stat_activity WHERE application_name = %s AND datname = "
            "current_database()", (application,)).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]




def stall_copy_once(case: Case, at_id: int, seconds: int = 60) -> None:
    """The next COPY into ``vendas`` stalls at row ``at_id`` (``pg_sleep`` in a row
    trigger), inside the load's transaction, once: a sequence is not transactional, so a
    retry after the stalled transaction died does not stall again."""
    case.sql("CREATE SEQUENCE fault_stall")
    case.sql("CREATE FUNCTION fault_stall() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             f"IF NEW.id = {int(at_id)} AND nextval('fault_stall') = 1 THEN "
             f"PERFORM pg_sleep({int(seconds)}); END IF; RETURN NEW; END $$")
    case.sql("CREATE TRIGGER fault_stall BEFORE INSERT ON vendas FOR EACH ROW "
             "EXECUTE FUNCTION fault_stall()")


def stalled_in_copy(pg_url: str) -> bool:
    return any(wait == "PgSleep" and query.lstrip().upper().startswith("COPY")
               for _, wait, query in backend(pg_url))


class Background(threading.Thread):
    """``action`` in a thread; ``join_checked`` re-raises what it raised."""

    def __init__(self, action: Callable[[], None]) -> None:
        super().__init__(daemon=True)
        self.action = action
        self.error: BaseException | None = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.action()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()

    def join_checked(self, timeout: float = 60.0) -> None:
        self.join(timeout)
        assert not self.is_alive(), "background action still running"
        if self.error is not None:
            raise self.error


def exactly_once(case: Case, ids: list[int]) -> None:
    assert target_rows(case.pg_url, DATE) == (len(ids), len(ids), ids)


@pytest.fixture
def own_pg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Case, TempPostgres]]:
    """A Case on a dedicated PostgreSQL server this test may stop and start."""
    for name in [n for n in os.environ if n.startswith("CADENCIA_")]:
        monkeypatch.delenv(name)
    with TempPostgres() as pg, open_case(tmp_path, pg.url) as dedicated:
        yield dedicated, pg


def test_postgres_stopped_mid_load_then_started_the_retry_loads_exactly_one_copy(
        own_pg: tuple[Case, TempPostgres]) -> None:
    case, pg = own_pg
    case.seed()
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    stall_copy_once(case, at_id=1200)
    stopped = threading.Event()

    def stop_postgres_mid_copy() -> None:
        wait_for("the load stalled inside its COPY", lambda: stalled_in_copy(case.pg_url))
        pg.stop("fast")  # a shutdown: every session is terminated, the server goes away
        stopped.set()

    def start_postgres_when_the_attempt_failed(event: dict[str, Any]) -> None:
        if event.get("displayName") == "load(0)" and event["phase"] == "Failed":
            assert stopped.wait(30)
            pg.start()  # within the 2 s backoff: the next attempt finds it up

    stopper = Background(stop_postgres_mid_copy)
    stopper.start()
    run = case.run(hooks=(start_postgres_when_the_attempt_failed,)).run
    stopper.join_checked()

    assert run.phase == "Succeeded", run.describe()
    pods = attempts(run, "load")
    assert [p["outputs"]["exitCode"] for p in pods] == ["75", "0"], run.describe()
    (error,) = errors(run, pods[0])
    assert error["error_kind"] == "transient", error
    exactly_once(case, ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(first.name, len(ALL_IDS)),
                                              (run.name, len(ALL_IDS))]


def test_load_sigkilled_mid_copy_keeps_the_partition_and_the_retry_loads_once(
        case: Case) -> None:
    case.seed()
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    case.seed(start=2500, count=100)  # the day grew: orders 2501..2600
    grown = list(range(1, 2601))
    # 3 s: after the sleep the server reads on, meets the dead client's EOF, rolls back
    stall_copy_once(case, at_id=1200, seconds=3)
    killed: list[int] = []

    def kill_load_mid_copy() -> None:
        wait_for("the load stalled inside its COPY", lambda: stalled_in_copy(case.pg_url))
        (pid,) = step_pids("load")
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = Background(kill_load_mid_copy)
    killer.start()
    store = RunStore(case.tmp / "runs-2")
    crashed = case.run(store=store).run
    killer.join_checked()

    assert killed and crashed.phase == "Failed", crashed.describe()
    (pod,) = attempts(crashed, "load")  # 137 is not transient: not retried
    assert pod["outputs"]["exitCode"] == "137" and pod["message"] == "main: Error (exit code 137)"
    wait_for("the killed load's session to end", lambda: not backend(case.pg_url), 15)
    exactly_once(case, ALL_IDS)  # the old partition, whole: the DELETE rolled back
    assert ledger_rows(case.pg_url, DATE) == [(first.name, len(ALL_IDS))]

    rerun = case.run(store=store, previous=crashed.workflow).run  # argo retry

    assert rerun.phase == "Succeeded", rerun.describe()
    assert rerun.node("extract-sql")["phase"] == "Succeeded"
    assert len(rerun.pods("extract-sql")) == len(crashed.pods("extract-sql"))  # reused
    exactly_once(case, grown)
    assert ledger_rows(case.pg_url, DATE) == [(first.name, len(ALL_IDS)),
                                              (rerun.name, len(grown))]


def run_together(case: Case, stores: tuple[RunStore, RunStore], blocked: threading.Event,
                 hooks: tuple[Hook, ...] = ()) -> list[PipelineRun]:
    """Two runs of the date started at once while the test holds a SHARE lock on the
    target (the first load to get in waits on it); ``blocked`` set = release it."""
    outcomes: list[Outcome] = []
    with psycopg.connect(libpq(case.pg_url)) as holder:
        holder.execute("LOCK TABLE vendas IN SHARE MODE")

        def one(store: RunStore) -> Callable[[], None]:
            return lambda: outcomes.append(case.run(store=store, hooks=hooks))

        runs = [Background(one(store)) for store in stores]
        for r in runs:
            r.start()
        deadline = time.monotonic() + 60
        while not blocked.wait(0.1):
            for r in runs:
                if r.error is not None:
                    raise r.error
            assert time.monotonic() < deadline, "the second load never waited"
        holder.commit()
    for r in runs:
        r.join_checked(90)
    return [o.run for o in outcomes]


def test_same_date_twice_and_two_runs_at_once_leave_one_copy_and_the_second_waits(
        case: Case) -> None:
    case.seed()
    first = case.run().run
    again = case.run().run  # the same date, run again
    assert (first.phase, again.phase) == ("Succeeded", "Succeeded")
    exactly_once(case, ALL_IDS)
    waiting = threading.Event()

    def on_mutex_wait(event: dict[str, Any]) -> None:
        if event.get("displayName") == "load" and "Mutex/" in event["message"]:
            waiting.set()

    # one shared run store: the engine's mutex, as two workflows in one namespace
    together = run_together(case, (case.store, case.store), waiting, (on_mutex_wait,))

    assert [r.phase for r in together] == ["Succeeded", "Succeeded"]
    messages = [[e["message"] for e in r.events if e.get("displayName") == "load"
                 and e["message"]] for r in together]
    waited = [m for m in messages if m]
    assert len(waited) == 1, messages  # exactly one of the two queued on the mutex
    assert waited[0][0] == ("Waiting for cadencia-local/Mutex/orders-load-vendas "
                            "lock. Lock status: 0/1")
    exactly_once(case, ALL_IDS)
    names = [run_id for run_id, _ in ledger_rows(case.pg_url, DATE)]
    assert names[:2] == [first.name, again.name]
    assert sorted(names[2:]) == sorted(r.name for r in together)


def test_two_machines_loading_one_date_at_once_serialize_on_the_advisory_lock(
        case: Case) -> None:
    """Added case: no shared engine mutex (separate run stores, as two clusters or two
    laptops); PostgreSQL's advisory lock alone keeps one copy."""
    case.seed()
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    blocked = threading.Event()

    def watch() -> None:
        wait_for("a load waiting on the advisory lock",
                 lambda: any(w == "advisory" for _, w, _ in backend(case.pg_url)), 60)
        blocked.set()

    watcher = Background(watch)
    watcher.start()
    together = run_together(case, (RunStore(case.tmp / "a"), RunStore(case.tmp / "b")),
                            blocked)
    watcher.join_checked()

    assert [r.phase for r in together] == ["Succeeded", "Succeeded"]
    exactly_once(case, ALL_IDS)
    assert sorted(r for r, _ in ledger_rows(case.pg_url, DATE)[1:]) == sorted(
        r.name for r in together)


def test_a_target_role_without_write_privilege_fails_76_once_and_keeps_the_partition(
        case: Case) -> None:
    """Added case: the target refuses the load (SQLSTATE 42501). That is permanent: one
    attempt, exit 76 naming the cause, the previous load intact, and notify tells."""
    case.seed()
    first = case.run().run
    assert first.phase == "Succeeded", first.describe()
    role = f"reader_{uuid.uuid4().hex[:8]}"  # roles are per server, not per database
    case.sql(f"CREATE ROLE {role} LOGIN")
    try:
        case.sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        case.target_url = case.pg_url.replace("://postgres@", f"://{role}@", 1)

        run = case.run().run

        assert run.phase == "Failed", run.describe()
        (load,) = attempts(run, "load")  # not retried
        assert load["outputs"]["exitCode"] == "76"
        (error,) = errors(run, load)
        assert "permission denied" in error["message"], error
        exactly_once(case, ALL_IDS)
        assert ledger_rows(case.pg_url, DATE) == [(first.name, len(ALL_IDS))]
        (notice,) = notices(run)
        assert notice["status"] == "Failed"
        # Argo's workflow.failures: the pod, its retry node and the DAG
        assert {f["template"] for f in notice["failures"]} == {"load", "main"}
    finally:
        case.sql(f"DROP OWNED BY {role}")
        case.sql(f"DROP ROLE {role}")
