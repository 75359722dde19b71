"""Text -> whitelisted syntax tree: node kinds, call shapes and sizes, no schema needed.

The text is parsed with ``ast.parse(mode="eval")`` and only walked, never compiled or run.
"""

from __future__ import annotations

import ast

from steps._core.errors import ConfigError
from steps._expr.expression import NOT_CONSTANT, OPERATORS, Expression, constant_value
from steps._expr.functions import FUNCTIONS
from steps._spec import suggest

MAX_CHARS = 1000
MAX_NODES = 250
MAX_DEPTH = 30
INT64 = (-(2**63), 2**63 - 1)

_REFUSED = {ast.Attribute: "attribute access", ast.Lambda: "lambda",
            ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
            ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
            ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-strings",
            ast.Starred: "*unpacking", ast.Await: "await", ast.Yield: "yield",
            ast.Dict: "dict literals", ast.Set: "set literals", ast.Slice: "slices"}


def parse(text: object, where: str = "expression") -> Expression:
    """Parse and whitelist-check ``text``; ConfigError naming it and the reason if refused."""
    if not isinstance(text, str):
        raise ConfigError(f"{where}: an expression must be a string, not {text!r} "
                          "(quote it in YAML)", expression=str(text))
    if len(text) > MAX_CHARS:
        raise ConfigError(f"{where}: invalid expression {text[:60]!r}...: it is {len(text)} "
                          f"characters long; the limit is {MAX_CHARS}", expression=text[:200])
    if not text.strip():
        raise ConfigError(f"{where}: the expression is empty", expression=text)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        at = f" at column {exc.offset}" if exc.offset and exc.offset > 0 else ""
        raise ConfigError(f"{where}: invalid expression {text!r}: syntax error{at}: {exc.msg}",
                          expression=text) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ConfigError(f"{where}: invalid expression {text!r}: cannot be parsed "
                          f"({type(exc).__name__})", expression=text) from None
    expr = Expression(text.strip(), tree.body, where)
    _Checker(expr).visit(tree.body, 0)
    return expr


class _Checker:
    """Static whitelist walk: node kinds, call shapes, sizes. No schema needed."""

    def __init__(self, expr: Expression) -> None:
        self.expr = expr
        self.nodes = 0

    def visit(self, node: ast.AST, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise self.expr.fail(f"it is too complex (more than {MAX_NODES} parts or "
                                 f"{MAX_DEPTH} levels of nesting)")
        fail = self.expr.fail
        if isinstance(node, ast.Attribute):
            raise fail(f"attribute access (.{node.attr}) is not allowed", node)
        for kind, what in _REFUSED.items():
            if isinstance(node, kind):
                raise fail(f"{what} {'are' if what.endswith('s') else 'is'} not allowed", node)
        if isinstance(node, ast.Constant):
            if node.value is not None and not isinstance(node.value, (bool, int, float, str)):
                raise fail(f"constants of type {type(node.value).__name__} are not allowed",
                           node)
            if type(node.value) is int and not INT64[0] <= node.value <= INT64[1]:
                raise fail("integer constant out of the int64 range", node)
            return
        if isinstance(node, ast.Name):
            if node.id == "df":
                raise fail('`df` alone is not a column; write df["column"]', node)
            return
        if isinstance(node, ast.Subscript):
            if not (isinstance(node.value, ast.Name) and node.value.id == "df"
                    and isinstance(node.slice, ast.Constant)
                    and isinstance(node.slice.value, str)):
                raise fail('only df["column"] subscripts are allowed', node)
            return
        if isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.BinOp) and type(node.op) not in OPERATORS:
            raise fail(f"operator {type(node.op).__name__} is not allowed", node)
        elif isinstance(node, ast.Compare):
            self._compare(node)
        elif isinstance(node, (ast.List, ast.Tuple)):
            raise fail("a list is only allowed after `in` or `not in`", node)
        elif not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.IfExp)):
            raise fail(f"{type(node).__name__} is not allowed", node)
        for child in ast.iter_child_nodes(node):
            # lists after `in` hold constants only, checked in _compare
            if not isinstance(child, (ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
                                      ast.List, ast.Tuple)):
                self.visit(child, depth + 1)

    def _call(self, node: ast.Call) -> None:
        fail = self.expr.fail
        if isinstance(node.func, ast.Attribute):
            raise fail(f"attribute access (.{node.func.attr}) is not allowed", node.func)
        if not isinstance(node.func, ast.Name):
            raise fail("only the listed functions can be called", node)
        name = node.func.id
        if name not in FUNCTIONS:
            raise fail(f"unknown function {name}(){suggest(name, FUNCTIONS)}; allowed "
                       f"functions: {', '.join(FUNCTIONS)}", node)
        if node.keywords:
            raise fail(f"{name}() takes no keyword arguments", node)
        low, high = FUNCTIONS[name]
        if not low <= len(node.args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise fail(f"{name}() takes {want} argument(s), got {len(node.args)}", node)

    def _compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if len(node.ops) > 1 and isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)):
                raise self.expr.fail("`in` and `is` cannot be chained with other "
                                     "comparisons; use `and`", node)
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(right, (ast.List, ast.Tuple)):
                    raise self.expr.fail("`in` needs a list of constants, like x in [1, 2]",
                                         right)
                for item in right.elts:
                    if constant_value(item) is NOT_CONSTANT:
                        raise self.expr.fail("a list after `in` may hold only constants",
                                             item)
            elif isinstance(op, (ast.Is, ast.IsNot)) and constant_value(right) is not None:
                raise self.expr.fail("`is` is only allowed as `is None`/`is not None`",
                                     node)
