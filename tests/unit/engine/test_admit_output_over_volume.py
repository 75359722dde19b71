"""An output artifact whose folder has a volume mounted inside it is refused: Argo saves
the volume's files with the folder, the engine's sandbox keeps them apart."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine import check


def workflow(path: str, mount: str) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
            "spec": {"entrypoint": "main", "volumes": [{"name": "v", "emptyDir": {}}],
                     "templates": [{"name": "main",
                                    "outputs": {"artifacts": [{"name": "a", "path": path}]},
                                    "container": {"image": "alpine:3.20", "command": ["true"],
                                                  "volumeMounts": [{"name": "v",
                                                                    "mountPath": mount}]}}]}}


def test_a_volume_mounted_inside_an_output_artifact_is_refused():
    assert check([workflow("/data/out", "/data/out/cache")], "w").problems == [
        "Workflow/w: spec.templates[0].outputs.artifacts[0].path: /data/out has the volume "
        "mount /data/out/cache inside it: an output artifact over a mounted volume is not "
        "implemented by the local engine"]


@pytest.mark.parametrize(("path", "mount"), [
    ("/data/out", "/data/out"), ("/data/out/file", "/data/out"), ("/data/out", "/data/outer"),
    ("/data/out", "/other"),
])
def test_an_output_in_a_volume_or_beside_it_is_not(path, mount):
    assert check([workflow(path, mount)], "w").problems == []
