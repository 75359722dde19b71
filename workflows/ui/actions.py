"""``retry`` and ``stop`` from the web page: the same as the CLI verbs, and only from it.

``retry`` runs ``cadencia retry RUN --home HOME`` (the CLI's own code, in its own process
and session, so the run outlives a request and the server); ``stop`` sends SIGTERM to the
process that runs the run (:mod:`workflows.runs.process`), which stops it as Ctrl-C in its
terminal does. Both are POST-only, and ``same_origin`` refuses a request another site's
page could have made (its ``Origin``, else its ``Referer``, must be this server's own
address): a local server is reachable from every page the browser has open.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from workflows.runs.record import RunRecord

_children: list[subprocess.Popen[bytes]] = []  # reaped as new ones start
RETRY_OUTPUT = "retry.out"


def same_origin(headers: dict[str, str], allowed_hosts: set[str]) -> bool:
    """Whether the request's Origin (or Referer) and Host are this server's own
    (``allowed_hosts`` holding ``*``: any Host, as long as the Origin is that Host)."""
    host = headers.get("host", "")
    if not host or (host not in allowed_hosts and "*" not in allowed_hosts):
        return False
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme == "http" and parts.netloc == host


def start_retry(record: RunRecord, home: Path) -> subprocess.Popen[bytes]:
    """``cadencia retry`` of the run, in the background; its output goes to
    ``<run>/retry.out`` (replaced at each retry)."""
    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)
    with (record.path / RETRY_OUTPUT).open("wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "retry", record.name, "--home", str(home)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "COLUMNS": "100"})
    _children.append(child)
    return child


def record_stamp(record: RunRecord) -> int:
    """When the run's record was last written (ns); 0 without one."""
    try:
        return record.workflow_path.stat().st_mtime_ns
    except OSError:
        return 0


def wait_for_retry(record: RunRecord, child: subprocess.Popen[bytes], before: int,
                   wait: float = 5.0) -> str | None:
    """Wait until the retry has taken the run over (it rewrites the record: the same run,
    as ``argo retry``), so that the page it leads to follows it; None then, or after
    ``wait`` seconds. When ``cadencia retry`` exits without touching the record (it
    refused, e.g. a Succeeded run), its last line, which says why."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if record_stamp(record) != before:
            return None
        if child.poll() is not None:
            if record_stamp(record) != before or child.returncode == 0:
                return None
            said = (record.path / RETRY_OUTPUT).read_text(errors="replace").strip()
            return said.splitlines()[-1] if said else "cadencia retry failed"
        time.sleep(0.1)
    return None
