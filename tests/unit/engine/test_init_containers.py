"""The pod's init containers as Argo builds them: mirrored mounts appended to their own,
and the message of the one that failed."""

from __future__ import annotations

from typing import Any

from workflows.engine.init_containers import containers, failure, mirrored_paths


def test_mirror_volume_mounts_appends_the_main_containers_after_its_own() -> None:
    main = {"image": "alpine", "volumeMounts": [{"name": "a", "mountPath": "/a"}]}
    tmpl: dict[str, Any] = {"script": main, "initContainers": [
                {"name": "x", "mirrorVolumeMounts": True,
                 "volumeMounts": [{"name": "b", "mountPath": "/b"}]},
                {"name": "y", "volumeMounts": [{"name": "b", "mountPath": "/b"}]}]}
    x, y = containers(tmpl)
    assert [m["mountPath"] for m in x["volumeMounts"]] == ["/b", "/a"]
    assert [m["mountPath"] for m in y["volumeMounts"]] == ["/b"]
    placed = {"in": {"path": "/in/f"}, "raw": {"path": "/r"}}
    assert mirrored_paths(tmpl, x, placed) == ["/in/f", "/r", "/argo/staging"]
    assert mirrored_paths(tmpl, y, placed) == []
    assert tmpl["initContainers"][0]["volumeMounts"] == [{"name": "b", "mountPath": "/b"}]


def test_failure_names_the_init_container_or_the_one_left_waiting() -> None:
    assert failure("hello", 1, "main") == ("Failed", "hello: Error (exit code 1)")
    assert failure("hello", 137, "next") == (
        "Error", "Pod failed before next container starts due to PodInitializing: ")
