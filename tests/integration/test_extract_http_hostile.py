"""extract_http as a real process against hostile or careless servers on 127.0.0.1.

A redirect to another host must not take the credentials there; a refusal that quotes the
credential must not put it in the log; a page that inflates without bound must be
stopped while it is read. Each case: the exit code Argo acts on, one error line naming
the cause, and no output file.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures_http import FAST_RETRIES
from tests.fixtures_scripted_http import Reply, ScriptedServer, Seen, gzip_reply, json_reply
from tests.support import StepResult, run_step
from tests.support import assert_failed_without_output as assert_fails

TOKEN = "tok-Zq81xWv7Lm3pR"
USER = "etl-reader"
AUTH = {
    "api-key": {"CADENCIA_HTTP_AUTH": "api-key", "CADENCIA_HTTP_API_KEY": TOKEN},
    "bearer": {"CADENCIA_HTTP_AUTH": "bearer", "CADENCIA_HTTP_TOKEN": TOKEN},
    "basic": {"CADENCIA_HTTP_AUTH": "basic", "CADENCIA_HTTP_USERNAME": USER,
              "CADENCIA_HTTP_PASSWORD": TOKEN},
}
BASIC_B64 = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
PAGE = '{"data": [{"id": 1}, {"id": 2}], "has_more": false}'
MIB = 1 << 20


def extract(url: str, out: Path, *args: str, env: dict[str, str] | None = None) -> StepResult:
    return run_step("extract_http", "--url", url, "--out", str(out), "--page-size", "2", *args,
                    env={**FAST_RETRIES, **(env or {})}, timeout=60)


def credential(seen: Seen) -> str:
    """What the client sent as its credential, as a careless API would quote it back."""
    return seen.headers.get("X-API-Key") or seen.headers.get("Authorization") or "-"


def rows(result: StepResult) -> int:
    done = [r["summary"] for r in result.logs if r["message"] == "extract_http finished"]
    assert result.code == 0 and len(done) == 1, result
    return int(done[0]["rows"])


# --- case 2: credentials and redirects ------------------------------------------------------

@pytest.mark.parametrize(("status", "mode"), [(302, "api-key"), (301, "bearer"), (307, "basic")])
def test_cross_origin_redirect_is_76_and_the_other_host_sees_nothing(
        tmp_path: Path, status: int, mode: str) -> None:
    with ScriptedServer(lambda seen: json_reply(PAGE)) as other, \
            ScriptedServer(lambda seen: Reply(status, headers={
                "Location": f"{other.origin}/collect?from=api"})) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out, env=AUTH[mode])
    message = assert_fails(result, 76, "redirects", out)
    assert api.origin in message and other.origin in message, message
    assert other.seen == [] and len(api.seen) == 1
    assert TOKEN not in result.stderr


def test_same_origin_redirect_is_followed_with_the_credentials(tmp_path: Path) -> None:
    def route(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/"):
            return Reply(308, headers={"Location": "/v2/orders?page=1&per_page=2"})
        return json_reply(PAGE)

    with ScriptedServer(route) as api:
        result = extract(f"{api.origin}/v1/orders", tmp_path / "o.parquet", env=AUTH["api-key"])
    assert rows(result) == 2
    assert [s.path.split("?")[0] for s in api.seen] == ["/v1/orders", "/v2/orders"]
    assert api.seen[1].headers.get("X-API-Key") == TOKEN


def test_a_same_origin_redirect_loop_stops_after_five_hops_as_76(tmp_path: Path) -> None:
    with ScriptedServer(lambda seen: Reply(302, headers={"Location": "/again"})) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out)
    assert_fails(result, 76, "more than 5 redirects", out)
    assert len(api.seen) == 6


# --- case 3: credentials echoed by the API --------------------------------------------------

@pytest.mark.parametrize("mode", ["bearer", "basic", "api-key"])
def test_a_401_quoting_the_credential_is_76_and_the_error_line_hides_it(
        tmp_path: Path, mode: str) -> None:
    def route(seen: Seen) -> Reply:
        return Reply(401, f"invalid credential '{credential(seen)}'".encode(),
                     {"Content-Type": "text/plain"})

    with ScriptedServer(route) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out, env=AUTH[mode])
    message = assert_fails(result, 76, "authentication refused: HTTP 401 invalid credential", out)
    assert "***" in message, message
    for secret in (TOKEN, BASIC_B64):
        assert secret not in result.stderr


def test_a_credential_cut_by_the_snippet_limit_leaks_none_of_it(tmp_path: Path) -> None:
    def route(seen: Seen) -> Reply:  # the token straddles the 200 characters quoted
        return Reply(403, ("x" * 190 + f" {credential(seen)} and more text").encode())

    with ScriptedServer(route) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out, env=AUTH["api-key"])
    assert_fails(result, 76, "authentication refused: HTTP 403", out)
    assert TOKEN[:5] not in result.stderr


def test_a_200_html_page_quoting_the_credential_is_65_without_it(tmp_path: Path) -> None:
    def route(seen: Seen) -> Reply:
        return Reply(200, f"<html>signed in as {credential(seen)}</html>".encode(),
                     {"Content-Type": "text/html"})

    with ScriptedServer(route) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out, env=AUTH["basic"])
    assert_fails(result, 65, "HTML page instead of JSON", out)
    assert BASIC_B64 not in result.stderr and TOKEN not in result.stderr


# --- case 4: a bound on a page --------------------------------------------------------------

def pages(first: Callable[[], Reply], second: Callable[[], Reply]) -> Callable[[Seen], Reply]:
    return lambda seen: first() if seen.query.get("page") == "1" else second()


def test_a_gzip_bomb_page_is_65_once_past_the_page_cap(tmp_path: Path) -> None:
    # 32 MiB of JSON whitespace: about 32 KiB on the wire.
    bomb = PAGE.encode() + b" " * (32 * MIB)

    with ScriptedServer(lambda seen: gzip_reply(bomb)) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out,
                         env={"CADENCIA_HTTP_MAX_PAGE_BYTES": str(MIB)})
    assert_fails(result, 65, "page 1 is larger than 1 MiB after decompression", out)
    assert len(api.seen) == 1  # bad data: not retried


def test_a_plain_page_over_the_cap_is_65_naming_its_number(tmp_path: Path) -> None:
    more = '{"data": [{"id": 1}, {"id": 2}], "has_more": true}'
    big = '{"data": [' + ", ".join(['{"id": 3}'] * (MIB // 8)) + '], "has_more": false}'
    # page 1 comes gzip-encoded and is read whole: the cap counts, it does not refuse gzip
    with ScriptedServer(pages(lambda: gzip_reply(more.encode()),
                              lambda: json_reply(big))) as api:
        out = tmp_path / "o.parquet"
        result = extract(f"{api.origin}/orders", out,
                         env={"CADENCIA_HTTP_MAX_PAGE_BYTES": str(MIB)})
    assert_fails(result, 65, "page 2 is larger than 1 MiB after decompression", out)
    assert len(api.seen) == 2


def test_pages_under_the_cap_extract_whole_gzip_or_not(tmp_path: Path) -> None:
    more = '{"data": [{"id": 1}, {"id": 2}], "has_more": true}'
    with ScriptedServer(pages(lambda: gzip_reply(more.encode()),
                              lambda: json_reply(PAGE))) as api:
        result = extract(f"{api.origin}/orders", tmp_path / "o.parquet",
                         env={"CADENCIA_HTTP_MAX_PAGE_BYTES": str(MIB)})
    assert rows(result) == 4
