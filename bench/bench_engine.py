"""Local engine cost per node: its overhead on a small DAG, and how it scales with nodes.

**Overhead.** A 20-node DAG of ``true`` against the bare processes. The DAG has five
layers of four ``true`` tasks, each task depending on every task of the layer before.
Measured side by side in the same run:

- ``engine``: ``run_workflow`` on that DAG (records, sandboxes,
  logs, events), in this process;
- ``same order``: the same 20 ``true`` processes started directly by asyncio in the same
  dependency order (a layer starts when the previous one has exited);
- ``sequence``: the 20 processes one after the other (``subprocess.run``).

Overhead per node = (engine - same order) / 20. Goal: at most 50 ms, with each pod in a
filesystem of its own (bubblewrap) where the machine allows it; the bench says which.

**Scale.** 500, 1,000 and 5,000 ``true`` nodes, ``spec.parallelism: 4``, in two shapes:
one task fanned out (``withSequence``), as a long backfill is (a year of days is about
3,300 nodes), and one DAG of that many independent tasks. Per-node cost = wall / nodes.
Goal, for each shape: at 5,000 nodes within 1.5x of the cost at 500. The run record is
written at a bounded rate, not at every node change, and a DAG looks only at the nodes
that changed, not at every task, so the cost per node does not grow with the node count
(it did: 10,000 nodes took 441 s).
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
SCALE_SIZES = (500, 1000, 5000)
QUICK_SIZES = (50, 100, 500)
SCALE_GOAL = 1.5  # per-node cost at the largest size / at the smallest
SCALE_PARALLELISM = 4


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


def fan_out(nodes: int) -> dict[str, Any]:
    """One task over ``nodes`` items, each a ``true`` pod."""
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "bench-engine-scale"},
            "spec": {"entrypoint": "main", "parallelism": SCALE_PARALLELISM, "templates": [
                {"name": "main", "dag": {"tasks": [
                    {"name": "noop", "template": "true",
                     "withSequence": {"count": str(nodes)}}]}},
                {"name": "true", "container": {"image": "alpine:3.20", "command": ["true"]}}]}}


def flat_dag(nodes: int) -> dict[str, Any]:
    """One DAG of ``nodes`` independent ``true`` tasks."""
    tasks = [{"name": f"t{i}", "template": "true"} for i in range(nodes)]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "bench-engine-flat"},
            "spec": {"entrypoint": "main", "parallelism": SCALE_PARALLELISM, "templates": [
                {"name": "main", "dag": {"tasks": tasks}},
                {"name": "true", "container": {"image": "alpine:3.20", "command": ["true"]}}]}}


SHAPES = (("one task fanned out (withSequence)", fan_out), ("one DAG of n tasks", flat_dag))


def time_engine(root: Path, doc: dict[str, Any] | None = None) -> float:
    from workflows.engine import run_workflow
    from workflows.runs.store import RunStore

    store = RunStore(root / "runs")
    started = time.perf_counter()
    workflow = run_workflow([doc or manifest()], store=store)
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


def scale(root: Path, sizes: tuple[int, ...]) -> bool:
    """Time each shape at each size (one run each: the large ones take a while)."""
    ok = True
    for label, shape in SHAPES:
        print(f"\n{label} of `true` nodes (parallelism {SCALE_PARALLELISM}), one run per size")
        print(f"{'nodes':>7} {'wall':>9} {'per node':>10} {'vs ' + str(sizes[0]):>8}")
        first = None
        per_node = 0.0
        for size in sizes:
            wall = time_engine(root, shape(size))
            per_node = wall / size * 1000
            first = first or per_node
            print(f"{size:>7,} {wall:>8.2f}s {per_node:>8.2f}ms {per_node / first:>7.2f}x",
                  flush=True)
            shutil.rmtree(root / "runs", ignore_errors=True)
        ratio = per_node / (first or per_node)
        met = ratio <= SCALE_GOAL
        ok = ok and met
        print(f"per-node cost at {sizes[-1]:,} nodes: {ratio:.2f}x that at {sizes[0]:,} "
              f"(goal <= {SCALE_GOAL}x): " + ("met" if met else "MISSED"))
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"fewer repetitions, fan-outs of {QUICK_SIZES} nodes")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--sizes", type=lambda text: tuple(int(n) for n in text.split(",")),
                   help=f"fan-out sizes, comma-separated (default {SCALE_SIZES})")
    args = p.parse_args(argv)
    runs = 2 if args.quick else args.runs
    sizes = args.sizes or (QUICK_SIZES if args.quick else SCALE_SIZES)
    root = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    try:
        time_engine(root)  # warm imports and the page cache
        engine = statistics.median(time_engine(root) for _ in range(runs))
        same = statistics.median(time_same_order() for _ in range(runs))
        sequence = statistics.median(time_sequence() for _ in range(runs))
        ok = overhead(engine, same, sequence, runs)
        print(f"pods of alpine:3.20: {pod_filesystem()}")
        scaled = scale(root, sizes)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok and scaled else 1


def pod_filesystem() -> str:
    """Whether the measured pods had a filesystem of their own (docs/engine.md)."""
    from workflows.engine.isolation import availability

    found = availability()
    return (f"a filesystem of their own ({found.how})" if found.ok
            else f"the host's filesystem ({found.how})")


def overhead(engine: float, same: float, sequence: float, runs: int) -> bool:
    per_node_ms = max(engine - same, 0.0) / NODES * 1000
    print(f"{NODES}-node DAG of `true` ({LAYERS} layers x {WIDTH}), median of {runs} runs")
    print(f"{'how':<28} {'wall':>9} {'per node':>10} {'vs same order':>14}")
    for label, value in (("direct, one by one", sequence), ("direct, same order", same),
                         ("engine (run_workflow)", engine)):
        print(f"{label:<28} {value:>8.3f}s {value / NODES * 1000:>8.1f}ms "
              f"{value / same:>13.1f}x")
    ok = per_node_ms <= GOAL_MS
    print(f"engine overhead per node: {per_node_ms:.1f} ms (goal <= {GOAL_MS:.0f} ms): "
          + ("met" if ok else "MISSED"), flush=True)
    return ok

if __name__ == "__main__":
    sys.exit(main())
