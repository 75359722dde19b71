"""Fields that shape a pod on a cluster (podSpecPatch, podResources), run locally: what a
cluster-only patch changes nothing here, and what Argo or the API server would reject is
the node's Error before anything runs in it, as on a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_engine_conformance import Ran, docs_of
from workflows.engine import ManifestRefused, run_workflow
from workflows.engine.isolation import SHARE
from workflows.runs.store import RunStore


@pytest.fixture(autouse=True)
def _share_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARE, str(tmp_path))


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store" / "runs")


def test_pod_spec_patches_as_argo_applies_them(tmp_path, store):
    ran = Ran(run_workflow(docs_of("pod_spec_patch.yaml"), store=store,
                           parameters={"scratch": str(tmp_path)}))
    assert ran.node("make")["phase"] == "Succeeded"
    assert ran.node("resources")["phase"] == "Succeeded"
    assert (tmp_path / "ran-resources").exists()
    command = ran.node("command")
    assert command["phase"] == "Error"
    assert command["message"].startswith("podSpecPatch: containers[0].command: podSpecPatch "
                                         "containers[main].command is not implemented")
    unreadable = ran.node("unreadable")
    assert unreadable["phase"] == "Error"
    assert unreadable["message"] == "Error applying PodSpecPatch"  # Argo's, exactly
    log = store.load(ran.workflow["metadata"]["name"]).log_path(unreadable["id"]).read_text()
    assert "podSpecPatch: containers[0].resources.limits.cpu: quantities must match" in log
    over = ran.node("over-limit")
    assert over["phase"] == "Error"
    assert "must be less than or equal to memory limit of 100Mi" in over["message"]
    for marker in ("command", "unreadable", "over-limit"):  # the pod was never made
        assert not (tmp_path / f"ran-{marker}").exists()
    assert ran.phase == "Error"  # the DAG's errored tasks, as assessDAGPhase
    listed = ran.workflow["status"]["localEngine"]["clusterOnly"]
    assert "Workflow/pod-spec-patch: spec.podSpecPatch" in listed
    assert "Workflow/pod-spec-patch: spec.templates[2].podSpecPatch" in listed


def test_a_literal_patch_of_what_runs_locally_is_refused_by_its_path(store):
    docs = docs_of("pod_spec_patch.yaml")
    docs[0]["spec"]["podSpecPatch"] = (
        "containers:\n- name: main\n  env: [{name: A, value: b}]\nvolumes: []\n"
        "initContainers: [{name: x, image: alpine}]\n")
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=store, parameters={"scratch": "/nowhere"})
    problems = refused.value.problems
    for where in ("containers[0].env", "volumes", "initContainers"):
        assert any(p.startswith(f"Workflow/pod-spec-patch: spec.podSpecPatch: {where}: ")
                   for p in problems), problems
    assert store.list_runs() == []


def test_archive_logs_keeps_the_main_log_as_the_main_logs_artifact(store):
    ran = Ran(run_workflow(docs_of("archive_logs.yaml"), store=store))
    assert ran.phase == "Succeeded"
    repository = store.root.parent / "artifacts"
    logged = ran.node("logged")
    names = [a["name"] for a in logged["outputs"]["artifacts"]]
    assert names == ["out", "main-logs"]  # after the declared ones, as ReportOutputs
    logs = logged["outputs"]["artifacts"][1]
    pod = f"{ran.workflow['metadata']['name']}-logged-"
    assert logs["local"]["key"].startswith(f"{ran.workflow['metadata']['name']}/{pod}")
    assert logs["local"]["key"].endswith("/main.log")
    assert (repository / logs["local"]["key"]).read_text().startswith("hello from " + pod)
    assert "artifacts" not in ran.node("quiet")["outputs"]  # the template's false wins
    failing = ran.node("failing")
    assert failing["phase"] == "Failed"
    (saved,) = failing["outputs"]["artifacts"]
    assert (repository / saved["local"]["key"]).read_text() == "about to fail\n"


def test_an_archive_location_of_its_own_is_refused(store):
    docs = docs_of("archive_logs.yaml")
    docs[0]["spec"]["templates"][1]["archiveLocation"] = {"s3": {"key": "x"}}
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=store)
    assert refused.value.problems == [
        "Workflow/archive-logs: spec.templates[1].archiveLocation.s3: a template's own archive "
        "location is not implemented by the local engine"]


def test_labels_from_expressions_label_the_run_and_are_variables(store):
    ran = Ran(run_workflow(docs_of("labels_from.yaml"), store=store, parameters={"foo": "baz"}))
    assert ran.phase == "Succeeded"
    labels = ran.workflow["metadata"]["labels"]
    assert {k: labels[k] for k in ("foo", "entry", "team")} == {
        "foo": "baz", "entry": "main-baz", "team": "data"}
    assert ran.node(ran.workflow["metadata"]["name"])["outputs"]["result"] == "baz main-baz data"
    saved = store.load(ran.workflow["metadata"]["name"]).load()
    assert saved["metadata"]["labels"]["foo"] == "baz"


@pytest.mark.parametrize(("expression", "foo", "message"), [
    ("workflow.parameters.foo", "not a label!",
     'invalid label value "not a label!" for label "foo" and expression '
     '"workflow.parameters.foo": a valid label must be'),
    ("1 + 1", "bar", 'failed to evaluate label "foo" expression "1 + 1" evaluted to int but '
                     "must be a string"),
    ("workflow.parameters.nope", "bar",
     'failed to compile function for expression "workflow.parameters.nope": '),
])
def test_a_label_argo_cannot_set_is_the_workflows_error_and_nothing_runs(store, expression,
                                                                         foo, message):
    docs = docs_of("labels_from.yaml")
    docs[0]["spec"]["workflowMetadata"]["labelsFrom"]["foo"]["expression"] = expression
    ran = Ran(run_workflow(docs, store=store, parameters={"foo": foo}))
    assert ran.phase == "Error"
    assert ran.workflow["status"]["message"].startswith(message)
    assert ran.workflow["status"]["nodes"] == {}
