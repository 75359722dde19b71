"""Local engine overhead per node: a 20-node DAG of ``true`` against the bare processes.

The DAG has five layers of four ``true`` tasks, each task depending on every task of the
layer before. Measured side by side in the same run:

- ``engine``: ``run_workflow`` on that DAG (records saved at every change, sandboxes,
  logs, events), in this process;
- ``same order``: the same 20 ``true`` processes started directly by asyncio in the same
  dependency order (a layer starts when the previous one has exited);
- ``sequence``: the 20 processes one after the other (``subprocess.run``).

Overhead per node = (engine - same order) / 20. Goal: at most 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_MS = 50.0
LAYERS, WIDTH = 5, 4
NODES = LAYERS * WIDTH


def manifest() -> dict[str, Any]:
    tasks = []
    for layer in range(LAYERS):
        for i in range(WIDTH):
            task: dict[str, Any] = {"name": f"t{layer}-{i}", "template": "true"}
            if layer:
                task["dependencies"] = [f"t{layer - 1}-{j}" for j in range(WIDTH)]
            tasks.append(task)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "bench-engine"},
            "spec": {"entrypoint": "main", "templates": [
                {"name": "main", "dag": {"tasks": tasks}},
                {"name": "true", "container": {"image": "alpine:3.20", "command": ["true"]}}]}}


def time_engine(root: Path) -> float:
    from workflows.engine import run_workflow
    from workflows.engine.records import RunStore

    store = RunStore(root / "runs")
    started = time.perf_counter()
    workflow = run_workflow([manifest()], store=store)
    elapsed = time.perf_counter() - started
    if workflow["status"]["phase"] != "Succeeded":
        raise RuntimeError(f"bench DAG ended {workflow['status']['phase']}")
    return elapsed


async def _layers() -> None:
    for _ in range(LAYERS):
        procs = [await asyncio.create_subprocess_exec("true") for _ in range(WIDTH)]
        await asyncio.gather(*(p.wait() for p in procs))


def time_same_order() -> float:
    started = time.perf_counter()
    asyncio.run(_layers())
    return time.perf_counter() - started


def time_sequence() -> float:
    started = time.perf_counter()
    for _ in range(NODES):
        subprocess.run(["true"], check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    runs = 2 if args.quick else args.runs
    root = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    try:
        time_engine(root)  # warm imports and the page cache
        engine = statistics.median(time_engine(root) for _ in range(runs))
        same = statistics.median(time_same_order() for _ in range(runs))
        sequence = statistics.median(time_sequence() for _ in range(runs))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    per_node_ms = max(engine - same, 0.0) / NODES * 1000
    print(f"{NODES}-node DAG of `true` ({LAYERS} layers x {WIDTH}), median of {runs} runs")
    print(f"{'how':<28} {'wall':>9} {'per node':>10} {'vs same order':>14}")
    for label, value in (("direct, one by one", sequence), ("direct, same order", same),
                         ("engine (run_workflow)", engine)):
        print(f"{label:<28} {value:>8.3f}s {value / NODES * 1000:>8.1f}ms "
              f"{value / same:>13.1f}x")
    ok = per_node_ms <= GOAL_MS
    print(f"engine overhead per node: {per_node_ms:.1f} ms (goal <= {GOAL_MS:.0f} ms): "
          + ("met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
