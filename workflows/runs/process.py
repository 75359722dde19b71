"""Which process runs a local run: ``<run folder>/cadencia.pid``, so it can be stopped.

``cadencia run`` and ``cadencia retry`` write the file as the run starts (beside
``invocation.json``) with the process id and the process's start time (field 22 of
``/proc/<pid>/stat``, clock ticks since boot). ``stop`` sends that process SIGTERM, which
stops the run as ``argo terminate`` does (workflows/engine/engine.py, ``_stop_on_signals``)
— the same as Ctrl-C in its terminal. The start time guards against a reused pid: a
process that is not the one that wrote the file is never signalled.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

PID_FILE = "cadencia.pid"


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces; then the state
    # (field 3: Z for a process that has ended but is not reaped yet)
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] == "Z" else fields[19]


def record(run_dir: Path) -> None:
    """Write this process's id and start time into the run's folder; on a failed write (a
    full disk) no partial file stays and the OSError names the file."""
    pid = os.getpid()
    path = Path(run_dir) / PID_FILE
    try:
        path.write_text(f"{pid} {_start_ticks(pid) or ''}\n")
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc


def running(run_dir: Path) -> int | None:
    """The id of the process running the run, None when it has ended (or none was
    recorded)."""
    try:
        pid_text, _, ticks = (Path(run_dir) / PID_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    now = _start_ticks(pid)
    if now is None or (ticks and now != ticks):
        return None
    return pid


def stop(run_dir: Path) -> bool:
    """SIGTERM to the process running the run; False when no such process runs."""
    pid = running(run_dir)
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True
