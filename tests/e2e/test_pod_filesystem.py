"""A filesystem per pod: each node's process sees the paths its manifest names (its own
/tmp, artifact and parameter paths, emptyDir volumes, workingDir), mapped onto its
sandbox in a private mount namespace, and nothing of it reaches the host; where
namespaces are unavailable (``CADENCIA_ENGINE_ISOLATION=off`` simulates it), templates
that rely on literal paths are refused before the run.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e import own_filesystem
from workflows.engine import ManifestRefused, run_workflow
from workflows.engine.isolation import SWITCH
from workflows.runs.store import RunStore

ARGO = Path(__file__).resolve().parents[1] / "conformance" / "argo" / "examples"
CASES = Path(__file__).parent / "engine_cases"

pytestmark = own_filesystem.NEEDS_NAMESPACES
nothing_shared = own_filesystem.nothing_shared
store = own_filesystem.store


def workflow(*templates: dict[str, Any], volumes: list[Any] | None = None) -> list[Any]:
    spec: dict[str, Any] = {"entrypoint": templates[0]["name"], "templates": list(templates)}
    if volumes:
        spec["volumes"] = volumes
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "pod-fs"}, "spec": spec}]


def sh(name: str, script: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "container": {"image": "alpine:3.20", "command": ["sh", "-c", script],
                                        **fields.pop("container", {})}, **fields}


def nodes(wf: dict[str, Any], template: str) -> list[dict[str, Any]]:
    return [n for n in wf["status"]["nodes"].values() if n.get("templateName") == template]


def param(node: dict[str, Any], name: str) -> str:
    return str(next(p["value"] for p in node["outputs"]["parameters"] if p["name"] == name))


def test_parallel_nodes_each_write_their_own_literal_tmp_path(store: RunStore) -> None:
    marker = f"/tmp/cadencia-pod-fs-{uuid.uuid4().hex}"
    docs = workflow(
        {"name": "main", "dag": {"tasks": [{"name": "write", "template": "write",
                                            "withItems": ["a", "b", "c"],
                                            "arguments": {"parameters": [
                                                {"name": "v", "value": "{{item}}"}]}}]}},
        sh("write", f"test ! -e /tmp/x && echo {{{{inputs.parameters.v}}}} > /tmp/x && "
                    f"touch {marker} && sleep 0.5 && cat /tmp/x",
           inputs={"parameters": [{"name": "v"}]},
           outputs={"parameters": [{"name": "x", "valueFrom": {"path": "/tmp/x"}}]}))
    wf = run_workflow(docs, store=store)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    pods = [n for n in nodes(wf, "write") if n["type"] == "Pod"]
    assert sorted(param(n, "x") for n in pods) == ["a", "b", "c"]
    assert all(n["outputs"]["result"].strip() == param(n, "x") for n in pods)
    assert not Path(marker).exists()
    assert wf["status"]["localEngine"]["podFilesystem"] == "own (private mount namespace)"


def test_memoize_simple_twice_the_second_is_a_hit_with_the_same_output(store: RunStore) -> None:
    docs = list(yaml.safe_load_all((ARGO / "memoize-simple.yaml").read_text()))
    first = run_workflow(docs, store=store)
    second = run_workflow(docs, store=store)
    (one,), (two,) = nodes(first, "world-to-file"), nodes(second, "world-to-file")
    assert (first["status"]["phase"], second["status"]["phase"]) == ("Succeeded", "Succeeded")
    assert one["memoizationStatus"]["hit"] is False and two["memoizationStatus"]["hit"] is True
    assert param(one, "hello") == param(two, "hello") == "world"


def test_input_artifacts_at_literal_paths_and_no_mount_point_on_the_host(
        store: RunStore) -> None:
    top = f"/cadencia-pod-fs-{uuid.uuid4().hex[:8]}"
    docs = workflow(sh("read", f"cat /tmp/file {top}/in/data.txt /mnt/out/../out/x.txt",
                       inputs={"artifacts": [
                           {"name": "a", "path": "/tmp/file", "raw": {"data": "one\n"}},
                           {"name": "b", "path": f"{top}/in/data.txt", "raw": {"data": "two\n"}},
                           {"name": "c", "path": "/mnt/out/x.txt", "raw": {"data": "three\n"}},
                       ]}))
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "read")
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "one\ntwo\nthree"  # one newline trimmed, as Argo
    assert not Path(top).exists() and not Path("/mnt/out").exists()


def test_an_empty_dir_volume_is_mounted_and_an_output_inside_it_is_collected(
        store: RunStore) -> None:
    docs = workflow(
        sh("use", "grep -q ' /mnt/vol ' /proc/mounts && echo in-vol > /mnt/vol/out.txt && "
                  "if touch /mnt/ro/x 2>/dev/null; then exit 3; fi; ls -A /mnt/vol",
           container={"volumeMounts": [{"name": "work", "mountPath": "/mnt/vol"},
                                       {"name": "scratch", "mountPath": "/mnt/ro",
                                        "readOnly": True}]},
           volumes=[{"name": "scratch", "emptyDir": {}}],
           outputs={"parameters": [{"name": "v", "valueFrom": {"path": "/mnt/vol/out.txt"}}]}),
        volumes=[{"name": "work", "emptyDir": {}}])
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "use")
    assert node["phase"] == "Succeeded", node.get("message")
    assert param(node, "v") == "in-vol"
    assert node["outputs"]["result"] == "out.txt"  # a fresh, empty folder for the pod
    assert not Path("/mnt/vol").exists()


def test_working_dir_is_where_the_command_starts_and_writes(store: RunStore) -> None:
    where = f"/srv/cadencia-pod-fs-{uuid.uuid4().hex[:8]}/work"
    docs = workflow(sh("wd", "pwd && echo here > out.txt",
                       container={"workingDir": where},
                       outputs={"parameters": [{"name": "v",
                                                "valueFrom": {"path": f"{where}/out.txt"}}]}))
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "wd")
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == where and param(node, "v") == "here"
    assert not Path(where).parent.exists()


def test_host_folders_are_read_only_and_the_project_image_runs_on_the_host(
        store: RunStore, tmp_path: Path) -> None:
    probe = tmp_path / "written-by-the-pod"
    docs = workflow(
        {"name": "main", "dag": {"tasks": [{"name": "foreign", "template": "foreign"},
                                           {"name": "ours", "template": "ours"}]}},
        sh("foreign", f"touch {probe} 2>/dev/null; test ! -e {probe}"),
        {"name": "ours", "container": {"image": "ghcr.io/x/cadencia:1", "command": [
            "python", "-c", f"open({str(probe)!r}, 'w').write('ours')"]}})
    wf = run_workflow(docs, store=store)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    assert probe.read_text() == "ours"


def test_a_program_the_host_lacks_is_an_error_naming_it_and_the_image(
        store: RunStore) -> None:
    docs = workflow({"name": "say", "container": {"image": "docker/whalesay",
                                                  "command": ["cowsay", "hello"]}})
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "say")
    assert node["phase"] == "Error"
    assert "failed to start cowsay" in node["message"]
    assert "image docker/whalesay" in node["message"]


def test_without_namespaces_literal_paths_are_refused_by_yaml_path(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "off")
    docs = list(yaml.safe_load_all((ARGO / "memoize-simple.yaml").read_text()))
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=store)
    (problem,) = refused.value.problems
    assert problem.startswith("Workflow/memoized: spec.templates[0].outputs.parameters[0]"
                              ".valueFrom.path: the command uses /tmp/hello_world.txt")
    assert f"{SWITCH}=off" in problem
    volumes = list(yaml.safe_load_all((ARGO / "volumes-emptydir.yaml").read_text()))
    with pytest.raises(ManifestRefused, match=r"volumeMounts\[0\].mountPath: volume 'workdir'"):
        run_workflow(volumes, store=store)


def test_without_namespaces_path_variables_still_run_in_the_sandbox(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "off")
    docs = workflow(sh("write", "echo {{outputs.parameters.v.path}} > "
                                "{{outputs.parameters.v.path}}",
                       outputs={"parameters": [{"name": "v", "valueFrom": {"path": "/tmp/v"}}]}))
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "write")
    assert node["phase"] == "Succeeded", node.get("message")
    assert param(node, "v").startswith(str(store.root)) and param(node, "v").endswith("/tmp/v")
    assert wf["status"]["localEngine"]["podFilesystem"] == f"the host's ({SWITCH}=off)"


def test_paths_directly_in_root_are_the_pods_own_and_nothing_reaches_the_hosts_root(
        store: RunStore) -> None:
    name = f"cadencia-pod-fs-{uuid.uuid4().hex[:8]}"
    before = sorted(p.name for p in Path("/").iterdir())
    docs = workflow(sh("root", f"cat /{name}.in && echo out > {name}.out && pwd",
                       inputs={"artifacts": [{"name": "in", "path": f"/{name}.in",
                                              "raw": {"data": "in"}}]},
                       outputs={"artifacts": [{"name": "out", "path": f"/{name}.out"}],
                                "parameters": [{"name": "v", "valueFrom": {
                                    "path": f"/{name}.out"}}]}))
    wf = run_workflow(docs, store=store)
    (node,) = nodes(wf, "root")
    assert node["phase"] == "Succeeded", node.get("message")
    assert node["outputs"]["result"] == "in/"  # started in /, where it wrote
    assert param(node, "v") == "out"
    assert [a["name"] for a in node["outputs"]["artifacts"]] == ["out"]
    assert sorted(p.name for p in Path("/").iterdir()) == before


def test_an_output_folder_the_command_must_make_is_not_made_for_it(store: RunStore) -> None:
    docs = workflow(
        {"name": "main", "steps": [[{"name": "makes", "template": "makes"}],
                                   [{"name": "forgets", "template": "forgets"}]]},
        sh("makes", "mkdir /mnt/out && echo x > /mnt/out/part.json",
           outputs={"artifacts": [{"name": "part", "path": "/mnt/out/part.json"}]}),
        sh("forgets", "true",
           outputs={"artifacts": [{"name": "part", "path": "/mnt/out/part.json"}]}))
    wf = run_workflow(docs, store=store)
    (makes,), (forgets,) = nodes(wf, "makes"), nodes(wf, "forgets")
    assert makes["phase"] == "Succeeded", makes.get("message")  # /mnt/out did not exist
    assert forgets["phase"] == "Error"
    assert forgets["message"] == "failed to save outputs: /mnt/out/part.json does not exist"


def test_an_output_at_an_entry_of_the_host_is_refused(store: RunStore) -> None:
    docs = workflow(sh("host", "true", outputs={"artifacts": [{"name": "u", "path": "/usr"}]}))
    with pytest.raises(ManifestRefused, match=r"spec.templates\[0\].outputs.artifacts\[0\]"
                                              r".path: /usr is an entry of this host"):
        run_workflow(docs, store=store)


def test_without_namespaces_a_path_in_root_runs_through_its_variable_only(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SWITCH, "off")
    through = workflow(sh("write", "echo v > {{outputs.parameters.v.path}}",
                          outputs={"parameters": [{"name": "v", "valueFrom": {"path": "/v"}}]}))
    (node,) = nodes(run_workflow(through, store=store), "write")
    assert node["phase"] == "Succeeded" and param(node, "v") == "v"
    literal = list(yaml.safe_load_all((ARGO / "conditional-artifacts.yaml").read_text()))
    with pytest.raises(ManifestRefused, match=r"/result.txt is never named through"):
        run_workflow(literal, store=store)
