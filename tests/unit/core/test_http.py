"""HttpClient against a real server on 127.0.0.1 (the sample API with injected faults)."""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import socket
import time
from collections.abc import Iterator

import pytest

from steps._core.errors import TransientError, UpstreamError
from steps._core.http import HttpClient, HttpSettings, parse_retry_after, safe_url
from tests.fixtures_http import serve
from tests.fixtures_scripted_http import ScriptedServer, json_reply
from workflows.devservices.sample_api import Faults, SampleApi, bearer

FAST = HttpSettings(connect_timeout=2, read_timeout=5, max_retries=2, backoff_base=0.01,
                    backoff_cap=0.05)


@pytest.fixture
def api() -> Iterator[SampleApi]:
    with serve(records=30) as server:
        yield server


def page(api: SampleApi) -> str:
    return f"{api.url}/orders/page"


def test_500_twice_then_success_is_retried_inside_the_step(api: SampleApi) -> None:
    api.faults = Faults(fail_first=2, fail_status=500)
    client = HttpClient(FAST)
    resp = client.get(page(api), {"per_page": "10"})
    assert resp.status_code == 200 and len(json.loads(resp.content)["data"]) == 10
    assert (client.retries, api.requests) == (2, 3)


def test_500_beyond_the_retry_budget_is_transient(api: SampleApi) -> None:
    api.faults = Faults(fail_first=99, fail_status=503)
    with pytest.raises(TransientError, match="HTTP 503 after 3 attempts"):
        HttpClient(FAST).get(page(api))
    assert api.requests == 3


def test_429_retry_after_seconds_is_honoured(api: SampleApi) -> None:
    api.faults = Faults(fail_first=1, fail_status=429, retry_after="1")
    started = time.monotonic()
    resp = HttpClient(FAST).get(page(api))
    waited = time.monotonic() - started
    assert resp.status_code == 200 and api.requests == 2
    assert 0.95 <= waited < 4, waited  # the server's 1 s, not the 0.05 s backoff cap


def test_429_retry_after_as_an_http_date_is_honoured(api: SampleApi) -> None:
    # HTTP dates have one-second resolution: "2 s from now" means a wait of 1-2 s.
    api.faults = Faults(fail_first=1, fail_status=429,
                        retry_after=email.utils.formatdate(time.time() + 2, usegmt=True))
    started = time.monotonic()
    HttpClient(FAST).get(page(api))
    assert 0.9 <= time.monotonic() - started < 4


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_retry_after_beyond_the_limit_is_left_to_argo(api: SampleApi) -> None:
    api.faults = Faults(fail_first=1, fail_status=503, retry_after="3600")
    with pytest.raises(TransientError, match="retry after 3600s"):
        HttpClient(FAST).get(page(api))
    assert api.requests == 1


def test_404_is_refused_without_retry(api: SampleApi) -> None:
    with pytest.raises(UpstreamError, match="HTTP 404") as info:
        HttpClient(FAST).get(f"{api.url}/nothing-here")
    assert info.value.exit_code == 76 and api.requests == 1


def test_401_says_authentication(api: SampleApi) -> None:
    api.auth = bearer("right")
    with pytest.raises(UpstreamError, match="authentication refused: HTTP 401"):
        HttpClient(FAST, headers={"Authorization": "Bearer wrong"}).get(page(api))
    assert api.requests == 1
    ok = HttpClient(FAST, headers={"Authorization": "Bearer right"}).get(page(api))
    assert ok.status_code == 200


def test_a_read_timeout_is_transient_after_bounded_attempts(api: SampleApi) -> None:
    api.faults = Faults(hang_first=99, hang_s=5)
    settings = HttpSettings(read_timeout=0.2, max_retries=1, backoff_base=0.01)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"timed out \(ReadTimeout\) after 2 attempts"):
        HttpClient(settings).get(page(api))
    assert time.monotonic() - started < 3
    assert api.requests == 2


def test_a_connection_dropped_mid_body_is_transient(api: SampleApi) -> None:
    api.faults = Faults(bad_page="drop")
    with pytest.raises(TransientError, match="after 3 attempts"):
        HttpClient(FAST).get(page(api), {"per_page": "10"})
    assert api.requests == 3


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(TransientError, match="connection failed after 3 attempts"):
            HttpClient(FAST).get(f"http://127.0.0.1:{port}/x")


def test_the_query_string_never_reaches_logs_or_errors(api: SampleApi,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    # urllib3's own DEBUG lines carry the query; steps silence that logger (log.setup), and
    # the whole-process test in tests/integration checks the step's stderr end to end.
    api.faults = Faults(fail_first=99)
    caplog.set_level(logging.DEBUG, logger="steps")
    with pytest.raises(TransientError) as info:
        HttpClient(FAST).get(page(api) + "?api_key=s3cr3t-in-url", {"token": "s3cr3t-param"})
    logged = caplog.text + str(info.value) + repr(info.value.fields)
    assert "retrying" in caplog.text and f"{api.url}/orders/page" in logged
    assert "s3cr3t" not in logged
    assert safe_url("https://user:pw@h:8443/p?q=1#f") == "https://h:8443/p"


def test_params_follow_the_query_the_url_already_has() -> None:
    with ScriptedServer(lambda seen: json_reply("{}")) as server:
        HttpClient(FAST).get(f"{server.origin}/orders?date=2024-03-05",
                             {"page": "2", "tag": ["a b", "ç"], "skip": None})
        HttpClient(FAST).get(f"{server.origin}/orders?")
    assert [s.path for s in server.seen] == [
        "/orders?date=2024-03-05&page=2&tag=a+b&tag=%C3%A7", "/orders"]


def test_basic_auth_from_the_pair_or_else_from_the_url() -> None:
    with ScriptedServer(lambda seen: json_reply("{}")) as server:
        HttpClient(FAST, auth=("ana", "s3cret")).get(f"{server.origin}/a")
        HttpClient(FAST).get(f"http://bo:p%40ss@127.0.0.1:{server.port}/b")
    sent = [s.headers.get("Authorization") for s in server.seen]
    assert sent == ["Basic " + base64.b64encode(pair).decode()
                    for pair in (b"ana:s3cret", b"bo:p@ss")]


def test_the_client_says_who_it_is_and_what_it_accepts() -> None:
    with ScriptedServer(lambda seen: json_reply("{}")) as server:
        HttpClient(FAST, headers={"X-API-Key": "k3y", "accept": "application/x-ndjson"}
                   ).get(f"{server.origin}/a")
    headers = {k.lower(): v for k, v in server.seen[0].headers.items()}
    assert headers["user-agent"].startswith("cadencia-extract/")
    assert headers["accept-encoding"] == "gzip, deflate"
    assert headers["accept"] == "application/x-ndjson" and headers["x-api-key"] == "k3y"
