"""classify() on errors a real PostgreSQL server raises (the session ``postgres`` fixture).

Each case provokes the error on the server, so the SQLSTATE is the driver's, not a guess.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from steps._core.db import classify
from steps._core.errors import ConfigError, DataError, TransientError, UpstreamError
from tests.fixtures_pg_auth import AppLogin
from workflows.devservices.postgres import TempPostgres


def pg_error(postgres: TempPostgres, sql: str) -> psycopg.Error:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn, \
            pytest.raises(psycopg.Error) as info:
        conn.execute(sql)
    return info.value


def test_undefined_table_is_a_config_error(postgres: TempPostgres) -> None:
    err = classify(pg_error(postgres, "SELECT * FROM no_such_table"), "reading")
    assert isinstance(err, ConfigError) and err.fields["sqlstate"] == "42P01"
    assert err.message.startswith('reading: relation "no_such_table" does not exist')


def test_syntax_error_is_a_config_error(postgres: TempPostgres) -> None:
    err = classify(pg_error(postgres, "SELEC 1"), "reading")
    assert isinstance(err, ConfigError) and err.fields["sqlstate"] == "42601"


def test_bad_data_is_a_data_error(postgres: TempPostgres) -> None:
    err = classify(pg_error(postgres, "SELECT 1/0"), "x")
    assert isinstance(err, DataError) and err.fields["sqlstate"] == "22012"
    err = classify(pg_error(postgres, "SELECT 'abc'::int"), "x")
    assert isinstance(err, DataError)


def test_statement_timeout_is_transient(postgres: TempPostgres) -> None:
    err = classify(pg_error(postgres, "SET statement_timeout = 50; SELECT pg_sleep(5)"), "x")
    assert isinstance(err, TransientError) and err.fields["sqlstate"] == "57014"


def test_permission_denied_is_refused(postgres: TempPostgres) -> None:
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS guarded; CREATE TABLE guarded (x int)")
        conn.execute("DROP ROLE IF EXISTS nobody_here; CREATE ROLE nobody_here")
        conn.execute("SET ROLE nobody_here")
        with pytest.raises(psycopg.Error) as info:
            conn.execute("SELECT * FROM guarded")
        conn.execute("RESET ROLE; DROP TABLE guarded; DROP ROLE nobody_here")
    err = classify(info.value, "x")
    assert isinstance(err, UpstreamError) and err.fields["sqlstate"] == "42501"


def test_sqlalchemy_wrapped_errors_are_classified_by_their_driver_error(
        postgres: TempPostgres) -> None:
    engine = sa.create_engine(postgres.url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as info:
            conn.execute(sa.text("SELECT * FROM no_such_table"))
    finally:
        engine.dispose()
    assert isinstance(classify(info.value, "x"), ConfigError)


def connect_error(dsn: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        psycopg.connect(dsn, connect_timeout=10)
    return info.value


def test_login_refusals_without_sqlstate_are_classified_by_the_server_message(
        password_login: AppLogin, postgres: TempPostgres) -> None:
    port = password_login.server.port
    wrong = connect_error(f"host=127.0.0.1 port={port} user={password_login.role} "
                          f"password=wrong dbname={password_login.database}")
    assert wrong.sqlstate is None  # libpq has no SQLSTATE for a FATAL at start-up
    err = classify(wrong, "x")
    assert isinstance(err, UpstreamError) and err.fields["sqlstate"] == "28P01"
    ghost = classify(connect_error(f"host=127.0.0.1 port={postgres.port} user=ghost_x "
                                   "dbname=postgres"), "x")
    assert isinstance(ghost, UpstreamError) and ghost.fields["sqlstate"] == "28000"
    nodb = classify(connect_error(f"host=127.0.0.1 port={port} user={password_login.role} "
                                  f"password={password_login.password} dbname=nodb_x"), "x")
    assert isinstance(nodb, ConfigError) and nodb.fields["sqlstate"] == "3D000"
