"""Run the pipeline's steps in order as local processes (the interim main job).

Each stage is a list of step calls started together (the two extracts run in parallel);
a stage starts when the previous one succeeded. Every call is a real
``python -m steps.<name>`` process, exactly what a container runs, with its logs kept in
the run folder. The local engine that executes the compiled Argo manifests replaces this.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StepCall:
    """One step process: ``python -m steps.<module> ARGS`` with extra env."""

    name: str
    module: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class StepOutcome:
    name: str
    phase: str = "Pending"
    exit_code: int | None = None
    seconds: float = 0.0
    rows: int | None = None
    message: str = ""


def _last_error(log_path: Path) -> str:
    message = ""
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("level") == "error":
                message = str(rec.get("message", ""))
    return message


def run_stages(
    stages: Sequence[Sequence[StepCall]],
    workdir: Path,
    *,
    on_change: Callable[[StepOutcome], None] = lambda o: None,
) -> list[StepOutcome]:
    """Run stages in order; stop at the first failing stage. Returns every outcome."""
    outcomes = {call.name: StepOutcome(call.name) for stage in stages for call in stage}
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    failed = False
    for stage in stages:
        if failed:
            for call in stage:
                outcomes[call.name].phase = "Omitted"
                on_change(outcomes[call.name])
            continue
        running: list[tuple[StepCall, subprocess.Popen[bytes], float, Path]] = []
        for call in stage:
            log_path = logs / f"{call.name}.log"
            env = {**os.environ, "CADENCIA_LOG_FORMAT": "json", **call.env}
            rows_file = workdir / "outputs" / f"{call.name}.rows"
            rows_file.parent.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", f"steps.{call.module}", *call.args,
                   "--rows-out", str(rows_file)]
            with log_path.open("wb") as log:
                proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            outcomes[call.name].phase = "Running"
            on_change(outcomes[call.name])
            running.append((call, proc, time.perf_counter(), log_path))
        for call, proc, started, log_path in running:
            code = proc.wait()
            out = outcomes[call.name]
            out.exit_code = code
            out.seconds = time.perf_counter() - started
            rows_file = workdir / "outputs" / f"{call.name}.rows"
            if rows_file.exists():
                out.rows = int(rows_file.read_text().strip() or 0)
            out.phase = "Succeeded" if code == 0 else "Failed"
            if code != 0:
                out.message = f"exit {code}: {_last_error(log_path)}"
                failed = True
            on_change(out)
    return list(outcomes.values())
