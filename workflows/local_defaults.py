"""Embedded defaults of the ``local`` environment: nothing to install, nothing to configure.

The compiled ``local`` manifests read from the sample API on 127.0.0.1:18080 and from the
databases named by the ``cadencia-source-db`` and ``cadencia-target-db`` secrets. Here
those are a SQLite source and a SQLite warehouse, under ``.cadencia/``, with a secrets
file that points at them. The source holds, per date, the tables the local pipelines
read: ``pedidos``, sample orders (half of them overlap the API's, and a few break a
validation rule, so a run of ``orders`` shows deduplication and quarantine), and
``payments``, the day's sample payments (a few of customers the sample API does not
know, so ``customer-payments``' left join keeps payments without a name).
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from workflows.devservices.sample_data import orders, payments

SAMPLE_API_PORT = 18080
SAMPLE_API = f"http://127.0.0.1:{SAMPLE_API_PORT}/"
# Where the sample API goes when 18080 is taken, tried in this order: the same port run
# after run, because the API's URL is part of extract-http's memoize key (through
# source-fingerprint), and a port picked at random would make every run a memo miss.
SAMPLE_API_FALLBACK_PORTS = range(18081, 18100)
RECORDS = 2000  # per source and day; the local manifests ask the API for this many
TABLE = "vendas"
# Rows the default rules quarantine: quantity 0 fails `range quantidade >= 1`.
BAD_ROWS = 3
# Payments per day: 80 fill one 4 KiB SQLite page, so seeding them (before every run, on
# whatever disk --home is) costs one page more than the orders alone.
PAYMENTS = 80


Served = TypeVar("Served")


def serve_sample_api(serve: Callable[[int], Served]) -> Served:
    """``serve(port)`` on 18080, else on the first free fallback port, else on any free
    port (``0``); an error other than "address in use" is raised."""
    for port in (SAMPLE_API_PORT, *SAMPLE_API_FALLBACK_PORTS):
        try:
            return serve(port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    return serve(0)


def source_db(home: Path) -> Path:
    return home / "source.db"


def warehouse_db(home: Path) -> Path:
    return home / "warehouse.db"


def seed_source(home: Path, logical_date: str, records: int) -> int:
    """(Re)write the day's rows of the SQLite source, in one transaction: ``records``
    orders in ``pedidos`` (ids from records/2 on, some bad) and :data:`PAYMENTS` payments
    in ``payments``. Returns the number of orders."""
    home.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in orders(logical_date, records // 2, records)]
    for r in rows[-BAD_ROWS:]:
        r["quantidade"] = 0
    conn = sqlite3.connect(source_db(home))
    try:
        with conn:
            conn.execute("CREATE TABLE IF NOT EXISTS pedidos (id INTEGER, nome TEXT, "
                         "valor REAL, quantidade INTEGER, created_at TEXT, categoria TEXT)")
            conn.execute("DELETE FROM pedidos WHERE date(created_at) = ?", (logical_date,))
            conn.executemany("INSERT INTO pedidos VALUES (:id, :nome, :valor, :quantidade, "
                             ":created_at, :categoria)", rows)
            conn.execute("CREATE TABLE IF NOT EXISTS payments (payment_id INTEGER, "
                         "customer_id INTEGER, amount REAL, currency TEXT, paid_at TEXT)")
            conn.execute("DELETE FROM payments WHERE date(paid_at) = ?", (logical_date,))
            conn.executemany("INSERT INTO payments VALUES (:payment_id, :customer_id, "
                             ":amount, :currency, :paid_at)", payments(logical_date, PAYMENTS))
    finally:
        conn.close()
    return len(rows)


def write_secrets(home: Path) -> Path:
    """The local secrets file: the Secrets the manifests reference, pointing at SQLite."""
    path = home / "secrets.yaml"
    secrets = {
        "cadencia-source-db": {"url": f"sqlite:///{source_db(home).resolve()}"},
        "cadencia-target-db": {"url": f"sqlite:///{warehouse_db(home).resolve()}"},
    }
    home.mkdir(parents=True, exist_ok=True)
    path.write_text("# Written by `cadencia run --env local`: the embedded defaults.\n"
                    + yaml.safe_dump(secrets, sort_keys=True))
    return path


def reads_sample_api(arg: object) -> bool:
    """Whether a container argument is a sample-API URL: ``URL`` (extract-http's --url) or
    ``NAME=URL`` (source-fingerprint's --http)."""
    if not isinstance(arg, str):
        return False
    name, named, url = arg.partition("=")
    return arg.startswith(SAMPLE_API) or (
        bool(named) and "/" not in name and url.startswith(SAMPLE_API))


def repoint_sample_api(docs: list[dict[str, Any]], port: int) -> int:
    """Point the loaded manifests' sample-API URLs (container args, ``URL`` or
    ``NAME=URL``) at ``port`` instead of 18080; returns how many were changed. The files
    on disk stay as compiled."""
    changed = 0
    for doc in docs:
        for template in (doc.get("spec") or {}).get("templates") or []:
            args = (template.get("container") or {}).get("args") or []
            for i, arg in enumerate(args):
                if reads_sample_api(arg):
                    args[i] = arg.replace(SAMPLE_API, f"http://127.0.0.1:{port}/", 1)
                    changed += 1
    return changed
