"""source-fingerprint tells sources apart, one hash per named source, and never hashes a secret.

Issue 10, case 1 (the identity); issue 11 (any number of HTTP and SQL sources, each with
its own Secret: per-source variables ``..__<NAME>``, falling back to the shared ConfigMap).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from steps._core.errors import ConfigError
from steps._extract_http.auth import AuthSettings
from steps.source_fingerprint import digest, http_identity, sql_identity
from tests.support import StepResult, run_step

PG = "postgresql+psycopg://etl:{pw}@db.example.com:5432/{db}"
API = "https://orders.example.com/v1/orders/page"
CUSTOMERS = "https://crm.example.com/v2/customers"


def sql(url: str) -> str:
    return digest("sql", sql_identity(url))


def http(url: str = API, **settings: str) -> str:
    return digest("http", http_identity(url, AuthSettings(**settings)))


def fingerprint(tmp_path: Path, *args: str, env: dict[str, str],
                outs: tuple[str, ...] = ()) -> tuple[StepResult, dict[str, Path]]:
    """Run the step with ``args`` and an ``--out`` under tmp_path for each name in ``outs``."""
    paths = {name: tmp_path / f"{name}.sha256" for name in outs}
    out_args = [a for name, p in paths.items() for a in ("--out", f"{name}={p}")]
    return run_step("source_fingerprint", *args, *out_args, env=env), paths


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


def test_the_step_writes_one_hash_per_source_from_its_own_secrets(tmp_path: Path) -> None:
    env = {"CADENCIA_SOURCE_DB_URL__SHOP_DB": PG.format(pw="hunter2", db="shop"),
           "CADENCIA_HTTP_AUTH__ORDERS": "bearer", "CADENCIA_HTTP_TOKEN__ORDERS": "tok-123",
           "CADENCIA_HTTP_TOKEN": "tok-shared", "CADENCIA_HTTP_PASSWORD__ORDERS": "pw-456",
           "CADENCIA_HTTP_API_KEY__ORDERS": "key-789"}
    result, out = fingerprint(tmp_path, "--sql", "shop-db", "--http", f"orders={API}",
                              env=env, outs=("orders", "shop-db"))
    assert result.code == 0, result
    assert out["orders"].read_text() == http(auth="bearer")
    assert out["shop-db"].read_text() == sql(PG.format(pw="hunter2", db="shop"))
    # the note lists the sources in the order they were given
    summary = result.logs[-1]["summary"]
    assert summary["note"] == (f"shop-db {out['shop-db'].read_text()[:12]}, "
                               f"orders {out['orders'].read_text()[:12]}")
    for secret in ("hunter2", "tok-123", "tok-shared", "pw-456", "key-789"):
        assert secret not in result.stderr


def test_two_http_sources_each_read_their_own_url_and_auth(tmp_path: Path) -> None:
    env = {"CADENCIA_HTTP_AUTH__ORDERS": "bearer",
           "CADENCIA_HTTP_AUTH__CRM_API": "basic", "CADENCIA_HTTP_USERNAME__CRM_API": "etl",
           # the shared settings would give both sources another identity
           "CADENCIA_HTTP_AUTH": "api-key", "CADENCIA_HTTP_USERNAME": "ops"}
    result, out = fingerprint(tmp_path, "--http", f"orders={API}",
                              "--http", f"crm-api={CUSTOMERS}", env=env,
                              outs=("orders", "crm-api"))
    assert result.code == 0, result
    assert out["orders"].read_text() == http(API, auth="bearer")
    assert out["crm-api"].read_text() == http(CUSTOMERS, auth="basic", username="etl")
    assert out["orders"].read_text() != out["crm-api"].read_text()


def test_the_hash_is_the_sources_not_the_steps_name(tmp_path: Path) -> None:
    env = {"CADENCIA_HTTP_AUTH__A": "bearer", "CADENCIA_HTTP_AUTH__B": "bearer"}
    result, out = fingerprint(tmp_path, "--http", f"a={API}", "--http", f"b={API}", env=env,
                              outs=("a", "b"))
    assert result.code == 0, result
    assert out["a"].read_text() == out["b"].read_text() == http(auth="bearer")


def test_an_unset_per_source_setting_falls_back_to_the_shared_configmap_one(
        tmp_path: Path) -> None:
    env = {"CADENCIA_HTTP_AUTH": "basic", "CADENCIA_HTTP_USERNAME": "etl",
           "CADENCIA_HTTP_API_KEY_HEADER": "X-Token",
           "CADENCIA_HTTP_USERNAME__OWN_USER": "ops",
           "CADENCIA_HTTP_AUTH__KEYED": "api-key"}
    result, out = fingerprint(tmp_path, "--http", f"shared={API}", "--http", f"own-user={API}",
                              "--http", f"keyed={API}", env=env,
                              outs=("shared", "own-user", "keyed"))
    assert result.code == 0, result
    assert out["shared"].read_text() == http(auth="basic", username="etl")
    assert out["own-user"].read_text() == http(auth="basic", username="ops")
    assert out["keyed"].read_text() == http(auth="api-key", api_key_header="X-Token")
    # nothing set at all: no auth, the default header
    result, out = fingerprint(tmp_path, "--http", f"plain={API}", env={}, outs=("plain",))
    assert result.code == 0, result
    assert out["plain"].read_text() == http()


def test_an_unknown_per_source_auth_kind_is_78_naming_its_variable(tmp_path: Path) -> None:
    result, out = fingerprint(tmp_path, "--http", f"orders={API}",
                              env={"CADENCIA_HTTP_AUTH__ORDERS": "oauth"}, outs=("orders",))
    assert result.code == 78, result
    assert result.errors[0]["setting"] == "CADENCIA_HTTP_AUTH__ORDERS"
    assert not out["orders"].exists()


@pytest.mark.parametrize("outs, message", [
    (("orders",), "no --out for shop"),
    (("orders", "shop", "payments"), "--out names no source: payments"),
])
def test_a_missing_out_or_an_out_naming_no_source_is_78_and_writes_nothing(
        tmp_path: Path, outs: tuple[str, ...], message: str) -> None:
    env = {"CADENCIA_SOURCE_DB_URL__SHOP": "sqlite:///shop.db"}
    result, out = fingerprint(tmp_path, "--http", f"orders={API}", "--sql", "shop", env=env,
                              outs=outs)
    assert result.code == 78, result
    assert message in result.errors[0]["message"]
    assert not any(p.exists() for p in out.values())


def test_a_source_or_out_given_twice_or_no_source_is_78(tmp_path: Path) -> None:
    env = {"CADENCIA_SOURCE_DB_URL__SHOP": "sqlite:///shop.db"}
    twice, _ = fingerprint(tmp_path, "--sql", "shop", "--http", f"shop={API}", env=env,
                           outs=("shop",))
    assert twice.code == 78 and "given twice: shop" in twice.stderr
    out_twice = run_step("source_fingerprint", "--sql", "shop", "--out", "shop=/dev/null/a",
                         "--out", "shop=/dev/null/b", env=env)
    assert out_twice.code == 78 and "given twice: shop" in out_twice.stderr
    none, _ = fingerprint(tmp_path, env=env)
    assert none.code == 78 and "no source given" in none.stderr


@pytest.mark.parametrize("name", ["Orders", "orders_api", "-orders", "orders-", ""])
def test_a_source_name_that_is_not_a_step_name_is_78(tmp_path: Path, name: str) -> None:
    result = run_step("source_fingerprint", f"--http={name}={API}",
                      f"--out={name}={tmp_path / 'h'}", env={})
    assert result.code == 78, result
    assert "is not a source name" in result.stderr
    assert not (tmp_path / "h").exists()


def test_a_sql_source_without_its_own_database_url_is_78_naming_it(tmp_path: Path) -> None:
    # the unsuffixed variable of one pipeline-wide source is not a fallback: each SQL
    # source reads its own Secret
    env = {"CADENCIA_SOURCE_DB_URL": "sqlite:///other.db",
           "CADENCIA_SOURCE_DB_URL__SHOP": "sqlite:///shop.db"}
    result, out = fingerprint(tmp_path, "--sql", "shop", "--sql", "payments-db", env=env,
                              outs=("shop", "payments-db"))
    assert result.code == 78, result
    assert "CADENCIA_SOURCE_DB_URL__PAYMENTS_DB" in result.errors[0]["message"]
    assert result.errors[0]["source"] == "payments-db"
    assert not any(p.exists() for p in out.values())
