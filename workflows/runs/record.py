"""One run's record: its folder under ``.cadencia/runs/``, written by the engine, read by
the CLI and the UI.

::

    .cadencia/runs/<run name>/
        workflow.json        the Argo Workflow object (metadata, spec, status.nodes), rewritten
                             atomically at each save (while the run goes, at most every
                             half second, compact; at its end, indented); the first one,
                             Pending, is padded to ``RESERVED`` bytes: room for the run's
                             last write in place when the disk fills up
        logs/<node id>.log   what the node's process printed
        .created             creation time in ns, orders runs created within one second
        invocation.json      what the run was started from (:mod:`workflows.runs.invocation`)
        cadencia.pid         the process that runs it (:mod:`workflows.runs.process`)

Node ids (the log files' names) follow Argo's own scheme (:mod:`workflows.argo.nodes`):
the id of the root node is the run name, every other id is ``<run name>-<FNV-1a 32-bit hash
of the node name>``. The runs of a home are :mod:`workflows.runs.store`.
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.runs.times import parse_time

WORKFLOW_FILE = "workflow.json"
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# Bytes the first record of a run holds: a run whose disk fills before any later save
# gets through still ends its record with a bare one written over them (nodes.Status).
RESERVED = 4096
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def describe_os_error(exc: OSError, path: Path | str | None = None) -> str:
    """``<path>: <reason>`` of a failed write, e.g. ``/h/runs/x/workflow.json: No space
    left on device``."""
    where = exc.filename or path
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


def encode(workflow: dict[str, Any], *, indent: int | None = 2) -> bytes:
    """The bytes ``RunRecord.save`` writes for ``workflow`` (UTF-8 JSON and a newline)."""
    separators = None if indent else (",", ":")
    return (json.dumps(workflow, indent=indent, separators=separators, ensure_ascii=False,
                       default=str) + "\n").encode()


def output_parameter(node: Any, name: str) -> Any:
    """The value of the node's output parameter ``name``; None when it has none."""
    return next((p.get("value") for p in (node.get("outputs") or {}).get("parameters") or []
                 if p.get("name") == name), None)


@dataclass(frozen=True)
class RunSummary:
    name: str
    phase: str
    created: str | None
    started: str | None
    finished: str | None
    duration: float | None  # seconds, None while running
    progress: str
    message: str
    path: Path


class RunRecord:
    """The folder of one run: its workflow object and its node logs."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.workflow_path = self.path / WORKFLOW_FILE
        self._lock = threading.Lock()

    def save(self, workflow: dict[str, Any], *, indent: int | None = 2,
             reserve: int = 0) -> None:
        """Write ``workflow.json`` atomically: readers see the old or the new object.

        ``indent=None`` writes it compact, several times faster (json's C encoder): the
        engine's writes while a run is going. ``reserve`` pads the file with blanks to
        that many bytes, which a later write can reuse. On a full disk (no room for the
        second copy an atomic write needs) the object is written over the old one in
        place when it fits in the space the old one holds; otherwise the OSError goes
        up."""
        data = encode(workflow, indent=indent)
        if len(data) < reserve:
            data = data[:-1] + b" " * (reserve - len(data)) + b"\n"
        with self._lock:
            try:
                self._replace(data)
            except OSError as exc:
                if exc.errno not in DISK_FULL or not self._overwrite(data):
                    raise

    def _replace(self, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{WORKFLOW_FILE}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, self.workflow_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _overwrite(self, data: bytes) -> bool:
        """Write ``data`` over the file's own blocks (none is allocated); False when it
        would not fit in them."""
        try:
            held = os.stat(self.workflow_path)
        except FileNotFoundError:
            return False
        if len(data) > max(held.st_size, held.st_blocks * 512):
            return False
        with open(self.workflow_path, "r+b") as handle:
            handle.write(data)
            handle.truncate()
        return True

    def load(self) -> dict[str, Any]:
        with self.workflow_path.open(encoding="utf-8") as handle:
            workflow: dict[str, Any] = json.load(handle)
        return workflow

    def log_path(self, node_id: str) -> Path:
        """``logs/<node id>.log`` (the folder is created; the file is not)."""
        if not SAFE_NAME.match(node_id):
            raise ValueError(f"invalid node id {node_id!r}")
        logs = self.path / "logs"
        logs.mkdir(exist_ok=True)
        return logs / f"{node_id}.log"

    def created_ns(self) -> int:
        try:
            return int((self.path / ".created").read_text())
        except (OSError, ValueError):
            return 0

    def summary(self) -> RunSummary:
        try:
            workflow = self.load()
        except (OSError, ValueError) as exc:  # hand-edited or foreign file: still list it
            return RunSummary(name=self.name, phase="Unknown", created=None, started=None,
                              finished=None, duration=None, progress="",
                              message=f"unreadable {WORKFLOW_FILE}: {exc}", path=self.path)
        meta, status = workflow.get("metadata", {}), workflow.get("status", {})
        started, finished = status.get("startedAt"), status.get("finishedAt")
        begin, end = parse_time(started), parse_time(finished)
        return RunSummary(
            name=meta.get("name", self.name), phase=status.get("phase") or "Pending",
            created=meta.get("creationTimestamp"), started=started, finished=finished,
            duration=(end - begin).total_seconds() if begin and end else None,
            progress=status.get("progress", ""), message=status.get("message", ""),
            path=self.path)


