"""Conformance of the local engine with Argo's semantics, case by case.

Each case is a small manifest in ``engine_cases/`` (``sh -c`` containers on the host)
run through ``run_workflow``; the assertions are the phases, node names, messages (Argo's
exact strings) and timings Argo would show for it. Timings are checked only where the
behaviour is timing (backoff, deadlines, parallelism), within 20% or more.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import LoadError, ManifestRefused, check, run_workflow
from workflows.engine.isolation import SHARE
from workflows.engine.locks import Mutex, lock_path
from workflows.engine.nodes import SAVE_INTERVAL
from workflows.runs.store import RunStore

CASES = Path(__file__).parent / "engine_cases"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    workflow: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def phase(self) -> str:
        return str(self.workflow["status"]["phase"])

    def nodes(self, display: str) -> list[dict[str, Any]]:
        return [n for n in self.workflow["status"]["nodes"].values()
                if n["displayName"] == display]

    def node(self, display: str) -> dict[str, Any]:
        found = self.nodes(display)
        assert len(found) == 1, (display, sorted(n["displayName"] for n in
                                                 self.workflow["status"]["nodes"].values()))
        return found[0]

    def has(self, display: str) -> bool:
        return bool(self.nodes(display))

    def attempts(self, display: str) -> list[dict[str, Any]]:
        retry = self.node(display)
        assert retry["type"] == "Retry"
        by_id = self.workflow["status"]["nodes"]
        return [by_id[c] for c in retry.get("children", [])]

    def span(self, display: str) -> tuple[float, float]:
        """(start, finish) of a node, in epoch seconds, from the events."""
        mine = [e for e in self.events if e["kind"] == "node" and e["displayName"] == display]
        return mine[-1]["startedAt"], mine[-1]["finishedAt"]

    def messages(self, display: str) -> list[str]:
        seen: list[str] = []
        for e in self.events:
            if e["kind"] == "node" and e["displayName"] == display and e["message"] \
                    and (not seen or seen[-1] != e["message"]):
                seen.append(e["message"])
        return seen

    def result(self, display: str) -> str:
        return str(self.node(display)["outputs"]["result"])

    def param(self, display: str, name: str) -> str:
        params = self.node(display)["outputs"]["parameters"]
        return str(next(p["value"] for p in params if p["name"] == name))


def docs_of(case: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((CASES / case).read_text()) if d]


@pytest.fixture(autouse=True)
def _share_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases leave side effects in tmp_path, on the host: every pod sees it there
    (without it, a pod's private /tmp would hide it)."""
    monkeypatch.setenv(SHARE, str(tmp_path))


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store" / "runs")


@pytest.fixture
def run_case(tmp_path: Path, store: RunStore) -> Callable[..., Ran]:
    def run(case: str, **kwargs: Any) -> Ran:
        docs = docs_of(case)
        declared = {p["name"] for d in docs for p in
                    ((d.get("spec") or {}).get("arguments") or {}).get("parameters") or []}
        params = dict(kwargs.pop("parameters", {}))
        if "scratch" in declared:
            params.setdefault("scratch", str(tmp_path))
        events: list[dict[str, Any]] = []
        also = kwargs.pop("on_event", None)

        def on_event(event: dict[str, Any]) -> None:
            events.append(event)
            if also is not None:
                also(event)

        started = time.monotonic()
        workflow = run_workflow(docs, parameters=params, store=kwargs.pop("store", store),
                                on_event=on_event, **kwargs)
        return Ran(workflow, events, time.monotonic() - started)
    return run


def near(value: float, expected: float, rel: float = 0.2) -> bool:
    return abs(value - expected) <= rel * expected


# -- retryStrategy ----------------------------------------------------------------------

def test_retry_limit_gives_limit_plus_one_attempts_then_no_more_retries(run_case):
    ran = run_case("retry_limit.yaml")
    attempts = ran.attempts("always-fails")
    assert [a["displayName"] for a in attempts] == ["always-fails(0)", "always-fails(1)",
                                                    "always-fails(2)"]
    assert all(a["phase"] == "Failed" and a["message"] == "main: Error (exit code 1)"
               for a in attempts)
    retry = ran.node("always-fails")
    assert (retry["phase"], retry["message"]) == ("Failed", "No more retries left")
    assert ran.phase == "Failed"


def test_retries_variable_is_the_attempt_index(run_case):
    ran = run_case("retry_limit.yaml")
    attempts = ran.attempts("third-time")
    assert [a["phase"] for a in attempts] == ["Failed", "Failed", "Succeeded"]
    assert ran.result("third-time(2)").strip() == "attempt 2"
    assert ran.node("third-time")["phase"] == "Succeeded"


@pytest.mark.parametrize(("task", "attempts", "phase", "message"), [
    ("onfailure-failed", 2, "Failed", "No more retries left"),
    ("onfailure-error", 1, "Error", "failed to start /nonexistent/program"),
    ("onerror-failed", 1, "Failed", "main: Error (exit code 3)"),
    ("onerror-error", 2, "Error", "No more retries left"),
    ("always-failed", 2, "Failed", "No more retries left"),
    ("always-error", 2, "Error", "No more retries left"),
])
def test_retry_policy_retries_failed_or_errored_attempts(run_case, task, attempts, phase,
                                                         message):
    ran = run_case("retry_policy.yaml")
    node = ran.node(task)
    assert len(ran.attempts(task)) == attempts
    assert node["phase"] == phase
    assert node["message"].startswith(message)


def test_retry_expression_retries_exit_75_only(run_case):
    ran = run_case("retry_expression.yaml")
    attempts = ran.attempts(ran.workflow["metadata"]["name"])
    assert [a["outputs"]["exitCode"] for a in attempts] == ["75", "65"]
    root = ran.node(ran.workflow["metadata"]["name"])
    assert (root["phase"], root["message"]) == (
        "Failed", "retryStrategy.expression evaluated to false")


def test_backoff_waits_duration_times_factor_and_says_so(run_case, store):
    on_disk: list[dict[str, Any]] = []

    def peek(event: dict[str, Any]) -> None:  # what `cadencia get` reads meanwhile
        if event.get("message") == "Backoff for 2 seconds":
            # The record lags the run by at most SAVE_INTERVAL: read it after that, well
            # inside the 2 s wait.
            reader = threading.Timer(
                SAVE_INTERVAL + 0.5, lambda: on_disk.append(store.load(event["workflow"]).load()))
            reader.start()

    ran = run_case("backoff.yaml", on_event=peek)
    name = ran.workflow["metadata"]["name"]
    (during,) = on_disk
    assert during["status"]["phase"] == "Running"
    phases = {n["displayName"]: n["phase"] for n in during["status"]["nodes"].values()}
    assert phases == {name: "Running", f"{name}(0)": "Failed", f"{name}(1)": "Failed"}
    spans = [ran.span(f"{name}({i})") for i in range(3)]
    first_wait = spans[1][0] - spans[0][1]
    second_wait = spans[2][0] - spans[1][1]
    assert near(first_wait, 1.0), first_wait
    assert near(second_wait, 2.0), second_wait
    assert ran.messages(name) == ["Backoff for 1 seconds", "Backoff for 2 seconds",
                                  "No more retries left"]


def test_max_duration_messages(run_case):
    ran = run_case("max_duration.yaml")
    would = ran.node("would-exceed")
    assert (would["phase"], would["message"]) == ("Failed",
                                                 "Backoff would exceed max duration limit")
    assert len(ran.attempts("would-exceed")) == 1
    exceeded = ran.node("exceeded")
    assert (exceeded["phase"], exceeded["message"]) == ("Failed", "Max duration limit exceeded")
    assert len(ran.attempts("exceeded")) == 1


# -- deadlines --------------------------------------------------------------------------

def test_template_deadline_kills_the_process_group_and_is_retried(run_case):
    ran = run_case("template_deadline.yaml")
    name = ran.workflow["metadata"]["name"]
    attempts = ran.attempts(name)
    assert len(attempts) == 2
    for attempt in attempts:
        assert attempt["phase"] == "Failed"
        assert attempt["message"] == ("Pod was active on the node longer than the specified "
                                      "deadline")
        start, end = ran.span(attempt["displayName"])
        assert near(end - start, 1.0, rel=0.5)
    assert ran.node(name)["message"] == "No more retries left"
    assert ran.seconds < 5  # the `sleep 30 &` child was killed with its group


def test_workflow_deadline_fails_running_step_retries_nothing_and_runs_exit_handler(run_case):
    ran = run_case("workflow_deadline.yaml")
    assert ran.phase == "Failed"
    (attempt,) = ran.attempts("slow")
    assert (attempt["phase"], attempt["message"]) == ("Failed", "Step exceeded its deadline")
    assert ran.node("slow")["message"].startswith("retry exceeded workflow deadline ")
    assert ran.node("after")["phase"] == "Omitted"  # nothing starts after the deadline
    exit_node = ran.node(f"{ran.workflow['metadata']['name']}.onExit")
    assert exit_node["phase"] == "Succeeded"  # exempt from the deadline
    assert ran.result(exit_node["displayName"]).strip() == "status=Failed"
    assert ran.seconds < 4


# -- exit handler -----------------------------------------------------------------------

def test_exit_handler_after_a_failure_gets_status_failures_and_duration(run_case):
    ran = run_case("exit_handler.yaml")
    assert ran.phase == "Failed"
    name = ran.workflow["metadata"]["name"]
    status, failures, duration = ran.result(f"{name}.onExit").strip().splitlines()
    assert status == "Failed"
    listed = json.loads(failures)
    assert {"displayName": "breaks", "message": "main: Error (exit code 3)",
            "templateName": "breaks", "phase": "Failed"}.items() <= listed[0].items()
    assert listed[0]["podName"].startswith(f"{name}-breaks-")
    assert set(listed[0]) == {"displayName", "message", "templateName", "phase", "podName",
                              "finishedAt"}
    assert 0 < float(duration) < 5


def test_failing_exit_handler_turns_success_into_failure(run_case):
    ran = run_case("exit_handler_fails.yaml")
    name = ran.workflow["metadata"]["name"]
    assert ran.node(name)["phase"] == "Succeeded"
    assert ran.node(f"{name}.onExit")["phase"] == "Failed"
    assert ran.node(f"{name}.onExit")["nodeFlag"] == {"hooked": True}
    assert (ran.phase, ran.workflow["status"]["message"]) == ("Failed", "main: Error (exit code 4)")


# -- memoize ----------------------------------------------------------------------------

def _side_effects(tmp_path: Path) -> int:
    path = tmp_path / "side-effect"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_memoize_miss_then_hit_replays_outputs_without_running(run_case, tmp_path):
    first = run_case("memoize.yaml")
    second = run_case("memoize.yaml")
    one, two = (r.node(r.workflow["metadata"]["name"]) for r in (first, second))
    assert one["memoizationStatus"] == {"hit": False, "key": "extract-day-1",
                                        "cacheName": "test-memo"}
    assert two["memoizationStatus"]["hit"] is True
    assert (two["phase"], second.param(two["displayName"], "rows")) == ("Succeeded", "42")
    assert _side_effects(tmp_path) == 1


def test_memoize_entry_older_than_max_age_is_a_miss(run_case, tmp_path):
    run_case("memoize.yaml")
    later = datetime.now(timezone.utc) + timedelta(minutes=11)
    again = run_case("memoize.yaml", now=lambda: later)
    assert again.node(again.workflow["metadata"]["name"])["memoizationStatus"]["hit"] is False
    assert _side_effects(tmp_path) == 2


def test_memoize_invalid_key_errors_the_node(run_case, tmp_path):
    ran = run_case("memoize.yaml", parameters={"key": "2026-11-25T02:00:00"})
    node = ran.node(ran.workflow["metadata"]["name"])
    assert (node["phase"], node["message"]) == ("Error",
                                                "invalid cache key: extract-2026-11-25T02:00:00")
    assert _side_effects(tmp_path) == 0 and ran.phase == "Error"


def test_memoize_never_saves_a_failed_node(run_case, tmp_path):
    failed = run_case("memoize.yaml", parameters={"code": "1"})
    assert failed.phase == "Failed"
    again = run_case("memoize.yaml")
    assert again.node(again.workflow["metadata"]["name"])["memoizationStatus"]["hit"] is False
    assert _side_effects(tmp_path) == 2


# -- DAG --------------------------------------------------------------------------------

def test_depends_omits_what_needed_success_and_runs_the_failure_handler(run_case):
    ran = run_case("depends.yaml")
    for task in ("on-success", "after-success"):
        node = ran.node(task)
        assert (node["type"], node["phase"], node["message"]) == (
            "Skipped", "Omitted", "omitted: depends condition not met")
    assert ran.node("on-failure")["phase"] == "Succeeded"
    assert ran.phase == "Failed"  # an Omitted target takes its dependency's failure


def test_a_failure_a_dependent_handles_does_not_fail_the_dag(run_case):
    """Argo's dag-enhanced-depends: assessDAGPhase judges the DAG by its leaves' branch
    phases, and dag.failFast stops no scheduling, so should-execute-3 runs."""
    ran = run_case("handled_failure.yaml")
    assert ran.node("C")["phase"] == "Failed"
    node = ran.node("should-not-execute")
    assert (node["type"], node["phase"], node["message"]) == (
        "Skipped", "Omitted", "omitted: depends condition not met")
    for task in ("A", "B", "should-execute-1", "should-execute-2", "should-execute-3"):
        assert ran.node(task)["phase"] == "Succeeded", task
    assert ran.node(ran.workflow["metadata"]["name"])["phase"] == "Succeeded"
    assert ran.phase == "Succeeded"


@pytest.mark.parametrize("dag_fail_fast", [True, False])
def test_dag_fail_fast_stops_no_new_task(store, dag_fail_fast):
    """In Argo v4.1.2 dag.failFast is read only by assessDAGPhase: after-slow starts
    once slow ends although breaks failed, and the DAG fails by its target breaks."""
    docs = docs_of("fail_fast.yaml")
    docs[0]["spec"]["templates"][0]["dag"]["failFast"] = dag_fail_fast
    ran = Ran(run_workflow(docs, store=store))
    assert ran.node("slow")["phase"] == "Succeeded"
    assert ran.node("after-slow")["phase"] == "Succeeded"
    assert ran.node(ran.workflow["metadata"]["name"])["phase"] == "Failed"
    assert ran.phase == "Failed"


def test_template_fail_fast_stops_new_tasks_after_a_failure(store):
    """The template's failFast (checkParallelism): no child starts once one failed, the
    running ones finish, and the DAG fails with Argo's message."""
    docs = docs_of("fail_fast.yaml")
    docs[0]["spec"]["templates"][0]["failFast"] = True
    ran = Ran(run_workflow(docs, store=store))
    assert ran.node("slow")["phase"] == "Succeeded"  # running tasks finish
    assert not ran.has("after-slow")
    dag = ran.node(ran.workflow["metadata"]["name"])
    assert (dag["phase"], dag["message"]) == (
        "Failed", "template has failed or errored children and failFast enabled")
    assert ran.phase == "Failed"
    assert ran.workflow["status"]["message"] == dag["message"]  # Argo's e2e asserts this


def test_false_when_skips_and_dependents_still_run(run_case):
    ran = run_case("when.yaml")
    node = ran.node("maybe")
    assert (node["type"], node["phase"], node["message"]) == (
        "Skipped", "Skipped", "when 'no == yes' evaluated false")
    assert ran.node("next")["phase"] == "Succeeded"
    assert ran.phase == "Succeeded"
    assert run_case("when.yaml", parameters={"flag": "yes"}).node("maybe")["phase"] == \
        "Succeeded"


def test_daemon_is_daemoned_for_dependents_and_stopped_at_scope_end(run_case, tmp_path):
    ran = run_case("daemon.yaml")
    assert ran.phase == "Succeeded"
    assert ran.node("uses-watcher")["phase"] == "Succeeded"
    daemon_events = [e for e in ran.events if e.get("displayName") == "watcher(0)"]
    assert any(e["daemoned"] and e["phase"] == "Running" for e in daemon_events)
    assert ran.node("watcher(0)")["phase"] == "Succeeded"
    assert (tmp_path / "daemon").read_text().strip() == "stopped"  # got SIGTERM
    pid = int((tmp_path / "daemon.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    work_end = ran.span("work")[1]
    assert ran.span("watcher(0)")[1] - work_end < 1.0
    assert ran.seconds < 3


@pytest.mark.parametrize(("where", "limit"), [("template", 2), ("workflow", 3)])
def test_fan_out_runs_at_most_parallelism_items_at_once(store, where, limit):
    docs = docs_of("parallelism.yaml")
    if where == "workflow":
        del docs[0]["spec"]["templates"][0]["parallelism"]
        docs[0]["spec"]["parallelism"] = limit
    events: list[dict[str, Any]] = []
    started = time.monotonic()
    ran = Ran(run_workflow(docs, store=store, on_event=events.append), events,
              time.monotonic() - started)
    items = [n for n in ran.workflow["status"]["nodes"].values() if n["type"] == "Pod"]
    assert sorted(n["displayName"] for n in items) == [
        f"item({i}:{x})" for i, x in enumerate("abcdef")]
    spans = [ran.span(n["displayName"]) for n in items]
    moments = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running, peak = 0, 0
    for _, delta in moments:
        running += delta
        peak = max(peak, running)
    assert peak == limit
    assert ran.seconds >= 0.3 * (6 // limit) - 0.05  # waves of 0.3 s
    assert ran.node("item")["type"] == "TaskGroup"


def test_with_param_with_sequence_and_aggregated_outputs(run_case):
    ran = run_case("with_param.yaml")
    assert ran.phase == "Succeeded"
    for i, day in enumerate(["2026-11-01", "2026-11-02", "2026-11-03"]):
        assert ran.param(f"per-date({i}:{day})", "out") == day
    assert [ran.param(f"count({i}:n{i + 1:02d})", "out") for i in range(3)] == [
        "n01", "n02", "n03"]
    assert [ran.param(f"down({i}:{n})", "out") for i, n in enumerate((3, 2, 1))] == \
        ["3", "2", "1"]
    assert ran.param("maps(0:day:mon,n:1)", "out") == "mon-1"
    assert json.loads(ran.param("gather", "out")) == ["2026-11-01", "2026-11-02", "2026-11-03"]


def test_expression_tags_with_closures_and_sprig_date(run_case):
    """Argo's expression-tag-template-workflow (argosay swapped for alpine): withParam from
    expr-lang's filter(..., {# > 1}) fans out to one item, 3, named task-0(0:3); asInt
    makes 30 of it; sprig.date given a string (workflow.creationTimestamp) formats now."""
    ran = run_case("expression_tags.yaml")
    assert ran.phase == "Succeeded"
    year = datetime.now(timezone.utc).year
    assert ran.param("task-0(0:3)", "output") in (f"hello 30 @ {y}" for y in (year - 1, year))
    assert ran.param("closures", "output") == '["a0","b1"] true 2'


def test_global_outputs_reach_the_exit_handler(run_case):
    ran = run_case("global_outputs.yaml")
    name = ran.workflow["metadata"]["name"]
    assert ran.result(f"{name}.onExit").strip() == (
        "count=42 missing=unknown never={{workflow.outputs.parameters.rows-never}}")
    assert {"name": "rows-count", "value": "42"} in ran.workflow["status"]["outputs"][
        "parameters"]


def test_template_ref_runs_a_library_template_with_its_own_references(run_case):
    ran = run_case("template_ref.yaml", entry="uses-library", parameters={"who": "cadencia"})
    assert ran.phase == "Succeeded"
    assert ran.node("greet")["templateRef"] == {"name": "library", "template": "greet-twice"}
    assert ran.param("second", "said") == "hello hello cadencia"
    assert ran.workflow["metadata"]["labels"][
        "workflows.argoproj.io/workflow-template"] == "uses-library"


def test_cluster_scope_picks_the_cluster_template_of_the_same_name(run_case):
    ran = run_case("cluster_template.yaml", entry="uses-both")
    assert ran.phase == "Succeeded"
    assert ran.result("from-namespace").strip() == "namespaced ns"
    assert ran.result("inner").strip() == "cluster cl"  # shout: the cluster template's own
    assert ran.node("from-cluster")["templateRef"] == {
        "name": "greeting", "template": "say", "clusterScope": True}


def test_workflow_template_ref_takes_the_workflows_entrypoint_and_arguments(run_case):
    ran = run_case("cluster_template.yaml", entry="runs-cluster-template")
    name = ran.workflow["metadata"]["name"]
    assert ran.phase == "Succeeded"
    assert ran.result(name).strip() == "cluster everyone"
    assert ran.workflow["metadata"]["labels"][
        "workflows.argoproj.io/cluster-workflow-template"] == "greeting"


def test_cluster_scope_without_that_cluster_template_is_refused(store):
    docs = [d for d in docs_of("cluster_template.yaml") if d["kind"] != "ClusterWorkflowTemplate"]
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, entry="uses-both", store=store)
    assert refused.value.problems == [
        "Workflow/uses-both: spec.templates[0].dag.tasks[1].templateRef: no "
        "ClusterWorkflowTemplate 'greeting' among the documents"]


def test_parameters_read_the_config_maps_given_beside(run_case):
    ran = run_case("config_map_parameters.yaml", entry="reads-config-maps")
    assert ran.phase == "Succeeded"
    assert ran.result("say").strip() == "hello warehouse"
    assert ran.result("fallback").strip() == "batch warehouse"  # no key mode: its default
    params = json.loads(json.dumps(ran.workflow["spec"]["arguments"]["parameters"]))
    assert params[0] == {"name": "greeting", "valueFrom": {
        "configMapKeyRef": {"name": "settings", "key": "greeting"}}}  # kept, as Argo's


def test_a_config_map_without_the_parameter_label_errors_the_node(run_case):
    ran = run_case("config_map_parameters.yaml", entry="wrong-label")
    name = ran.workflow["metadata"]["name"]
    assert ran.phase == "Error"
    assert ran.node(name)["message"] == (
        "unable to retrieve inputs.parameters.greeting from ConfigMap: ConfigMap "
        "'not-for-parameters' needs to have the label workflows.argoproj.io/configmap-type: "
        "Parameter to load parameters")


def test_a_global_parameter_whose_config_map_is_missing_fails_the_run(run_case):
    ran = run_case("config_map_parameters.yaml", entry="missing-config-map")
    assert ran.phase == "Failed"
    assert ran.workflow["status"]["message"] == (
        "failed to set global parameters: failed to set global parameter greeting from "
        "configmap with name absent and key greeting: ConfigMap 'absent' does not exist. "
        "Please make sure it has the label workflows.argoproj.io/configmap-type: Parameter "
        "to be detectable by the controller")
    assert ran.workflow["status"]["nodes"] == {}


def test_secret_key_ref_and_env_from_read_the_secrets_file(run_case, tmp_path):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(yaml.safe_dump({"api": {"token": "s3cr3t"},
                                       "configMaps": {"settings": {"MODE": "fast"}}}))
    ran = run_case("secrets.yaml", secrets_file=secrets)
    assert ran.node("has-secret")["phase"] == "Succeeded"
    lacking = ran.node("lacks-secret")
    assert lacking["phase"] == "Error"
    assert 'secret "target-db" has no key "url"' in lacking["message"]
    assert "CADENCIA_TEST_DB_URL" in lacking["message"]
    assert "s3cr3t" not in json.dumps(ran.workflow)  # values never land in the record


def test_artifacts_pass_between_sandboxes_archived_or_not(run_case, store):
    ran = run_case("artifacts.yaml")
    assert ran.node("consume")["phase"] == "Succeeded", ran.node("consume").get("message")
    produced = {a["name"]: a for a in ran.node("produce")["outputs"]["artifacts"]}
    name = ran.workflow["metadata"]["name"]
    pod = f"{name}-produce-"
    assert produced["plain"]["local"]["key"].startswith(f"{name}/{pod}")
    assert produced["plain"]["local"]["key"].endswith("/plain.txt")
    assert produced["packed"]["local"]["key"].endswith("/packed.tgz")


def test_cron_workflow_runs_its_template_at_the_scheduled_time(run_case):
    ran = run_case("cron.yaml", entry="daily", scheduled_time=date(2026, 11, 25))
    name = ran.workflow["metadata"]["name"]
    assert ran.result(name).strip() == "2026-11-25 2026-11-25T05:00:00Z"  # 02:00 -03:00
    assert ran.workflow["metadata"]["labels"]["workflows.argoproj.io/cron-workflow"] == "daily"


def test_mutex_queues_two_runs(run_case, store):
    results: list[Ran] = []
    threads = [threading.Thread(target=lambda: results.append(run_case("mutex.yaml")))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    spans = sorted(r.span(r.workflow["metadata"]["name"]) for r in results)
    assert spans[1][0] >= spans[0][1] - 0.05  # the second held it only after the first
    waited = [m for r in results for m in r.messages(r.workflow["metadata"]["name"])]
    assert "Waiting for default/Mutex/load-target lock. Lock status: 0/1" in waited
    for ran in results:  # once it holds the lock, the node says nothing of it
        node = ran.node(ran.workflow["metadata"]["name"])
        assert "message" not in node and "synchronizationStatus" not in node


def test_a_workflow_mutex_is_held_for_the_whole_run(run_case):
    results: list[Ran] = []
    threads = [threading.Thread(target=lambda: results.append(run_case("workflow_mutex.yaml")))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [r.phase for r in results] == ["Succeeded", "Succeeded"]
    first, second = sorted(results, key=lambda r: r.span("first")[0])
    first_name = first.workflow["metadata"]["name"]
    assert second.span("first")[0] >= first.span(f"{first_name}.onExit")[1] - 0.05
    waited = [e for e in second.events if e["kind"] == "workflow" and e["phase"] == "Pending"]
    assert [e["message"] for e in waited] == [
        "Waiting for default/Mutex/warehouse lock. Lock status: 0/1"]
    assert "message" not in second.workflow["status"]


def test_a_workflow_waiting_for_its_mutex_starts_its_clock_once_it_holds_it(run_case, store):
    held = Mutex(lock_path(store.root / ".locks", "default/Mutex/warehouse"))
    assert held.try_acquire()
    released: list[float] = []

    def release_when_pending(event: dict[str, Any]) -> None:
        if event["kind"] == "workflow" and event["phase"] == "Pending" and not released:
            threading.Timer(0.3, lambda: (released.append(time.time()), held.release())).start()

    ran = run_case("workflow_mutex.yaml", on_event=release_when_pending)
    assert ran.phase == "Succeeded"
    started = datetime.fromisoformat(ran.workflow["status"]["startedAt"].replace("Z", "+00:00"))
    assert started.timestamp() >= int(released[0])  # Argo: no startedAt while Pending


def test_a_semaphore_lets_its_config_maps_limit_of_holders_run_at_once(run_case):
    ran = run_case("semaphore.yaml", entry="semaphore")
    assert ran.phase == "Succeeded"
    items = [n["displayName"] for n in ran.workflow["status"]["nodes"].values()
             if n["displayName"].startswith("work(")]
    spans = [ran.span(item) for item in items]
    assert len(spans) == 4
    most = max(sum(1 for s in spans if s[0] <= moment < s[1]) for moment, _ in spans)
    assert most == 2
    waited = {m for item in items for m in ran.messages(item)}
    assert "Waiting for default/ConfigMap/limits/workers lock. Lock status: 0/2" in waited


def test_a_template_semaphore_without_its_config_map_errors_its_nodes(store):
    docs = [d for d in docs_of("semaphore.yaml") if d["kind"] != "ConfigMap"]
    ran = Ran(run_workflow(docs, entry="semaphore", store=store))
    assert ran.phase == "Failed"
    assert {ran.node(f"work({i}:{i + 1})")["message"] for i in range(4)} == {
        "failed to initialize semaphore default/ConfigMap/limits/workers with limit"}


def test_a_workflow_semaphore_without_its_config_map_fails_the_run(run_case):
    ran = run_case("semaphore.yaml", entry="semaphore-without-limit")
    assert ran.phase == "Failed"
    assert ran.workflow["status"]["message"] == (
        "Failed to acquire the synchronization lock. failed to initialize semaphore "
        "default/ConfigMap/absent/workers with limit")
    assert ran.workflow["status"]["nodes"] == {}


def test_metrics_are_written_in_prometheus_text(run_case, store):
    ran = run_case("metrics.yaml")
    text = (store.root / ran.workflow["metadata"]["name"] / "metrics.prom").read_text()
    assert 'argo_workflows_step_results{status="Succeeded"} 1' in text
    assert "argo_workflows_rows_loaded 7" in text
    assert 'argo_workflows_step_seconds_bucket{le="+Inf"} 1' in text
    assert "# TYPE argo_workflows_run_seconds gauge" in text


# -- before running ---------------------------------------------------------------------

def test_unsupported_fields_are_refused_with_their_paths_before_anything_runs(store):
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs_of("refused.yaml"), store=store)
    problems = "\n".join(refused.value.problems)
    for path in ("spec.templates[0].steps[0][0].hooks.running", "spec.templates[1].script.stdin",
                 "spec.templates[2].volumes[0]", "spec.templates[2].sidecars",
                 "spec.templates[2].container.env[0].valueFrom.fieldRef"):
        assert f"Workflow/refused: {path}:" in problems
    assert "resources" not in problems and "podGC" not in problems  # cluster-only: accepted
    assert store.list_runs() == []


@pytest.mark.parametrize("max_age", [" 10m", "10m ", "10"])
def test_a_memoize_max_age_go_would_not_parse_is_refused(max_age):
    """Argo reads maxAge with time.ParseDuration: no spaces trimmed, no bare number."""
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
           "metadata": {"name": "memo"},
           "spec": {"entrypoint": "main", "templates": [{
               "name": "main", "container": {"image": "alpine:3.20", "command": ["true"]},
               "memoize": {"key": "k", "maxAge": max_age,
                           "cache": {"configMap": {"name": "c"}}}}]}}
    assert [p for p in check([doc], "memo").problems if "memoize.maxAge" in p]


def test_cluster_only_fields_are_listed_in_the_record(store):
    docs = docs_of("when.yaml")
    docs[0]["spec"]["serviceAccountName"] = "etl"
    docs[0]["spec"]["templates"][1]["container"]["resources"] = {"limits": {"cpu": "1"}}
    ran = Ran(run_workflow(docs, store=store))
    saved = store.load(ran.workflow["metadata"]["name"]).load()
    assert saved["status"]["localEngine"] == ran.workflow["status"]["localEngine"]
    listed = ran.workflow["status"]["localEngine"]["clusterOnly"]
    assert "Workflow/when: spec.serviceAccountName" in listed
    assert "Workflow/when: spec.templates[1].container.resources" in listed


def test_missing_parameter_is_a_load_error(store):
    with pytest.raises(LoadError, match="run-date"):
        run_workflow(docs_of("cron.yaml"), entry="daily-template", store=store)


@pytest.mark.parametrize("manifest", sorted((ROOT / "k8s/workflows/local").glob("*/*.yaml")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_compiled_local_manifests_pass_the_refusal_check(manifest):
    docs = [d for path in sorted(manifest.parent.glob("*.yaml"))
            for d in yaml.safe_load_all(path.read_text()) if d]
    name = next(d for d in yaml.safe_load_all(manifest.read_text()) if d)["metadata"]["name"]
    assert check(docs, name).problems == []


def test_retry_of_a_failed_run_reuses_what_succeeded(run_case, tmp_path):
    failed = run_case("retry_run.yaml")
    assert failed.phase == "Failed" and failed.node("second")["phase"] == "Failed"
    (tmp_path / "allow").touch()
    again = run_case("retry_run.yaml", previous=failed.workflow)
    assert again.phase == "Succeeded"
    assert (tmp_path / "first").read_text().splitlines() == ["ran"]  # not run again
    assert again.node("first")["phase"] == "Succeeded"
    assert again.node("first(0)")["id"].startswith(again.workflow["metadata"]["name"])
    assert again.result("second").strip() == "got 7"
    assert again.workflow["status"]["outputs"]["parameters"] == [{"name": "first-v",
                                                                  "value": "7"}]
    for key in ("name", "uid", "creationTimestamp"):  # argo retry: the same workflow
        assert again.workflow["metadata"][key] == failed.workflow["metadata"][key]
