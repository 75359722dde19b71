"""retryStrategy: the retryPolicy enum and the backoff formats.

Argo reads backoff ``duration`` and ``maxDuration`` as seconds when they are bare integers,
otherwise as Go durations (``30s``, ``5m``; ``1d`` is invalid). ``cap`` too: the controller
parses it with ``ParseStringToDuration`` (operator.go), bare integers as seconds, so
``cap: "5"`` is five seconds. ``factor`` is an integer (IntOrString).
"""

from __future__ import annotations

from typing import Any

from workflows.argo.durations import is_go_duration
from workflows.lint.argo import ArgoDoc, as_dict
from workflows.lint.durations import is_bare_number, is_negative, is_templated
from workflows.lint.findings import Finding, Path_

RETRY_POLICIES = ("Always", "OnFailure", "OnError", "OnTransientError")


def _backoff(adoc: ArgoDoc, backoff: dict[str, Any], path: Path_) -> list[Finding]:
    out = []
    for key in ("duration", "maxDuration", "cap"):
        value = backoff.get(key)
        if value is None or is_templated(value):
            continue
        valid = is_go_duration(value) or is_bare_number(value)
        if not valid or is_negative(value):
            hint = "a Go duration such as '30s' or '5m' (or seconds)"
            out.append(adoc.finding((*path, key), "backoff-duration",
                                    f"backoff {key} {value!r} must be {hint}"))
    factor = backoff.get("factor")
    if factor is not None and not is_templated(factor) and not (
            is_bare_number(factor) and int(factor) > 0):
        out.append(adoc.finding((*path, "factor"), "backoff-factor",
                                f"backoff factor {factor!r} must be a positive integer"))
    return out


def check_strategy(adoc: ArgoDoc, strategy: Any, path: Path_) -> list[Finding]:
    strategy = as_dict(strategy)
    out = []
    policy = strategy.get("retryPolicy")
    if policy not in (None, "") and policy not in RETRY_POLICIES:
        out.append(adoc.finding((*path, "retryPolicy"), "retry-policy",
                                f"{policy!r} is not one of {', '.join(RETRY_POLICIES)}"))
    backoff = strategy.get("backoff")
    if isinstance(backoff, dict):
        out += _backoff(adoc, backoff, (*path, "backoff"))
    return out


def check(adoc: ArgoDoc) -> list[Finding]:
    out = check_strategy(adoc, adoc.spec.get("retryStrategy"), adoc.at("retryStrategy"))
    defaults = as_dict(adoc.spec.get("templateDefaults"))
    out += check_strategy(adoc, defaults.get("retryStrategy"),
                          adoc.at("templateDefaults", "retryStrategy"))
    for t in adoc.templates:
        out += check_strategy(adoc, t.data.get("retryStrategy"), t.at("retryStrategy"))
    return out
