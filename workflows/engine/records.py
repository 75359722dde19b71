"""Run records of the local engine: one folder per run under ``.cadencia/runs/``.

::

    .cadencia/runs/<run name>/
        workflow.json        the Argo Workflow object (metadata, spec, status.nodes), rewritten
                             atomically at each save (while the run goes, at most every
                             half second, compact; at its end, indented); the first one,
                             Pending, is padded to ``RESERVED`` bytes: room for the run's
                             last write in place when the disk fills up
        logs/<node id>.log   what the node's process printed
        .created             creation time in ns, orders runs created within one second

Run names are ``<workflow name>-<5 characters>`` like Argo's ``generateName``. Node ids and
pod names use Argo's own scheme (``node_id``, ``pod_name``): the id of the root node is the
run name, every other id is ``<run name>-<FNV-1a 32-bit hash of the node name>``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflows.argo.names import MAX_OBJECT_NAME
from workflows.argo.nodes import fnv32a, node_id, pod_name

__all__ = ["DEFAULT_ROOT", "RESERVED", "AmbiguousRun", "RunLookupError", "RunRecord",
           "RunStore", "RunSummary", "UnknownRun", "fnv32a", "node_id", "parse_time",
           "pod_name", "timestamp"]

DEFAULT_ROOT = Path(".cadencia") / "runs"
WORKFLOW_FILE = "workflow.json"
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# Bytes the first record of a run holds: a run whose disk fills before any later save
# gets through still ends its record with a bare one written over them (nodes.Status).
RESERVED = 4096
# Argo's generateName alphabet (no vowels, no look-alikes) and name budget.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_NAME = MAX_OBJECT_NAME
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with seconds, as Argo writes times (``2024-03-05T02:00:00Z``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """The datetime of an RFC 3339 string (``Z`` accepted), None for empty or absent."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


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


class RunLookupError(LookupError):
    """A run name that does not designate exactly one run; ``candidates`` lists names."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class UnknownRun(RunLookupError):
    pass


class AmbiguousRun(RunLookupError):
    pass


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
        if not _SAFE_NAME.match(node_id):
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


class RunStore:
    """All runs under ``root`` (default ``.cadencia/runs``)."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        # Absolute: node sandboxes under it are handed to step processes whose working
        # folder is the project root, not the caller's.
        self.root = Path(root).resolve()

    def new_run(self, workflow_name: str, *, created: datetime | None = None) -> RunRecord:
        """A new run folder named ``<workflow name>-xxxxx`` with a Pending workflow.json
        holding ``RESERVED`` bytes. When that cannot be written (a full disk) the OSError
        goes up and no folder stays."""
        moment = created or datetime.now(timezone.utc)
        base = workflow_name[: MAX_NAME - 6]
        self.root.mkdir(parents=True, exist_ok=True)
        for _ in range(100):
            suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(5))
            path = self.root / f"{base}-{suffix}"
            if "/" in base or "\\" in base or path.resolve().parent != self.root:
                # the loader refuses such names; a run folder is never made elsewhere
                raise ValueError(f"workflow name {workflow_name!r} cannot name a run "
                                 f"folder in {self.root}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            record = RunRecord(path)
            try:
                (path / ".created").write_text(str(time.time_ns()))
                record.save({
                    "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                    "metadata": {"name": record.name, "creationTimestamp": timestamp(moment),
                                 "labels": {}},
                    "spec": {}, "status": {"phase": "Pending", "nodes": {}}},
                    reserve=RESERVED)
            except BaseException:
                shutil.rmtree(path, ignore_errors=True)
                raise
            return record
        raise RuntimeError(f"no free run name for {workflow_name!r} in {self.root}")

    def reopen(self, name: str) -> RunRecord:
        """The run called exactly ``name`` (a retry goes on in its folder); UnknownRun."""
        path = self.root / name
        if not _SAFE_NAME.match(name) or not (path / WORKFLOW_FILE).is_file():
            raise UnknownRun(f"no run {name!r} in {self.root}", [r.name for r in self.records()])
        return RunRecord(path)

    def records(self) -> list[RunRecord]:
        """Every run, newest first."""
        if not self.root.is_dir():
            return []
        found = [RunRecord(p) for p in self.root.iterdir() if (p / WORKFLOW_FILE).is_file()]
        return sorted(found, key=lambda r: (r.created_ns(), r.name), reverse=True)

    def list_runs(self) -> list[RunSummary]:
        """A summary of every run, newest first."""
        return [record.summary() for record in self.records()]

    def load(self, name: str) -> RunRecord:
        """The run called ``name``, or the one run whose name starts with it; ``@latest`` is
        the newest run (as with ``argo get @latest``)."""
        records = self.records()
        names = [r.name for r in records]
        if name == "@latest" and records:
            return records[0]
        for record in records:
            if record.name == name:
                return record
        matches = [r for r in records if name and r.name.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            found = [r.name for r in matches]
            raise AmbiguousRun(f"run {name!r} is ambiguous: it matches {', '.join(found)}", found)
        known = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "") or "none yet"
        raise UnknownRun(f"no run {name!r} in {self.root} (runs, newest first: {known})", names)
