"""Artifact paths reach the program only through ``{{inputs/outputs.artifacts.X.path}}``.

A command, argument, env value or script source that spells an artifact's literal path
breaks silently when the path changes in one place only; the placeholder cannot drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workflows.lint.argo import ArgoDoc, Template, as_dict, as_list
from workflows.lint.containers import container_templates, pod_containers
from workflows.lint.findings import Finding, Path_

_PATH_CHAR = r"[A-Za-z0-9_.\-]"


def artifact_paths(t: Template) -> list[tuple[str, str, str]]:
    """(direction, artifact name, literal path) of the template's artifacts."""
    out = []
    for direction in ("inputs", "outputs"):
        for art in as_list(as_dict(t.data.get(direction)).get("artifacts")):
            path = as_dict(art).get("path")
            if isinstance(path, str) and path.strip("/") and "{{" not in path:
                out.append((direction, str(as_dict(art).get("name")), path.rstrip("/")))
    return out


def _texts(container: dict[str, Any], path: Path_) -> Iterator[tuple[str, Path_]]:
    for key in ("command", "args"):
        for i, arg in enumerate(as_list(container.get(key))):
            yield str(arg), (*path, key, i)
    for i, env in enumerate(as_list(container.get("env"))):
        if "value" in as_dict(env):
            yield str(env["value"]), (*path, "env", i, "value")
    if isinstance(container.get("source"), str):
        yield container["source"], (*path, "source")


def check(adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    for t in container_templates(adoc):
        arts = [(d, n, re.compile(rf"(?<!{_PATH_CHAR}){re.escape(p)}(?!{_PATH_CHAR})"), p)
                for d, n, p in artifact_paths(t)]
        if not arts:
            continue
        for container, cpath in pod_containers(adoc, t):
            for text, where in _texts(container, cpath):
                for direction, name, pattern, literal in arts:
                    if pattern.search(text):
                        out.append(adoc.finding(where, "artifact-path-literal",
                                                f"{literal!r} is the path of {direction[:-1]} "
                                                f"artifact {name!r}; write "
                                                f"{{{{{direction}.artifacts.{name}.path}}}}"))
    return out
