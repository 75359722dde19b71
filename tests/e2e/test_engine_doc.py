"""docs/engine.md, executed: the commands of its first console block run as written (from
a folder that sees this checkout's tests/), and say what the doc says they do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "engine.md"


def console_block(index: int) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("```console\n")[index + 1].split("```", 1)[0]
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


def run_as_written(commands: list[str], tmp_path: Path) -> list[str]:
    """Each command's output; every one must exit 0."""
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "100"
    said = []
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"$ {command}\n{done.stdout}\n{done.stderr}"
        said.append(done.stdout)
    return said


def test_the_engine_doc_commands_run_as_written(tmp_path: Path) -> None:
    commands = console_block(0)
    assert [c.split()[:2] for c in commands] == [["cadencia", "run"], ["cadencia", "logs"],
                                                 ["cadencia", "run"], ["cadencia", "get"]]
    said = run_as_written(commands, tmp_path)
    assert "hello world" in said[1]  # the logs of the hello-world run
    assert "Succeeded" in said[3] and "hola" in said[3]  # the parameter reached the run


def test_several_env_paths_give_the_templates_and_config_maps_a_workflow_reads(
        tmp_path: Path) -> None:
    commands = console_block(1)
    assert [c.count("--env") for c in commands] == [2, 2, 0]
    said = run_as_written(commands, tmp_path)
    assert "hello world" in said[2]  # the ConfigMap's msg, through a global parameter
