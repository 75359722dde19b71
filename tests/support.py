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


def step_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ without CADENCIA_* settings, with JSON logs, plus ``env``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    full_env["CADENCIA_LOG_FORMAT"] = "json"
    full_env.update(env or {})
    return full_env


def run_step(name: str, *args: str, env: dict[str, str] | None = None,
             timeout: float = 120) -> StepResult:
    """Run ``python -m steps.<name> ARGS`` with JSON logs; ``env`` adds to os.environ."""
    proc = subprocess.run([sys.executable, "-m", f"steps.{name}", *args], cwd=ROOT,
                          env=step_env(env), capture_output=True, text=True, timeout=timeout)
    return StepResult(proc)


def assert_failed_without_output(result: StepResult, code: int, cause: str, out: Path) -> str:
    """The step exited ``code`` with one error line naming ``cause``, and published
    neither ``out`` nor a temporary beside it. Returns the error message."""
    assert result.code == code, result
    assert len(result.errors) == 1, result.errors
    message: str = result.errors[0]["message"]
    assert cause in message, message
    assert_nothing_published(out)
    return message


def assert_nothing_published(out: Path) -> None:
    """Neither ``out`` nor a temporary beside it (``.<name>*``) exists."""
    assert not out.exists() and list(out.parent.glob(f".{out.name}*")) == []
