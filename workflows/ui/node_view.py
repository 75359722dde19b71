"""One node as the node page shows it, and its log read from an offset (followed live).

A task's node (a Retry node) has the inputs; its attempts (Pods) have the outputs, the
exit code and the log. The page shows the task with its last attempt's outputs, and the
log of each attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.runs import node_label
from workflows.runs.record import RunRecord
from workflows.ui import artifacts, run_graph

LOG_CHUNK = 256 * 1024


class NodeMissing(LookupError):
    pass


def find_node(workflow: Mapping[str, Any], node_id: str) -> Mapping[str, Any]:
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    if node_id not in nodes:
        raise NodeMissing(f"run {workflow.get('metadata', {}).get('name')} has no node "
                          f"{node_id!r}")
    return dict(nodes[node_id])


def _parameters(node: Mapping[str, Any], side: str) -> list[dict[str, str]]:
    return [{"name": str(p.get("name")), "value": str(p.get("value", ""))}
            for p in (node.get(side) or {}).get("parameters") or []]


def node_view(record: RunRecord, node_id: str) -> dict[str, Any]:
    workflow = record.load()
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    node = find_node(workflow, node_id)
    tries = run_graph.attempts_of(node, nodes)
    pod = run_graph.last_pod(node, nodes) or node
    attempts = [{"id": str(t.get("id")), "label": str(t.get("displayName", "")),
                 "phase": str(t.get("phase") or "Pending"),
                 "exit_code": str((t.get("outputs") or {}).get("exitCode") or ""),
                 "message": str(t.get("message") or ""), "started": t.get("startedAt"),
                 "finished": t.get("finishedAt"),
                 "has_log": (record.path / "logs" / f"{t.get('id')}.log").is_file()}
                for t in (tries or ([node] if node.get("type") == "Pod" else []))]
    return {
        "run": record.name, "id": node_id, "label": str(node.get("displayName", node_id)),
        "name": str(node.get("name", "")), "type": str(node.get("type", "")),
        "phase": str(node.get("phase") or "Pending"),
        "template": str(node.get("templateName") or ""),
        "memoized": bool((pod.get("memoizationStatus") or {}).get("hit")),
        "message": str(node.get("message") or pod.get("message") or ""),
        "exit_code": str((pod.get("outputs") or {}).get("exitCode") or ""),
        "cause": run_graph.cause_of(node, nodes, record.path),
        "started": node.get("startedAt"), "finished": node.get("finishedAt"),
        "inputs": {"parameters": _parameters(node, "inputs"),
                   "artifacts": artifacts.artifact_list(node, "inputs")},
        "outputs": {"parameters": _parameters(pod, "outputs"),
                    "artifacts": artifacts.artifact_list(pod, "outputs")},
        "outputs_of": str(pod.get("id")),
        "attempts": attempts,
    }


def read_log(record: RunRecord, pod_id: str, offset: int = 0) -> dict[str, Any]:
    """The pod's log from byte ``offset`` (at most ``LOG_CHUNK`` bytes, cut at a line's
    end), the offset to ask from next, and whether the pod still runs."""
    workflow = record.load()
    pod = find_node(workflow, pod_id)
    path: Path = record.path / "logs" / f"{pod['id']}.log"  # a known node's id
    data = b""
    if path.is_file():
        with path.open("rb") as handle:
            handle.seek(max(offset, 0))
            data = handle.read(LOG_CHUNK)
        if len(data) == LOG_CHUNK and b"\n" in data:
            data = data[: data.rindex(b"\n") + 1]
    running = pod.get("phase") in ("Pending", "Running") or not pod.get("finishedAt")
    return {"text": data.decode("utf-8", errors="replace"), "offset": max(offset, 0) + len(data),
            "running": bool(running and (workflow.get("status") or {}).get("phase")
                            in ("Pending", "Running")),
            "exists": path.is_file()}


def all_outputs(workflow: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every stored output artifact of the run's pods, in start order."""
    nodes = ((workflow.get("status") or {}).get("nodes") or {}).values()
    pods = sorted((n for n in nodes if n.get("type") == "Pod"),
                  key=lambda n: (str(n.get("startedAt") or "~"), str(n.get("name"))))
    found = []
    for pod in pods:
        for art in artifacts.artifact_list(pod, "outputs"):
            if art["stored"]:
                found.append({**art, "node": str(pod.get("id")),
                              "label": node_label.label(str(pod.get("name", "")),
                                                                  str(pod.get("displayName")))})
    return found
