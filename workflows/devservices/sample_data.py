"""Deterministic sample orders, the shape the seed tutorial used, for demos, tests and benches.

Columns: ``id`` (int), ``nome`` (str), ``valor`` (float), ``quantidade`` (int),
``created_at`` (ISO timestamp string in JSON, a timestamp in SQL), ``categoria`` (str).
The same ``(logical_date, start, count)`` always gives the same records, so runs and
reruns can be compared.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

CATEGORIES = ("eletronicos", "livros", "casa", "esporte", "moda", "mercado")
NAMES = ("ana", "bruno", "carla", "diego", "elisa", "fabio", "gabi", "heitor", "iris", "joao")


def order(logical_date: str, i: int) -> dict[str, Any]:
    """Record number ``i`` of ``logical_date`` (ids are ``i + 1``)."""
    rnd = random.Random(f"{logical_date}:{i}")  # noqa: S311 - sample data, not crypto
    day = dt.datetime.fromisoformat(logical_date)
    created = day + dt.timedelta(seconds=rnd.randrange(86_400))
    return {
        "id": i + 1,
        "nome": f"{rnd.choice(NAMES)}-{rnd.randrange(10_000):04d}",
        "valor": round(rnd.uniform(1, 500), 2),
        "quantidade": rnd.randrange(1, 20),
        "created_at": created.isoformat(),
        "categoria": rnd.choice(CATEGORIES),
    }


def orders(logical_date: str, start: int, count: int) -> Iterator[dict[str, Any]]:
    for i in range(start, start + count):
        yield order(logical_date, i)
