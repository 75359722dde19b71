"""No secrets in parameters or literal env values.

Parameters are stored in the Workflow object and shown in the UI, and a literal env value
sits in the manifest: secrets belong in a Secret (``valueFrom.secretKeyRef``). A value is
suspect when its name says secret (password, token, api_key, dsn, ...) and it is a literal,
or when the value itself looks like a credential (``user:pass@`` in a URL, ``Bearer ...``,
an AWS access key id, a private key, GitHub/Slack tokens).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workflows.lint.argo import as_dict
from workflows.lint.expressions import PLACEHOLDER
from workflows.lint.findings import Finding, Path_
from workflows.lint.loader import Document

SECRET_NAME = re.compile(r"pass(word|wd)|pwd|secret|token|api[-_]?key|dsn|credential|"
                         r"private[-_]?key|access[-_]?key", re.I)
# names that point at a secret rather than hold one (db-secret-name, token_path, ...)
REFERENCE_NAME = re.compile(r"(name|names|ref|path|file|dir|mount|kind|type|ttl|expiry|url|"
                            r"endpoint|header|length|len)$", re.I)
CREDENTIAL_VALUE = [
    (re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@{}]+:[^/\s@{}]+@", re.I), "a URL with a password"),
    (re.compile(r"\bBearer\s+[A-Za-z0-9._~+/-]{8,}"), "a bearer token"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"hooks\.slack\.com/services/[A-Za-z0-9/]+"), "a Slack webhook URL"),
]


def _literal(value: Any) -> str:
    """The part of a value that is not a ``{{...}}`` placeholder."""
    return PLACEHOLDER.sub("", str(value)).strip() if value is not None else ""


def secret_reason(name: Any, value: Any) -> str | None:
    """Why a (name, value) pair looks like a secret, or None."""
    literal = _literal(value)
    if not literal:
        return None
    for pattern, what in CREDENTIAL_VALUE:
        if pattern.search(literal):
            return f"its value looks like {what}"
    name = str(name or "")
    if SECRET_NAME.search(name) and not REFERENCE_NAME.search(name):
        return f"{name!r} names a secret and has a literal value"
    return None


def _lists(value: Any, path: Path_) -> Iterator[tuple[str, list[Any], Path_]]:
    """Every list under a ``parameters`` or ``env`` key, with its path."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("parameters", "env") and isinstance(item, list):
                yield key, item, (*path, key)
            else:
                yield from _lists(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _lists(item, (*path, i))


def check(doc: Document) -> list[Finding]:
    out: list[Finding] = []
    for key, items, path in _lists(doc.data.get("spec"), ("spec",)):
        for i, item in enumerate(items):
            item = as_dict(item)
            if key == "env":
                reason = secret_reason(item.get("name"), item.get("value"))
                if reason and "value" in item:
                    out.append(doc.finding((*path, i, "value"), "secret-env",
                                           f"env {item.get('name')!r}: {reason}; use "
                                           "valueFrom.secretKeyRef"))
                continue
            fields = [("value", item.get("value")), ("default", item.get("default")),
                      ("valueFrom.default", as_dict(item.get("valueFrom")).get("default"))]
            for where, value in fields:
                reason = secret_reason(item.get("name"), value)
                if reason:
                    out.append(doc.finding((*path, i, *where.split(".")), "secret-parameter",
                                           f"parameter {item.get('name')!r}: {reason}; pass "
                                           "secrets through a Secret, never a parameter"))
                    break
    return out
