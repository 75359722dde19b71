"""Loading helpers for the deploy tests: the k8s/ manifests, the compiled workflows, tools."""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
OWN_FOLDERS = ("base", "dev", "monitoring")
ENVS = ("local", "dev", "staging", "prod")


@cache
def version() -> str:
    # a regex, not tomllib: the project still supports Python 3.10
    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, "pyproject.toml has no version"
    return found.group(1)


def yaml_files(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (K8S / f).rglob("*.yaml"))


@cache
def _docs(path: Path) -> tuple[Any, ...]:
    return tuple(d for d in yaml.safe_load_all(path.read_text()) if d is not None)


def docs(*folders: str) -> list[tuple[Path, dict[str, Any]]]:
    """Every YAML document of the folders under k8s/, with its file."""
    return [(p, d) for p in yaml_files(*folders) for d in _docs(p)]


def objects(folder: str, kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in docs(folder) if d.get("kind") == kind}


def compiled(env: str) -> list[dict[str, Any]]:
    return [d for _, d in docs(f"workflows/{env}")]


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every mapping entry, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key), value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def templates(env: str) -> list[dict[str, Any]]:
    return [t for d in compiled(env) for t in (d.get("spec") or {}).get("templates") or []]


def require_tool(name: str, how: str) -> str:
    """The tool's path; a skip naming how to install it, or a failure under CI, where
    `make setup` installs every tool the tests use."""
    found = tool(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing under CI: {how}")
        pytest.skip(f"{name} is not installed ({how})")
    return found


def tool(name: str) -> str | None:
    """A binary from the venv, the project's ignored .tools/bin, or PATH."""
    for folder in (Path(sys.executable).parent, ROOT / ".tools" / "bin"):
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)
