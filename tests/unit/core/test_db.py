"""DB helpers: URL parsing, identifier checks, and classify() on errors that need no server.

classify() on errors a real PostgreSQL server raises is in tests/integration/test_db_errors.py.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from steps._core.db import (
    check_identifier,
    classify,
    parse_url,
    qualified,
    quote_ident,
    quote_table,
)
from steps._core.errors import ConfigError, DataError, TransientError


def test_parse_postgres_url_with_driver_port_and_query() -> None:
    u = parse_url("postgresql+psycopg://etl:pw@db.example:6543/sales?sslmode=require")
    assert (u.dialect, u.driver, u.username, u.password, u.host, u.port, u.database) == (
        "postgresql", "psycopg", "etl", "pw", "db.example", 6543, "sales")
    assert u.query == {"sslmode": "require"}
    kw = u.psycopg_kwargs()
    assert kw == {"sslmode": "require", "user": "etl", "password": "pw", "host": "db.example",
                  "port": 6543, "dbname": "sales", "connect_timeout": 10}


@pytest.mark.parametrize(("url", "password"), [
    ("postgresql://etl:p%40ss%3Aw%2Fo%23rd%3F@h/db", "p@ss:w/o#rd?"),  # percent-encoded
    ("postgresql://etl:p@ss@h/db", "p@ss"),  # a bare @ in the password
    ("postgresql://etl:%20sp%25ce@h/db", " sp%ce"),
])
def test_passwords_with_special_characters(url: str, password: str) -> None:
    u = parse_url(url)
    assert (u.username, u.password, u.host, u.database) == ("etl", password, "h", "db")


def test_redacted_url_never_shows_the_password() -> None:
    u = parse_url("postgresql+psycopg://etl:hunter2@h:5432/db")
    assert u.redacted() == "postgresql://etl:***@h:5432/db"
    assert "hunter2" not in u.redacted() and "hunter2" not in repr(u.redacted())


@pytest.mark.parametrize(("url", "path"), [
    ("sqlite:///relative/x.db", "relative/x.db"),
    ("sqlite:////tmp/abs.db", "/tmp/abs.db"),
    ("sqlite://", ":memory:"),
    ("sqlite:///:memory:", ":memory:"),
])
def test_sqlite_paths(url: str, path: str) -> None:
    u = parse_url(url)
    assert (u.dialect, u.database, u.host) == ("sqlite", path, None)


@pytest.mark.parametrize("url", ["", "localhost:5432/db", "postgresql://h:notaport/db",
                                 "Postgres//x"])
def test_invalid_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="invalid database URL"):
        parse_url(url)


@pytest.mark.parametrize("name", ["sales", "_tmp", "Sales_2026", "a" * 63, "tábla", "Preço",
                                  "Prec\u0327o", "數量", "ç" * 31 + "a"])
def test_identifiers_of_letters_of_any_script_pass(name: str) -> None:
    assert check_identifier(name) == name
    assert quote_ident(name) == f'"{name}"'


@pytest.mark.parametrize("name", ["x; drop table y", 'a"b', "1abc", "", "a-b", "a b",
                                  "a" * 64, "ç" * 32, "x--", "a\x00b", "a\nb", "a\u202eb",
                                  "a\u200db", "\u0327a", "١abc", "a'b", "a.b", "a$b"])
def test_anything_else_is_rejected(name: str) -> None:
    with pytest.raises(ConfigError, match="invalid table name"):
        check_identifier(name, "table name")


def test_qualified_table_names() -> None:
    assert qualified("public.sales") == ("public", "sales")
    assert qualified("sales") == (None, "sales")
    assert quote_table("public.sales") == '"public"."sales"'
    for bad in ("a.b.c", "public.x; drop table y", ".sales"):
        with pytest.raises(ConfigError):
            quote_table(bad)


# classify() on errors raised by the real drivers without a server


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_transient() -> None:
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(host="127.0.0.1", port=closed_port(), user="x", dbname="x",
                        connect_timeout=5)
    err = classify(info.value, "connecting")
    assert isinstance(err, TransientError)
    engine = sa.create_engine(f"postgresql+psycopg://x@127.0.0.1:{closed_port()}/x")
    try:
        with pytest.raises(sa.exc.OperationalError) as wrapped:
            engine.connect()
    finally:
        engine.dispose()
    assert isinstance(classify(wrapped.value, "connecting"), TransientError)


def test_sqlite_no_such_table_is_a_config_error(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "x.db") as conn, pytest.raises(sqlite3.Error) as info:
        conn.execute("SELECT * FROM missing")
    err = classify(info.value, "reading")
    assert isinstance(err, ConfigError) and "no such table: missing" in err.message


def test_sqlite_constraint_violation_is_a_data_error(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(sqlite3.Error) as info:
            conn.execute("INSERT INTO t VALUES (1)")
    assert isinstance(classify(info.value, "loading"), DataError)


def test_a_full_sqlite_database_is_transient_not_a_config_error(tmp_path: Path) -> None:
    """SQLITE_FULL ("database or disk is full"), here from a page limit SQLite enforces
    itself, is the host's state, like PostgreSQL's 53100 disk_full."""
    with sqlite3.connect(tmp_path / "x.db") as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.execute("PRAGMA max_page_count = 3")
        with pytest.raises(sqlite3.Error) as info:
            conn.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 20)
    err = classify(info.value, "loading")
    assert isinstance(err, TransientError) and "disk is full" in err.message


def test_sqlite_locked_database_is_transient(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (x int)")
        holder.execute("BEGIN EXCLUSIVE")
        other = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError) as info:
            other.execute("INSERT INTO t VALUES (1)")
        other.close()
    finally:
        holder.close()
    assert "locked" in str(info.value)
    assert isinstance(classify(info.value, "loading"), TransientError)
