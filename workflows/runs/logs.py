"""What ``cadencia logs RUN [NODE]`` prints: the logs of a run's pods, like ``argo logs``;
and a failed pod's cause, its one error line (``error_line``).

Without a node every Pod node is shown in start order; with one, ``node`` may be a node
id, a pod name, a node name or a display name (``extract-http``, ``extract-http(1)``). A
node that is not a Pod (a Retry node, a DAG) stands for every pod under it. When more than
one pod is shown each line starts with the pod's display name, as ``argo logs`` prefixes
lines with the pod name. The pod of a containerSet shows each of its containers' logs
(``<pod>/<container>: ``), in the set's order; ``node`` may name one of its containers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.argo.nodes import pod_name
from workflows.runs.record import RunRecord


class UnknownNode(LookupError):
    """No node of the run matches; ``candidates`` are the display names of its pods."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


def format_logs(record: RunRecord, node: str | None = None) -> str:
    workflow = record.load()
    name = workflow.get("metadata", {}).get("name", record.name)
    nodes: Mapping[str, Mapping[str, Any]] = workflow.get("status", {}).get("nodes") or {}
    pods = sorted((n for n in nodes.values() if n.get("type") == "Pod"),
                  key=lambda n: (n.get("startedAt") or "", n.get("displayName", "")))
    sets = {n.get("boundaryID") for n in nodes.values() if n.get("type") == "Container"}
    if node is not None:
        matches = [n for n in nodes.values() if node in (
            n.get("id"), n.get("name"), n.get("displayName"),
            pod_name(name, n.get("templateName", ""), n.get("name", "")))]
        if not matches:
            known = [str(p.get("displayName")) for p in pods]
            raise UnknownNode(f"run {name} has no node {node!r} (pods: "
                              f"{', '.join(known) or 'none'})", known)
        picked = {str(m.get("id")) for m in matches if m.get("type") == "Container"}
        whole = set().union(*(_pods_under(m, nodes) for m in matches
                              if m.get("type") != "Container"))
        wanted = whole | {nodes[c].get("boundaryID") for c in picked if c in nodes}
        pods = [p for p in pods if p.get("id") in wanted]
    else:
        picked, whole = set(), {str(p.get("id")) for p in pods}
    shown: list[tuple[str, Mapping[str, Any]]] = []
    for pod in pods:
        if pod.get("id") in sets:  # each container, or the ones asked for
            shown += [(f"{pod.get('displayName')}/{c.get('displayName')}", c)
                      for c in _containers(pod, nodes)
                      if pod.get("id") in whole or c.get("id") in picked]
        else:
            shown.append((str(pod.get("displayName")), pod))
    out: list[str] = []
    for label, item in shown:
        prefix = f"{label}: " if len(shown) > 1 else ""
        path = record.path / "logs" / f"{item.get('id')}.log"
        if not path.is_file():
            hit = (item.get("memoizationStatus") or {}).get("hit")
            out.append(f"{prefix}(no log: {'memoized' if hit else 'the process did not start'})")
            continue
        with path.open(encoding="utf-8", errors="replace") as handle:
            out.extend(prefix + line.rstrip("\n") for line in handle)
    return "\n".join(out) + ("\n" if out else "")


def _containers(pod: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]
                ) -> list[Mapping[str, Any]]:
    """The Container nodes of a containerSet's pod, in the set's order (creation order)."""
    return [n for n in nodes.values()
            if n.get("type") == "Container" and n.get("boundaryID") == pod.get("id")]


def _pods_under(node: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Ids of the Pod nodes at or below ``node``: attempts of a Retry node, members of a
    DAG's boundary. Other ``children`` links are DAG dependencies (they point downstream)."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [str(node.get("id"))]
    while stack:
        current = stack.pop()
        if current in seen or current not in nodes:
            continue
        seen.add(current)
        item = nodes[current]
        if item.get("type") == "Pod":
            found.add(current)
        if item.get("type") in ("Retry", "StepGroup"):
            stack.extend(item.get("children", []))
        stack.extend(nid for nid, other in nodes.items() if other.get("boundaryID") == current)
    return found


def error_line(log: Path) -> str | None:
    """Why a pod failed, from its log: a cadencia step logs exactly one ``error`` line
    (steps/_core/runner.py) with its exit code and kind, shown as ``message (exit 78,
    configuration)``; any other program's last line of output. None without a log."""
    try:
        with log.open(encoding="utf-8", errors="replace") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError:
        return None
    for line in reversed(lines):
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("level") in ("error", "critical"):
            why = [f"exit {entry['exit_code']}"] if "exit_code" in entry else []
            why += [str(entry["error_kind"])] if entry.get("error_kind") else []
            return str(entry.get("message", "")) + (f" ({', '.join(why)})" if why else "")
    return lines[-1] if lines else None
