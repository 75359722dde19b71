"""What a template declares, read off the manifest before anything runs: the repository
of its image, and the container paths it names for artifacts and output parameters.

Both the admission checks (``admit.literal_paths``) and a pod (``pod``) read these.
"""

from __future__ import annotations

from typing import Any


def image_repository(image: str) -> str:
    """``ghcr.io/cadencia/cadencia:0.1.0`` -> ``cadencia``."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def declared_paths(tmpl: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(variable, YAML path under the template, container path) of each declared path."""
    found = []
    for side in ("inputs", "outputs"):
        for i, art in enumerate((tmpl.get(side) or {}).get("artifacts") or []):
            if art.get("path"):
                found.append((f"{side}.artifacts.{art['name']}.path",
                              f"{side}.artifacts[{i}].path", str(art["path"])))
    for i, param in enumerate((tmpl.get("outputs") or {}).get("parameters") or []):
        declared = (param.get("valueFrom") or {}).get("path")
        if declared:
            found.append((f"outputs.parameters.{param['name']}.path",
                          f"outputs.parameters[{i}].valueFrom.path", str(declared)))
    return found
