"""What every part of a running workflow shares: the ``Run``, and how templates are found.

``Templates`` is a template namespace: the workflow's own templates, or those of the
(Cluster)WorkflowTemplate a ``templateRef`` went into (a template found through
``templateRef`` resolves its own ``template:`` references in its template document, as
templateresolution's ``WithTemplateHolder`` makes it the new base).
``Branch`` says whether code runs under the exit handler, which the workflow deadline
does not touch. ``Run.terminate`` is Argo's ``Terminate`` shutdown (``argo terminate``;
locally, a signal to ``cadencia run``): nothing more starts, exit handler included, and
every running step is stopped, with Argo's messages for each kind of node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from workflows.engine.admit.library import Library, TemplateSource, ref_source
from workflows.engine.admit.load import Loaded
from workflows.engine.artifacts import ArtifactRepository
from workflows.engine.executor import KILL_GRACE_SECONDS, Process
from workflows.engine.isolation import SWITCH as ISOLATION_SWITCH
from workflows.engine.isolation import Availability, shared_paths
from workflows.engine.memo import MemoCache
from workflows.engine.metrics import Registry
from workflows.engine.nodes import FINISHED, Status
from workflows.engine.reuse import Previous
from workflows.engine.secrets import SecretSource

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TERMINATE = "Terminate"
# Argo's messages under a shutdown strategy (workflow/controller): a node that would start
# (workflowpod.go), a running pod (exec_control.go: two spaces, sic), a Retry node, a
# node waiting for a lock and the workflow itself (operator.go).
SHUTDOWN_NOT_STARTED = f"workflow shutdown with strategy: {TERMINATE}"
SHUTDOWN_RUNNING_POD = f"workflow shutdown with strategy:  {TERMINATE}"
SHUTDOWN_STOPPED = f"Stopped with strategy '{TERMINATE}'"


@dataclass(frozen=True)
class EngineConfig:
    """Local choices with no Argo equivalent.

    ``our_images``: image repository names (the last path segment, without tag) that mean
    "this project": their ``python`` is the running interpreter, with the project root as
    working directory and on ``PYTHONPATH``. Any other image runs its command with the
    host's programs, in a mount namespace of its own when the machine allows (``isolation``).

    ``isolation``: ``auto`` (a pod's own filesystem where bwrap works) or ``off`` (as if it
    did not: templates that rely on literal paths are refused); default from
    ``CADENCIA_ENGINE_ISOLATION``. ``shared``: host folders every isolated pod sees
    read-write at their own paths; default from ``CADENCIA_ENGINE_SHARE``.
    """

    project_root: Path = PROJECT_ROOT
    our_images: frozenset[str] = frozenset({"cadencia"})
    python: str = sys.executable
    kill_grace: float = KILL_GRACE_SECONDS
    keep_sandboxes: bool = False
    isolation: str = field(default_factory=lambda: os.environ.get(ISOLATION_SWITCH) or "auto")
    shared: tuple[Path, ...] = field(default_factory=shared_paths)


@dataclass(frozen=True)
class Templates:
    by_name: Mapping[str, dict[str, Any]]
    owner: TemplateSource | None  # the template document they are of; None: a Workflow's

    def resolve(self, holder: Mapping[str, Any],
                library: Library) -> tuple[dict[str, Any], Templates]:
        if "inline" in holder:
            # GetTemplate: a task's or step's Inline first; its nodes' templateName is the
            # holder's GetTemplateName, "" (initializeNode), so the pod is <wf>-<hash>
            return {**holder["inline"], "name": ""}, self
        ref = holder.get("templateRef")
        if ref:
            source = ref_source(ref)  # clusterScope: a ClusterWorkflowTemplate
            spec = library[source]
            scope = Templates({t["name"]: t for t in spec.get("templates") or []}, source)
            return scope.by_name[ref["template"]], scope
        return self.by_name[holder["template"]], self


@dataclass(frozen=True)
class Branch:
    on_exit: bool = False


@dataclass
class Run:
    name: str
    loaded: Loaded
    status: Status
    repo: ArtifactRepository
    secrets: SecretSource
    memo: MemoCache
    locks: Path
    metrics: Registry
    config: EngineConfig
    globals: dict[str, str]
    clock: Callable[[], datetime]
    started: float = field(default_factory=time.time)
    deadline: float | None = None
    deadline_passed: bool = False
    deadline_event: asyncio.Event = field(default_factory=asyncio.Event)
    processes: dict[str, tuple[Process, bool]] = field(default_factory=dict)
    daemons: dict[str, list[tuple[str, Process]]] = field(default_factory=dict)
    # sandboxes being removed off the run's path (pod.discard); awaited as the run ends
    cleanups: list[asyncio.Future[None]] = field(default_factory=list)
    closed_scopes: set[str] = field(default_factory=set)  # DAGs whose daemons were stopped
    pod_slots: asyncio.Semaphore | None = None
    previous: Previous | None = None
    shutdown: str | None = None  # Argo's spec.shutdown, once the run is being stopped
    isolation: Availability = field(  # whether pods get their own filesystems
        default_factory=lambda: Availability(False, "not probed"))

    @property
    def record_path(self) -> Path:
        return self.status.record.path

    def deadline_message(self, branch: Branch) -> str | None:
        """Why nothing more may start or be retried on ``branch``, or None."""
        if self.shutdown:
            return SHUTDOWN_NOT_STARTED
        if self.deadline_passed and not branch.on_exit:
            return "Step exceeded its deadline"
        return None

    def pass_deadline(self) -> None:
        """The workflow's activeDeadlineSeconds is over: stop every running step."""
        self.deadline_passed = True
        self.deadline_event.set()
        for process, on_exit in list(self.processes.values()):
            if not on_exit:
                process.stop("workflow-deadline")
        self.status.changed()

    def terminate(self) -> None:
        """Stop the run as ``argo terminate`` does: nothing more starts (the exit handler
        neither) and every running step gets SIGTERM, then SIGKILL after the grace."""
        self.shutdown = TERMINATE
        self.deadline_event.set()  # cuts short backoff and lock waits
        for process, _ in list(self.processes.values()):
            process.stop("shutdown")
        self.status.changed()


def fail_node(run: Run, node: dict[str, Any], exc: Exception) -> None:
    """End ``node`` in Error with the exception's text, unless it already ended; the
    traceback goes to the debug log and the node's log file."""
    message = f"local engine error: {type(exc).__name__}: {exc}"
    logger.debug("node %s failed inside the engine", node.get("name"), exc_info=exc)
    with contextlib.suppress(OSError, ValueError), open(
            run.status.record.log_path(node["id"]), "a", encoding="utf-8") as handle:
        handle.write(message + "\n")
    if node.get("phase") not in FINISHED:
        run.status.update(node, phase="Error", message=message)
