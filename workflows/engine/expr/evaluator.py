"""Evaluation of a parsed expression against nested variables, with expr-lang's typing.

Values are Go's as expr-lang sees them: ``bool``, ``int`` (int64, wrapping on overflow),
``float``, ``str``, ``nil`` (None), arrays (list/tuple) and maps (Mapping). Members and
indexes read Mappings and lists only; nothing here reads a Python attribute or calls
anything but the fixed ``FUNCTIONS``. ``&&``/``||``/``!``/``?:`` need booleans; ``+``
adds numbers or joins strings; ``-  *  %`` need numbers (``%`` integers, Go's sign);
``/`` always gives a float (``1/0`` is +Inf); ``<``-style comparisons need two numbers or
two strings; ``==`` is false across types (``1 == 1.0`` is true, ``true == 1`` false);
``in`` tests array membership or map keys; ``a ?? b`` is ``a`` unless it is nil; a map
literal is a map of strings. ``=~``/``!~`` (only parsed in a ``when``)
are govaluate's ``regexStage``/``notRegexStage``: both sides strings (its type checks
``isString``, ``isRegexOrString``), the right one a Go regexp (``go_regexp``) searched
for in the left.

Closures run as expr-lang's VM does: the collection must be an array; ``filter``,
``all``, ``any``, ``none``, ``one`` and ``count`` need a bool from the predicate;
``all``/``any``/``none`` stop at the first element that decides, ``filter``, ``map``,
``one`` and ``count`` visit every element. expr-lang's optimizer rewrites a few shapes to
stop earlier (``filter(..)[0]`` to ``find``, ``count(..) > 0`` to ``any``,
``all(xs, p) && all(xs, q)`` to one loop): there an element that would fail is never
reached, while here it fails the expression, loudly. ``MAX_VISITS`` bounds the
elements all closures of one evaluation visit.

A name the variables lack is its own text when ``strict`` is off (govaluate's reading
of ``Succeeded == Succeeded``) and an UnresolvedReference when on; a missing map key is
an UnresolvedReference (Argo's missing-variable check before expr-lang runs), except on
the left of a ``??``, where it is nil as expr-lang gives it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from typing import Any

from workflows.engine.expr.errors import EvaluationError, UnresolvedReference
from workflows.engine.expr.functions import FUNCTIONS, ValueFailure, is_number, type_name, wrap_int
from workflows.engine.expr.go_regexp import compile_go
from workflows.engine.expr.parser import (
    Access,
    Call,
    Chain,
    Closure,
    Literal,
    MapLiteral,
    Name,
    Node,
    Pointer,
    Ternary,
    Unary,
)

_MISSING = object()
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
MAX_VISITS = 100_000  # closure elements per evaluation; a literal array holds < 2048


class Namespace(dict[str, Any]):
    """A map that is also a value: ``outputs.parameters.rows`` beside ``...rows.path``."""

    __slots__ = ("leaf",)

    def __init__(self) -> None:
        super().__init__()
        self.leaf: Any = _MISSING


def nest(variables: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys (``inputs.parameters.run-date``) as nested maps; other keys unchanged."""
    root: dict[str, Any] = {}
    for key, value in variables.items():
        *parents, last = key.split(".")
        node = root
        for part in parents:
            child = node.get(part, _MISSING)
            if not isinstance(child, Namespace):
                namespace = Namespace()
                if isinstance(child, Mapping):
                    namespace.update(child)
                elif child is not _MISSING:
                    namespace.leaf = child
                node[part] = child = namespace
            node = child
        existing = node.get(last, _MISSING)
        if isinstance(existing, Namespace):
            existing.leaf = value
        else:
            node[last] = value
    return root


def _plain(value: Any) -> Any:
    if isinstance(value, Namespace) and value.leaf is not _MISSING:
        return value.leaf
    return value


def _equal(left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right):
        return bool(left == right)
    if type_name(left) != type_name(right):
        return False
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, Mapping):
        return left.keys() == right.keys() and all(_equal(left[k], right[k]) for k in left)
    return bool(left == right)


class Evaluator:
    def __init__(self, expr: str, variables: Mapping[str, Any], *, strict: bool) -> None:
        self.expr = expr
        self.variables = variables
        self.strict = strict
        self.scopes: list[tuple[Any, int]] = []  # (element, index) of each running closure
        self.visits = 0
        self.guarded = 0  # > 0 while evaluating the left side of a '??'


    def fail(self, message: str) -> EvaluationError:
        return EvaluationError(self.expr, message)

    def value(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Name | Access):
            return _plain(self.reference(node))
        if isinstance(node, Call):
            args = [self.value(arg) for arg in node.args]
            try:
                return FUNCTIONS[node.function].impl(*args)
            except ValueFailure as exc:
                raise self.fail(str(exc)) from None
        if isinstance(node, Unary):
            return self.unary(node.op, self.value(node.operand))
        if isinstance(node, Chain):
            return self.chain(node)
        if isinstance(node, Ternary):
            branch = node.then if self.boolean("?:", self.value(node.condition)) else node.otherwise
            return self.value(branch)
        if isinstance(node, Closure):
            return self.closure(node)
        if isinstance(node, Pointer):
            element, index = self.scopes[-1]  # the parser allows pointers only in predicates
            return index if node.name == "index" else element
        if isinstance(node, MapLiteral):
            # expr-lang's OpMap pops the pairs off its stack, last first: of two equal
            # keys the first one's value stays ({a: 1, a: 2} is {a: 1})
            pairs = [(key, self.value(value)) for key, value in node.pairs]
            return {key: value for key, value in reversed(pairs)}
        return [self.value(item) for item in node.items]  # Array

    def coalesce(self, node: Chain) -> Any:
        """``a ?? b ?? c``: the first operand that is not nil, the last one whatever it is
        (expr-lang's OpJumpIfNotNil). A map key missing on the left of a ``??`` is nil,
        as expr-lang's runtime fetch gives it and as Argo's ``guardVisitor`` exempts those
        members from its missing-variable check; a name missing there still fails, and
        so does a member of that nil (``cannot fetch x from <nil>``)."""
        operands = [node.first, *(operand for _, operand in node.rest)]
        for operand in operands[:-1]:
            self.guarded += 1  # (a ?? b) ?? c: b is on the left of the outer '??' too
            try:
                result = self.value(operand)
            finally:
                self.guarded -= 1
            if result is not None:
                return result
        return self.value(operands[-1])

    def closure(self, node: Closure) -> Any:
        """expr-lang's builtins over an array (compiler.go's BuiltinNode loops)."""
        items, name = self.value(node.collection), node.function
        if not isinstance(items, list | tuple):
            raise self.fail(f"builtin {name} takes only array (got {type_name(items)})")
        results: list[Any] = []
        for index, item in enumerate(items):
            self.visits += 1
            if self.visits > MAX_VISITS:
                raise self.fail(f"closures visit more than {MAX_VISITS} elements")
            self.scopes.append((item, index))
            try:
                result = item if node.predicate is None else self.value(node.predicate)
            finally:
                self.scopes.pop()
            if name == "map":
                results.append(result)
                continue
            verdict = self.boolean(f"{name} predicate", result)
            if name in ("all", "none") and verdict == (name == "none"):
                return False
            if name == "any" and verdict:
                return True
            if verdict:
                results.append(item)
        if name in ("all", "none", "any"):
            return name != "any"
        if name == "one":
            return len(results) == 1
        return len(results) if name == "count" else results

    def reference(self, node: Name | Access) -> Any:
        base, steps = (node, ()) if isinstance(node, Name) else (node.base, node.steps)
        if not isinstance(base, Name):
            current, path = self.value(base), "(...)"
        elif base.name in self.variables:
            current, path = self.variables[base.name], base.name
        elif self.strict or not all(isinstance(step, str) for step in steps):
            raise UnresolvedReference(base.name)
        else:
            return ".".join([base.name, *(str(step) for step in steps)])
        for step in steps:
            key = step if isinstance(step, str) else _plain(self.value(step))
            path += f".{key}" if isinstance(step, str) else f"[{key!r}]"
            current = self.step(current, key, path)
        return current

    def step(self, current: Any, key: Any, path: str) -> Any:
        if isinstance(current, Mapping):
            if not isinstance(key, str):
                raise self.fail(f"{path}: a map key must be a string, not {type_name(key)}")
            if key not in current:
                if self.guarded:
                    return None
                raise UnresolvedReference(path)
            return current[key]
        if isinstance(current, list | tuple):
            if not isinstance(key, int) or isinstance(key, bool):
                raise self.fail(f"{path}: an array index must be an integer")
            if not -len(current) <= key < len(current):
                raise self.fail(f"{path}: index out of range (length {len(current)})")
            return current[key]
        if current is None:
            raise self.fail(f"{path}: cannot fetch {key} from <nil>")
        raise self.fail(f"{path}: cannot read a member of a {type_name(_plain(current))}")

    def boolean(self, op: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"'{op}' needs a bool, got {type_name(value)}")
        return value

    def unary(self, op: str, operand: Any) -> Any:
        if op == "!":
            return not self.boolean("!", operand)
        if not is_number(operand):
            raise self.fail(f"'{op}' needs a number, got {type_name(operand)}")
        if op == "+":
            return operand
        return wrap_int(-operand) if isinstance(operand, int) else -operand

    def chain(self, node: Chain) -> Any:
        if node.rest[0][0] == "??":  # the parser keeps '??' a level of its own
            return self.coalesce(node)
        result = self.value(node.first)
        for op, operand in node.rest:
            if op in ("&&", "||"):
                # short-circuit as expr-lang does: the right side may not even be valid then
                if self.boolean(op, result) == (op == "||"):
                    continue
                result = self.boolean(op, self.value(operand))
            else:
                result = self.binary(op, result, self.value(operand))
        return result

    def binary(self, op: str, left: Any, right: Any) -> Any:
        if op in ("=~", "!~"):
            for value in (left, right):
                if not isinstance(value, str):
                    raise self.fail(f"Value '{_go_text(value)}' cannot be used with the "
                                    f"comparator '{op}', it is not a string")
            return (compile_go(right).search(left) is not None) == (op == "=~")
        if op in ("==", "!="):
            return _equal(left, right) == (op == "==")
        if op in ("in", "not in"):
            return self.contains(left, right) == (op == "in")
        if op in ("<", "<=", ">", ">="):
            if not (is_number(left) and is_number(right)) and not (
                isinstance(left, str) and isinstance(right, str)
            ):
                raise self.mismatch(op, left, right)
            return _ORDER[op](left, right)
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return left + right
        if not (is_number(left) and is_number(right)):
            raise self.mismatch(op, left, right)
        return self.arithmetic(op, left, right)

    def arithmetic(self, op: str, left: Any, right: Any) -> Any:
        if op == "/":
            if right == 0:
                if left == 0 or math.isnan(left):
                    return math.nan
                return math.copysign(math.inf, left) * math.copysign(1.0, float(right))
            return float(left) / float(right)
        if op == "%":
            if isinstance(left, float) or isinstance(right, float):
                raise self.mismatch(op, left, right)
            if right == 0:
                raise self.fail("integer divide by zero")
            remainder = abs(left) % abs(right)  # Go keeps the dividend's sign
            return -remainder if left < 0 else remainder
        result = {"+": left + right, "-": left - right, "*": left * right}[op]
        return wrap_int(result) if isinstance(result, int) else result

    def contains(self, needle: Any, haystack: Any) -> bool:
        if isinstance(haystack, list | tuple):
            return any(_equal(needle, item) for item in haystack)
        if isinstance(haystack, Mapping):
            return isinstance(needle, str) and needle in haystack
        raise self.fail(f"'in' needs an array or a map, got {type_name(haystack)}")

    def mismatch(self, op: str, left: Any, right: Any) -> EvaluationError:
        return self.fail(
            f"invalid operation: {type_name(left)} {op} {type_name(right)} (mismatched types)"
        )


def _go_text(value: Any) -> str:
    """``value`` as Go's ``%v`` prints govaluate's operands (numbers are float64)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value))
    return "<nil>" if value is None else str(value)
