"""A run's node tree as the run page draws it: a layered DAG of tasks and a timeline.

Argo's ``status.nodes`` links a task's node to the next by ``children``: a Retry node's
children are its attempts (Pods), and an attempt's children are the tasks that depend on it;
a plain node's (a memoized hit, an omitted task, a DAG) children are its dependents or, for
a DAG, its first tasks. The graph has one vertex per node that is not an attempt, an edge
wherever a vertex (or one of its attempts) lists another as a child, and each vertex sits
in the layer of its longest path from a root. The exit handler's tree, which has no parent,
is laid after the main tree, as the Argo UI draws it. The timeline of the same tasks is
:mod:`workflows.ui.timeline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workflows.runs import node_label
from workflows.runs.logs import error_line

Nodes = Mapping[str, Mapping[str, Any]]
FAILED = ("Failed", "Error")


@dataclass
class Vertex:
    id: str
    label: str
    type: str
    phase: str
    template: str
    attempts: int
    memoized: bool
    message: str
    exit_code: str
    cause: str | None
    layer: int = 0
    order: int = 0
    group: list[str] = field(default_factory=list)


def attempts_of(node: Mapping[str, Any], nodes: Nodes) -> list[Mapping[str, Any]]:
    """A Retry node's attempts, in order; empty for any other node."""
    if node.get("type") != "Retry":
        return []
    return [nodes[c] for c in node.get("children") or [] if c in nodes]


def last_pod(node: Mapping[str, Any], nodes: Nodes) -> Mapping[str, Any] | None:
    """The Pod whose log tells what happened to ``node``: itself or its last attempt."""
    tries = attempts_of(node, nodes)
    pod = tries[-1] if tries else node
    return pod if pod.get("type") == "Pod" else None


def cause_of(node: Mapping[str, Any], nodes: Nodes, run_dir: Path) -> str | None:
    """A failed node's error line (its last attempt's log), as ``cadencia run`` prints it."""
    if node.get("phase") not in FAILED:
        return None
    pod = last_pod(node, nodes)
    return error_line(run_dir / "logs" / f"{pod.get('id')}.log") if pod else None


def label_of(node: Mapping[str, Any], workflow_name: str) -> str:
    display = str(node.get("displayName", node.get("id", "")))
    if display.startswith(f"{workflow_name}.onExit"):
        return "onExit" + display[len(workflow_name) + len(".onExit"):]
    return node_label.label(str(node.get("name", display)), display)


def _vertex(node: Mapping[str, Any], nodes: Nodes, run_dir: Path, name: str) -> Vertex:
    tries = attempts_of(node, nodes)
    hit = any((n.get("memoizationStatus") or {}).get("hit") for n in [node, *tries])
    pod = last_pod(node, nodes)
    message = str(node.get("message") or (tries[-1].get("message") if tries else "") or "")
    kind = str(node.get("type", ""))
    attempts = len(tries) if tries else (1 if kind == "Pod" and not hit else 0)
    return Vertex(
        id=str(node.get("id")), label=label_of(node, name), type=kind,
        phase=str(node.get("phase") or "Pending"),
        template=str(node.get("templateName") or (node.get("templateRef") or {}).get("template")
                     or ""),
        attempts=attempts, memoized=bool(hit), message=message,
        exit_code=str(((pod or node).get("outputs") or {}).get("exitCode") or ""),
        cause=cause_of(node, nodes, run_dir),
        group=list(node_label.items(str(node.get("name", "")))))


def graph(workflow: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """``{"vertices": [...], "edges": [[from, to], ...]}`` with each vertex's layer and its
    order in the layer."""
    nodes: Nodes = (workflow.get("status") or {}).get("nodes") or {}
    name = str((workflow.get("metadata") or {}).get("name", ""))
    attempt_ids = {c for n in nodes.values() for c in (n.get("children") or [])
                   if n.get("type") == "Retry"}
    ids = [nid for nid in nodes if nid not in attempt_ids]
    edges: list[list[str]] = []
    for nid in ids:
        sources = attempts_of(nodes[nid], nodes) or [nodes[nid]]
        targets = dict.fromkeys(c for s in sources for c in s.get("children") or []
                                if c in nodes and c not in attempt_ids and c != nid)
        edges += [[nid, target] for target in targets]
    layers = _layers(ids, edges, main_root=name)
    vertices = {nid: _vertex(nodes[nid], nodes, run_dir, name) for nid in ids}
    for nid, layer in layers.items():
        vertices[nid].layer = layer
    by_layer: dict[int, list[Vertex]] = {}
    for vertex in vertices.values():
        by_layer.setdefault(vertex.layer, []).append(vertex)
    for members in by_layer.values():
        members.sort(key=lambda v: (v.group, str(nodes[v.id].get("startedAt") or "~"), v.label))
        for order, vertex in enumerate(members):
            vertex.order = order
    ordered = sorted(vertices.values(), key=lambda v: (v.layer, v.order))
    return {"vertices": [asdict(v) for v in ordered], "edges": edges}


def _layers(ids: list[str], edges: list[list[str]], *, main_root: str) -> dict[str, int]:
    """Longest-path layers; trees other than the main root's (the exit handler) follow it."""
    incoming = {nid: 0 for nid in ids}
    outgoing: dict[str, list[str]] = {nid: [] for nid in ids}
    for src, dst in edges:
        incoming[dst] += 1
        outgoing[src].append(dst)
    roots = [nid for nid in ids if incoming[nid] == 0]
    layer: dict[str, int] = {}
    offset = 0
    for root in sorted(roots, key=lambda r: r != main_root):
        if root in layer:
            continue
        tree = _longest_paths(root, outgoing, incoming)
        for nid, depth in tree.items():
            if nid not in layer:
                layer[nid] = depth + offset
        offset = max(layer.values()) + 1
    for nid in ids:  # a cycle (never in a valid record) still gets drawn
        layer.setdefault(nid, offset)
    return layer


def _longest_paths(root: str, outgoing: Mapping[str, list[str]],
                   incoming: Mapping[str, int]) -> dict[str, int]:
    depth = {root: 0}
    waiting = dict(incoming)
    ready = [root]
    while ready:
        current = ready.pop()
        for nxt in outgoing[current]:
            depth[nxt] = max(depth.get(nxt, 0), depth[current] + 1)
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return depth
