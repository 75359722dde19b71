"""Issue 10, case 1: source-fingerprint tells sources apart, and never hashes a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from steps._core.errors import ConfigError
from steps._extract_http.auth import AuthSettings
from steps.source_fingerprint import digest, http_identity, sql_identity
from tests.support import run_step

PG = "postgresql+psycopg://etl:{pw}@db.example.com:5432/{db}"
API = "https://orders.example.com/v1/orders/page"


def sql(url: str) -> str:
    return digest("sql", sql_identity(url))


def http(url: str = API, **settings: str) -> str:
    return digest("http", http_identity(url, AuthSettings(**settings)))


def test_another_database_host_port_user_or_driver_is_another_source() -> None:
    base = sql(PG.format(pw="a", db="shop"))
    others = {
        sql(PG.format(pw="a", db="shop_b")),
        sql(PG.format(pw="a", db="shop").replace("db.example.com", "db2.example.com")),
        sql(PG.format(pw="a", db="shop").replace(":5432", ":5433")),
        sql(PG.format(pw="a", db="shop").replace("etl:", "report:")),
        sql(PG.format(pw="a", db="shop").replace("+psycopg", "")),
        sql(PG.format(pw="a", db="shop") + "?options=-csearch_path%3Dother"),
        sql("sqlite:////home/me/.cadencia/source.db"),
    }
    assert base not in others and len(others) == 7


def test_a_rotated_password_is_the_same_source_and_no_secret_is_hashed() -> None:
    assert sql(PG.format(pw="old", db="shop")) == sql(PG.format(pw="new", db="shop"))
    with_secret_param = PG.format(pw="x", db="shop") + "?sslpassword=k1&password=p1"
    assert sql(with_secret_param) == sql(PG.format(pw="x", db="shop"))
    identity = sql_identity(PG.format(pw="s3cr3t", db="shop") + "?sslpassword=k1")
    assert "s3cr3t" not in repr(identity) and "k1" not in repr(identity)


def test_another_api_url_or_auth_kind_is_another_source_a_token_is_not() -> None:
    base = http()
    assert http(auth="bearer") == http(auth="Bearer ")
    others = {http(API.replace("orders.", "orders.staging.")), http(API + "?tenant=2"),
              http(auth="bearer"), http(auth="basic", username="etl"),
              http(auth="basic", username="ops"), http(auth="api-key"),
              http(auth="api-key", api_key_header="X-Token")}
    assert base not in others and len(others) == 7
    # the username matters only where it is used
    assert http(username="etl") == base


def test_an_unknown_auth_kind_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="CADENCIA_HTTP_AUTH='oauth'"):
        http(auth="oauth")


def test_the_step_writes_one_hash_per_source_from_the_extracts_settings(tmp_path: Path) -> None:
    out_http, out_sql = tmp_path / "http", tmp_path / "sql"
    args = ("--http-url", API, "--http-out", str(out_http), "--sql-out", str(out_sql))
    env = {"CADENCIA_SOURCE_DB_URL": PG.format(pw="hunter2", db="shop"),
           "CADENCIA_HTTP_AUTH": "bearer", "CADENCIA_HTTP_TOKEN": "tok-123"}
    result = run_step("source_fingerprint", *args, env=env)
    assert result.code == 0, result
    assert out_http.read_text() == http(auth="bearer")
    assert out_sql.read_text() == sql(PG.format(pw="hunter2", db="shop"))
    assert "hunter2" not in result.stderr and "tok-123" not in result.stderr

    missing = run_step("source_fingerprint", *args, env={})
    assert missing.code == 78 and "CADENCIA_SOURCE_DB_URL" in missing.stderr
