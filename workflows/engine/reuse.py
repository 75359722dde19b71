"""Reusing a previous run's Succeeded nodes: what ``cadencia retry`` needs, like ``argo
retry``.

The new run executes from the top again, but when it reaches a node whose counterpart in
the previous run (same name, the run name prefix swapped) Succeeded, that node and what
it owns (a Retry's attempts, a task group's items, a DAG's tasks, a containerSet pod's
containers) are copied instead of
run, outputs included, so later tasks read them as if they had just run. Failed, Error,
Skipped and Omitted nodes run or are decided again; the exit handler always runs again.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from workflows.engine.records import node_id


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
