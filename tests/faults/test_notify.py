"""Issue 6, case 14: a notification channel is down when the exit handler runs.

The compiled exit handler notifies the ``log`` channel; the test's copy also sends to a
webhook that answers 500 and to an SMTP server that refuses the login (real servers on
127.0.0.1). A good run stays Succeeded, each failed delivery is logged naming its
channel, and only ``--fail-on-error`` (the user's choice) turns it into a failure; the
data is loaded once either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.pipeline_support import PipelineRun, ledger_rows, target_rows
from tests.faults.support import (
    ALL_IDS,
    DATE,
    Case,
    add_args,
    attempts,
    errors,
    notify_records,
    set_flag,
)
from tests.fixtures_mail import SmtpServer, WebhookReceiver

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(default_status=500) as receiver:
        yield receiver


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path, "cadencia", "the-right-one") as server:
        yield server


def channels(case: Case, webhook: WebhookReceiver, smtp: SmtpServer) -> None:
    case.settings.update({
        "CADENCIA_NOTIFY_RETRIES": "1", "CADENCIA_NOTIFY_BACKOFF": "0.05",
        "CADENCIA_NOTIFY_TIMEOUT": "5",
        "CADENCIA_NOTIFY_WEBHOOK_URL": webhook.url,
        "CADENCIA_NOTIFY_SMTP_HOST": "127.0.0.1",
        "CADENCIA_NOTIFY_SMTP_PORT": str(smtp.port),
        "CADENCIA_NOTIFY_SMTP_CA_FILE": str(smtp.cert),
        "CADENCIA_NOTIFY_SMTP_USERNAME": "cadencia",
        "CADENCIA_NOTIFY_SMTP_PASSWORD": "a-wrong-one",
        "CADENCIA_NOTIFY_EMAIL_FROM": "etl@example.test",
        "CADENCIA_NOTIFY_EMAIL_TO": "oncall@example.test"})


def loaded_once(case: Case, run: PipelineRun) -> None:
    assert run.node("load")["phase"] == "Succeeded", run.describe()
    assert target_rows(case.pg_url, DATE) == (len(ALL_IDS), len(ALL_IDS), ALL_IDS)
    assert ledger_rows(case.pg_url, DATE) == [(run.name, len(ALL_IDS))]


def test_webhook_500_and_smtp_refusal_are_logged_and_the_run_stays_succeeded(
        case: Case, webhook: WebhookReceiver, smtp: SmtpServer) -> None:
    case.seed()
    channels(case, webhook, smtp)
    set_flag(case.docs, "notify", "--channel", "log,webhook,email")

    run = case.run().run

    assert run.phase == "Succeeded", run.describe()
    (pod,) = attempts(run, "notify")
    assert pod["outputs"]["exitCode"] == "0"
    failed = {e["channel"]: e["message"] for e in errors(run, pod)}
    assert set(failed) == {"webhook", "email"}, failed
    assert "500" in failed["webhook"]
    (summary,) = [r["summary"] for r in notify_records(run) if "summary" in r]
    assert summary["status"] == "Succeeded"
    assert summary["channels"] == {"log": "delivered", "webhook": "failed", "email": "failed"}
    assert len(webhook.requests) == 2  # tried, retried once, gave up
    assert smtp.logins and not any(ok for _, ok in smtp.logins) and not smtp.messages
    log = run.log(pod)
    assert "a-wrong-one" not in log and webhook.token not in log  # secrets stay out
    loaded_once(case, run)


def test_fail_on_error_makes_an_undeliverable_notice_fail_the_run_data_still_loaded(
        case: Case, webhook: WebhookReceiver, smtp: SmtpServer) -> None:
    case.seed()
    channels(case, webhook, smtp)
    set_flag(case.docs, "notify", "--channel", "log,email")
    add_args(case.docs, "notify", "--fail-on-error")

    run = case.run().run

    assert run.phase == "Failed", run.describe()
    (pod,) = attempts(run, "notify")  # a refusal (76) is not retried
    assert pod["outputs"]["exitCode"] == "76"
    (error,) = [e for e in errors(run, pod) if e.get("channel") == "email"]
    assert error["channel"] == "email"
    loaded_once(case, run)
