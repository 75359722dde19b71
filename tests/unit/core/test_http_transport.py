"""What the HTTP client takes from a pod's environment: proxies and the CA bundle, against
real servers on 127.0.0.1 (a scripted server plays the proxy; one speaks TLS with a
self-signed certificate)."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest

from steps._core.errors import ConfigError, TransientError
from steps._core.http import HttpClient, HttpSettings
from steps._core.http_transport import CA_VARIABLES
from tests.fixtures_mail import make_cert
from tests.fixtures_scripted_http import ScriptedServer, json_reply

FAST = HttpSettings(connect_timeout=2, read_timeout=5, max_retries=1, backoff_base=0.01,
                    backoff_cap=0.02)
PAGE = '{"data": [{"id": 1}]}'
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or CA variable from the machine running the tests."""
    for name in (*PROXY_VARIABLES, *CA_VARIABLES):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def proxy() -> Iterator[ScriptedServer]:
    with ScriptedServer(lambda seen: json_reply(PAGE)) as server:
        yield server


@pytest.fixture
def api() -> Iterator[ScriptedServer]:
    with ScriptedServer(lambda seen: json_reply(PAGE)) as server:
        yield server


def test_http_proxy_carries_the_get_with_its_credentials(
        proxy: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://squid:p%40ss@127.0.0.1:{proxy.port}")
    # The host does not resolve: only the proxy can answer for it.
    resp = HttpClient(FAST).get("http://api.invalid/orders?date=2024-03-05", {"page": "2"})
    assert json.loads(resp.content) == {"data": [{"id": 1}]}
    [seen] = proxy.seen
    assert seen.path == "http://api.invalid/orders?date=2024-03-05&page=2"
    headers = {name.lower(): value for name, value in seen.headers.items()}
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"squid:p@ss").decode()


def test_lower_case_proxy_variable_wins(proxy: ScriptedServer, api: ScriptedServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", api.origin)  # not a proxy: would answer for itself
    monkeypatch.setenv("http_proxy", proxy.origin)
    HttpClient(FAST).get("http://api.invalid/orders")
    assert len(proxy.seen) == 1 and api.seen == []


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "10.0.0.0/8, 127.0.0.0/8", "*"])
def test_no_proxy_hosts_and_networks_are_reached_directly(
        no_proxy: str, proxy: ScriptedServer, api: ScriptedServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.origin)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    HttpClient(FAST).get(f"{api.origin}/orders")
    assert proxy.seen == [] and [s.path for s in api.seen] == ["/orders"]


def test_https_proxy_variable_is_not_used_for_http(
        proxy: ScriptedServer, api: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.origin)
    HttpClient(FAST).get(f"{api.origin}/orders")
    assert proxy.seen == [] and len(api.seen) == 1


def test_a_socks_proxy_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "socks5://127.0.0.1:1080")
    with pytest.raises(ConfigError, match="only http:// and https:// proxies"):
        HttpClient(FAST).get("http://api.invalid/orders")


@pytest.fixture
def tls_api(tmp_path: Path) -> Iterator[tuple[ScriptedServer, Path]]:
    """An HTTPS server whose certificate only ``cert`` (its own, self-signed) vouches for."""
    cert, key = make_cert(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = ScriptedServer(lambda seen: json_reply(PAGE))
    server.server.socket = tls.wrap_socket(server.server.socket, server_side=True)
    with server:
        yield server, cert


@pytest.mark.parametrize("variable", CA_VARIABLES)
def test_https_trusts_the_ca_bundle_the_environment_names(
        variable: str, tls_api: tuple[ScriptedServer, Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert = tls_api
    monkeypatch.setenv(variable, str(cert))
    resp = HttpClient(FAST).get(f"https://127.0.0.1:{server.port}/orders")
    assert json.loads(resp.content) == {"data": [{"id": 1}]}


def test_requests_ca_bundle_comes_before_ssl_cert_file(
        tls_api: tuple[ScriptedServer, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert = tls_api
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(TransientError, match=r"connection failed \(SSLError\)"):
        HttpClient(FAST).get(f"https://127.0.0.1:{server.port}/orders")


def test_without_a_ca_variable_https_trusts_certifi_only(
        tls_api: tuple[ScriptedServer, Path]) -> None:
    server, _ = tls_api
    with pytest.raises(TransientError, match=r"connection failed \(SSLError\) after 2 attempts"):
        HttpClient(FAST).get(f"https://127.0.0.1:{server.port}/orders")
    assert server.seen == []


def test_a_ca_variable_naming_nothing_is_a_configuration_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: ScriptedServer) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    HttpClient(FAST).get(f"{api.origin}/orders")  # plain HTTP needs no CA bundle
    with pytest.raises(ConfigError, match=r"REQUESTS_CA_BUNDLE=.*missing\.pem is neither"):
        HttpClient(FAST).get("https://127.0.0.1:9/orders")
