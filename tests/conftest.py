"""Shared fixtures: folder-based markers, a throwaway PostgreSQL, step subprocesses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.fixtures_pg_auth import AppLogin, start_app_login
from workflows.devservices.postgres import TempPostgres

TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        rel = Path(str(item.fspath)).relative_to(TESTS)
        marker = rel.parts[0] if len(rel.parts) > 1 else None
        if marker in ("unit", "integration", "e2e", "workflows", "deploy", "faults",
                      "conformance", "ui"):
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres]:
    """One PostgreSQL server for the session (Debian packages, loopback, trust auth)."""
    with TempPostgres() as pg:
        yield pg


@pytest.fixture(scope="session")
def password_login() -> Iterator[AppLogin]:
    """A second server that asks every client for a password, and a role that has one."""
    server, login = start_app_login()
    try:
        yield login
    finally:
        server.destroy()


@pytest.fixture
def pg_url(postgres: TempPostgres) -> Iterator[str]:
    """A fresh, empty database on the session server; its SQLAlchemy URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/{name}"
    if postgres.running():
        with psycopg.connect(postgres.dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
