"""notify as a real process against webhook servers on 127.0.0.1 that redirect or echo.

A webhook URL carries its token; a redirect must not carry the notice (or a POST turned
GET) to another host, and a refusal quoting the URL must not put its token in the log.
"""

from __future__ import annotations

from tests.fixtures_scripted_http import Reply, ScriptedServer
from tests.support import run_step

RUN = ("--status", "Succeeded", "--duration", "12", "--workflow", "cadencia-etl",
       "--channel", "webhook", "--fail-on-error")
FAST = {"CADENCIA_NOTIFY_BACKOFF": "0.01", "CADENCIA_NOTIFY_TIMEOUT": "5"}
TOKEN = "tok-Hk29sLq0ZpW3"


def test_a_webhook_redirect_is_not_followed_and_the_other_host_sees_nothing() -> None:
    with ScriptedServer(lambda seen: Reply(200, b"ok")) as other, \
            ScriptedServer(lambda seen: Reply(302, headers={
                "Location": f"{other.origin}/collect"})) as hook:
        result = run_step("notify", *RUN, env={
            **FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": f"{hook.origin}/hooks/{TOKEN}"}, timeout=60)
    assert result.code == 76, result
    assert len(result.errors) == 2, result.errors  # the channel's line, then the step's
    assert "HTTP 302 redirect" in result.errors[0]["message"]
    assert other.seen == [] and [s.method for s in hook.seen] == ["POST"]
    assert TOKEN not in result.stderr


def test_a_webhook_refusal_quoting_its_url_leaks_no_part_of_the_token() -> None:
    def route(seen: object) -> Reply:  # the token straddles the 200 characters quoted
        return Reply(403, ("x" * 180 + f" /hooks/{TOKEN} is unknown").encode())

    with ScriptedServer(route) as hook:
        result = run_step("notify", *RUN, env={
            **FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": f"{hook.origin}/hooks/{TOKEN}"}, timeout=60)
    assert result.code == 76, result
    assert "authentication refused: HTTP 403" in result.errors[0]["message"]
    assert TOKEN[:6] not in result.stderr
