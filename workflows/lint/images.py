"""Images are pinned: a tag other than ``latest``, or a digest.

A placeholder may stand for the tag (``repo/app:{{workflow.parameters.tag}}``) or for the
whole image; only a literal ``:latest`` or a literal image without a tag is reported.
"""

from __future__ import annotations

from typing import Any

from workflows.lint.argo import ArgoDoc
from workflows.lint.containers import container_templates, pod_containers
from workflows.lint.expressions import PLACEHOLDER
from workflows.lint.findings import Finding


def image_problem(image: Any) -> str | None:
    """Why ``image`` is not pinned, or None."""
    if image is None or str(image).strip() == "":
        return "the image is empty"
    text = str(image).strip()
    if "@sha256:" in text or "@" in PLACEHOLDER.sub("", text):
        return None
    templated = "{{" in text
    last = PLACEHOLDER.sub("X", text).rsplit("/", 1)[-1]
    if ":" not in last:
        return None if templated else f"{text!r} has no tag (it means :latest); pin a version"
    tag = last.rsplit(":", 1)[1]
    if tag == "latest":
        return f"{text!r} uses :latest; pin a version or a digest"
    return None


def check(adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    for t in container_templates(adoc):
        for container, path in pod_containers(adoc, t):
            problem = image_problem(container.get("image"))
            if problem:
                out.append(adoc.finding((*path, "image"), "image-tag", problem))
    return out
