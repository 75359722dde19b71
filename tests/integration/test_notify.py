"""notify as a real process against real receivers on 127.0.0.1 (HTTP and SMTP with STARTTLS)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_mail import SmtpServer, WebhookReceiver, mail_body
from tests.support import StepResult, run_step

FAILURES = json.dumps([{
    "displayName": "extract-http(0)", "message": "Error (exit code 75): API unreachable",
    "templateName": "extract-http", "phase": "Failed", "podName": "cadencia-etl-abc-123",
    "finishedAt": "2026-11-26T05:03:00Z"}])
RUN = ("--status", "Failed", "--duration", "754.3", "--failures", FAILURES,
       "--sla-verdict", "met", "--count", "extracted_http=100", "--count", "loaded=180",
       "--workflow", "cadencia-etl", "--logical-date", "2026-11-26")
FAST = {"CADENCIA_NOTIFY_BACKOFF": "0.01", "CADENCIA_NOTIFY_TIMEOUT": "5"}
SMTP_USER, SMTP_PASSWORD = "etl-bot", "s3cr3t-Pa55-word"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path, SMTP_USER, SMTP_PASSWORD) as server:
        yield server


def smtp_env(server: SmtpServer, password: str = SMTP_PASSWORD) -> dict[str, str]:
    return {**FAST, "CADENCIA_NOTIFY_SMTP_HOST": "127.0.0.1",
            "CADENCIA_NOTIFY_SMTP_PORT": str(server.port),
            "CADENCIA_NOTIFY_SMTP_CA_FILE": str(server.cert),
            "CADENCIA_NOTIFY_SMTP_USERNAME": SMTP_USER,
            "CADENCIA_NOTIFY_SMTP_PASSWORD": password,
            "CADENCIA_NOTIFY_EMAIL_FROM": "cadencia@example.com",
            "CADENCIA_NOTIFY_EMAIL_TO": "data-team@example.com, oncall@example.com"}


def summary(result: StepResult) -> dict[str, object]:
    lines = [r["summary"] for r in result.logs if r["message"] == "notify finished"]
    assert len(lines) == 1, result
    return lines[0]


def notify(*args: str, env: dict[str, str]) -> StepResult:
    return run_step("notify", *RUN, *args, env=env, timeout=60)


def test_webhook_500_twice_then_200_is_delivered_on_the_third_attempt(
        receiver: WebhookReceiver) -> None:
    receiver.script = [500, 500]
    result = notify("--channel", "webhook",
                    env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url})
    assert result.code == 0, result
    assert len(receiver.requests) == 3
    body = receiver.json_bodies()[-1]
    assert body["title"] == "cadencia-etl 2026-11-26: Failed"
    assert body["status"] == "Failed" and body["sla_verdict"] == "met"
    assert body["counts"] == {"extracted_http": 100, "loaded": 180}
    assert body["failures"][0]["name"] == "extract-http(0)"
    assert "API unreachable" in body["text"]
    assert summary(result)["channels"] == {"webhook": "delivered"}
    assert summary(result)["attempts"] == {"webhook": 3}
    assert result.errors == []
    assert receiver.token not in result.stderr


@pytest.mark.parametrize(("flags", "code"), [((), 0), (("--fail-on-error",), 75)])
def test_webhook_always_500_is_reported_and_fails_the_step_only_when_asked(
        receiver: WebhookReceiver, flags: tuple[str, ...], code: int) -> None:
    receiver.default_status = 500
    result = notify("--channel", "log", "--channel", "webhook", *flags,
                    env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url,
                         "CADENCIA_NOTIFY_RETRIES": "2"})
    assert result.code == code, result
    assert len(receiver.requests) == 3  # first attempt + 2 retries
    failed = [e for e in result.errors if e.get("channel") == "webhook"]
    assert len(failed) == 1 and "HTTP 500" in failed[0]["message"]
    assert failed[0]["error_kind"] == "transient"
    if code == 0:
        assert summary(result)["channels"] == {"log": "delivered", "webhook": "failed"}
    else:
        assert result.errors[-1]["exit_code"] == 75
        assert result.errors[-1]["channels"] == {"log": "delivered", "webhook": "failed"}
    assert receiver.token not in result.stderr


def test_webhook_refusal_is_not_retried_and_exits_76_when_asked(
        receiver: WebhookReceiver) -> None:
    receiver.default_status = 403
    result = notify("--channel", "webhook", "--fail-on-error",
                    env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url})
    assert result.code == 76, result
    assert len(receiver.requests) == 1
    assert "authentication refused: HTTP 403" in result.errors[0]["message"]


def test_unreachable_webhook_is_transient_and_never_logs_the_url() -> None:
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hooks/secret-token-xyz?key=also-secret"
    result = notify("--channel", "webhook", "--fail-on-error",
                    env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": url,
                         "CADENCIA_NOTIFY_RETRIES": "1"})
    assert result.code == 75, result
    assert "connection failed" in result.errors[0]["message"]
    assert "secret-token-xyz" not in result.stderr and "also-secret" not in result.stderr


def test_slack_gets_an_incoming_webhook_payload(receiver: WebhookReceiver) -> None:
    result = notify("--channel", "slack",
                    env={**FAST, "CADENCIA_NOTIFY_SLACK_WEBHOOK_URL": receiver.url})
    assert result.code == 0, result
    (payload,) = receiver.json_bodies()
    assert payload["blocks"][0]["text"]["text"] == "cadencia-etl 2026-11-26: Failed"
    assert "extract-http(0)" in json.dumps(payload["blocks"])
    assert payload["text"].startswith("cadencia-etl 2026-11-26: Failed")
    assert receiver.requests[0]["headers"]["Content-Type"].startswith("application/json")


def test_email_arrives_over_starttls_with_auth(smtp: SmtpServer) -> None:
    result = notify("--channel", "email", env=smtp_env(smtp))
    assert result.code == 0, result
    (mail,) = smtp.messages
    assert mail["tls"] and mail["authenticated"]
    assert smtp.logins == [(SMTP_USER, True)]
    assert mail["rcpt_tos"] == ["data-team@example.com", "oncall@example.com"]
    msg = mail["message"]
    assert msg["Subject"] == "cadencia-etl 2026-11-26: Failed"
    body = mail_body(msg)
    assert "extract-http(0)" in body and "Error (exit code 75): API unreachable" in body
    assert "Duration: 12m 34s" in body and "loaded: 180" in body
    assert summary(result)["channels"] == {"email": "delivered"}
    assert SMTP_PASSWORD not in result.stderr


@pytest.mark.parametrize(("flags", "code"), [((), 0), (("--fail-on-error",), 76)])
def test_smtp_refusing_auth_is_logged_and_fails_the_step_only_when_asked(
        smtp: SmtpServer, flags: tuple[str, ...], code: int) -> None:
    wrong = "wrong-Pa55-word-123"
    result = notify("--channel", "email", *flags, env=smtp_env(smtp, password=wrong))
    assert result.code == code, result
    assert smtp.messages == [] and set(smtp.logins) == {(SMTP_USER, False)}
    failed = [e for e in result.errors if e.get("channel") == "email"]
    assert len(failed) == 1 and "authentication refused" in failed[0]["message"]
    assert failed[0]["error_kind"] == "upstream_refused"
    assert failed[0]["attempts"] == 1  # a refusal is final: no retry
    assert wrong not in result.stderr and SMTP_PASSWORD not in result.stderr


def test_an_untrusted_smtp_certificate_is_refused(smtp: SmtpServer) -> None:
    env = smtp_env(smtp)
    del env["CADENCIA_NOTIFY_SMTP_CA_FILE"]
    result = notify("--channel", "email", "--fail-on-error", env=env)
    assert result.code == 76, result
    assert "certificate" in result.errors[0]["message"]
    assert smtp.messages == [] and smtp.logins == []


def test_a_channel_without_its_settings_fails_before_anything_is_sent(
        receiver: WebhookReceiver) -> None:
    result = notify("--channel", "webhook", "--channel", "email",
                    env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url,
                         "CADENCIA_NOTIFY_EMAIL_FROM": "cadencia@example.com"})
    assert result.code == 78, result
    assert receiver.requests == []
    (error,) = result.errors
    assert "CADENCIA_NOTIFY_SMTP_HOST" in error["message"]
    assert "CADENCIA_NOTIFY_EMAIL_TO" in error["message"]


def test_every_channel_is_reported_on_its_own(receiver: WebhookReceiver,
                                              smtp: SmtpServer) -> None:
    receiver.default_status = 503
    result = notify("--channel", "log,webhook,email",
                    env={**smtp_env(smtp), "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url,
                         "CADENCIA_NOTIFY_RETRIES": "1"})
    assert result.code == 0, result
    assert summary(result)["channels"] == {
        "log": "delivered", "webhook": "failed", "email": "delivered"}
    assert len(smtp.messages) == 1
    (log_line,) = [r for r in result.logs if "notification" in r]
    assert log_line["level"] == "warning"
    assert log_line["notification"]["failures"][0]["message"].endswith("API unreachable")


def test_sla_at_risk_alert(receiver: WebhookReceiver) -> None:
    result = run_step("notify", "--event", "sla-at-risk", "--status", "Running",
                      "--duration", "3300", "--sla-verdict", "at-risk",
                      "--workflow", "cadencia-etl", "--logical-date", "2026-11-26",
                      "--failures", "{{workflow.failures}}", "--channel", "webhook",
                      env={**FAST, "CADENCIA_NOTIFY_WEBHOOK_URL": receiver.url})
    assert result.code == 0, result
    (body,) = receiver.json_bodies()
    assert body["title"] == "cadencia-etl 2026-11-26: SLA at risk"
    assert body["failures"] == [] and "Running for: 55m 00s" in body["text"]
