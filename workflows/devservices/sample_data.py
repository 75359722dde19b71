"""Deterministic sample records, for demos, tests and benches: orders, customers, payments.

The same arguments always give the same records, so runs and reruns can be compared.

Orders (the shape the seed tutorial used; the sample API's ``/orders/*``): ``id`` (int),
``nome`` (str), ``valor`` (float), ``quantidade`` (int), ``created_at`` (ISO timestamp
string in JSON, a timestamp in SQL), ``categoria`` (str).

Customers (the sample API's ``/customers``; the ``CUSTOMER`` schema of
``workflows/pipelines/customer_payments.py``): ``customer_id`` (int, from
:data:`FIRST_CUSTOMER_ID` on), ``name``, ``email``, ``country`` (two upper-case letters),
``signup_date`` (``YYYY-MM-DD``), ``updated_at`` (ISO timestamp on the snapshot's date).
A customer is the same person whatever the date; only ``updated_at`` follows the date.

Payments (the ``payments`` table of the embedded SQLite source): ``payment_id`` (int,
unique across dates), ``customer_id``, ``amount`` (float > 0), ``currency`` (``BRL``),
``paid_at`` (ISO timestamp within the day). Most are paid by one of the first
:data:`PAYING_CUSTOMERS` customers, which every local settings file asks the API for;
one in :data:`UNKNOWN_CUSTOMER_EVERY` by a customer id below :data:`FIRST_CUSTOMER_ID`,
which the API never serves, so a left join of payments with customers keeps a few
payments without a name.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

CATEGORIES = ("eletronicos", "livros", "casa", "esporte", "moda", "mercado")
NAMES = ("ana", "bruno", "carla", "diego", "elisa", "fabio", "gabi", "heitor", "iris", "joao")
SURNAMES = ("silva", "souza", "costa", "lima", "pereira", "alves", "rocha", "gomes", "dias",
            "moura")
COUNTRIES = ("BR", "BR", "BR", "AR", "CL", "UY", "PT", "MX")  # mostly Brazil

FIRST_CUSTOMER_ID = 1001   # ids 1..1000 are never served: payments of unknown customers
PAYING_CUSTOMERS = 200     # the smallest number of customers a local settings file asks for
UNKNOWN_CUSTOMER_EVERY = 40  # 2.5% of payments: under validate-payments' 5% null-name warning
PAYMENTS_PER_DAY = 10_000  # payment ids are YYYYMMDD * this + 1, 2, ...


def _rng(*seed: object) -> random.Random:
    return random.Random(":".join(map(str, seed)))  # noqa: S311 - sample data, not crypto


def order(logical_date: str, i: int) -> dict[str, Any]:
    """Record number ``i`` of ``logical_date`` (ids are ``i + 1``)."""
    rnd = _rng(logical_date, i)
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


def customer(logical_date: str, i: int) -> dict[str, Any]:
    """Customer number ``i`` (id ``FIRST_CUSTOMER_ID + i``) as of ``logical_date``."""
    rnd = _rng("customer", i)
    customer_id = FIRST_CUSTOMER_ID + i
    first, last = rnd.choice(NAMES), rnd.choice(SURNAMES)
    signup = dt.date(2018, 1, 1) + dt.timedelta(days=rnd.randrange(5 * 365))
    updated = dt.datetime.fromisoformat(logical_date) + dt.timedelta(
        seconds=_rng(logical_date, "customer", i).randrange(86_400))
    return {
        "customer_id": customer_id,
        "name": f"{first.title()} {last.title()}",
        "email": f"{first}.{last}.{customer_id}@example.com",
        "country": rnd.choice(COUNTRIES),
        "signup_date": signup.isoformat(),
        "updated_at": updated.isoformat(),
    }


def customers(logical_date: str, start: int, count: int) -> Iterator[dict[str, Any]]:
    for i in range(start, start + count):
        yield customer(logical_date, i)


def payment(logical_date: str, i: int) -> dict[str, Any]:
    """Payment number ``i`` of ``logical_date`` (``0 <= i < PAYMENTS_PER_DAY``)."""
    if not 0 <= i < PAYMENTS_PER_DAY:
        raise ValueError(f"payment number {i} is outside 0..{PAYMENTS_PER_DAY - 1}")
    rnd = _rng(logical_date, "payment", i)
    day = dt.datetime.fromisoformat(logical_date)
    unknown = i % UNKNOWN_CUSTOMER_EVERY == UNKNOWN_CUSTOMER_EVERY - 1
    customer_id = (rnd.randrange(1, FIRST_CUSTOMER_ID) if unknown
                   else FIRST_CUSTOMER_ID + rnd.randrange(PAYING_CUSTOMERS))
    return {
        "payment_id": int(day.strftime("%Y%m%d")) * PAYMENTS_PER_DAY + i + 1,
        "customer_id": customer_id,
        "amount": round(rnd.uniform(5, 2000), 2),
        "currency": "BRL",
        "paid_at": (day + dt.timedelta(seconds=rnd.randrange(86_400))).isoformat(),
    }


def payments(logical_date: str, count: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        yield payment(logical_date, i)
