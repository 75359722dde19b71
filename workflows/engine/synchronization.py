"""``synchronization`` locks, of a template's node or of a whole workflow.

Argo's sync manager names a semaphore ``<namespace>/ConfigMap/<configmap>/<key>`` and a
mutex ``<namespace>/Mutex/<name>`` (``getSemaphoreLockName``, ``getMutexLockName``: the
lock's own ``namespace``, else the workflow's), and gives it to at most its limit of
holders at once: a node (template level) or the workflow itself (workflow level, held from
before its first node until it has ended, exit handler included: ``operate`` then
``ReleaseAll``). A mutex's limit is 1; a semaphore's is the integer in its ConfigMap's
key (``getSyncLimit``, no label needed), read from the ConfigMap documents given; a
missing ConfigMap or key, a value that is not an integer or a limit of 0 is Argo's
``failed to initialize semaphore <name> with limit`` (``newInternalSemaphore``).

Locally each lock is file locks under the run store (:mod:`workflows.engine.locks`), one
per slot of its limit, so the runs of one home (two terminals, a backfill) share them as
the workflows of one namespace do on a cluster. A holder takes all its locks at once or
none (``tryAcquireImpl``), so two holders of overlapping sets never deadlock; while it
waits it shows ``TryAcquire``'s message for the first busy one, in Argo's order
(semaphores, then mutexes): ``Waiting for default/Mutex/name lock. Lock status: 0/1``.
Which waiter goes first is not Argo's priority queue (the engine keeps none).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.engine.config_maps import ConfigMaps
from workflows.engine.context import Run
from workflows.engine.errors import NodeError
from workflows.engine.locks import POLL_SECONDS, Mutex, lock_path

_INTEGER = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.Atoi takes


class SyncError(NodeError):
    """A lock Argo's sync manager cannot initialize: the node errors, the workflow fails."""


@dataclass(frozen=True)
class Lock:
    name: str  # Argo's lock name
    limit: int  # holders at once

    def slots(self, folder: Path) -> list[Path]:
        if self.limit == 1 and "/Mutex/" in self.name:
            return [lock_path(folder, self.name)]
        return [lock_path(folder, f"{self.name}#{i}") for i in range(self.limit)]

    def waiting_message(self) -> str:
        return f"Waiting for {self.name} lock. Lock status: 0/{self.limit}"


def _items(sync: Mapping[str, Any], plural: str, singular: str) -> list[Mapping[str, Any]]:
    """``LegacySynchronization.ToCurrent``: the list, then the deprecated single item."""
    return [*(sync.get(plural) or []), *([sync[singular]] if sync.get(singular) else [])]


def lock_names(sync: Mapping[str, Any] | None, namespace: str) -> list[str]:
    """The lock names, semaphores then mutexes (``allSyncItems``)."""
    sync = sync or {}
    names = [f"{s.get('namespace') or namespace}/ConfigMap/{s['configMapKeyRef']['name']}/"
             f"{s['configMapKeyRef']['key']}" for s in _items(sync, "semaphores", "semaphore")]
    names += [f"{m.get('namespace') or namespace}/Mutex/{m['name']}"
              for m in _items(sync, "mutexes", "mutex")]
    return list(dict.fromkeys(names))


def locks(sync: Mapping[str, Any] | None, namespace: str, config_maps: ConfigMaps) -> list[Lock]:
    """The locks ``sync`` names, with their limits; SyncError for a semaphore whose
    limit cannot be read."""
    found = []
    for name in lock_names(sync, namespace):
        if "/Mutex/" in name:
            found.append(Lock(name, 1))
            continue
        lock_namespace, _, cm_name, key = name.split("/", 3)
        text = (config_maps.data(lock_namespace, cm_name) or {}).get(key)
        limit = int(text) if text is not None and _INTEGER.fullmatch(text) else 0
        if limit <= 0:  # a negative one is refused before the run
            raise SyncError(f"failed to initialize semaphore {name} with limit")
        found.append(Lock(name, limit))
    return found


async def hold(run: Run, wanted: list[Lock], on_wait: Callable[[str, str], None], *,
               bounded: bool = True) -> list[Mutex] | None:
    """A slot of every lock of ``wanted`` at once, or none; ``on_wait`` gets (lock name,
    message) whenever the lock waited for changes. None when the run was stopped, or,
    ``bounded``, its deadline passed, while it waited."""
    waiting = None
    while True:
        held: list[Mutex] = []
        for lock in wanted:
            slot = _free_slot(lock.slots(run.locks))
            if slot is None:
                release(held)
                if lock.name != waiting:
                    waiting = lock.name
                    on_wait(lock.name, lock.waiting_message())
                break
            held.append(slot)
        else:
            return held
        if bounded and run.deadline_event.is_set():
            return None
        await asyncio.sleep(POLL_SECONDS)


def _free_slot(paths: list[Path]) -> Mutex | None:
    for path in paths:
        mutex = Mutex(path)
        if mutex.try_acquire():
            return mutex
    return None


def release(held: list[Mutex]) -> None:
    for mutex in held:
        mutex.release()
