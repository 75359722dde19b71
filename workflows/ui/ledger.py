"""The load ledger of a run's targets: what ``steps.load`` recorded, read back.

Each ``steps.load`` container of the run's manifests names its ledger table
(``--ledger-table``, default ``cadencia_load_ledger``) and reads its database URL from a
Secret (``CADENCIA_TARGET_DB_URL``); the run's ``invocation.json`` names the secrets file
that held it. The URL is only ever shown redacted (``DbUrl.redacted``: the password is
``***``); a SQLite database is opened read-only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from steps._core.db import parse_url, quote_table
from steps._core.errors import PipelineError
from workflows.engine.secrets import MissingSecret, SecretSource
from workflows.local_run import TARGET_URL, load_docs
from workflows.runs.invocation import Invocation
from workflows.runs.record import RunRecord

DEFAULT_LEDGER = "cadencia_load_ledger"
COLUMNS = ("pipeline", "target", "logical_date", "run_id", "mode", "rows", "deleted_rows",
           "loaded_at")
LIMIT = 100
CONNECT_TIMEOUT = 3  # seconds


def targets(docs: list[dict[str, Any]], secrets: SecretSource) -> list[dict[str, Any]]:
    """``{"url", "redacted", "ledger", "tables"}`` per target database of the loads."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        for template in (doc.get("spec") or {}).get("templates") or []:
            container = template.get("container") or {}
            if "steps.load" not in (container.get("command") or []):
                continue
            args = [str(a) for a in container.get("args") or []]
            option = {k: args[i + 1] for i, k in enumerate(args[:-1]) if k.startswith("--")}
            ref = next(((e.get("valueFrom") or {}).get("secretKeyRef") or {}
                        for e in container.get("env") or [] if e.get("name") == TARGET_URL),
                       {})
            url = secrets.secret(str(ref.get("name")), str(ref.get("key"))) if ref else None
            if not url:
                continue
            ledger = option.get("--ledger-table", DEFAULT_LEDGER)
            entry = found.setdefault((url, ledger), {
                "url": url, "redacted": _redacted(url), "ledger": ledger, "tables": []})
            if option.get("--table") and option["--table"] not in entry["tables"]:
                entry["tables"].append(option["--table"])
    return list(found.values())


def _redacted(url: str) -> str:
    try:
        parsed = parse_url(url)
    except PipelineError:
        return "(an invalid database URL)"
    return f"sqlite:///{parsed.database}" if parsed.dialect == "sqlite" else parsed.redacted()


def run_ledgers(record: RunRecord) -> list[dict[str, Any]]:
    """Each target of the run: its redacted URL, tables, and ledger rows (newest first),
    or the error reading them."""
    try:
        how = Invocation.load(record.path)
        docs = load_docs([Path(f) for f in how.files])
        secrets = SecretSource(Path(how.secrets_file) if how.secrets_file else None)
    except (OSError, ValueError, TypeError, MissingSecret) as exc:
        return [{"redacted": "", "ledger": "", "tables": [], "rows": [], "columns": COLUMNS,
                 "error": f"cannot read the run's targets: {exc}"}]
    out = []
    for target in targets(docs, secrets):
        try:
            rows, error = read_ledger(target["url"], target["ledger"]), None
        except Exception as exc:  # any driver error: shown, never raised into the page
            rows, error = [], _scrub(str(exc).splitlines()[0] if str(exc) else repr(exc),
                                     target["url"])
        out.append({"redacted": target["redacted"], "ledger": target["ledger"],
                    "tables": target["tables"], "columns": COLUMNS, "rows": rows,
                    "error": error})
    return out


def _scrub(text: str, url: str) -> str:
    password = parse_url(url).password
    return text.replace(password, "***") if password else text


def read_ledger(url: str, table: str) -> list[Mapping[str, Any]]:
    parsed = parse_url(url)
    query = (f"SELECT {', '.join(COLUMNS)} FROM {quote_table(table)} "
             f"ORDER BY loaded_at DESC LIMIT {LIMIT}")
    if parsed.dialect == "sqlite":
        path = Path(str(parsed.database))
        if not path.is_file():
            raise FileNotFoundError(f"no database at {path}")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            try:
                cursor = conn.execute(query)
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return []
                raise
            return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    import psycopg

    # a page waits for this: a server that does not answer is reported in seconds
    with psycopg.connect(**{**parsed.psycopg_kwargs(), "connect_timeout": CONNECT_TIMEOUT}
                         ) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
        if not exists or exists[0] is None:
            return []
        return [dict(zip(COLUMNS, (str(v) for v in row), strict=True))
                for row in conn.execute(query).fetchall()]
