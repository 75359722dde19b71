"""Argo's test images through the local engine: ``argoproj/argosay:v2`` runs its own
``/argosay`` (placed in the pod's filesystem) when the container gives no command, its
outputs are collected like any pod's, ``exit 1`` fails the node, and a program the image
lacks fails it as Argo's executor does (exit code 64); ``argoproj/argosay:v1`` runs
Debian's cowsay from /usr/games. Without namespaces /argosay cannot be placed: refused.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import own_filesystem
from workflows.engine import ManifestRefused, images, run_workflow
from workflows.engine.isolation import SWITCH
from workflows.runs.store import RunStore

pytestmark = own_filesystem.NEEDS_NAMESPACES
nothing_shared = own_filesystem.nothing_shared
store = own_filesystem.store
V2 = "argoproj/argosay:v2"


def dag(*templates: dict[str, Any], tasks: list[dict[str, Any]]) -> list[Any]:
    main = {"name": "main", "dag": {"tasks": tasks}}
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "argosay"},
             "spec": {"entrypoint": "main", "templates": [main, *templates]}}]


def by_name(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values()}


def test_argosay_echoes_to_a_file_output_and_exit_1_fails_the_node(store: RunStore) -> None:
    docs = dag(
        {"name": "say", "container": {"image": V2, "args": ["echo", "hola", "/mnt/out/msg"]},
         "outputs": {"parameters": [{"name": "msg", "valueFrom": {"path": "/mnt/out/msg"}}],
                     "artifacts": [{"name": "msg", "path": "/mnt/out/msg"}]}},
        {"name": "read", "container": {"image": V2, "args": ["cat", "/tmp/in"]},
         "inputs": {"artifacts": [{"name": "in", "path": "/tmp/in"}]}},
        {"name": "bare", "container": {"image": V2}},
        {"name": "fail", "container": {"image": V2, "args": ["exit", "1"]}},
        tasks=[{"name": "say", "template": "say"},
               {"name": "read", "template": "read", "depends": "say",
                "arguments": {"artifacts": [
                    {"name": "in", "from": "{{tasks.say.outputs.artifacts.msg}}"}]}},
               {"name": "bare", "template": "bare"},
               {"name": "fail", "template": "fail"}])
    wf = run_workflow(docs, store=store)
    nodes = by_name(wf)
    say = nodes["say"]
    assert say["phase"] == "Succeeded", say.get("message")
    assert say["outputs"]["parameters"][0]["value"] == "hola"
    assert nodes["read"]["outputs"]["result"] == "hola"
    assert nodes["bare"]["outputs"]["result"] == "hello argo"  # /argosay alone: v2 has no CMD
    fail = nodes["fail"]
    assert (fail["phase"], fail["message"], fail["outputs"]["exitCode"]) == \
        ("Failed", "main: Error (exit code 1)", "1")
    assert wf["status"]["phase"] == "Failed"
    assert not Path("/argosay").exists() and not Path("/mnt/out").exists()


def test_a_program_the_image_lacks_fails_the_node_as_argos_executor(store: RunStore) -> None:
    """As Argo's TestWorkflowParallelismStepFailFast over parallelism-step-fail-fast.yaml:
    the step whose program argosay lacks is Failed, its sibling of the same group still
    started (a template's failFast stops only what had not) and Succeeded."""
    if not images.host_is_base(images.KNOWN[V2]):
        pytest.skip("the host is not of the Debian family: its lack is not the image's")
    docs = [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "lacks"},
             "spec": {"entrypoint": "main", "templates": [
                 {"name": "main", "parallelism": 2, "failFast": True, "steps": [[
                     {"name": "step1", "template": "builtin"},
                     {"name": "step2", "template": "nap"}]]},
                 {"name": "builtin", "container": {"image": V2, "command": ["exit", "1"]}},
                 {"name": "nap", "container": {"image": V2, "args": ["sleep", "0.3"]}}]}}]
    wf = run_workflow(docs, store=store)
    nodes = by_name(wf)
    step1 = nodes["step1"]
    assert step1["phase"] == "Failed"  # not Error: the pod ran Argo's executor, which exited
    assert step1["message"] == ('main: Error (exit code 64): failed to find name in PATH: exec: '
                                '"exit": executable file not found in $PATH')
    assert step1["outputs"]["exitCode"] == "64"
    assert nodes["step2"]["phase"] == "Succeeded"
    assert (nodes["[0]"]["phase"], wf["status"]["phase"]) == ("Failed", "Failed")
    assert wf["status"]["message"] == \
        "template has failed or errored children and failFast enabled"


@pytest.mark.skipif(not Path("/usr/games/cowsay").exists(),
                    reason="Debian's cowsay package is not installed (scripts/setup.sh)")
def test_argosay_v1_runs_cowsay_from_usr_games_on_its_path(store: RunStore) -> None:
    docs = dag({"name": "moo", "container": {"image": "argoproj/argosay:v1",
                                             "args": ["cowsay", "moo"]}},
               {"name": "path", "container": {"image": "docker.io/argoproj/argosay:v1",
                                              "command": ["sh", "-c", "echo $PATH"]}},
               tasks=[{"name": "moo", "template": "moo"}, {"name": "path", "template": "path"}])
    wf = run_workflow(docs, store=store)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    assert "< moo >" in by_name(wf)["moo"]["outputs"]["result"]
    assert by_name(wf)["path"]["outputs"]["result"] == \
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games"  # ubuntu's


def test_without_cowsay_on_the_host_the_node_is_an_error_naming_it(
        store: RunStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The image has cowsay where this host has none (v1 with its games folder moved
    somewhere empty: this machine has Debian's cowsay installed)."""
    games = str(tmp_path / "games")
    path = images.KNOWN["argoproj/argosay:v1"].env["PATH"].replace("/usr/games", games)
    monkeypatch.setitem(images.KNOWN, "argoproj/argosay:v1", dataclasses.replace(
        images.KNOWN["argoproj/argosay:v1"], env={"PATH": path},
        from_host={f"{games}/cowsay": "cowsay"}))
    docs = dag({"name": "moo", "container": {"image": "argoproj/argosay:v1"}},
               tasks=[{"name": "moo", "template": "moo"}])
    wf = run_workflow(docs, store=store)
    node = by_name(wf)["moo"]
    assert node["phase"] == "Error"
    assert node["message"].startswith("failed to start cowsay: [Errno 2]")
    assert "image argoproj/argosay:v1" in node["message"]
    assert "install Debian's cowsay package" in node["message"]


def test_a_path_of_the_containers_own_wins_over_the_images(store: RunStore) -> None:
    """Argo's pod with PATH=/usr/bin:/bin cannot find /usr/games/cowsay either."""
    if not images.host_is_base(images.KNOWN[V2]):
        pytest.skip("the host is not of the Debian family: its lack is not the image's")
    docs = dag({"name": "moo", "container": {
        "image": "argoproj/argosay:v1", "env": [{"name": "PATH", "value": "/usr/bin:/bin"}]}},
        tasks=[{"name": "moo", "template": "moo"}])
    wf = run_workflow(docs, store=store)
    node = by_name(wf)["moo"]
    assert (node["phase"], node["outputs"]["exitCode"]) == ("Failed", "64")
    assert node["message"].endswith('exec: "cowsay": executable file not found in $PATH')


def test_without_namespaces_running_argosay_is_refused_by_yaml_path(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "off")
    docs = dag({"name": "fail", "container": {"image": V2, "args": ["exit", "1"]}},
               {"name": "sh", "container": {"image": V2, "command": ["sh", "-c", "exit 1"]}},
               tasks=[{"name": "fail", "template": "fail"}, {"name": "sh", "template": "sh"}])
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=store)
    (problem,) = refused.value.problems
    assert problem.startswith("Workflow/argosay: spec.templates[1].container: the container "
                              "gives no command, so the pod runs its image's entrypoint "
                              "/argosay")
    assert f"{SWITCH}=off" in problem
