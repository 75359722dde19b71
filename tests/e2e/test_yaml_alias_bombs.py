"""YAML alias bombs (issue 10, case 7): every loader refuses ``*alias``, in one line.

A "billion laughs" manifest (nine levels of nine aliases: 387 million strings from 600
bytes) used to drive ``cadencia lint`` and ``cadencia run --env FILE`` past 3 GB. The CLI
runs are subprocesses under a 2 GiB address-space limit and a short timeout: they must
answer at once, with one line naming the file. The other loaders (configuration, secrets,
artifact repository) get a small alias: any alias is refused, whatever it would expand
to, so these stay harmless even on a loader that does expand them. (Step spec files were
already refused: tests/unit/steps/test_transform.py::test_yaml_aliases_are_refused.)
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workflows.config.layers import LayerError, read_yaml
from workflows.engine.secrets import MissingSecret, SecretSource

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 2 * 1024**3
WHY = "YAML aliases (*name) are not allowed"

WORKFLOW = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: laughs
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: busybox
      command: [sh, -c, 'true']
"""


def laughs(indent: str = "") -> str:
    """Nine levels of nine aliases each, as mapping entries at ``indent``."""
    lines = [f'{indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{indent}{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def bomb_manifest(path: Path) -> Path:
    path.write_text(WORKFLOW.replace("  name: laughs\n",
                                     "  name: laughs\n  annotations:\n" + laughs("    "))
                    + "      args: *i\n")
    return path


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cadencia(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=30, check=False,
                          preexec_fn=_limited)
    return done, time.monotonic() - started


def test_cadencia_lint_of_a_billion_laughs_answers_at_once_with_one_line(
        tmp_path: Path) -> None:
    bomb = bomb_manifest(tmp_path / "bomb.yaml")

    done, seconds = cadencia("lint", str(bomb), cwd=tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith(f"bomb.yaml:7 error . yaml-alias line 7, column 12: {WHY}"), line
    assert seconds < 20


def test_cadencia_run_of_a_billion_laughs_manifest_answers_at_once_with_one_line(
        tmp_path: Path) -> None:
    bomb = bomb_manifest(tmp_path / "bomb.yaml")

    done, seconds = cadencia("run", "--env", str(bomb), "--home", str(tmp_path / "home"),
                             cwd=tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line == (f"Error: {bomb}: line 7, column 12: {WHY}: a few lines of nested "
                    "aliases can expand to billions of nodes (found *a)")
    assert not (tmp_path / "home" / "runs").exists()
    assert seconds < 20


@pytest.mark.parametrize("option", ["--secrets", "--artifacts"])
def test_cadencia_run_refuses_a_secrets_or_artifacts_file_with_aliases_in_one_line(
        tmp_path: Path, option: str) -> None:
    manifest = tmp_path / "ok.yaml"
    manifest.write_text(WORKFLOW)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs())

    done, _ = cadencia("run", "--env", str(manifest), option, str(bomb),
                       "--home", str(tmp_path / "home"), cwd=tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("Error: ") and str(bomb) in line and WHY in line, line


SMALL_ALIAS = "base: &base {retries: 3}\nother: *base\n"


@pytest.mark.parametrize(("loader", "error"), [
    (read_yaml, LayerError),
    (SecretSource, MissingSecret)], ids=["pipeline-config", "secrets-file"])
def test_every_config_loader_refuses_an_alias_naming_its_file(
        tmp_path: Path, loader: Callable[[Path], object], error: type[Exception]) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(SMALL_ALIAS)

    with pytest.raises(error) as refused:
        loader(path)

    text = str(refused.value)
    assert "settings.yaml" in text and WHY in text and "found *base" in text, text
    assert "\n" not in text.removeprefix("invalid pipeline configuration:\n"), text
