"""``retry`` and ``stop`` from the web page: the same as the CLI verbs, and only from it.

``retry`` runs ``cadencia retry RUN --home HOME`` (the CLI's own code, in its own process
and session, so the run outlives a request and the server); ``stop`` sends SIGTERM to the
process that runs the run (:mod:`workflows.run_pid`), which stops it as Ctrl-C in its
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

from workflows.engine.records import RunRecord, RunStore

_children: list[subprocess.Popen[bytes]] = []  # reaped as new ones start


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
    ``<run>/retry.out``."""
    for child in list(_children):
        if child.poll() is not None:
            _children.remove(child)
    with (record.path / "retry.out").open("ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "retry", record.name, "--home", str(home)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "COLUMNS": "100"})
    _children.append(child)
    return child


def retried_run(store: RunStore, name: str, started_ns: int,
                child: subprocess.Popen[bytes] | None = None, wait: float = 5.0) -> str | None:
    """The name of the run a retry of ``name`` made (``cadencia.dev/retry-of``), once its
    record exists; None after ``wait`` seconds, or once ``child`` (the retry) has exited
    without making one."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        exited = child is not None and child.poll() is not None
        for record in store.records():
            if record.created_ns() < started_ns:
                break
            try:
                labels = record.load().get("metadata", {}).get("labels") or {}
            except (OSError, ValueError):
                continue
            if labels.get("cadencia.dev/retry-of") == name:
                return record.name
        if exited:
            return None
        time.sleep(0.2)
    return None
