"""The rows of the table a run ends with at the terminal: one per task, in start order.

Each row is a task (a Retry node or a plain node) with its phase, attempts, time, rows
loaded and message; a fan-out item's rows go together under its item (a backfill's date);
a failed row carries its step's one error line (:func:`workflows.runs.logs.error_line`);
the exit handler comes last. :mod:`workflows.runs.terminal` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.runs import node_label
from workflows.runs.logs import error_line
from workflows.runs.record import output_parameter
from workflows.runs.times import parse_time


@dataclass
class StepRow:
    node: str  # its label: the fan-out items it is in, then the display name
    phase: str
    attempts: int
    seconds: float | None
    rows: str
    message: str
    cause: str | None = None  # a failed node's error line, from its last attempt's log
    group: tuple[str, ...] = ()  # the fan-out items it is in (a backfill's date)
    display: str = ""  # its name within the group


Timings = Mapping[str, tuple[float, float | None, float | None]]


def _seconds(node: Mapping[str, Any], timings: Timings) -> float | None:
    """From the live events (sub-second) when there are any, else from the record."""
    _, start_s, end_s = timings.get(str(node.get("id")), (0.0, None, None))
    if start_s is not None and end_s is not None:
        return float(end_s) - float(start_s)
    start, end = parse_time(node.get("startedAt")), parse_time(node.get("finishedAt"))
    return (end - start).total_seconds() if start and end else None


def _output(node: Mapping[str, Any], name: str) -> str:
    """The output parameter as text; empty when absent or never written (``unknown``)."""
    value = output_parameter(node, name)
    return "" if value in (None, "unknown") else str(value)


def _rows(node: Mapping[str, Any]) -> str:
    rows = _output(node, "rows")
    return f"{int(rows):,}" if rows.isdigit() else rows


def summary_rows(workflow: Mapping[str, Any], timings: Timings | None = None,
                 run_dir: Path | None = None) -> list[StepRow]:
    """One row per task (Retry node or plain node), in start order, each fan-out item's
    rows together; the exit handler last. With ``run_dir``, a failed row carries the error
    line of its last attempt."""
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    timings = timings or {}
    out: list[tuple[bool, float, tuple[str, ...], str, StepRow]] = []
    for node in nodes.values():
        display = str(node.get("displayName", ""))
        if node.get("type") in ("DAG", "Steps", "StepGroup") or display.endswith(")"):
            continue
        # a Retry node's children are its attempts; any other's, in a DAG, its dependents
        retry = node.get("type") == "Retry"
        children = [nodes[c] for c in node.get("children") or [] if c in nodes] if retry else []
        attempts = len(children) if retry else (
            0 if node.get("phase") in ("Skipped", "Omitted") else 1)
        message = (node.get("message") or (children[-1].get("message") if children else "")
                   or _output(node, "note"))
        if (node.get("memoizationStatus") or {}).get("hit"):
            message = "memoized" + (f"; {message}" if message else "")
        is_exit = display.endswith(".onExit")
        name = str(node.get("name", display))
        shown = "notify (onExit)" if is_exit else node_label.label(name, display)
        if node.get("type") == "Container":  # a containerSet's: <pod>/<container>
            pod_node = nodes.get(str(node.get("boundaryID"))) or {}
            shown = f"{pod_node.get('displayName', '')}/{display}"
        cause = None
        if run_dir is not None and node.get("phase") in ("Failed", "Error"):
            pod = children[-1] if children else node
            if pod.get("type") == "Pod":
                cause = error_line(run_dir / "logs" / f"{pod.get('id')}.log")
        group = () if is_exit else node_label.items(name)
        row = StepRow(shown, str(node.get("phase", "")), attempts, _seconds(node, timings),
                      _rows(node), message, cause, group, shown if is_exit else display)
        first_seen = timings.get(str(node.get("id")), (float("inf"), None, None))[0]
        out.append((is_exit, first_seen, group, str(node.get("startedAt") or "~"), row))
    group_start: dict[tuple[str, ...], float] = {}
    for _, first_seen, group, _, _ in out:
        group_start[group] = min(first_seen, group_start.get(group, first_seen))
    ordered = sorted(out, key=lambda t: (t[0], group_start[t[2]] if t[2] else t[1], t[2],
                                         t[1], t[3], t[4].node))
    return [t[4] for t in ordered]
