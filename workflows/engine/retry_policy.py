"""``retryStrategy`` as pure policy: what happens after an attempt fails, decided as Argo does.

Argo's ``processNodeRetries`` checks, in this order, once the last attempt has failed:

1. the workflow deadline has passed -> stop (nothing is retried after it);
2. with ``backoff``: past ``maxDuration`` (from the first attempt's start) -> stop with
   ``Max duration limit exceeded``; the next wait, ``duration * factor^(n-1)`` capped by
   ``cap`` and counted from the end of the last attempt, would end past ``maxDuration``
   -> stop with ``Backoff would exceed max duration limit``; still inside the wait (and
   ``limit`` is set and not used up) -> wait, the node saying ``Backoff for <duration>``;
3. the policy does not retry this phase (``Failed`` = the process exited non-zero,
   ``Error`` = it could not run) -> stop with the attempt's own message;
4. ``limit`` used up -> stop with ``No more retries left``;
5. ``expression`` false -> stop with ``retryStrategy.expression evaluated to false``;
6. otherwise -> retry.

The backoff wait therefore comes before the policy and the expression, as in Argo: a
node whose expression says "do not retry" still waits out the backoff first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from workflows.argo.durations import humanize, parse_argo_duration

POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")
MAX_DURATION_EXCEEDED = "Max duration limit exceeded"
BACKOFF_EXCEEDS_MAX = "Backoff would exceed max duration limit"
NO_MORE_RETRIES = "No more retries left"
EXPRESSION_FALSE = "retryStrategy.expression evaluated to false"
# Argo's own transient errors are Kubernetes API hiccups; locally it is whatever matches
# TRANSIENT_ERROR_PATTERN (Argo's variable of the same name) or an attempt flagged so.
_TRANSIENT_DEFAULT = r"connection reset|connection refused|timeout|temporarily unavailable"


@dataclass(frozen=True)
class Backoff:
    duration: float
    factor: int | None = None
    cap: float | None = None
    max_duration: float | None = None


@dataclass(frozen=True)
class RetryStrategy:
    limit: int | None  # None: retry forever
    policy: str
    expression: str | None = None
    backoff: Backoff | None = None

    @classmethod
    def parse(cls, spec: Mapping[str, Any]) -> RetryStrategy:
        """From the manifest's ``retryStrategy``; raises ValueError on a bad value."""
        limit = spec.get("limit")
        expression = spec.get("expression") or None
        policy = spec.get("retryPolicy") or ("Always" if expression else "OnFailure")
        if policy not in POLICIES:
            raise ValueError(f"retryPolicy {policy!r} is not one of {', '.join(POLICIES)}")
        backoff = None
        if spec.get("backoff") is not None:
            raw = spec["backoff"]
            if raw.get("duration") in (None, ""):
                raise ValueError("no base duration specified for retryStrategy")
            backoff = Backoff(
                duration=parse_argo_duration(raw["duration"]),
                factor=None if raw.get("factor") in (None, "") else int(str(raw["factor"])),
                cap=None if raw.get("cap") in (None, "") else parse_argo_duration(raw["cap"]),
                max_duration=(None if raw.get("maxDuration") in (None, "")
                              else parse_argo_duration(raw["maxDuration"])))
        return cls(limit=None if limit in (None, "") else int(str(limit)), policy=policy,
                   expression=expression, backoff=backoff)


@dataclass(frozen=True)
class Attempt:
    """A finished attempt, as ``lastRetry`` sees it."""

    phase: str  # Succeeded, Failed or Error
    started: float  # epoch seconds
    finished: float
    exit_code: str | None = None
    message: str = ""
    transient: bool = False


@dataclass(frozen=True)
class Decision:
    action: Literal["retry", "wait", "stop"]
    phase: str = ""  # the node's phase when it stops
    message: str = ""
    wait: float = 0.0  # seconds still to wait (action "wait")


def backoff_wait(backoff: Backoff, attempts: int) -> float:
    """Seconds to wait before the next attempt after ``attempts`` attempts."""
    wait = backoff.duration
    if backoff.factor is not None and backoff.factor > 0:
        wait = backoff.duration * float(backoff.factor) ** (attempts - 1)
    if backoff.cap is not None and wait > backoff.cap:
        wait = backoff.cap
    return wait


def last_retry_scope(last: Attempt) -> dict[str, Any]:
    """The ``lastRetry`` variables of the expression, all strings as in Argo."""
    duration = last.finished - last.started
    return {"lastRetry": {
        "exitCode": last.exit_code if last.exit_code is not None else "-1",
        "status": last.phase,
        "duration": str(int(duration)) if float(duration).is_integer() else repr(duration),
        "message": last.message}}


def is_transient(attempt: Attempt) -> bool:
    if attempt.transient:
        return True
    pattern = os.environ.get("TRANSIENT_ERROR_PATTERN") or _TRANSIENT_DEFAULT
    return re.search(pattern, attempt.message or "", re.IGNORECASE) is not None


def decide(strategy: RetryStrategy, attempts: list[Attempt], *, now: float,
           deadline_message: str | None,
           evaluate: Callable[[str, Mapping[str, Any]], Any]) -> Decision:
    """What to do after the last of ``attempts`` failed (see the module docstring).

    ``deadline_message`` is set once the workflow deadline has passed: the node stops
    with it (Argo: ``retry exceeded workflow deadline <time>``).
    """
    last = attempts[-1]
    if deadline_message:
        return Decision("stop", last.phase, deadline_message)
    backoff = strategy.backoff
    if backoff is not None:
        max_deadline = None
        if backoff.max_duration is not None:
            max_deadline = attempts[0].started + backoff.max_duration
            if now > max_deadline:
                return Decision("stop", last.phase, MAX_DURATION_EXCEEDED)
        wait = backoff_wait(backoff, len(attempts))
        waiting_deadline = last.finished + wait
        if max_deadline is not None and waiting_deadline > max_deadline:
            return Decision("stop", last.phase, BACKOFF_EXCEEDS_MAX)
        if (now < waiting_deadline and strategy.limit is not None
                and len(attempts) <= strategy.limit):
            return Decision("wait", message=f"Backoff for {humanize(wait)}",
                            wait=waiting_deadline - now)
    on_failed, on_error = {
        "Always": (True, True), "OnFailure": (True, False), "OnError": (False, True),
        "OnTransientError": (is_transient(last), is_transient(last)),
    }[strategy.policy]
    if (last.phase == "Failed" and not on_failed) or (last.phase == "Error" and not on_error):
        return Decision("stop", last.phase, last.message)
    if strategy.limit is not None and len(attempts) > strategy.limit:
        return Decision("stop", last.phase, NO_MORE_RETRIES)
    if strategy.expression and not evaluate(strategy.expression, last_retry_scope(last)):
        return Decision("stop", last.phase, EXPRESSION_FALSE)
    return Decision("retry")
