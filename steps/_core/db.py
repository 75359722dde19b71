"""Database access: URLs from the environment, identifier checks, errors mapped to the tree.

URLs use SQLAlchemy's form (``postgresql+psycopg://user:pass@host:5432/db``,
``sqlite:///path.db``). The load step talks to PostgreSQL through psycopg directly and
to SQLite through ``sqlite3`` (SQLAlchemy's import alone costs 0.35 s per container);
``extract_sql`` reads PostgreSQL through ADBC's libpq driver (``pg_arrow``) and any other
dialect through SQLAlchemy. Every driver error leaves through
:func:`classify`, which decides transient vs bad data vs refused vs configuration by
SQLSTATE class (for a login refused at connect time, which has no SQLSTATE, by the server's
message: a wrong password or unknown role is refused, 76; an unknown database is
configuration, 78).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from steps._core import redact
from steps._core.errors import (
    ConfigError,
    DataError,
    PipelineError,
    TransientError,
    UpstreamError,
)

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1; longer names are truncated
IDENTIFIER_RULE = ("letters of any script, digits and _, not starting with a digit, at most "
                   f"{MAX_IDENTIFIER_BYTES} bytes in UTF-8")


def _identifier_char(ch: str, first: bool) -> bool:
    if ch == "_":
        return True
    category = unicodedata.category(ch)
    # letters (Lu, Ll, Lt, Lm, Lo) anywhere; decimal digits and combining marks (the
    # cedilla of a decomposed "ç") after the first. Quotes, spaces, punctuation, symbols,
    # control and format characters (bidi overrides, zero-width joiners) never.
    return category[0] == "L" or (not first and (category == "Nd" or category[0] == "M"))


def identifier_problem(name: object) -> str | None:
    """Why ``name`` is not an identifier cadencia accepts, or None when it is.

    The one rule for every name that reaches SQL (steps and configuration alike): the
    statements always double-quote names, so case and accents are kept (``Preço``).
    """
    if not isinstance(name, str) or not name:
        return "it is empty"
    if not all(_identifier_char(ch, i == 0) for i, ch in enumerate(name)):
        return f"use {IDENTIFIER_RULE}"
    size = len(name.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        return f"it is {size} bytes in UTF-8; use {IDENTIFIER_RULE}"
    return None


def check_identifier(name: str, what: str = "identifier") -> str:
    """Return ``name`` if it is an identifier (:func:`identifier_problem`), else ConfigError."""
    problem = identifier_problem(name)
    if problem:
        raise ConfigError(f"invalid {what} {name!r}: {problem}", identifier=str(name))
    return name


def quote_ident(name: str, what: str = "identifier") -> str:
    """A validated identifier, double-quoted for PostgreSQL and SQLite.

    A checked name holds no quote; doubling them anyway keeps the quoting correct on its
    own (as ``psycopg.sql.Identifier`` does).
    """
    return '"' + check_identifier(name, what).replace('"', '""') + '"'


def qualified(table: str) -> tuple[str | None, str]:
    """Split ``schema.table`` (each part validated)."""
    parts = table.split(".")
    if len(parts) == 1:
        return None, check_identifier(parts[0], "table name")
    if len(parts) == 2:
        return check_identifier(parts[0], "schema name"), check_identifier(parts[1], "table name")
    raise ConfigError(f"invalid table name {table!r}: expected table or schema.table")


def quote_table(table: str) -> str:
    schema, name = qualified(table)
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


@dataclasses.dataclass(frozen=True)
class DbUrl:
    dialect: str
    driver: str | None
    username: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    query: dict[str, str]

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        host = self.host or ""
        port = f":{self.port}" if self.port else ""
        return f"{self.dialect}://{user}{host}{port}/{self.database or ''}"

    def psycopg_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {k: v for k, v in self.query.items()}
        for key, value in (("user", self.username), ("password", self.password),
                           ("host", self.host), ("port", self.port), ("dbname", self.database)):
            if value is not None:
                kw[key] = value
        kw.setdefault("connect_timeout", 10)
        return kw


def parse_url(url: str) -> DbUrl:
    """Parse a SQLAlchemy-style URL without importing SQLAlchemy."""
    m = re.match(r"^([a-z][a-z0-9]*)(?:\+([a-z0-9_]+))?://", url or "")
    if not m:
        raise ConfigError("invalid database URL: expected dialect[+driver]://...")
    dialect, driver = m.group(1), m.group(2)
    if dialect == "sqlite":
        path = url[m.end():]
        if path.startswith("/"):
            path = path[1:]
        return DbUrl("sqlite", None, None, None, None, None, path or ":memory:", {})
    parts = urlsplit("x://" + url[m.end():])
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError("invalid database URL: bad port") from exc
    password = unquote(parts.password) if parts.password else None
    redact.register(password)  # a driver error or a traceback may quote it
    return DbUrl(
        dialect, driver,
        unquote(parts.username) if parts.username else None,
        password,
        parts.hostname, port,
        unquote(parts.path.lstrip("/")) or None,
        dict(parse_qsl(parts.query)),
    )


# SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
_TRANSIENT_STATES = ("08", "40", "53", "57P01", "57P02", "57P03", "57014", "55P03", "58")
_REFUSED_STATES = ("28", "42501")
_CONFIG_STATES = ("42", "3D", "3F")
_DATA_STATES = ("22", "23")


# A login the server refuses arrives as a FATAL message before the connection exists, so
# libpq (and psycopg's OperationalError) carries no SQLSTATE: the server's own words are
# all there is. Each pattern stands for the SQLSTATE the server logged with it.
_CONNECT_REFUSALS = (
    (re.compile(r"password authentication failed"), "28P01"),
    (re.compile(r'authentication failed for user|role ".*" does not exist|'
                r"is not permitted to log in|no pg_hba\.conf entry|pg_hba\.conf rejects|"
                r"no password supplied"), "28000"),
    (re.compile(r"permission denied for database"), "42501"),
    (re.compile(r'database ".*" does not exist'), "3D000"),
)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error; for a refused login, the one its message stands for."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the DBAPI error
    diag = getattr(orig, "diag", None)
    state = (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
             or getattr(diag, "sqlstate", None))
    if state or type(orig).__name__ != "OperationalError" or isinstance(orig, sqlite3.Error):
        return state
    text = str(orig)
    return next((code for pattern, code in _CONNECT_REFUSALS if pattern.search(text)), None)


def check_sqlite_directory(url: DbUrl) -> None:
    """A SQLite file's folder must exist: SQLite creates the file, never the folder, and
    "unable to open database file" would otherwise read as transient and be retried."""
    path = url.database or ":memory:"
    if path == ":memory:" or path.startswith("file:"):
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"the folder of the SQLite database {path} does not exist: "
                          f"create {folder} or fix the database URL", path=path)


# ADBC's libpq driver wraps the server's words: "INVALID_ARGUMENT: [libpq] Failed to
# prepare query: ERROR:  syntax error ...", "IO: [libpq] Failed to connect: connection to
# server ... failed: FATAL:  ..."; keep what psycopg would say.
_ADBC_WRAPPING = re.compile(r"^(?:[A-Z_]+: )?(?:\[libpq\] )?(?:(?:Failed to [a-z ]+|Execution "
                            r"error \[\w+\]|could not begin COPY): )*(?:ERROR:\s+)?")
_ADBC_SQLSTATE = re.compile(r"\.? SQLSTATE: [0-9A-Z]{5}$")


def classify(exc: BaseException, doing: str) -> PipelineError:
    """Map a driver exception (psycopg, sqlite3, SQLAlchemy, ADBC) to the error tree."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the DBAPI error
    state = sqlstate(exc)
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if type(orig).__module__.startswith("adbc_") or "[libpq]" in detail:
        detail = _ADBC_SQLSTATE.sub("", _ADBC_WRAPPING.sub("", detail)) or detail
    msg = f"{doing}: {detail}"
    if state:
        for prefixes, cls in ((_TRANSIENT_STATES, TransientError),
                              (_REFUSED_STATES, UpstreamError),
                              (_CONFIG_STATES, ConfigError),
                              (_DATA_STATES, DataError)):
            if state.startswith(prefixes):
                return cls(msg, sqlstate=state)
        return TransientError(msg, sqlstate=state)
    name = type(orig).__name__
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig)
        code = getattr(orig, "sqlite_errorname", "")
        # a full disk or an I/O error is the host's state, not the configuration: the same
        # classes as PostgreSQL's 53 (insufficient resources) and 58 (system error)
        if (code.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or "locked" in text
                or "busy" in text or "unable to open" in text):
            return TransientError(msg)
        return ConfigError(msg)
    if isinstance(orig, sqlite3.IntegrityError | sqlite3.DataError):
        return DataError(msg)
    if name in ("OperationalError", "InterfaceError", "ConnectionTimeout", "PoolTimeout"):
        # psycopg raises these without SQLSTATE when the server is unreachable.
        return TransientError(msg)
    if name in ("ArgumentError", "NoSuchModuleError", "ProgrammingError"):
        return ConfigError(msg)
    if name in ("DataError", "IntegrityError"):
        return DataError(msg)
    return TransientError(msg)
