"""A run's timeline: one bar per attempt (Pod) and one per backoff wait between two
attempts of a Retry node, in seconds from the run's start (records keep whole seconds).
A task's bars follow each other; tasks come in the order they started. A memoized hit
never ran, so it has no bar.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.runs.times import parse_time
from workflows.ui.run_graph import Nodes, attempts_of, label_of


@dataclass(frozen=True)
class Bar:
    node: str  # the id of the vertex (task) it belongs to
    pod: str  # the attempt's id; the next attempt's for a backoff wait
    label: str
    kind: str  # "attempt" or "backoff"
    phase: str
    start: float
    end: float
    running: bool


def timeline(workflow: Mapping[str, Any], now: datetime) -> list[Bar]:
    """Every attempt and every backoff wait between two attempts, in start order."""
    nodes: Nodes = (workflow.get("status") or {}).get("nodes") or {}
    name = str((workflow.get("metadata") or {}).get("name", ""))
    origin = parse_time((workflow.get("status") or {}).get("startedAt"))
    if origin is None:
        return []

    def offset(moment: datetime | None) -> float:
        return max(((moment or now) - origin).total_seconds(), 0.0)

    tasks: list[list[Bar]] = []
    attempt_ids = {c for n in nodes.values() for c in (n.get("children") or [])
                   if n.get("type") == "Retry"}
    for nid, node in nodes.items():
        if nid in attempt_ids or node.get("type") not in ("Pod", "Retry"):
            continue
        tries = attempts_of(node, nodes) or [node]
        label = label_of(node, name)
        bars: list[Bar] = []
        previous_end: datetime | None = None
        for index, pod in enumerate(tries):
            if (pod.get("memoizationStatus") or {}).get("hit"):
                continue
            started, finished = parse_time(pod.get("startedAt")), parse_time(pod.get("finishedAt"))
            if started is None:
                continue
            if previous_end is not None and started > previous_end:
                bars.append(Bar(nid, str(pod.get("id")), f"{label} backoff", "backoff",
                                "Backoff", offset(previous_end), offset(started), False))
            shown = f"{label} #{index}" if len(tries) > 1 else label
            bars.append(Bar(nid, str(pod.get("id")), shown, "attempt",
                            str(pod.get("phase") or "Pending"), offset(started),
                            offset(finished), finished is None))
            previous_end = finished
        if bars:
            tasks.append(bars)
    # a task's bars stay together, in their order; tasks by their first start
    tasks.sort(key=lambda bars: (bars[0].start, bars[0].label))
    return [bar for bars in tasks for bar in bars]
