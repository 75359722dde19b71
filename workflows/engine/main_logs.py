"""``archiveLogs``: the main container's log kept as the node's ``main-logs`` artifact.

Argo decides per template (workflowpod.go ``IsArchiveLogs``): the artifact repository's
``archiveLogs`` when on, else the template's ``archiveLocation.archiveLogs``, else the
workflow's ``spec.archiveLogs``. When it is on, the wait container saves the main
container's log once it ended, whatever its exit code (executor.go ``SaveLogs``,
``saveContainerLogs``): a file ``main.log``, not archived, under the template's key
(``<keyFormat>/main.log``), reported after the declared output artifacts as
``main-logs``. A pod that never ran has no log and no such artifact. Locally the log is
the attempt's log (what ``cadencia logs`` shows), stored in the run's repository.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.engine.artifacts import ArtifactError, ArtifactRepository, render_key

NAME = "main-logs"
FILE = "main.log"


def archive_logs(spec: Mapping[str, Any], tmpl: Mapping[str, Any]) -> bool:
    """The template's archiveLocation.archiveLogs, else the workflow's archiveLogs."""
    location = tmpl.get("archiveLocation") or {}
    if location.get("archiveLogs") is not None:
        return bool(location["archiveLogs"])
    return bool(spec.get("archiveLogs"))


async def save(repo: ArtifactRepository, log: Path, scope: Mapping[str, str], *,
               name: str = NAME, file: str = FILE
               ) -> tuple[dict[str, Any] | None, str | None]:
    """(the ``main-logs`` output artifact, None) or (None, why it could not be saved). A
    containerSet saves one per container: ``<container>-logs``, ``<container>.log``."""
    if not log.exists():  # nothing ran: nothing to save, as Argo's ErrNotExist case
        return None, None
    try:
        key = render_key(repo.key_format, scope, name, file, "none")
        location = await asyncio.to_thread(repo.put, log, key, archive="none")
    except ArtifactError as exc:
        return None, f"failed to save logs: {exc}"
    return {"name": name, **location}, None
