"""A node's name as a person reads it in a run's lines: the items of the fan-outs it is in,
then its display name.

Argo names the children of a ``withItems``/``withParam`` fan-out ``task(i:item)`` and
their own nodes ``<workflow>.task(i:item).child``; the display name (``load(0)``) alone
does not say which item. A backfill's live line ``Running load(0)`` thus becomes
``Running 2026-11-01 load(0)``.
"""

from __future__ import annotations

import re

# a fan-out segment that has a node below it: "(index:item)." (the item may hold dots)
_ITEM = re.compile(r"\(\d+:([^()]*)\)\.")


def items(name: str) -> tuple[str, ...]:
    """The items of the fan-outs above the node named ``name``, outermost first."""
    return tuple(_ITEM.findall(name))


def label(name: str, display: str) -> str:
    """``orders-backfill-x.run(0:2026-11-01).load(0)``, ``load(0)`` -> ``2026-11-01 load(0)``."""
    return " ".join((*items(name), display))
