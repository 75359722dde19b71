"""Folders of objects, as Argo stores an archive: none folder: subPath picks a file or a
folder inside one, a key with no object loads every object under it (map-reduce's
results), and a subPath that is not there is missing (an Error, or skipped when
optional), under a tarball's key too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import own_filesystem
from workflows.engine import ManifestRefused, run_workflow
from workflows.runs.store import RunStore

pytestmark = own_filesystem.NEEDS_NAMESPACES
nothing_shared = own_filesystem.nothing_shared
store = own_filesystem.store


def sh(name: str, script: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "container": {"image": "alpine:3.20", "command": ["sh", "-c", script]},
            **fields}


def reader(name: str, script: str, optional: bool = False) -> dict[str, Any]:
    return sh(name, script, inputs={"artifacts": [{"name": "in", "path": "/tmp/in",
                                                   **({"optional": True} if optional else {})}]})


def steps(*groups: list[dict[str, Any]], templates: list[dict[str, Any]]) -> list[Any]:
    spec = {"entrypoint": "main", "templates": [{"name": "main", "steps": list(groups)},
                                                *templates]}
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "folders"}, "spec": spec}]


def by_name(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"}


def read(step: str, template: str, sub: str | None, optional: bool = False) -> dict[str, Any]:
    art: dict[str, Any] = {"name": "in", "from": "{{steps.make.outputs.artifacts.out}}"}
    if sub is not None:
        art["subPath"] = sub
    if optional:
        art["optional"] = True
    return {"name": step, "template": template, "arguments": {"artifacts": [art]}}


def test_sub_path_picks_a_file_or_a_folder_inside_a_folder_of_objects(store: RunStore) -> None:
    make = sh("make", "mkdir -p /out/sub && echo a > /out/a.txt && echo b > /out/sub/b.txt",
              outputs={"artifacts": [{"name": "out", "path": "/out",
                                      "archive": {"none": {}}}]})
    wf = run_workflow(steps(
        [{"name": "make", "template": "make"}],
        [read("whole", "ls", None), read("file", "cat", "a.txt"),
         read("folder", "ls", "{{workflow.name}}/../sub"), read("gone", "cat", "nope.txt"),
         read("skipped", "absent", "nope.txt", optional=True)],
        templates=[make, reader("ls", "ls -R /tmp/in"), reader("cat", "cat /tmp/in"),
                   reader("absent", "test ! -e /tmp/in && echo absent", optional=True)]),
        store=store)
    nodes = by_name(wf)
    assert nodes["whole"]["outputs"]["result"] == "/tmp/in:\na.txt\nsub\n\n/tmp/in/sub:\nb.txt"
    assert nodes["file"]["outputs"]["result"] == "a"
    assert nodes["folder"]["outputs"]["result"] == "/tmp/in:\nb.txt"  # path.Join cleans ..
    assert nodes["gone"]["phase"] == "Error" and "not found" in nodes["gone"]["message"]
    assert nodes["skipped"]["phase"] == "Succeeded"
    assert nodes["skipped"]["outputs"]["result"] == "absent"


def test_sub_path_under_a_tarball_is_missing_as_in_argo(store: RunStore) -> None:
    make = sh("make", "mkdir -p /out && echo a > /out/a.txt",
              outputs={"artifacts": [{"name": "out", "path": "/out"}]})  # tar.gz
    wf = run_workflow(steps([{"name": "make", "template": "make"}],
                            [read("file", "cat", "a.txt")],
                            templates=[make, reader("cat", "cat /tmp/in")]), store=store)
    file = by_name(wf)["file"]
    assert wf["status"]["phase"] == "Failed"
    assert file["phase"] == "Error" and "out.tgz/a.txt" in file["message"]


def test_a_key_with_no_object_loads_every_object_under_it(store: RunStore) -> None:
    def part(name: str) -> dict[str, Any]:
        return sh(f"part-{name}", f"mkdir /out && echo {name} > /out/{name}.txt",
                  outputs={"artifacts": [{"name": "p", "path": f"/out/{name}.txt",
                                          "archive": {"none": {}},
                                          "s3": {"key": f"{{{{workflow.name}}}}/results/"
                                                        f"{name}.txt"}}]})
    gather = sh("gather", "cat /mnt/in/*", inputs={"artifacts": [
        {"name": "all", "path": "/mnt/in", "s3": {"key": "{{workflow.name}}/results"}}]})
    wf = run_workflow(steps([{"name": "a", "template": "part-a"},
                             {"name": "b", "template": "part-b"}],
                            [{"name": "gather", "template": "gather"}],
                            templates=[part("a"), part("b"), gather]), store=store)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    assert by_name(wf)["gather"]["outputs"]["result"] == "a\nb"


def test_keys_take_the_templates_input_parameters(store: RunStore) -> None:
    """Argo substitutes a template's inputs into the whole template (util.go
    SubstituteParams), its input and output artifacts' keys included: a fan-out writes
    one key per item and a later template gathers the folder named by its own input."""
    part = sh("part", "echo {{inputs.parameters.n}} > /tmp/p.txt", inputs={
        "parameters": [{"name": "n"}, {"name": "day"}]}, outputs={"artifacts": [
            {"name": "p", "path": "/tmp/p.txt", "archive": {"none": {}},
             "s3": {"key": "{{workflow.name}}/{{inputs.parameters.day}}/"
                           "{{inputs.parameters.n}}.txt"}}]})
    gather = sh("gather", "cat /mnt/in/*", inputs={
        "parameters": [{"name": "day"}],
        "artifacts": [{"name": "all", "path": "/mnt/in",
                       "s3": {"key": "{{workflow.name}}/{{inputs.parameters.day}}"}}]})
    day = {"name": "day", "value": "2026-11-25"}
    wf = run_workflow(steps([{"name": "part", "template": "part", "withSequence": {"count": "3"},
                              "arguments": {"parameters": [{"name": "n", "value": "{{item}}"},
                                                           day]}}],
                            [{"name": "gather", "template": "gather",
                              "arguments": {"parameters": [day]}}],
                            templates=[part, gather]), store=store)
    assert wf["status"]["phase"] == "Succeeded", wf["status"].get("message")
    assert by_name(wf)["gather"]["outputs"]["result"] == "0\n1\n2"


def test_a_key_ending_in_a_slash_is_refused_unless_a_folder_of_objects(store: RunStore) -> None:
    out = {"artifacts": [{"name": "o", "path": "/out", "s3": {"key": "{{workflow.name}}/o/"}}]}
    docs = steps([{"name": "make", "template": "make"}],
                 templates=[sh("make", "mkdir /out", outputs=out)])
    with pytest.raises(ManifestRefused, match=r"outputs.artifacts\[0\].s3.key: a key ending "
                                              r"in / for an artifact that is not archive: none"):
        run_workflow(docs, store=store)
