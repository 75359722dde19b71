"""The workflow object while it runs: Argo-shaped nodes, saved and reported on change.

Node ids and pod names are Argo's (``workflows.argo.nodes.node_id``/``pod_name``); a node's display
name is its name without its boundary's name, as the controller computes it. Every change
is reported through ``on_event`` at once. The run record is written at a bounded rate: a
change is on disk within ``SAVE_INTERVAL`` seconds (at once when the record has not been
written for that long), so ``cadencia get`` on a running workflow sees it, while a run of
thousands of nodes does not rewrite its whole ``workflow.json`` at every change (that
made the engine's cost grow with the square of the node count). The end of a run (and a
stop by a signal) saves at once through ``save_final``.

A write that fails (a full disk) does not stop the run: the first error is kept in
``save_error`` and the next change tries again. The last write falls back to a smaller
record (no node inputs nor step stdout), then to a bare one (name, times, phase and a
message naming the write that failed, no nodes) small enough to fit in the bytes the
first, Pending, record reserved (``workflows.runs.record.RESERVED``): whichever write
failed first, the record never stays Pending or Running.

Times in the record are RFC 3339 seconds like Argo's; the precise epoch times stay here
(``started``/``finished``) for retries, memoize ages and the events.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workflows.argo.nodes import node_id, pod_name
from workflows.runs.record import RESERVED, RunRecord, describe_os_error, encode, output_parameter
from workflows.runs.times import parse_time as _parse_time
from workflows.runs.times import timestamp

logger = logging.getLogger(__name__)
_SEPARATOR = re.compile(r"^(\[\d+\])?\.")  # Argo's stepsOrDagSeparator
FINISHED = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
FAILING = frozenset({"Failed", "Error"})
FAILED = frozenset({"Failed", "Error"})
SAVE_INTERVAL = 0.5  # seconds: the most a live reader of the record lags behind the run
Event = dict[str, Any]

__all__ = ["FAILED", "FINISHED", "Status", "pod_name"]


def _clip(text: str, most: int) -> str:
    """``text`` within ``most`` characters: its start and its end (which names the
    reason of an error) around an ellipsis."""
    if len(text) <= most:
        return text
    half = max(1, most // 2 - 1)
    return f"{text[:half]}…{text[-half:]}"


def _stamp(epoch: float) -> str:
    from datetime import datetime, timezone

    return timestamp(datetime.fromtimestamp(epoch, tz=timezone.utc))


class Status:
    """``workflow["status"]`` and its nodes, with the bookkeeping Argo's controller does."""

    def __init__(self, workflow: dict[str, Any], record: RunRecord,
                 on_event: Callable[[Event], None] | None) -> None:
        self.workflow = workflow
        self.name: str = workflow["metadata"]["name"]
        self.status: dict[str, Any] = workflow.setdefault("status", {})
        self.nodes: dict[str, dict[str, Any]] = self.status.setdefault("nodes", {})
        self.record = record
        self.on_event = on_event
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.attempts: dict[str, int] = {}  # attempt node id -> its index under a Retry
        self.listeners: set[asyncio.Event] = set()
        self.change_log: list[str] = []  # ids of changed nodes, in order (DAG scopes)
        # ids of the nodes now Failed or Error, kept by create/update: failFast asks for
        # them at every wake, and scanning every node there made a big DAG quadratic
        self.failing: set[str] = {nid for nid, n in self.nodes.items()
                                  if n.get("phase") in FAILING}
        self._children: dict[str, set[str]] = {}  # parent id -> its children, for lookups
        self._pending_save: asyncio.Handle | None = None
        self._last_save = float("-inf")  # time.monotonic() of the last write
        self.save_error: OSError | None = None  # the first write of the record that failed
        self.write_errors: list[str] = []  # "<path>: <reason>" of the engine's failed writes

    # -- nodes --------------------------------------------------------------------
    def create(self, name: str, *, type: str, template: dict[str, Any] | None,
               boundary_id: str | None, parents: list[str], phase: str = "Pending",
               message: str = "", template_ref: dict[str, Any] | None = None,
               flags: dict[str, bool] | None = None, **fields: Any) -> dict[str, Any]:
        nid = node_id(self.name, name)
        display = name
        boundary = self.nodes.get(boundary_id or "")
        if boundary is not None and name.startswith(boundary["name"]):
            # initializeNode: "[0].step" -> "step", ".task" -> "task", "[0]" stays
            display = _SEPARATOR.sub("", name[len(boundary["name"]):], count=1)
        node: dict[str, Any] = {"id": nid, "name": name, "displayName": display, "type": type,
                                "templateScope": f"local/{self.name}", "phase": phase}
        if template_ref:
            node["templateRef"] = dict(template_ref)
            node["templateName"] = template_ref.get("template", "")
        elif template is not None and template.get("name"):
            # omitempty: an inline template's nodes have none (initializeNode)
            node["templateName"] = template["name"]
        if boundary_id:
            node["boundaryID"] = boundary_id
        if message:
            node["message"] = message
        if flags:
            node["nodeFlag"] = dict(flags)
        if type == "Pod":
            node["hostNodeName"] = "localhost"
        node.update(fields)
        now = time.time()
        self.started[nid] = now
        node["startedAt"] = _stamp(now)
        self.nodes[nid] = node
        for parent in parents:
            self.add_child(parent, nid)
        if phase in FINISHED:
            self._finish(node, now)
        self.track_failing(node)
        self.changed(node)
        return node

    def add_child(self, parent: str, child: str) -> None:
        """``addChildNode``: ``child`` among ``parent``'s children, once."""
        known = self._children.setdefault(parent, set(self.nodes[parent].get("children")
                                                      or []))
        if child not in known:
            known.add(child)
            self.nodes[parent].setdefault("children", []).append(child)

    def by_name(self, name: str) -> dict[str, Any] | None:
        return self.nodes.get(node_id(self.name, name))

    def restart_clock(self, node: dict[str, Any]) -> None:
        """The node starts now (it waited for a lock or a slot before)."""
        now = time.time()
        self.started[node["id"]] = now
        node["startedAt"] = _stamp(now)

    def update(self, node: dict[str, Any], *, phase: str | None = None,
               message: str | None = None, **fields: Any) -> None:
        if phase is not None:
            node["phase"] = phase
        if message is not None:
            if message:
                node["message"] = message
            else:
                node.pop("message", None)
        node.update(fields)
        if node["phase"] in FINISHED and node["id"] not in self.finished:
            self._finish(node, time.time())
        self.track_failing(node)
        self.changed(node)

    def track_failing(self, node: dict[str, Any]) -> None:
        if node["phase"] in FAILING:
            self.failing.add(node["id"])
        else:
            self.failing.discard(node["id"])

    def _finish(self, node: dict[str, Any], now: float) -> None:
        self.finished[node["id"]] = now
        node["finishedAt"] = _stamp(now)
        node.pop("daemoned", None)
        if node["type"] == "Pod":
            node["progress"] = "1/1" if node["phase"] in ("Succeeded", "Skipped") else "0/1"

    def duration(self, node: dict[str, Any]) -> float:
        start = self.started.get(node["id"])
        if start is None:
            begin, end = _parse_time(node.get("startedAt")), _parse_time(node.get("finishedAt"))
            return (end - begin).total_seconds() if begin and end else 0.0
        return self.finished.get(node["id"], time.time()) - start

    # -- saving and events ----------------------------------------------------------
    def changed(self, node: dict[str, Any] | None = None) -> None:
        if node is not None:
            self.change_log.append(node["id"])
            if self.on_event is not None:
                self.emit(self.node_event(node))
        for listener in self.listeners:
            listener.set()
        if self._pending_save is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.save()
                return
            wait = self._last_save + SAVE_INTERVAL - time.monotonic()
            self._pending_save = (loop.call_later(wait, self._save_pending) if wait > 0
                                  else loop.call_soon(self._save_pending))

    def node_event(self, node: dict[str, Any]) -> Event:
        event: Event = {"kind": "node", "time": time.time(), "workflow": self.name,
                        **{k: node.get(k) for k in ("id", "name", "displayName", "type",
                                                    "templateName", "phase", "boundaryID")},
                        "message": node.get("message", ""),
                        "startedAt": self.started.get(node["id"]),
                        "finishedAt": self.finished.get(node["id"]),
                        "daemoned": bool(node.get("daemoned")),
                        "memoized": bool((node.get("memoizationStatus") or {}).get("hit"))}
        attempt = self.attempts.get(node["id"])
        if attempt is not None:
            event["attempt"] = attempt
        note = output_parameter(node, "note")
        if note:  # a step's one-line note (steps/_core/runner.py --note-out)
            event["note"] = note
        return event

    def workflow_event(self) -> None:
        self.emit({"kind": "workflow", "time": time.time(), "workflow": self.name,
                    "phase": self.status.get("phase"), "message": self.status.get("message", "")})

    def emit(self, event: Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:
            # A display callback must not stop the run; it is told once, then dropped.
            logger.exception("on_event callback failed; no more events for %s", self.name)
            self.on_event = None

    def _save_pending(self) -> None:
        self._pending_save = None
        self.save(compact=True)

    def save(self, *, compact: bool = False) -> bool:
        """Write the record now (a scheduled write is then void); False if it failed. The
        writes while the run goes are ``compact``; the first and the last are indented."""
        if self._pending_save is not None:
            self._pending_save.cancel()
            self._pending_save = None
        pods = [n for n in self.nodes.values() if n["type"] == "Pod"]
        done = sum(1 for n in pods if n["phase"] in ("Succeeded", "Skipped"))
        self.status["progress"] = f"{done}/{len(pods)}"
        self._last_save = time.monotonic()  # a failing disk is retried at the same pace
        try:
            self.record.save(self.workflow, indent=None if compact else 2)
        except OSError as exc:
            if self.save_error is None:
                self.save_error = exc
                self.write_failed(exc, self.record.workflow_path)
            return False
        return True

    def write_failed(self, exc: OSError, path: Path | str | None = None) -> None:
        """Note a write of the engine's that failed (the record, a log, the metrics)."""
        text = describe_os_error(exc, path)
        if text not in self.write_errors and len(self.write_errors) < 10:
            logger.info("cannot write %s", text)
            self.write_errors.append(text)

    def save_final(self) -> str:
        """The run's last write: ``complete``; ``cut short`` when only a smaller record fit
        (a full disk: nodes without inputs nor stdout); ``bare`` when only the run's
        phase and a message naming the failed write fit (no nodes); ``not written``."""
        if self.save():
            return "complete"
        for workflow, written in ((self._slim(), "cut short"), (self._bare(), "bare")):
            try:
                self.record.save(workflow, indent=None)
            except OSError:
                continue
            return written
        return "not written"

    def _bare(self) -> dict[str, Any]:
        """The run's name, times and phase, and a message naming the write of the record
        that failed; within ``RESERVED`` bytes, the room the first record holds (a long
        message is clipped)."""
        meta = self.workflow.get("metadata") or {}
        kept = ("phase", "startedAt", "finishedAt", "progress")
        status: dict[str, Any] = {k: self.status[k] for k in kept if k in self.status}
        bare = {"apiVersion": self.workflow.get("apiVersion"),
                "kind": self.workflow.get("kind"),
                "metadata": {k: meta[k] for k in ("name", "namespace", "uid",
                                                  "creationTimestamp") if k in meta},
                "spec": {}, "status": status}
        budget = RESERVED // 2
        while True:
            status["message"] = self._cut("only a bare record fit (no nodes)", budget)
            status["nodes"] = {}
            if len(encode(bare, indent=None)) <= RESERVED or budget < 16:
                return bare
            budget //= 2

    def _slim(self) -> dict[str, Any]:
        """The workflow without the spec, node inputs and step stdout (``outputs.result``);
        phases, messages, times and the outputs a retry reuses stay."""
        nodes = {}
        for nid, node in self.nodes.items():
            small = {k: v for k, v in node.items() if k != "inputs"}
            if "outputs" in node:
                small["outputs"] = {k: v for k, v in node["outputs"].items() if k != "result"}
            nodes[nid] = small
        meta = self.workflow.get("metadata") or {}
        message = self._cut("only a smaller record fit (no node inputs nor step output)")
        return {"apiVersion": self.workflow.get("apiVersion"), "kind": self.workflow.get("kind"),
                "metadata": meta, "spec": {},
                "status": {**{k: v for k, v in self.status.items() if k != "nodes"},
                           "message": message, "nodes": nodes}}

    def _cut(self, what: str, most: int | None = None) -> str:
        """The run's message, then what a cut record holds and the write of the full one
        that failed (``<path>: No space left on device``), each within ``most`` characters."""
        error = self.save_error
        failed = (describe_os_error(error, self.record.workflow_path) if error is not None
                  else f"{self.record.workflow_path}: the full record did not fit")
        said = self.status.get("message", "")
        if most is not None:
            said, failed = _clip(said, most), _clip(failed, most)
        return (f"{said}; " if said else "") + f"{what}: cannot write {failed}"
