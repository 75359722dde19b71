"""``withItems``, ``withParam`` and ``withSequence``: a task fanned out over items.

Items are named as Argo names them: ``task(0:a)``, ``task(1:b)``; a map item reads
``task(0:k1:v1,k2:v2)`` (keys sorted). ``{{item}}`` is the item (JSON for lists and
maps), ``{{item.key}}`` a key of a map item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from workflows.engine.errors import NodeError
from workflows.engine.scope import parameter_text

_FORMAT = re.compile(r"^[^%]*%[-+ 0#]*\d*[dxXo][^%]*$")


class ExpandError(NodeError):
    """The items of a task cannot be had (``withParam`` that is not a JSON list...)."""


def items_of(task: Mapping[str, Any]) -> list[Any] | None:
    """The items of an (already substituted) task, or None if it does not fan out."""
    if "withItems" in task:
        return list(task["withItems"] or [])
    if "withParam" in task:
        raw = task["withParam"]
        if isinstance(raw, list):
            return raw
        try:
            items = json.loads(str(raw))
        except ValueError as exc:
            raise ExpandError(f"withParam value could not be parsed as a JSON list: "
                              f"{str(raw).strip()}: {exc}") from exc
        if not isinstance(items, list):
            raise ExpandError(f"withParam value could not be parsed as a JSON list: "
                              f"{str(raw).strip()}")
        return items
    if "withSequence" in task:
        return sequence(task["withSequence"] or {})
    return None


def sequence(spec: Mapping[str, Any]) -> list[str]:
    """Argo's ``expandSequence``: ``count`` from ``start``, or ``start`` to ``end``."""
    try:
        start = int(str(spec.get("start", 0) or 0))
        if spec.get("count") not in (None, ""):
            if spec.get("end") not in (None, ""):
                raise ExpandError("withSequence: only one of count or end can be defined")
            count = int(str(spec["count"]))
            numbers = list(range(start, start + count))
        else:
            end = int(str(spec.get("end", 0) or 0))
            step = 1 if end >= start else -1
            numbers = list(range(start, end + step, step))
    except ValueError as exc:
        raise ExpandError(f"withSequence: {exc}") from exc
    fmt = spec.get("format")
    if fmt:
        if not _FORMAT.match(str(fmt)):
            raise ExpandError(f"withSequence format {fmt!r}: one integer verb (%d, %02d, %x)")
        return [str(fmt) % n for n in numbers]
    return [str(n) for n in numbers]


def describe(item: Any) -> str:
    if isinstance(item, Mapping):
        return ",".join(f"{k}:{parameter_text(item[k])}" for k in sorted(item))
    return parameter_text(item)


def item_scope(item: Any) -> dict[str, str]:
    scope = {"item": parameter_text(item)}
    if isinstance(item, Mapping):
        scope.update({f"item.{k}": parameter_text(v) for k, v in item.items()})
    return scope
