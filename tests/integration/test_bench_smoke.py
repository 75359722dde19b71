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


def test_quick_pipeline_bench_lands_the_same_rows_all_three_ways() -> None:
    """``bench pipeline --quick``: cadencia run, the one-process lower bound and the seed's
    pandas way each fill the target partition, and their digests agree (the bench exits
    non-zero when they do not)."""
    proc = subprocess.run([sys.executable, "-m", "bench.bench_pipeline", "--quick"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("rows/source"))
    row = lines[header + 1]  # the one size's row: times, ratio, speed-up, RSS, digests
    assert "equal (" in row and "DIFFER" not in proc.stdout, proc.stdout
    assert "peak RSS <= 512 MiB: met" in proc.stdout, proc.stdout
