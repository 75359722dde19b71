"""Reusing a previous run's Succeeded nodes: what ``cadencia retry`` needs, like ``argo
retry`` (workflow/util ``FormulateRetryWorkflow``).

The retry is the same workflow: its name and run folder (``RunStore.reopen``). It executes
from the top again, but when it reaches a node whose counterpart in the previous run
Succeeded, that node and what it owns (a Retry's attempts, a task group's items, a DAG's
tasks, a containerSet pod's containers) are kept instead of run, outputs included, so
later tasks read them as if they had just run. Failed, Error, Skipped and Omitted nodes
run or are decided again, as Argo deletes the failed pods and resets their parents; the
exit handler always runs again.

``set_aside`` does what deleting those pods does to the run folder: their sandboxes go
(a new attempt starts from a fresh pod, never from the leftovers of the failed one), and
their logs move to ``logs/retry-<n>/`` (``n``: the retry's number; a containerSet pod's
with its containers'), so the logs of the attempts that ran before stay readable while
``cadencia logs`` shows the new ones.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.argo.nodes import node_id


class Previous:
    def __init__(self, workflow: Mapping[str, Any]) -> None:
        self.name: str = workflow["metadata"]["name"]
        self.nodes: dict[str, dict[str, Any]] = dict((workflow.get("status") or {}).get(
            "nodes") or {})
        self.by_name = {n["name"]: n for n in self.nodes.values()}
        self.owned: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.get("boundaryID"):
                self.owned.setdefault(node["boundaryID"], []).append(node["id"])

    def old_name(self, new_run: str, name: str) -> str:
        return self.name + name[len(new_run):] if name.startswith(new_run) else name

    def succeeded(self, new_run: str, name: str) -> dict[str, Any] | None:
        node = self.by_name.get(self.old_name(new_run, name))
        if node is None or node["phase"] != "Succeeded" or (node.get("nodeFlag") or {}).get(
                "hooked") or node["name"] == self.name:
            return None
        return node

    def subtree(self, node: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The node and what it owns, parents before children."""
        found, todo = [], [node["id"]]
        while todo:
            current = self.nodes[todo.pop(0)]
            found.append(current)
            kids = list(current.get("children") or []) if current["type"] in (
                "Retry", "TaskGroup") else []
            if current["type"] in ("DAG", "Steps", "Pod"):  # a containerSet's pod: its
                kids = self.owned.get(current["id"], [])  # Container nodes
            todo += [k for k in kids if k in self.nodes]
        return found

    def translate(self, new_run: str, node: Mapping[str, Any], keep: set[str]) -> dict[str, Any]:
        """A copy of ``node`` renamed into the new run; children limited to ``keep``."""
        def new_id(old: str) -> str:
            return node_id(new_run, new_run + self.nodes[old]["name"][len(self.name):])

        copied = copy.deepcopy(dict(node))
        copied["name"] = new_run + node["name"][len(self.name):]
        copied["id"] = node_id(new_run, copied["name"])
        copied["templateScope"] = f"local/{new_run}"
        if node.get("boundaryID") in self.nodes:
            copied["boundaryID"] = new_id(node["boundaryID"])
        copied["children"] = [new_id(c) for c in node.get("children") or [] if c in keep]
        if not copied["children"]:
            copied.pop("children")
        if node.get("outboundNodes"):
            copied["outboundNodes"] = [new_id(o) for o in node["outboundNodes"]
                                       if o in self.nodes]
        return copied


def set_aside(run_folder: Path, previous: Mapping[str, Any]) -> Path | None:
    """Before a retry in ``run_folder``: remove the pods' sandboxes, and move the logs of
    the pods that will run again (not Succeeded, or of the exit handler or a hook) to
    ``logs/retry-<n>/``; returns that folder (None when no log moved)."""
    shutil.rmtree(run_folder / "sandbox", ignore_errors=True)
    name = str(previous["metadata"]["name"])
    logs = run_folder / "logs"
    nodes = ((previous.get("status") or {}).get("nodes") or {}).values()
    again = [node for node in nodes
             if node.get("type") == "Pod" and (
                 node.get("phase") != "Succeeded" or str(node.get("name", "")).startswith(
                     f"{name}.onExit") or (node.get("nodeFlag") or {}).get("hooked"))]
    pods = {node.get("id") for node in again}  # a containerSet's containers go with it
    again += [node for node in nodes
              if node.get("type") == "Container" and node.get("boundaryID") in pods]
    moving = [logs / f"{node['id']}{suffix}" for node in again
              for suffix in (".log", *(f".init-{k}.log" for k in range(16)))
              if (logs / f"{node['id']}{suffix}").is_file()]
    if not moving:
        return None
    number = 1 + sum(1 for p in logs.glob("retry-*") if p.is_dir())
    aside = logs / f"retry-{number}"
    aside.mkdir()
    for log in moving:
        log.rename(aside / log.name)
    return aside
