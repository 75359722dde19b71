#!/usr/bin/env python3
"""Vendor Argo's own manifests that can run on a plain host into tests/conformance/argo/.

A developer tool, run once by hand when the Argo version changes (never by tests)::

    .venv/bin/python scripts/vendor-argo-corpus.py /path/to/argo-workflows.git v4.1.2

It reads the tag straight from the git directory (``git show TAG:path``; a bare clone
does), replaces ``tests/conformance/argo/`` with the selected files, byte for byte, plus
Argo's ``LICENSE`` (Apache-2.0) and a ``NOTICE.md`` naming the repository, tag and commit,
and prints one line per file it left out, with the reason.
``tests/conformance/test_argo_corpus.py`` runs what it copied.

What is selected, and why
-------------------------
The corpus is what Argo itself asserts about its own manifests, so the expected outcome
is Argo's, not ours:

* ``examples/**.yaml``: Argo's e2e (``test/e2e/examples_test.go``) submits every
  Workflow document there and waits for ``Succeeded``, except those labelled
  ``workflows.argoproj.io/no-test`` (it skips them: they need an environment, take too
  long, are flaky or fail on purpose). Expected outcome: Succeeded.
* ``test/e2e/expectedfailures/**.yaml``: manifests Argo's e2e submits to see them end
  ``Failed`` or ``Error`` (or, for the three ``cli_test.go`` lints, to see them rejected:
  Argo's controller marks such a workflow Failed, "invalid spec"). Expected outcome:
  Failed or Error. A ``no-test`` label there is honoured too, except the value
  ``expected-failure``, which is that folder's very point.

Only files holding exactly one Workflow are candidates (Argo's e2e runs the Workflow
documents; the others are applied first). The WorkflowTemplates, ClusterWorkflowTemplates
and ConfigMaps a selected Workflow reaches are copied beside it, as e2e applies them. A
file of expectedfailures/ that is a symlink into examples/ (three are) is copied as the
file it points to, as e2e reads it.

A candidate is kept only when it can run on a plain host, because a manifest whose
outcome depends on a cluster would measure the cluster, not the engine. Everything the
Workflow reaches (its templates and those of the templates it references) must have:

* only images in ``COMMON_IMAGES``: general-purpose images whose commands (sh, echo,
  python, sleep...) a Linux host has, or that the engine names when it has not
  (argosay, whalesay). Services (nginx, influxdb), toolchains (golang, node, kubectl,
  curl) and templated images are left out. That holds for sidecars, init containers and
  daemons too, which rules out the sidecars that need a daemon image (docker:dind);
* no volumes other than ``emptyDir`` and no ``volumeClaimTemplates`` (a PVC needs a
  provisioner);
* no ``resource``, ``suspend``, ``http``, ``plugin`` or ``data`` templates (the
  Kubernetes API, a human, a network service, an executor plugin, an artifact store);
* no artifact with a location of its own (``http``, ``git``, ``gcs``, an artifact
  ``plugin``, ``s3`` with a bucket or endpoint...) and no ``artifactRepositoryRef``: a
  key-only ``s3: {key}`` uses the default repository and is fine, ``raw`` is inline data;
* no ``secretKeyRef``, and no ``configMapKeyRef``/template reference to an object that
  is not among the vendored files;
* not in ``EXCLUDED``: files that pass the rules above but whose Argo outcome comes
  from the cluster (RBAC, a memory limit, the scheduler), or that take longer than
  ~20 s (the whole corpus must run in ~90 s in CI), each with its reason.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "tests" / "conformance" / "argo"
SOURCES = {"examples/": "examples", "test/e2e/expectedfailures/": "expectedfailures"}
NO_TEST = "workflows.argoproj.io/no-test"

COMMON_IMAGES = frozenset({
    "busybox", "alpine", "debian", "ubuntu", "python", "argoproj/argosay", "docker/whalesay",
})
CLUSTER_TEMPLATES = ("resource", "suspend", "http", "plugin", "data")
ARTIFACT_LOCATIONS = ("http", "git", "gcs", "oss", "azure", "hdfs", "artifactory",
                      "huggingFace", "plugin", "s3")
SUPPORT_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate", "ConfigMap")
TEMPLATE = re.compile(r"(^|\.)(templates\[\d+\]|inline)$")
NEEDS_CLUSTER = {
    "volumeClaimTemplates": "needs a volume provisioner",
    "artifactRepositoryRef": "needs the cluster's artifact repository ConfigMap",
    "secretKeyRef": "needs a Secret",
}

EXCLUDED = {  # pass the rules, but their Argo outcome is the cluster's or they are slow
    "test/e2e/expectedfailures/oom-kill.yaml":
        "fails only because the kubelet enforces resources.limits.memory (OOMKilled)",
    "test/e2e/expectedfailures/serviceaccount-insufficient-permissions.yaml":
        "fails only because of Kubernetes RBAC on the service account",
    "test/e2e/expectedfailures/unschedulable.yaml":
        "fails only because the image tag alpine:doesntexist is not in the registry and no "
        "node matches its nodeSelector",
    "test/e2e/expectedfailures/dag-failFast-hang.yaml":
        "takes over 30 s (sleep 30 in a task, twice with its retry)",
}


@dataclass
class Candidate:
    path: str  # in the Argo repository
    source: str  # the file whose bytes it holds (a symlink's target, else path)
    docs: list[dict[str, Any]]
    expected: str  # Succeeded | Failed
    problems: list[str] = field(default_factory=list)
    support: set[str] = field(default_factory=set)  # paths of the files it reaches


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def image_repository(image: str) -> str:
    """``docker.io/library/python:alpine3.23`` -> ``python``."""
    name = image.split("@", 1)[0]
    head, _, tail = name.rpartition("/")
    name = f"{head}/{tail.split(':', 1)[0]}" if head else tail.split(":", 1)[0]
    for prefix in ("docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (YAML path, value) under ``value``."""
    yield path, value
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from walk(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from walk(sub, f"{path}[{i}]")


def spec_problems(spec: dict[str, Any], where: str) -> Iterator[str]:
    """Why the spec (of a Workflow or of a template it reaches) needs a cluster."""
    for path, value in walk(spec):
        at = f"{where}.{path}" if path else where
        last = path.rsplit(".", 1)[-1]
        if isinstance(value, list) and last == "volumes":
            for i, volume in enumerate(value):
                kinds = [k for k in volume if k != "name"]
                if kinds != ["emptyDir"]:
                    yield f"{at}[{i}]: {', '.join(kinds)} volume"
        if isinstance(value, list) and last == "artifacts":
            for i, art in enumerate(value):
                for kind in ARTIFACT_LOCATIONS:
                    location = art.get(kind)
                    if location is None or (kind == "s3" and set(location) <= {"key"}):
                        continue  # a key-only s3 artifact is in the default repository
                    yield f"{at}[{i}].{kind}: an artifact location of its own"
        if not isinstance(value, dict):
            continue
        image = value.get("image")
        if isinstance(image, str) and image_repository(image) not in COMMON_IMAGES:
            yield f"{at}.image: {image} is not a common image"
        if TEMPLATE.search(path):
            for kind in CLUSTER_TEMPLATES:
                if kind in value:
                    yield f"{at}.{kind}: a {kind} template"
        for key, why in NEEDS_CLUSTER.items():
            if key in value:
                yield f"{at}.{key}: {why}"


def labels(doc: dict[str, Any]) -> dict[str, str]:
    return (doc.get("metadata") or {}).get("labels") or {}


def references(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, name) of every template or ConfigMap ``doc`` refers to."""
    for _, value in walk(doc.get("spec") or {}):
        if not isinstance(value, dict):
            continue
        ref = value.get("templateRef") or value.get("workflowTemplateRef")
        if isinstance(ref, dict) and ref.get("name"):
            cluster = ref.get("clusterScope")
            yield ("ClusterWorkflowTemplate" if cluster else "WorkflowTemplate"), ref["name"]
        cm = value.get("configMapKeyRef")
        if isinstance(cm, dict) and cm.get("name"):
            yield "ConfigMap", cm["name"]


def load(repo: Path, tag: str) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """``{path: (the path whose bytes it holds, its documents)}``; a symlink (three of
    expectedfailures/ point into examples/) holds its target's bytes, as e2e reads it."""
    files: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for line in git(repo, "ls-tree", "-r", tag, *SOURCES).splitlines():
        meta, path = line.split("\t", 1)
        if not path.endswith((".yaml", ".yml")):
            continue
        source = path
        if meta.split()[0] == "120000":  # a symlink: its blob is the target's path
            target = git(repo, "show", f"{tag}:{path}").strip()
            source = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        text = git(repo, "show", f"{tag}:{source}")
        files[path] = (source, [d for d in yaml.safe_load_all(text) if isinstance(d, dict)])
    return files


def select(files: dict[str, tuple[str, list[dict[str, Any]]]]
           ) -> tuple[list[Candidate], dict[str, str]]:
    """The kept candidates, and why each other file with a Workflow was left out."""
    provided: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
    for path, (_, docs) in files.items():
        for doc in docs:
            if path.startswith("examples/") and doc.get("kind") in SUPPORT_KINDS:
                provided[(doc["kind"], (doc.get("metadata") or {}).get("name", ""))] = (path, doc)
    kept: list[Candidate] = []
    left: dict[str, str] = {}
    for path, (source, docs) in sorted(files.items()):
        workflows = [d for d in docs if d.get("kind") == "Workflow"]
        if not workflows:  # applied by e2e, not run: copied when a kept Workflow needs it
            continue
        if len(workflows) > 1:
            left[path] = f"{len(workflows)} Workflows in one file"
            continue
        (workflow,) = workflows
        failing = path.startswith("test/e2e/expectedfailures/")
        reason = labels(workflow).get(NO_TEST)
        if reason is not None and not (failing and reason == "expected-failure"):
            left[path] = f"labelled {NO_TEST}: {reason}"
            continue
        if path in EXCLUDED:
            left[path] = EXCLUDED[path]
            continue
        found = Candidate(path, source, docs, "Failed" if failing else "Succeeded")
        found.problems = list(spec_problems(workflow.get("spec") or {}, "spec"))
        todo, seen = list(references(workflow)), set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            if key not in provided:
                found.problems.append(f"{key[0]}/{key[1]} is not among Argo's examples")
                continue
            where, doc = provided[key]
            found.support.add(where)
            if key[0] != "ConfigMap":
                found.problems += spec_problems(doc.get("spec") or {}, f"{key[0]}/{key[1]}")
                todo += references(doc)
        if found.problems:
            more = len(found.problems) - 1
            left[path] = found.problems[0] + (f" (+{more} more)" if more else "")
        else:
            kept.append(found)
    return kept, left


def destination(path: str) -> Path:
    for prefix, folder in SOURCES.items():
        if path.startswith(prefix):
            return DEST / folder / path.removeprefix(prefix)
    raise ValueError(path)


NOTICE = """# Argo Workflows manifests, vendored

The YAML files under `examples/` and `expectedfailures/` are copied unmodified, byte for
byte, from the Argo Workflows project (three files of `expectedfailures/` are symlinks
into `examples/` there, and are copied as the file they point to):

- repository: https://github.com/argoproj/argo-workflows
- tag: {tag}
- commit: {commit}
- from `examples/` and `test/e2e/expectedfailures/` of that commit

Copyright The Argo Authors, licensed under the Apache License 2.0: see `LICENSE` beside
this file (Argo's own). They were selected and copied by `scripts/vendor-argo-corpus.py`
(its docstring gives the rule); `tests/conformance/test_argo_corpus.py` runs them through
cadencia's local engine. {count} manifests are run; the other files are the
WorkflowTemplates, ClusterWorkflowTemplates and ConfigMaps they reference.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="an argo-workflows git directory (bare is fine)")
    parser.add_argument("tag", help="the tag to vendor, e.g. v4.1.2")
    args = parser.parse_args(argv)
    commit = git(args.repo, "rev-parse", f"{args.tag}^{{commit}}").strip()
    kept, left = select(load(args.repo, args.tag))
    if DEST.exists():
        shutil.rmtree(DEST)
    copied = {c.path: c.source for c in kept} | {s: s for c in kept for s in c.support}
    for path, source in sorted(copied.items()):
        target = destination(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "-C", str(args.repo), "show",
                                           f"{args.tag}:{source}"], check=True,
                                          capture_output=True).stdout)
    (DEST / "LICENSE").write_text(git(args.repo, "show", f"{args.tag}:LICENSE"))
    (DEST / "NOTICE.md").write_text(NOTICE.format(tag=args.tag, commit=commit,
                                                  count=len(kept)))
    out = sys.stdout
    for path, why in sorted(left.items()):
        out.write(f"left out {path}: {why}\n")
    succeed = sum(c.expected == "Succeeded" for c in kept)
    out.write(f"{len(kept)} manifests vendored ({succeed} examples, "
              f"{len(kept) - succeed} expected failures) from {args.tag} ({commit}), "
              f"{len(copied) - len(kept)} support files\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
