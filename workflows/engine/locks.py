"""File locks under the run store: memoize caches and ``synchronization`` mutexes.

A mutex named in a manifest is a ``flock`` on ``<store root>/.locks/<name>.lock``, so two
local runs (two terminals, a backfill) queue on it exactly as two workflows queue on an
Argo mutex. The lock dies with the process that holds it: a killed run never leaves one
behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
from collections.abc import Iterator
from pathlib import Path

POLL_SECONDS = 0.05
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def lock_path(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{_UNSAFE.sub('_', name)}.lock"


@contextlib.contextmanager
def held(path: Path) -> Iterator[None]:
    """Block until the lock at ``path`` is ours (short critical sections only)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Mutex:
    """An exclusive lock acquired without blocking the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def acquire(self) -> None:
        while not self.try_acquire():
            await asyncio.sleep(POLL_SECONDS)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
