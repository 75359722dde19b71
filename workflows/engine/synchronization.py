"""``synchronization`` mutexes, of a template's node or of a whole workflow.

Argo's sync manager names a mutex ``<namespace>/Mutex/<name>`` (``getMutexLockName``: the
mutex's own ``namespace``, else the workflow's) and gives it to one holder at a time: a
node (template level) or the workflow itself (workflow level, held from before its first
node until it has ended, exit handler included: ``operate`` then ``ReleaseAll``). Locally
each mutex is a file lock under the run store (:mod:`workflows.engine.locks`), so the
runs of one home (two terminals, a backfill) queue on it as workflows of one namespace
do on a cluster. While it waits, the holder shows Argo's ``TryAcquire`` message,
``Waiting for default/Mutex/name lock. Lock status: 0/1``. The locks are taken in name
order, so two holders of the same set never deadlock; which waiter goes first is not
Argo's priority queue (the engine does not keep one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.engine.attempts import until_deadline
from workflows.engine.context import Run
from workflows.engine.locks import Mutex, lock_path


def mutex_names(sync: Mapping[str, Any] | None, namespace: str) -> list[str]:
    """The lock names of ``mutexes`` and the deprecated ``mutex``, once each, sorted."""
    sync = sync or {}
    mutexes = [*(sync.get("mutexes") or []), *([sync["mutex"]] if sync.get("mutex") else [])]
    return sorted({f"{m.get('namespace') or namespace}/Mutex/{m['name']}" for m in mutexes})


def waiting_message(name: str) -> str:
    return f"Waiting for {name} lock. Lock status: 0/1"


async def hold(run: Run, names: list[str], on_wait: Callable[[str], None], *,
               bounded: bool = True) -> list[Mutex] | None:
    """Take every mutex of ``names``; ``on_wait`` gets the message the first time one is
    busy. None (nothing held) when the run was stopped, or, ``bounded``, its deadline
    passed, while it waited."""
    held: list[Mutex] = []
    for name in names:
        mutex = Mutex(lock_path(run.locks, name))
        if not mutex.try_acquire():
            on_wait(waiting_message(name))
            if not bounded:
                await mutex.acquire()
            elif not await until_deadline(run, mutex.acquire(), None):
                release(held)
                return None
        held.append(mutex)
    return held


def release(held: list[Mutex]) -> None:
    for mutex in held:
        mutex.release()
