"""A Hera program of ``@script`` tasks runs locally as Hera compiles it: its ``to_yaml()``,
made at test time, as a DAG and as a steps template, through ``cadencia run --env FILE``
in a child process. Inline scripts
run with the host's ``python`` in pods of their own and pass an artifact at a literal
``/tmp`` path; the runner script (this project's image) imports the program and reads
``{{inputs.parameters}}``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e import hera_scripts_program

ROOT = Path(__file__).resolve().parents[2]


def _run(manifest: Path, cwd: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "workflows.cli", "run", "--env",
                           str(manifest)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    records = sorted((cwd / ".cadencia" / "runs").glob("*/workflow.json"))
    assert len(records) == 1, done.stdout + done.stderr
    return done, json.loads(records[0].read_text())


def _outputs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n.get("outputs") or {}
            for n in workflow["status"]["nodes"].values() if n["type"] == "Pod"}


def test_a_dag_of_hera_scripts_runs_as_compiled(tmp_path: Path) -> None:
    manifest = tmp_path / "hera-scripts.yaml"
    manifest.write_text(hera_scripts_program.build().to_yaml())
    done, workflow = _run(manifest, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert workflow["status"]["phase"] == "Succeeded"
    outputs = _outputs(workflow)
    assert outputs["extract"]["result"] == "100"  # 10 + 20 + 30 + 40
    assert outputs["transform"]["result"] == "50"  # the runner's return value, printed
    assert json.loads(outputs["load"]["result"]) == {"label": "payments", "rows": 4,
                                                      "fee": 50}


def test_a_steps_template_of_hera_scripts_runs_as_compiled(tmp_path: Path) -> None:
    """Steps: extract, then transform and rebate in parallel, then load, which gets the
    artifact of the first step and the results of the second group."""
    manifest = tmp_path / "hera-script-steps.yaml"
    manifest.write_text(hera_scripts_program.build_steps().to_yaml())
    done, workflow = _run(manifest, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert workflow["status"]["phase"] == "Succeeded"
    outputs = _outputs(workflow)
    assert (outputs["extract"]["result"], outputs["transform"]["result"],
            outputs["rebate"]["result"]) == ("100", "50", "10")
    assert json.loads(outputs["load"]["result"]) == {"label": 10, "rows": 4, "fee": 50}
    groups = [n for n in workflow["status"]["nodes"].values() if n["type"] == "StepGroup"]
    assert len(groups) == 3
