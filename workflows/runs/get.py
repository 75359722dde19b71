"""What ``cadencia get`` prints: a run as ``argo get`` shows it.

``format_get`` reproduces ``argo get``: the header (Name, Status, Message, Created, Started,
Finished, Duration, Progress, Parameters, Output Parameters), then the node tree built from
the nodes' boundaries like Argo's printer (children sorted by start time; a Retry node with
one attempt is shown as that attempt; step groups are folded into ``┬─``), with the exit
handler's tree after a blank line. Three deliberate differences: Omitted nodes are shown
(``argo get`` hides them, but locally "what did not run" is the first question), so are
the Container nodes of a containerSet's pod, under it (``argo get`` prints no Container
node; the Argo UI shows them), and a memoization hit says ``(memoized)`` in its MESSAGE
column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any

from workflows.argo.nodes import node_id, pod_name
from workflows.runs import humanize
from workflows.runs.table import table
from workflows.runs.times import parse_time

ICONS = {"Pending": "◷", "Running": "●", "Succeeded": "✔", "Skipped": "○", "Omitted": "○",
         "Failed": "✖", "Error": "⚠"}
BOUNDARY = {"DAG", "Steps"}
GROUPING = {"StepGroup", "Retry"}
HEADER_WIDTH = 20


@dataclass
class _Tree:
    id: str
    node: Mapping[str, Any]
    children: list[_Tree] = field(default_factory=list)


def format_get(workflow: Mapping[str, Any], *, now: datetime | None = None,
               tz: tzinfo | None = None) -> str:
    """The ``argo get`` text of a workflow object (times in ``tz``, default local time)."""
    now = now or datetime.now(timezone.utc)
    meta, spec = workflow.get("metadata", {}), workflow.get("spec", {})
    status = workflow.get("status", {})
    lines = [_field("Name:", meta.get("name", ""))]
    if meta.get("namespace"):
        lines.append(_field("Namespace:", meta["namespace"]))
    lines.append(_field("Status:", status.get("phase") or "Pending"))
    if status.get("message"):
        lines.append(_field("Message:", status["message"]))
    created = parse_time(meta.get("creationTimestamp"))
    started, finished = parse_time(status.get("startedAt")), parse_time(status.get("finishedAt"))
    if created:
        lines.append(_field("Created:", humanize.stamp(created, now, tz)))
    if started:
        lines.append(_field("Started:", humanize.stamp(started, now, tz)))
    if finished:
        lines.append(_field("Finished:", humanize.stamp(finished, now, tz)))
    if started:
        lines.append(_field("Duration:", humanize.long(((finished or now) - started)
                                                        .total_seconds())))
    lines.append(_field("Progress:", status.get("progress", "")))
    lines += _parameters("Parameters:", spec.get("arguments", {}).get("parameters", []))
    lines += _parameters("Output Parameters:",
                         (status.get("outputs") or {}).get("parameters", []))
    text = "\n".join(lines) + "\n"
    nodes: Mapping[str, Mapping[str, Any]] = status.get("nodes") or {}
    name = meta.get("name", "")
    roots = _trees(nodes)
    if name not in roots:
        return text
    rows: list[list[str]] = [["STEP", "TEMPLATE", "PODNAME", "DURATION", "MESSAGE"]]
    _render(roots[name], rows, name, now, " ", " ")
    exit_root = roots.get(node_id(name, f"{name}.onExit"))
    if exit_root is not None:
        rows.append(["", "", "", "", ""])
        _render(exit_root, rows, name, now, " ", " ")
    return text + "\n" + table(rows)


def _field(label: str, value: object) -> str:
    return f"{label:<{HEADER_WIDTH}} {value}".rstrip()


def _parameters(title: str, params: Iterable[Mapping[str, Any]]) -> list[str]:
    shown = [p for p in params if p.get("value") is not None]
    if not shown:
        return []
    return [_field(title, "")] + [_field(f"  {p['name']}:", p["value"]) for p in shown]


def _trees(nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, _Tree]:
    """Argo's render forest: nodes attach to a Retry/StepGroup parent, else to their
    boundary (DAG/Steps); nodes with neither are roots."""
    trees = {nid: _Tree(nid, node) for nid, node in nodes.items()}
    grouped = {child: nid for nid, node in nodes.items() if node.get("type") in GROUPING
               for child in node.get("children", [])}
    roots: dict[str, _Tree] = {}
    for nid, tree in trees.items():
        parent = grouped.get(nid) or tree.node.get("boundaryID")
        if parent in trees and parent != nid:
            trees[parent].children.append(tree)
        elif not parent:
            roots[nid] = tree
    for tree in trees.values():
        tree.children.sort(key=_order)
    return roots


def _order(tree: _Tree) -> tuple[Any, ...]:
    started = parse_time(tree.node.get("startedAt")) or datetime.min.replace(tzinfo=timezone.utc)
    display = str(tree.node.get("displayName", ""))
    index = _index(display)
    return (started, index if index is not None else -1, display)


def _index(display: str) -> int | None:
    """The item index in ``name(3)`` or ``name(3:value)``, as Argo recovers it."""
    if not display.endswith(")") or "(" not in display:
        return None
    inner = display[display.rindex("(") + 1:-1].split(":", 1)[0]
    return int(inner) if inner.isdigit() else None


def _render(tree: _Tree, rows: list[list[str]], wf_name: str, now: datetime,
            node_prefix: str, child_prefix: str) -> None:
    node = tree.node
    kind = node.get("type")
    filtered = (kind == "Retry" and len(node.get("children", [])) == 1) or kind == "StepGroup"
    fold = kind == "StepGroup"
    if not filtered:
        rows.append(_row(node, wf_name, now, node_prefix))
    last = len(tree.children) - 1
    for i, child in enumerate(tree.children):
        part, sub = "", ""
        if filtered and fold:
            part, sub = (("──", "  ") if last == 0 else ("┬─", "│ ") if i == 0
                         else ("└─", "  ") if i == last else ("├─", "│ "))
        elif not filtered:
            part, sub = ("└─", "  ") if i == last else ("├─", "│ ")
        if not filtered:
            _render(child, rows, wf_name, now, child_prefix + part, child_prefix + sub)
        else:
            start = node_prefix if i == 0 else child_prefix
            _render(child, rows, wf_name, now, start + part, child_prefix + sub)


def _row(node: Mapping[str, Any], wf_name: str, now: datetime, prefix: str) -> list[str]:
    phase = node.get("phase") or "Pending"
    step = f"{prefix}{ICONS.get(phase, '?')} {node.get('displayName', node.get('name', ''))}"
    ref = node.get("templateRef") or {}
    template = f"{ref.get('name')}/{ref.get('template')}" if ref else node.get("templateName", "")
    message = str(node.get("message") or "")
    if (node.get("memoizationStatus") or {}).get("hit"):
        message = f"{message} (memoized)".strip()
    if node.get("type") != "Pod":
        return [step, template, "", "", message]
    started = parse_time(node.get("startedAt"))
    finished = parse_time(node.get("finishedAt")) or now
    took = humanize.short((finished - started).total_seconds()) if started else ""
    pod = pod_name(wf_name, ref.get("template") or node.get("templateName", ""), node["name"])
    return [step, template, pod, took, message]
