"""``synchronization`` mutexes, of a template's node or of a whole workflow.

Argo's sync manager names a mutex ``<namespace>/Mutex/<name>`` (``getMutexLockName``: the
mutex's own ``namespace``, else the workflow's) and gives it to one holder at a time: a
node (template level) or the workflow itself (workflow level, held from before its first
node until it has ended, exit handler included: ``operate`` then ``ReleaseAll``). Locally
each mutex is a file lock under the run store (:mod:`workflows.engine.locks`), so the
runs of one home (two terminals, a backfill) queue on it as workflows of one namespace
do on a cluster. A holder takes all its mutexes at once or none, as Argo's sync manager
does, so two holders of overlapping sets never deadlock; while it waits it shows
``TryAcquire``'s message for the first busy one, ``Waiting for default/Mutex/name lock.
Lock status: 0/1``. Which waiter goes first is not Argo's priority queue (the engine
keeps none).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from workflows.engine.context import Run
from workflows.engine.locks import POLL_SECONDS, Mutex, lock_path


def mutex_names(sync: Mapping[str, Any] | None, namespace: str) -> list[str]:
    """The lock names of ``mutexes``, then the deprecated ``mutex`` (``allSyncItems``
    after ``LegacySynchronization.ToCurrent``), in that order."""
    sync = sync or {}
    mutexes = [*(sync.get("mutexes") or []), *([sync["mutex"]] if sync.get("mutex") else [])]
    names = [f"{m.get('namespace') or namespace}/Mutex/{m['name']}" for m in mutexes]
    return list(dict.fromkeys(names))


def waiting_message(name: str) -> str:
    return f"Waiting for {name} lock. Lock status: 0/1"


async def hold(run: Run, names: list[str], on_wait: Callable[[str, str], None], *,
               bounded: bool = True) -> list[Mutex] | None:
    """Take every mutex of ``names`` at once or none (``tryAcquireImpl``: all acquirable,
    else nothing taken and the first busy one's message); ``on_wait`` gets (lock name,
    message) whenever the lock waited for changes. None when the run was stopped, or,
    ``bounded``, its deadline passed, while it waited."""
    waiting = None
    while True:
        held: list[Mutex] = []
        for name in names:
            mutex = Mutex(lock_path(run.locks, name))
            if not mutex.try_acquire():
                release(held)
                if name != waiting:
                    waiting = name
                    on_wait(name, waiting_message(name))
                break
            held.append(mutex)
        else:
            return held
        if bounded and run.deadline_event.is_set():
            return None
        await asyncio.sleep(POLL_SECONDS)


def release(held: list[Mutex]) -> None:
    for mutex in held:
        mutex.release()
