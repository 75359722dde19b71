"""Start-up cost of every step: ``python -m steps.<name> --help`` must finish under 0.5 s.

Every step is its own container, so imports are paid on every run. The baseline is a bare
``python -c pass`` measured in the same run.
"""

from __future__ import annotations

import argparse
import pkgutil
import statistics
import sys
from pathlib import Path

from bench.timing import measure

GOAL_S = 0.5
ROOT = Path(__file__).resolve().parent.parent


def step_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(ROOT / "steps")])
                  if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    runs = 2 if args.quick else args.runs
    bare = statistics.median(
        measure([sys.executable, "-c", "pass"], cwd=str(ROOT)).seconds for _ in range(runs))
    print(f"{'step':<14} {'--help median':>14} {'vs bare python':>15} {'goal':>8}")
    print(f"{'(bare python)':<14} {bare:>13.3f}s {'1.0x':>15}")
    missed = []
    for name in step_names():
        cmd = [sys.executable, "-m", f"steps.{name}", "--help"]
        measure(cmd, cwd=str(ROOT))  # warm the page cache and .pyc files
        t = statistics.median(measure(cmd, cwd=str(ROOT)).seconds for _ in range(runs))
        ok = t < GOAL_S
        if not ok:
            missed.append(name)
        print(f"{name:<14} {t:>13.3f}s {t / bare:>14.1f}x {'ok' if ok else 'MISSED':>8}")
    print(f"goal: every step's --help under {GOAL_S:.1f}s; "
          + ("met" if not missed else f"missed by {', '.join(missed)}"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
