"""A template's initContainers run before its main container, in order, each in a
filesystem of its own that shares only the pod's volumes (and, with mirrorVolumeMounts,
the main container's mounts: its volumes and input artifacts); one that fails fails the
pod with the message Argo gives, and the main container never runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import own_filesystem
from workflows.engine import ManifestRefused, run_workflow
from workflows.engine.isolation import SWITCH
from workflows.runs.store import RunStore

pytestmark = own_filesystem.NEEDS_NAMESPACES
nothing_shared = own_filesystem.nothing_shared
store = own_filesystem.store


def sh(script: str, **fields: Any) -> dict[str, Any]:
    return {"image": "alpine:3.20", "command": ["sh", "-c", script], **fields}


def pod(main: str, *inits: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    tmpl = {"name": "pod", "container": sh(main, volumeMounts=[{"name": "work",
                                                               "mountPath": "/work"}]),
            "initContainers": list(inits), **fields}
    spec = {"entrypoint": "pod", "templates": [tmpl],
            "volumes": [{"name": "work", "emptyDir": {}}]}
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "init"}, "spec": spec}]


def run_pod(store: RunStore, docs: list[dict[str, Any]]) -> tuple[dict[str, Any], Path]:
    wf = run_workflow(docs, store=store)
    (node,) = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
    return node, store.root / wf["metadata"]["name"]


def test_init_containers_run_in_order_sharing_only_the_pods_volumes(store: RunStore) -> None:
    node, record = run_pod(store, pod(
        "cat /work/order && test ! -e /tmp/first && test ! -e /first && echo main-out",
        {"name": "first", **sh("echo first > /tmp/first && echo first > /first && "
                               "echo first >> /work/order && echo first-out",
                               volumeMounts=[{"name": "work", "mountPath": "/work"}])},
        {"name": "second", "mirrorVolumeMounts": True,
         **sh("test ! -e /tmp/first && echo second >> /work/order")}))
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "first\nsecond\nmain-out"  # the main's stdout only
    logs = record / "logs"
    assert "first-out" not in (logs / f"{node['id']}.log").read_text()
    assert (logs / f"{node['id']}.init-0.log").read_text() == "first-out\n"


def test_a_failing_init_container_fails_the_pod_and_the_main_never_runs(
        store: RunStore) -> None:
    node, _ = run_pod(store, pod(
        "echo main > /work/ran",
        {"name": "ok", **sh("true")},
        {"name": "broken", **sh("exit 3")},
        {"name": "never", **sh("exit 0")}))
    assert (node["phase"], node["message"]) == ("Failed", "broken: Error (exit code 3)")
    assert "outputs" not in node


def test_an_init_container_killed_leaves_the_next_one_waiting(store: RunStore) -> None:
    node, _ = run_pod(store, pod("true", {"name": "killed", **sh("kill -9 $$")}))
    assert node["phase"] == "Error"
    assert node["message"] == "Pod failed before main container starts due to PodInitializing: "


def test_mirrored_mounts_bring_the_input_artifacts_and_volumes(store: RunStore) -> None:
    inputs = {"artifacts": [{"name": "data", "path": "/in/data.txt", "raw": {"data": "d"}}]}
    node, _ = run_pod(store, pod(
        "cat /work/copy",
        {"name": "mirrored", "mirrorVolumeMounts": True,
         **sh("cp /in/data.txt /work/copy")}, inputs=inputs))
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "d"
    node, _ = run_pod(store, pod(
        "true", {"name": "plain", **sh("test -e /in/data.txt")}, inputs=inputs))
    assert (node["phase"], node["message"]) == ("Failed", "plain: Error (exit code 1)")


def test_the_pods_deadline_counts_its_init_containers(store: RunStore) -> None:
    node, _ = run_pod(store, pod("sleep 0.8", {"name": "slow", **sh("sleep 0.8")},
                                 activeDeadlineSeconds=1))  # each alone would finish
    assert node["phase"] == "Failed"
    assert node["message"] == "Pod was active on the node longer than the specified deadline"
    assert "outputs" in node  # the main container was the one stopped


def test_init_containers_are_checked_before_the_run(store: RunStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    docs = pod("true", {"name": "x", **sh("true", volumeMounts=[{"name": "none",
                                                                  "mountPath": "/n"}])})
    with pytest.raises(ManifestRefused, match=r"initContainers\[0\].volumeMounts\[0\]: no "
                                              r"volume 'none'"):
        run_workflow(docs, store=store)
    docs = pod("true", {"name": "x", "mirrorVolumeMounts": True,
                        **sh("true", volumeMounts=[{"name": "work", "mountPath": "/work/"}])})
    with pytest.raises(ManifestRefused, match=r"initContainers\[0\].volumeMounts: /work is "
                                              r"mounted twice"):
        run_workflow(docs, store=store)
    monkeypatch.setenv(SWITCH, "off")
    docs = pod("true", {"name": "x", **sh("echo > /tmp/x")})
    with pytest.raises(ManifestRefused, match=r"initContainers\[0\]: the command uses /tmp/x"):
        run_workflow(docs, store=store)
