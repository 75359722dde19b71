"""All runs of a home: the folders under ``.cadencia/runs/``, made, listed and found.

Run names are ``<workflow name>-<5 characters>`` like Argo's ``generateName``; a run is
found by its name, a unique prefix of it, or ``@latest`` (as with ``argo get``).
"""

from __future__ import annotations

import secrets
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from workflows.argo.names import MAX_OBJECT_NAME
from workflows.runs.record import RESERVED, SAFE_NAME, WORKFLOW_FILE, RunRecord, RunSummary
from workflows.runs.times import timestamp

DEFAULT_ROOT = Path(".cadencia") / "runs"
# Argo's generateName alphabet (no vowels, no look-alikes) and name budget.
SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
MAX_NAME = MAX_OBJECT_NAME


class RunLookupError(LookupError):
    """A run name that does not designate exactly one run; ``candidates`` lists names."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class UnknownRun(RunLookupError):
    pass


class AmbiguousRun(RunLookupError):
    pass


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
        if not SAFE_NAME.match(name) or not (path / WORKFLOW_FILE).is_file():
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
