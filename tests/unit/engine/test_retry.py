"""retryStrategy decisions, as Argo's processNodeRetries makes them (pure functions)."""

from __future__ import annotations

import pytest

from workflows.engine.expr import evaluate_bool
from workflows.engine.retry_policy import (
    Attempt,
    Backoff,
    Decision,
    RetryStrategy,
    backoff_wait,
    decide,
    last_retry_scope,
)


def strategy(**spec: object) -> RetryStrategy:
    return RetryStrategy.parse(spec)


def failed(start: float, end: float, code: str = "1", phase: str = "Failed") -> Attempt:
    return Attempt(phase=phase, started=start, finished=end, exit_code=code,
                   message=f"Error (exit code {code})")


def run(s: RetryStrategy, attempts: list[Attempt], now: float,
        deadline: str | None = None) -> Decision:
    return decide(s, attempts, now=now, deadline_message=deadline, evaluate=evaluate_bool)


@pytest.mark.parametrize(("attempts", "expected"), [(1, 30), (2, 60), (3, 120), (4, 240),
                                                    (5, 300), (9, 300)])
def test_backoff_is_duration_times_factor_to_the_n_minus_one_capped(attempts, expected):
    assert backoff_wait(Backoff(duration=30, factor=2, cap=300), attempts) == expected


def test_backoff_without_factor_is_constant():
    assert [backoff_wait(Backoff(duration=5), n) for n in (1, 2, 3)] == [5, 5, 5]


def test_waits_from_the_end_of_the_last_attempt_and_says_backoff_for():
    s = strategy(limit=3, backoff={"duration": "2m", "factor": 2})
    decision = run(s, [failed(0, 10)], now=40)
    assert decision == Decision("wait", message="Backoff for 2 minutes 0 seconds", wait=90)
    assert run(s, [failed(0, 10)], now=130).action == "retry"


def test_no_more_retries_after_limit_plus_one_attempts():
    s = strategy(limit=1)
    assert run(s, [failed(0, 1)], now=1).action == "retry"
    assert run(s, [failed(0, 1), failed(1, 2)], now=2) == Decision(
        "stop", "Failed", "No more retries left")


def test_backoff_does_not_wait_once_the_limit_is_used_up():
    s = strategy(limit=1, backoff={"duration": 60})
    assert run(s, [failed(0, 1), failed(61, 62)], now=62).message == "No more retries left"


def test_unlimited_retries_without_limit():
    assert run(strategy(), [failed(i, i + 1) for i in range(50)], now=60).action == "retry"


@pytest.mark.parametrize(("policy", "phase", "retried"), [
    ("OnFailure", "Failed", True), ("OnFailure", "Error", False),
    ("OnError", "Failed", False), ("OnError", "Error", True),
    ("Always", "Failed", True), ("Always", "Error", True),
])
def test_policy_decides_which_phases_are_retried(policy, phase, retried):
    last = Attempt(phase=phase, started=0, finished=1, message="boom")
    decision = run(strategy(limit=3, retryPolicy=policy), [last], now=1)
    assert (decision.action == "retry") is retried
    if not retried:
        assert (decision.phase, decision.message) == (phase, "boom")


def test_expression_alone_means_policy_always():
    assert strategy(expression="true").policy == "Always"
    assert strategy().policy == "OnFailure"


def test_expression_over_last_retry_stops_with_argo_message():
    s = strategy(limit=5, expression='lastRetry.status == "Error" || '
                                     "asInt(lastRetry.exitCode) == 75")
    assert run(s, [failed(0, 1, "75")], now=1).action == "retry"
    assert run(s, [failed(0, 1, "65")], now=1) == Decision(
        "stop", "Failed", "retryStrategy.expression evaluated to false")
    error = Attempt(phase="Error", started=0, finished=1, message="failed to start")
    assert run(s, [error], now=1).action == "retry"


def test_last_retry_variables_are_strings_with_minus_one_for_no_exit_code():
    scope = last_retry_scope(Attempt(phase="Error", started=0, finished=2.5, message="m"))
    assert scope == {"lastRetry": {"exitCode": "-1", "status": "Error", "duration": "2.5",
                                   "message": "m"}}


def test_max_duration_exceeded_from_the_first_attempt_start():
    s = strategy(limit=10, backoff={"duration": 1, "maxDuration": "1m"})
    attempts = [failed(0, 10), failed(11, 61)]
    assert run(s, attempts, now=61) == Decision("stop", "Failed", "Max duration limit exceeded")


def test_backoff_that_would_pass_max_duration_stops_early():
    s = strategy(limit=10, backoff={"duration": "30s", "factor": 2, "maxDuration": "1m"})
    assert run(s, [failed(0, 5)], now=5).action == "wait"  # 5 + 30 <= 60
    assert run(s, [failed(0, 5), failed(35, 40)], now=40) == Decision(
        "stop", "Failed", "Backoff would exceed max duration limit")  # 40 + 60 > 60


def test_backoff_comes_before_the_expression_as_in_argo():
    s = strategy(limit=2, expression="false", backoff={"duration": 10})
    assert run(s, [failed(0, 1)], now=1).action == "wait"
    assert run(s, [failed(0, 1)], now=11).message == "retryStrategy.expression evaluated to false"


def test_workflow_deadline_stops_everything_first():
    s = strategy(limit=5, backoff={"duration": 1})
    message = "retry exceeded workflow deadline 2026-11-25 02:30:00 +0000 UTC"
    assert run(s, [failed(0, 1)], now=1, deadline=message) == Decision("stop", "Failed", message)


@pytest.mark.parametrize(("spec", "error"), [
    ({"retryPolicy": "Sometimes"}, "retryPolicy"),
    ({"backoff": {"factor": 2}}, "no base duration"),
    ({"backoff": {"duration": "1d"}}, "invalid duration"),
])
def test_bad_strategies_are_refused(spec, error):
    with pytest.raises(ValueError, match=error):
        RetryStrategy.parse(spec)
