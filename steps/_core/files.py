"""Atomic output files: written beside the target and renamed into place on success.

A failed or killed step never leaves a partial output that a later step (or a rerun)
could read. Kept free of heavy imports so every step can use it at start-up.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; rename it to ``path`` on success, delete it on failure."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def shard_order(name: str) -> tuple[int, str]:
    """Sort key of a sharded pipeline's files (``0.parquet``, ``1.json``, ... ``10.json``):
    shard order, shorter names first."""
    return len(name), name
