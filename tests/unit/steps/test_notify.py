"""notify's pure parts: parsing Argo's variables, the message, the Slack payload, the outcome."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from steps._core.errors import ConfigError, TransientError, UpstreamError
from steps._core.settings import Secret
from steps._notify import slack
from steps._notify.delivery import NotifySettings, Result, deliver, scrub
from steps._notify.message import (
    MAX_FAILURES,
    Failure,
    Message,
    build,
    format_duration,
    parse_counts,
    parse_duration,
    parse_failures,
    parse_notes,
)
from steps._notify.smtp import EmailSettings, check
from steps.notify import channel_names, outcome
from tests.support import ROOT

NODE = {"displayName": "extract-http(0)", "message": "Error (exit code 75)",
        "templateName": "extract-http", "phase": "Failed", "podName": "wf-extract-http-1",
        "finishedAt": "2026-11-26T05:03:00Z"}


@pytest.mark.parametrize("raw", [None, "", "  ", "null", "[]", "{{workflow.failures}}"])
def test_no_failures_in_any_of_the_forms_argo_uses_for_nothing(raw: str | None) -> None:
    assert parse_failures(raw) == []


def test_failures_json_keeps_each_node_and_its_message() -> None:
    (f,) = parse_failures(json.dumps([NODE]))
    assert f == Failure(name="extract-http(0)", message="Error (exit code 75)",
                        template="extract-http", phase="Failed", pod="wf-extract-http-1",
                        finished_at="2026-11-26T05:03:00Z")
    assert f.line() == "extract-http(0) (extract-http, Failed): Error (exit code 75)"


def test_failures_that_are_not_json_are_kept_as_text_not_lost() -> None:
    (f,) = parse_failures("[{broken")
    assert f.message == "[{broken"


def test_failure_without_display_name_or_message() -> None:
    (f,) = parse_failures('[{"podName": "p-1", "message": null}]')
    assert f.name == "p-1" and f.line() == "p-1"


@pytest.mark.parametrize(("raw", "seconds"), [
    ("754.3", 754.3), ("12", 12.0), ("", None), ("{{workflow.duration}}", None),
    ("soon", None), ("-3", None), ("nan", None)])
def test_parse_duration(raw: str, seconds: float | None) -> None:
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize(("seconds", "text"), [
    (None, "unknown"), (0, "0.0s"), (3.24, "3.2s"), (45, "45s"), (59.6, "1m 00s"),
    (754.3, "12m 34s"), (3723, "1h 02m 03s"), (2 * 86400 + 3 * 3600 + 4 * 60, "2d 03h 04m")])
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


def test_counts_are_ints_when_they_can_be_and_given_text_otherwise() -> None:
    assert parse_counts(["extracted_http=100", "loaded = 180", "rejected=n/a", "x="]) == {
        "extracted_http": 100, "loaded": 180, "rejected": "n/a", "x": ""}


@pytest.mark.parametrize("bad", ["loaded", "=5"])
def test_a_count_without_name_or_value_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        parse_counts([bad])
    with pytest.raises(ConfigError, match="NAME=TEXT"):
        parse_notes([bad])


def failed_message(**kw: object) -> Message:
    args: dict[str, object] = dict(
        workflow="cadencia-etl", status="Failed", duration="754.3",
        failures=json.dumps([NODE]), sla_verdict="met",
        counts=["extracted_http=100", "loaded=180"],
        notes=["validate=3 quarantined (range:quantidade 3)",
               "load={{workflow.outputs.parameters.note-load}}", "clean="],
        logical_date="2026-11-26", run_id="r-1")
    args.update(kw)
    return build(**args)  # type: ignore[arg-type]


def test_message_text_says_status_duration_sla_counts_and_failures() -> None:
    m = failed_message()
    assert m.title == "cadencia-etl 2026-11-26: Failed"
    assert not m.ok
    text = m.text()
    for expected in ("Status: Failed", "Duration: 12m 34s", "SLA: met", "Run: r-1",
                     "  extracted_http: 100", "  loaded: 180",
                     "Notes:", "  validate: 3 quarantined (range:quantidade 3)",
                     "Failed nodes (1):",
                     "  - extract-http(0) (extract-http, Failed): Error (exit code 75)"):
        assert expected in text.splitlines()
    d = m.to_dict()
    assert d["counts"] == {"extracted_http": 100, "loaded": 180}
    # a step that never ran (unsubstituted) or had nothing to say (blank) has no note
    assert d["notes"] == {"validate": "3 quarantined (range:quantidade 3)"}
    assert d["failures"][0]["name"] == "extract-http(0)"
    assert json.loads(json.dumps(d)) == d


def test_a_good_run_is_ok_and_lists_no_failures() -> None:
    m = failed_message(status="Succeeded", failures="{{workflow.failures}}")
    assert m.ok and m.title == "cadencia-etl 2026-11-26: Succeeded"
    assert "Failed nodes" not in m.text()


def test_sla_at_risk_event_has_its_own_title() -> None:
    m = failed_message(event="sla-at-risk", status="{{workflow.status}}", sla_verdict="at-risk",
                       failures="")
    assert m.title == "cadencia-etl 2026-11-26: SLA at risk"
    assert m.status == "Running" and not m.ok
    assert "Running for: 12m 34s" in m.text()


def test_many_failures_are_capped_in_the_text() -> None:
    nodes = [dict(NODE, displayName=f"n{i}") for i in range(MAX_FAILURES + 5)]
    text = failed_message(failures=json.dumps(nodes)).text()
    assert f"Failed nodes ({MAX_FAILURES + 5}):" in text and "... and 5 more" in text
    assert f"n{MAX_FAILURES}" not in text


@pytest.mark.parametrize("verdict", ["", "{{inputs.parameters.sla}}"])
def test_blank_sla_verdict_is_unknown(verdict: str) -> None:
    assert failed_message(sla_verdict=verdict).sla_verdict == "unknown"


def test_unknown_sla_verdict_or_event_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="SLA verdict"):
        failed_message(sla_verdict="late")
    with pytest.raises(ConfigError, match="event"):
        failed_message(event="started")


def test_slack_payload_shape() -> None:
    p = slack.payload(failed_message(failures=json.dumps([dict(NODE, message="a <b> & c")])))
    assert set(p) == {"text", "blocks"}
    header, fields, counts, notes, failures = p["blocks"]
    assert header == {"type": "header", "text": {
        "type": "plain_text", "text": "cadencia-etl 2026-11-26: Failed", "emoji": False}}
    assert [f["text"] for f in fields["fields"]] == [
        "*Status*\nFailed", "*Duration*\n12m 34s", "*SLA*\nmet", "*Run*\nr-1"]
    assert counts["text"]["text"] == "*Row counts*\n`extracted_http` 100\n`loaded` 180"
    assert notes["text"]["text"] == "*Notes*\n`validate` 3 quarantined (range:quantidade 3)"
    assert "a &lt;b&gt; &amp; c" in failures["text"]["text"]  # mrkdwn control chars escaped
    assert p["text"].startswith("cadencia-etl 2026-11-26: Failed\n")


def test_slack_payload_respects_slack_limits() -> None:
    long = dict(NODE, displayName="x" * 300, message="y" * 5000)
    p = slack.payload(failed_message(workflow="w" * 200,
                                     failures=json.dumps([long] * (MAX_FAILURES + 3))))
    assert len(p["blocks"][0]["text"]["text"]) <= slack.HEADER_MAX
    assert all(len(b["text"]["text"]) <= slack.SECTION_MAX for b in p["blocks"][2:])
    assert len(p["text"]) <= slack.TEXT_MAX


def test_slack_payload_without_counts_or_failures() -> None:
    p = slack.payload(failed_message(status="Succeeded", failures="null", counts=[], notes=[]))
    assert [b["type"] for b in p["blocks"]] == ["header", "section"]


def test_channel_names_accept_repeats_and_commas() -> None:
    assert channel_names(None) == ["log"]
    assert channel_names(["log,webhook", " email ", "webhook"]) == ["log", "webhook", "email"]


def test_outcome_reports_each_channel_and_exits_0_by_default() -> None:
    results = [Result("log", True, 1), Result("webhook", False, 4, "transient", "HTTP 500")]
    s = outcome(results, fail_on_error=False)
    assert s["channels"] == {"log": "delivered", "webhook": "failed"}
    assert s["attempts"] == {"log": 1, "webhook": 4}
    assert (s["delivered"], s["failed"]) == (1, 1)


def test_outcome_with_fail_on_error_is_75_if_all_transient_else_76() -> None:
    transient = Result("webhook", False, 4, "transient", "HTTP 500")
    refused = Result("email", False, 1, "upstream_refused", "535")
    with pytest.raises(TransientError):
        outcome([transient], fail_on_error=True)
    with pytest.raises(UpstreamError):
        outcome([transient, refused], fail_on_error=True)
    assert outcome([Result("log", True, 1)], fail_on_error=True)["failed"] == 0


class FlakyChannel:
    """Fails ``failures`` times with ``error``, then delivers."""

    name = "flaky"
    target = "memory"

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def send(self, message: Message) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error

    def secrets(self) -> list[str]:
        return ["hunter2"]


def test_deliver_retries_transient_failures_within_the_budget() -> None:
    waits: list[float] = []
    ch = FlakyChannel(2, TransientError("HTTP 503"))
    r = deliver(ch, failed_message(), NotifySettings(retries=3, backoff=0.5), sleep=waits.append)
    assert r == Result("flaky", True, 3)
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_deliver_gives_up_after_the_budget_and_never_on_refusal() -> None:
    ch = FlakyChannel(99, TransientError("timed out"))
    r = deliver(ch, failed_message(), NotifySettings(retries=2, backoff=0), sleep=lambda s: None)
    assert (r.delivered, r.attempts, r.error_kind) == (False, 3, "transient")
    ch = FlakyChannel(99, UpstreamError("refused"))
    r = deliver(ch, failed_message(), NotifySettings(retries=5), sleep=lambda s: None)
    assert (r.delivered, r.attempts, r.error_kind, ch.calls) == (False, 1, "upstream_refused", 1)


def test_deliver_survives_a_bug_in_a_channel_without_leaking_its_secret() -> None:
    ch = FlakyChannel(1, ValueError("bad url http://x/hunter2"))
    r = deliver(ch, failed_message(), NotifySettings(), sleep=lambda s: None)
    assert r.error_kind == "bug" and r.error is not None
    assert "hunter2" not in r.error and "ValueError" in r.error


def test_scrub_removes_secrets_and_their_url_quoted_form() -> None:
    assert scrub("login p@ss/word failed, p%40ss%2Fword", ["p@ss/word"]) == \
        "login *** failed, ***"


def email_env(**kw: str) -> dict[str, str]:
    env = {"CADENCIA_NOTIFY_SMTP_HOST": "mail", "CADENCIA_NOTIFY_EMAIL_FROM": "a@b.c",
           "CADENCIA_NOTIFY_EMAIL_TO": "x@y.z, w@y.z"}
    env.update(kw)
    return env


def test_email_settings_defaults_and_types() -> None:
    s = check(EmailSettings.from_env(email_env(CADENCIA_NOTIFY_SMTP_PASSWORD="pw",
                                               CADENCIA_NOTIFY_SMTP_USERNAME="u")))
    assert (s.smtp_port, s.smtp_starttls, s.smtp_ssl) == (587, True, False)
    assert s.email_to == ("x@y.z", "w@y.z")
    assert isinstance(s.smtp_password, Secret) and "pw" not in repr(s)


@pytest.mark.parametrize(("env", "names"), [
    (email_env(CADENCIA_NOTIFY_EMAIL_TO=" , "), "CADENCIA_NOTIFY_EMAIL_TO"),
    (email_env(CADENCIA_NOTIFY_SMTP_USERNAME="u"), "CADENCIA_NOTIFY_SMTP_PASSWORD"),
    (email_env(CADENCIA_NOTIFY_SMTP_USERNAME="u", CADENCIA_NOTIFY_SMTP_PASSWORD="p",
               CADENCIA_NOTIFY_SMTP_STARTTLS="false"), "CADENCIA_NOTIFY_SMTP_STARTTLS"),
    (email_env(CADENCIA_NOTIFY_SMTP_CA_FILE="/nonexistent/ca.pem"),
     "CADENCIA_NOTIFY_SMTP_CA_FILE"),
])
def test_email_settings_that_cannot_work_are_config_errors(env: dict[str, str],
                                                           names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        check(EmailSettings.from_env(env))


def test_help_is_fast_because_no_channel_library_is_imported() -> None:
    code = ("import sys, steps.notify; "
            "heavy = {'requests', 'smtplib', 'ssl', 'pyarrow', 'sqlalchemy'} & set(sys.modules); "
            "print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"
