"""Expression tags the engine cannot evaluate, found before the run.

Argo evaluates every ``{{=...}}`` of a template with expr-lang when it substitutes the
template (``SubstituteParams``): in parameter values and defaults, a script's source,
commands, env, artifact keys. The engine's evaluator knows a subset of expr-lang; a tag it
cannot parse (syntax it lacks, a function it does not have, such as ``jsonpath``) would
only fail when the node runs, as an Error where Argo succeeds. So each one is refused
here with its YAML path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workflows.engine.expr import UnsupportedExpression, template_tags, validate_expression


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")


def problems(spec: Any, path: str, doc: str) -> list[str]:
    """``<doc>: <YAML path>: <why>`` for each expression tag under ``spec`` (the
    templates and the workflow's arguments) that the engine cannot evaluate."""
    found: list[str] = []
    if not isinstance(spec, dict):
        return found
    for key in ("arguments", "templates"):
        for where, text in _strings(spec.get(key), f"{path}.{key}"):
            if "{{" not in text:
                continue
            for tag in template_tags(text):
                if not tag.expression:
                    continue
                try:
                    validate_expression(tag.body)
                except UnsupportedExpression as exc:
                    found.append(f"{doc}: {where}: {exc}; the local engine cannot evaluate "
                                 "it")
    return found
