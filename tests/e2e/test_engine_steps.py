"""Steps templates through the local engine, as Argo v4.1.2 runs them (steps.go).

Each case is a manifest in ``engine_cases/steps_*.yaml``; the assertions are the node
tree (types, names, display names, parents), phases and Argo's messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_engine_conformance import Ran, docs_of
from workflows.engine import ManifestRefused, run_workflow
from workflows.engine.isolation import SHARE
from workflows.runs.store import RunStore


@pytest.fixture(autouse=True)
def _share_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SHARE, str(tmp_path))


@pytest.fixture
def run_case(tmp_path: Path) -> Callable[[str], Ran]:
    def run(case: str) -> Ran:
        docs = docs_of(case)
        declared = {p["name"] for d in docs for p in
                    ((d.get("spec") or {}).get("arguments") or {}).get("parameters") or []}
        params = {"scratch": str(tmp_path)} if "scratch" in declared else {}
        return Ran(run_workflow(docs, parameters=params,
                                store=RunStore(tmp_path / "store" / "runs")))
    return run


def by_name(ran: Ran) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in ran.workflow["status"]["nodes"].values()}


def children(ran: Ran, node: dict[str, Any]) -> list[str]:
    nodes = ran.workflow["status"]["nodes"]
    return [nodes[c]["name"] for c in node.get("children") or []]


def test_groups_make_argos_node_tree(run_case):
    ran = run_case("steps_groups.yaml")
    wf = ran.workflow["metadata"]["name"]
    nodes = by_name(ran)
    assert ran.phase == "Succeeded"
    root = nodes[wf]
    assert (root["type"], root["templateName"]) == ("Steps", "main")
    assert children(ran, root) == [f"{wf}[0]"]
    first = nodes[f"{wf}[0]"]
    assert (first["type"], first["displayName"], first["boundaryID"]) == (
        "StepGroup", "[0]", root["id"])
    assert "templateName" not in first
    assert sorted(children(ran, first)) == [f"{wf}[0].produce", f"{wf}[0].shout"]
    for step in ("produce", "shout"):  # group 1 hangs on every outbound node of group 0
        node = nodes[f"{wf}[0].{step}"]
        assert (node["type"], node["displayName"], node["boundaryID"]) == (
            "Pod", step, root["id"])
        assert children(ran, node) == [f"{wf}[1]"]
    assert nodes[f"{wf}[1]"]["displayName"] == "[1]"
    assert root["outboundNodes"] == [nodes[f"{wf}[1].join"]["id"]]


def test_step_outputs_pass_to_later_groups_and_to_the_templates_outputs(run_case):
    ran = run_case("steps_groups.yaml")
    assert ran.result("join").strip() == "hello+HELLO+Succeeded"
    root = ran.node(ran.workflow["metadata"]["name"])
    assert root["outputs"]["parameters"] == [
        {"name": "joined", "value": "hello+HELLO+Succeeded"},
        {"name": "fallback", "value": "none"}]


def test_a_failed_step_fails_its_group_and_stops_the_later_groups(run_case):
    ran = run_case("steps_failure.yaml")
    wf = ran.workflow["metadata"]["name"]
    nodes = by_name(ran)
    failed = nodes[f"{wf}[2].fails"]
    assert (failed["phase"], failed["message"]) == ("Failed", "main: Error (exit code 1)")
    group = nodes[f"{wf}[2]"]
    message = f"child '{failed['id']}' failed"
    assert (group["phase"], group["message"]) == ("Failed", message)
    assert (nodes[wf]["phase"], nodes[wf]["message"]) == ("Failed", message)
    assert nodes[f"{wf}[2].sibling"]["phase"] == "Succeeded"  # its group ran it all
    assert f"{wf}[3]" not in nodes and not ran.has("never")
    assert (ran.phase, ran.workflow["status"]["message"]) == ("Failed", message)


def test_continue_on_and_when_see_the_failed_steps_status_and_exit_code(run_case):
    ran = run_case("steps_failure.yaml")
    assert ran.node("tolerated")["phase"] == "Failed"
    assert ran.node("[0]")["phase"] == "Succeeded"
    assert ran.result("after-failure").strip() == "code 3"
    skipped = ran.node("after-success")
    assert (skipped["type"], skipped["phase"], skipped["message"]) == (
        "Skipped", "Skipped", "when 'Failed == Succeeded' evaluated false")


def test_items_are_children_of_the_group_named_as_argo_names_them(run_case):
    ran = run_case("steps_loops.yaml")
    wf = ran.workflow["metadata"]["name"]
    assert ran.phase == "Succeeded"
    assert sorted(children(ran, by_name(ran)[f"{wf}[0]"])) == [
        f"{wf}[0].list", f"{wf}[0].maps(0:os:debian,v:12)", f"{wf}[0].maps(1:os:alpine,v:3)",
        f"{wf}[0].numbers(0:01)", f"{wf}[0].numbers(1:02)", f"{wf}[0].numbers(2:03)"]
    assert ran.result("maps(1:os:alpine,v:3)").strip() == "alpine-3"
    assert ran.node("numbers(1:02)")["phase"] == "Skipped"
    assert ran.result("numbers(2:03)").strip() == "n03"
    assert [ran.result(f"fan({i}:{x})").strip() for i, x in enumerate("abc")] == list("abc")
    empty = ran.node("none")
    assert (empty["type"], empty["phase"], empty["message"]) == (
        "Skipped", "Skipped", "Skipped, empty params")
    assert json.loads(ran.result("gather")) == ["a", "b", "c"]


def test_nested_steps_and_dags_and_a_retried_step(run_case):
    ran = run_case("steps_nested.yaml")
    wf = ran.workflow["metadata"]["name"]
    nodes = by_name(ran)
    assert ran.phase == "Succeeded"
    assert [a["displayName"] for a in ran.attempts("flaky")] == ["flaky(0)", "flaky(1)"]
    assert [a["phase"] for a in ran.attempts("flaky")] == ["Failed", "Succeeded"]
    # the next group hangs on the retry's last attempt (getOutboundNodes)
    assert children(ran, nodes[f"{wf}[0].flaky(1)"]) == [f"{wf}[1]"]
    dag = nodes[f"{wf}[1].inner"]
    assert (dag["type"], dag["displayName"]) == ("DAG", "inner")
    inner = nodes[f"{wf}[1].inner.first"]
    assert (inner["type"], inner["displayName"], inner["boundaryID"]) == (
        "Steps", "first", dag["id"])
    leaf = nodes[f"{wf}[1].inner.first[0].leaf"]
    assert (leaf["displayName"], leaf["boundaryID"]) == ("leaf", inner["id"])
    assert inner["outboundNodes"] == [leaf["id"]]
    assert children(ran, leaf) == [f"{wf}[1].inner.second"]  # the DAG hangs on it too


def test_a_steps_exit_hook_runs_after_it_as_a_child_of_the_step(run_case):
    ran = run_case("steps_hooks.yaml")
    wf = ran.workflow["metadata"]["name"]
    nodes = by_name(ran)
    assert ran.phase == "Succeeded"
    hook = nodes[f"{wf}[0].work.onExit"]
    assert (hook["displayName"], hook["templateName"], hook["boundaryID"]) == (
        "work.onExit", "echo", nodes[wf]["id"])
    assert hook["nodeFlag"] == {"hooked": True}
    assert ran.result("work.onExit").strip() == "Succeeded hi"
    work = nodes[f"{wf}[0].work"]
    assert children(ran, work) == [f"{wf}[0].work.onExit", f"{wf}[1]"]
    broken = nodes[f"{wf}[0].broken.onExit"]  # onExit: after a failure too
    assert broken["phase"] == "Succeeded" and ran.node("broken")["phase"] == "Failed"
    assert nodes[f"{wf}[1].next"]["phase"] == "Succeeded"


def test_a_daemon_step_runs_beside_later_groups_until_the_steps_end(run_case, tmp_path):
    ran = run_case("steps_daemon.yaml")
    assert ran.phase == "Succeeded"
    assert ran.node("work")["phase"] == "Succeeded"  # ran while the daemon was alive
    assert ran.node("watcher")["phase"] == "Succeeded"
    assert (tmp_path / "daemon").read_text().strip() == "stopped"  # SIGTERM at the end


def test_template_fail_fast_stops_new_steps(run_case):
    ran = run_case("steps_fail_fast.yaml")
    message = "template has failed or errored children and failFast enabled"
    assert ran.node("first")["phase"] == "Failed"
    assert not ran.has("second")
    assert (ran.node("[0]")["phase"], ran.node("[0]")["message"]) == ("Failed", message)
    assert (ran.phase, ran.workflow["status"]["message"]) == ("Failed", message)


def test_what_steps_do_not_implement_is_refused_by_path(tmp_path):
    docs = docs_of("steps_groups.yaml")
    step = docs[0]["spec"]["templates"][0]["steps"][1][0]
    step["hooks"] = {"running": {"expression": "true", "template": "say"}}
    del step["template"]
    step["inline"] = {"container": {"image": "alpine:3.20", "lifecycle": {}},
                      "steps": [[{"name": "x", "inline": {"sidecars": []}}]]}
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=RunStore(tmp_path / "runs"))
    problems = "\n".join(refused.value.problems)
    assert "spec.templates[0].steps[1][0].hooks.running: lifecycle hooks with an " in problems
    # an inline template is walked as a template, its own inline ones too
    at = "spec.templates[0].steps[1][0].inline"
    assert f"{at}.container.lifecycle: container lifecycle is not" in problems
    assert f"{at}: a template needs exactly one of container" in problems
    assert f"{at}.steps[0][0].inline.sidecars: sidecars are not" in problems
    assert f"{at}.steps[0][0].inline: a template needs exactly one of" in problems


def test_a_step_naming_no_template_is_refused_before_the_run(tmp_path):
    docs = docs_of("steps_groups.yaml")
    docs[0]["spec"]["templates"][0]["steps"][1][0]["template"] = "hell0"
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=RunStore(tmp_path / "runs"))
    assert refused.value.problems == [
        "Workflow/steps-groups: spec.templates[0].steps[1][0].template: no template 'hell0'"]
