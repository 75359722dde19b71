"""The benchmarks still run end to end (`--quick` sizes; speed is judged only by `make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["load", "extract", "clean", "step_memory",
                                  "extract_sql"])
def test_quick_bench_runs_and_its_correctness_checks_pass(name: str) -> None:
    proc = subprocess.run([sys.executable, "-m", f"bench.bench_{name}", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "ratio" in proc.stdout or "vs psql" in proc.stdout
