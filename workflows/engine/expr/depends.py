"""Argo's DAG ``depends`` logic (Enhanced Depends Logic, as the v4 controller runs it).

Grammar: operands ``task`` or ``task.Result`` joined by ``&&``, ``||``, ``!`` and
parentheses. Task names are ``[A-Za-z0-9_][-A-Za-z0-9_]*``. Results (node phase of the
task, or of its items for a fanned-out task):

=============  ============================================================
Succeeded      phase Succeeded
Failed         phase Failed
Errored        phase Error
Skipped        phase Skipped (its ``when`` was false)
Omitted        phase Omitted (its ``depends`` was false)
Daemoned       a daemon task whose phase is not Pending
AnySucceeded   a task group (withItems/withParam) with at least one item Succeeded
AllFailed      a task group with items, every one Failed
=============  ============================================================

A bare ``task`` means ``(task.Succeeded || task.Skipped || task.Daemoned)``, plus
``|| task.Errored`` / ``|| task.Failed`` when that task has ``continueOn.error`` /
``continueOn.failed`` (Argo's ``expandDependency``). ``dependencies: [a, b]`` is
``a && b``. Any other result, ``.Completed`` included (an early draft of the feature,
refused by Argo's validation since v2.9), raises UnsupportedExpression with Argo's
message. Like the controller, the expression is evaluated only once every task it names
is fulfilled (a finished phase, or a daemon past Pending); before that it gives None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.lexer import MAX_LENGTH
from workflows.engine.expr.parser import MAX_DEPTH

PHASES = frozenset({"Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted"})
FINISHED = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
_TASK_RESULTS = frozenset({"Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned"})
RESULTS = _TASK_RESULTS | {"AnySucceeded", "AllFailed"}
_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\))|([A-Za-z0-9_][-A-Za-z0-9_]*)(?:\.([A-Za-z]\w*))?)")


@dataclass(frozen=True, slots=True)
class TaskState:
    """What ``depends`` needs of a task: its node phase, whether it is a daemon, and the
    phases of its items when it fans out (None when it does not)."""

    phase: str
    daemoned: bool = False
    children: tuple[str, ...] | None = None

    @property
    def fulfilled(self) -> bool:
        return self.phase in FINISHED or (self.daemoned and self.phase != "Pending")

    def result(self, name: str) -> bool:
        if name == "Daemoned":
            return self.daemoned and self.phase != "Pending"
        if name == "AnySucceeded":
            return any(phase == "Succeeded" for phase in self.children or ())
        if name == "AllFailed":
            return bool(self.children) and all(phase == "Failed" for phase in self.children or ())
        return self.phase == ("Error" if name == "Errored" else name)


@dataclass(frozen=True, slots=True)
class _Operand:
    task: str
    result: str | None


@dataclass(frozen=True, slots=True)
class _Op:
    op: str  # "&&", "||" or "!"
    operands: tuple[_Node, ...]


_Node = Union[_Operand, _Op]  # noqa: UP007


def dependencies_to_depends(dependencies: Sequence[str]) -> str:
    """The ``depends`` equal to a ``dependencies`` list."""
    return " && ".join(dependencies)


def depends_tasks(expr: str) -> frozenset[str]:
    """The task names ``expr`` refers to (validating it on the way)."""
    tree = _parse(expr)
    names: set[str] = set()
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, _Operand):
            names.add(node.task)
        else:
            stack.extend(node.operands)
    return frozenset(names)


def evaluate_depends(
    expr: str,
    results: Mapping[str, str | TaskState],
    *,
    continue_on: Mapping[str, Mapping[str, Any]] | None = None,
) -> bool | None:
    """True to run the task, False to omit it, None while a task it names is unfinished.

    ``results`` maps a task name to its phase, or to a TaskState for a daemon or a
    fanned-out task; a task absent from it has not started. ``continue_on`` maps a task
    name to its ``continueOn`` (``{"failed": true, "error": true}``).
    """
    tree = _parse(expr)
    if tree is None:
        return True
    states: dict[str, TaskState] = {}
    for task in depends_tasks(expr):
        given = results.get(task)
        if given is None:
            return None
        state = TaskState(given) if isinstance(given, str) else given
        if state.phase not in PHASES:
            raise ValueError(f"task {task!r} has an unknown phase {state.phase!r}")
        if not state.fulfilled:
            return None
        states[task] = state
    return _evaluate(tree, states, continue_on or {})


def _evaluate(node: _Node, states: Mapping[str, TaskState], continue_on: Mapping[str, Any]) -> bool:
    if isinstance(node, _Operand):
        state = states[node.task]
        if node.result is not None:
            return state.result(node.result)
        accepted = ["Succeeded", "Skipped", "Daemoned"]
        extra = continue_on.get(node.task) or {}
        accepted += ["Errored"] * bool(extra.get("error")) + ["Failed"] * bool(extra.get("failed"))
        return any(state.result(name) for name in accepted)
    if node.op == "!":
        return not _evaluate(node.operands[0], states, continue_on)
    values = (_evaluate(operand, states, continue_on) for operand in node.operands)
    return all(values) if node.op == "&&" else any(values)


@lru_cache(maxsize=512)
def _parse(expr: str) -> _Node | None:
    if len(expr) > MAX_LENGTH:
        raise UnsupportedExpression(expr, f"longer than {MAX_LENGTH} characters")
    if not expr.strip():
        return None
    tokens: list[tuple[str, str, str | None]] = []  # ("op", op, None) or ("task", name, result)
    pos = 0
    while pos < len(expr.rstrip()):
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise UnsupportedExpression(expr, f"unexpected {expr[pos:].strip()[:1]!r} in depends")
        op, task, result = match.groups()
        if result is not None and result not in RESULTS:
            raise UnsupportedExpression(
                expr, f"task result '{result}' for task '{task}' is invalid"
            )
        tokens.append(("op", op, None) if op else ("task", task, result))
        pos = match.end()
    return _DependsParser(expr, tokens).parse()


class _DependsParser:
    def __init__(self, expr: str, tokens: list[tuple[str, str, str | None]]) -> None:
        self.expr, self.tokens, self.index, self.depth = expr, tokens, 0, 0

    def fail(self, construct: str) -> UnsupportedExpression:
        return UnsupportedExpression(self.expr, construct)

    def peek(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "op":
            return self.tokens[self.index][1]
        return None

    def parse(self) -> _Node:
        node = self.binary("||")
        if self.index < len(self.tokens):
            raise self.fail(f"unexpected '{self.tokens[self.index][1]}' in depends")
        return node

    def binary(self, op: str) -> _Node:
        operands = [self.binary("&&") if op == "||" else self.unary()]
        while self.peek() == op:
            self.index += 1
            operands.append(self.binary("&&") if op == "||" else self.unary())
        return operands[0] if len(operands) == 1 else _Op(op, tuple(operands))

    def unary(self) -> _Node:
        if self.index >= len(self.tokens):
            raise self.fail("depends ends where a task was expected")
        kind, value, result = self.tokens[self.index]
        self.index += 1
        if kind == "task":
            return _Operand(value, result)
        if value not in ("!", "("):
            raise self.fail(f"unexpected '{value}' in depends")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")
        node = _Op("!", (self.unary(),)) if value == "!" else self.binary("||")
        if value == "(":
            if self.peek() != ")":
                raise self.fail("a '(' is not closed in depends")
            self.index += 1
        self.depth -= 1
        return node
