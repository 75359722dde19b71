"""Helpers for tests: run a step as a real subprocess, read the JSON log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class StepResult:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.proc = proc
        self.code = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    @property
    def logs(self) -> list[dict[str, Any]]:
        out = []
        for line in self.stderr.splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [rec for rec in self.logs if rec["level"] == "error"]

    def __repr__(self) -> str:
        return f"StepResult(code={self.code}, stderr={self.stderr[-2000:]!r})"


def run_step(name: str, *args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> StepResult:
    """Run ``python -m steps.<name> ARGS`` with JSON logs; ``env`` adds to os.environ."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    full_env["CADENCIA_LOG_FORMAT"] = "json"
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", f"steps.{name}", *args], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=timeout)
    return StepResult(proc)
