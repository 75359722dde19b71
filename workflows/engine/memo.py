"""``memoize``: a local cache of node outputs, shaped like Argo's ConfigMap cache.

Each ``cache.configMap.name`` is one JSON file under ``<store root>/.memo/``, mapping a
key to Argo's cache entry (``nodeID``, ``outputs``, ``creationTimestamp``,
``lastHitTimestamp``). Keys must match ``^[a-zA-Z0-9][-a-zA-Z0-9]*$`` or the node errors
with ``invalid cache key: <key>`` (Argo checks this at run time, not at lint). Only
Succeeded nodes are saved; an entry older than ``maxAge`` is a miss. The outputs replayed
on a hit are references (artifact keys), never copies, as in Argo.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from workflows.argo.durations import parse_go_duration
from workflows.argo.names import MEMOIZE_KEY
from workflows.engine.errors import NodeError
from workflows.engine.locks import held, lock_path
from workflows.runs.times import parse_time, timestamp


class MemoError(NodeError):
    """The cache cannot be used for this node (the node errors with this message)."""


@dataclass(frozen=True)
class Entry:
    node_id: str
    outputs: dict[str, Any]
    created: datetime


def check_key(key: str) -> None:
    if not MEMOIZE_KEY.match(key):
        raise MemoError(f"invalid cache key: {key}")


def max_age_seconds(text: str) -> float:
    try:
        return parse_go_duration(str(text))
    except ValueError as exc:
        raise MemoError(f"invalid maxAge {text!r}: {exc}") from exc


class MemoCache:
    """All memoize caches of a run store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _file(self, cache: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", cache):
            raise MemoError(f"invalid cache name {cache!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{cache}.json"

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise MemoError(f"malformed cache {path}: {exc}") from exc
        return data

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def load(self, cache: str, key: str, *, max_age: float | None,
             now: datetime) -> Entry | None:
        """The entry for ``key`` if it exists and is younger than ``max_age`` seconds."""
        check_key(key)
        path = self._file(cache)
        with held(lock_path(self.folder, cache)):
            data = self._read(path)
            raw = data.get(key)
            if not raw or raw.get("outputs") is None:
                return None
            created = parse_time(raw.get("creationTimestamp"))
            if created is None:
                return None
            if max_age is not None and (now - created).total_seconds() >= max_age:
                return None
            raw["lastHitTimestamp"] = timestamp(now)
            self._write(path, data)
        return Entry(node_id=str(raw.get("nodeID", "")), outputs=raw["outputs"],
                     created=created)

    def save(self, cache: str, key: str, node_id: str, outputs: dict[str, Any], *,
             now: datetime) -> None:
        check_key(key)
        path = self._file(cache)
        with held(lock_path(self.folder, cache)):
            data = self._read(path)
            data[key] = {"nodeID": node_id, "outputs": outputs,
                         "creationTimestamp": timestamp(now),
                         "lastHitTimestamp": timestamp(now)}
            self._write(path, data)
