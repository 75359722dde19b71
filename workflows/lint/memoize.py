"""memoize: keys that always match ``^[a-zA-Z0-9][-a-zA-Z0-9]*$``, and a Go-duration maxAge.

Argo does not check keys; a bad one errors the node at run time. Besides the literal parts,
each placeholder is traced back to what feeds it (an input's default, the arguments of
every task or step that calls the template, the workflow arguments and those of a
CronWorkflow using the template) to find one that can carry ``:`` or ``.``, such as a raw
``{{workflow.scheduledTime}}``. An expression that calls a function
(``{{=sprig.sha256sum(...)}}``) is trusted; one that only reads a variable is traced.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.durations import is_go_duration
from workflows.argo.names import MEMOIZE_KEY, MEMOIZE_KEY_CHAR
from workflows.lint.argo import ArgoDoc, Template, as_dict, as_list
from workflows.lint.durations import is_bare_number, is_negative, is_templated
from workflows.lint.expressions import PLACEHOLDER, expression_variables, placeholders
from workflows.lint.findings import Finding
from workflows.lint.lintset import LintSet

_UNSAFE = {
    "workflow.scheduledTime": "an RFC 3339 time (it has ':')",
    "workflow.creationTimestamp": "an RFC 3339 time (it has ':')",
    "workflow.duration": "a decimal number (it has '.')",
    "workflow.failures": "JSON",
    "workflow.parameters": "JSON",
    "workflow.parameters.json": "JSON",
    "inputs.parameters": "JSON",
}
# strftime letters whose output only has letters, digits and '-'
_SAFE_STRFTIME = set("YCymdjHIMSFGgVUuWwaAbBhps")
_MAX_DEPTH = 8


class _Tracer:
    def __init__(self, lint: LintSet) -> None:
        self.lint = lint
        self.seen: set[tuple[int, str, str]] = set()

    def value(self, doc: ArgoDoc, template: Template | None, value: Any, depth: int) -> str | None:
        """Why ``value`` (a literal with placeholders) can break a key, or None."""
        text = str(value)
        bad = sorted({c for c in PLACEHOLDER.sub("", text) if not MEMOIZE_KEY_CHAR.match(c)})
        if bad:
            return f"{text!r} contains {''.join(bad)!r}"
        for tag in placeholders(text):
            reason = self.tag(doc, template, tag, depth)
            if reason:
                return reason
        return None

    def tag(self, doc: ArgoDoc, template: Template | None, tag: str, depth: int) -> str | None:
        if depth > _MAX_DEPTH:
            return None
        if tag.startswith("="):
            # a bare variable passes its value through; a function call is trusted
            variables = expression_variables(tag[1:])
            if "(" in tag or len(variables) != 1:
                return None
            return self.tag(doc, template, variables[0], depth)
        if tag in _UNSAFE:
            return f"{{{{{tag}}}}} is {_UNSAFE[tag]}"
        if tag.startswith("workflow.creationTimestamp."):
            part = tag.rsplit(".", 1)[-1]
            ok = len(part) == 1 and part in _SAFE_STRFTIME
            return None if ok else f"{{{{{tag}}}}} can contain ':' or spaces"
        key = (id(template), tag, doc.doc.file)
        if key in self.seen:
            return None
        self.seen.add(key)
        for src_doc, src_template, value in self._sources(doc, template, tag):
            reason = self.value(src_doc, src_template, value, depth + 1)
            if reason:
                return f"{{{{{tag}}}}} <- {reason}"
        return None

    def _args(self, doc: ArgoDoc, name: str) -> list[tuple[ArgoDoc, Template | None, Any]]:
        holders = [doc, *self.lint.referrers(doc)]
        out: list[tuple[ArgoDoc, Template | None, Any]] = []
        for holder in holders:
            for param in as_list(as_dict(holder.spec.get("arguments")).get("parameters")):
                if as_dict(param).get("name") == name and "value" in param:
                    out.append((holder, None, param["value"]))
        return out

    def _sources(self, doc: ArgoDoc, template: Template | None,
                 tag: str) -> list[tuple[ArgoDoc, Template | None, Any]]:
        parts = tag.split(".", 2)
        if len(parts) != 3:
            return []
        if parts[:2] == ["workflow", "parameters"]:
            out = self._args(doc, parts[2])
            # templateRef runs templates inside the caller's workflow
            callers = {id(c): c for t in doc.templates for c, _ in self.lint.callers(doc, t)
                       if c is not doc}
            for caller in callers.values():
                out += self._args(caller, parts[2])
            return out
        if parts[:2] != ["inputs", "parameters"] or template is None:
            return []
        out = []
        for param in as_list(as_dict(template.data.get("inputs")).get("parameters")):
            if as_dict(param).get("name") == parts[2]:
                out += [(doc, None, param[k]) for k in ("value", "default") if k in param]
        for caller_doc, call in self.lint.callers(doc, template):
            for arg in as_list(as_dict(call.node.get("arguments")).get("parameters")):
                if as_dict(arg).get("name") == parts[2] and "value" in arg:
                    out.append((caller_doc, call.owner, arg["value"]))
        if template.name in (doc.spec.get("entrypoint"), doc.spec.get("onExit")):
            out += self._args(doc, parts[2])
        return out


def _key(lint: LintSet, adoc: ArgoDoc, t: Template, key: Any) -> list[Finding]:
    path = t.at("memoize", "key")
    text = "" if key is None else str(key)
    if not text.strip():
        return [adoc.finding(path, "memoize-key", "memoize key is empty")]
    literal = PLACEHOLDER.sub("", text)
    bad = sorted({c for c in literal if not MEMOIZE_KEY_CHAR.match(c)})
    if bad:
        return [adoc.finding(path, "memoize-key",
                             f"memoize key {text!r} has {''.join(bad)!r}; keys must match "
                             f"{MEMOIZE_KEY.pattern}")]
    if not text.startswith("{{") and not text[0].isalnum():
        return [adoc.finding(path, "memoize-key",
                             f"memoize key {text!r} must start with a letter or digit")]
    tracer = _Tracer(lint)
    for tag in placeholders(text):
        reason = tracer.tag(adoc, t, tag, 0)
        if reason:
            return [adoc.finding(path, "memoize-key",
                                 f"memoize key {text!r} can get characters a key cannot hold: "
                                 f"{reason}")]
    return []


def check(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    for t in adoc.templates:
        memo = t.data.get("memoize")
        if not isinstance(memo, dict):
            continue
        if "key" in memo:
            out += _key(lint, adoc, t, memo.get("key"))
        age = memo.get("maxAge")
        if age is not None and not is_templated(age):
            if is_bare_number(age) and str(age).strip("+-") != "0":
                out.append(adoc.finding(t.at("memoize", "maxAge"), "memoize-max-age",
                                        f"maxAge {age!r} is a bare number; write a Go duration "
                                        "such as '1h' or '3600s'"))
            elif not is_go_duration(age) or is_negative(age):
                out.append(adoc.finding(t.at("memoize", "maxAge"), "memoize-max-age",
                                        f"maxAge {age!r} is not a Go duration such as '1h'"))
    return out
