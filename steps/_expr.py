"""The safe expression language of transform (filters, computed columns): text -> polars.

Expressions come from spec files and Argo UI parameters, so they are untrusted. They are
parsed with ``ast.parse(mode="eval")`` and walked against a strict whitelist; Python never
evaluates them (no eval, exec or compile to code). Each allowed node is translated into a
polars expression, and each piece is type-checked on an empty frame with the input's
schema, so a mistake is a :class:`ConfigError` naming the expression and the reason before
any data is touched.

Allowed: column names (``valor``) and ``df["col"]``; constants (numbers, strings, True,
False, None); ``+ - * / // % **``; comparisons (chains too), ``in``/``not in`` a list of
constants, ``is None``/``is not None``; ``and or not``; ``a if cond else b``; the functions
in :data:`FUNCTIONS`. Everything else (attributes, lambdas, comprehensions, keyword
arguments, other functions) is refused. docs/expressions.md is the user's guide.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steps._core.errors import ConfigError
from steps._spec import suggest, type_name_of

MAX_CHARS = 1000
MAX_NODES = 250
MAX_DEPTH = 30
INT64 = (-(2**63), 2**63 - 1)

# name -> (min args, max args); the argument kinds are checked while building.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "abs": (1, 1), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1),
    "lower": (1, 1), "upper": (1, 1), "strip": (1, 1), "length": (1, 1),
    "contains": (2, 2), "startswith": (2, 2), "endswith": (2, 2), "concat": (2, 50),
    "coalesce": (2, 50), "is_null": (1, 1), "is_not_null": (1, 1),
    "year": (1, 1), "month": (1, 1), "day": (1, 1), "hour": (1, 1),
    "date": (1, 1), "timestamp": (1, 1),
}
_OPS = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__",
        ast.FloorDiv: "__floordiv__", ast.Mod: "__mod__", ast.Pow: "__pow__"}
_CMP = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__",
        ast.Gt: "__gt__", ast.GtE: "__ge__"}
_REFUSED = {ast.Attribute: "attribute access", ast.Lambda: "lambda",
            ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
            ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
            ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-strings",
            ast.Starred: "*unpacking", ast.Await: "await", ast.Yield: "yield",
            ast.Dict: "dict literals", ast.Set: "set literals", ast.Slice: "slices"}


@dataclass(frozen=True)
class Expression:
    """A checked expression: safe to translate, not yet bound to a schema."""

    text: str
    tree: ast.expr
    where: str

    def fail(self, reason: str, node: ast.AST | None = None) -> ConfigError:
        part = ast.get_source_segment(self.text, node) if node is not None else None
        at = f" (at {part!r})" if part and part != self.text.strip() else ""
        return ConfigError(f"{self.where}: invalid expression {self.text!r}: {reason}{at}",
                           expression=self.text)

    def compile(self, schema: Mapping[str, Any]) -> tuple[Any, Any]:
        """The polars expression over a frame with ``schema`` (name -> dtype), and its dtype."""
        return _Builder(self, schema).build(self.tree)

    def to_polars(self, schema: Mapping[str, Any]) -> Any:
        return self.compile(schema)[0]


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


def date_literal(expr: Expression, node: ast.AST, value: str, kind: str) -> dt.date:
    """``value`` as an ISO date (``kind='date'``) or timestamp; ConfigError otherwise."""
    try:
        if kind == "date":
            return dt.date.fromisoformat(value)
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise expr.fail(f"{value!r} is not an ISO {kind} (e.g. 2024-01-31"
                        f"{'' if kind == 'date' else 'T13:45:00'})", node) from None
    if parsed.tzinfo is not None:  # timestamps are naive UTC by convention (docs)
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed


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
        elif isinstance(node, ast.BinOp) and type(node.op) not in _OPS:
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
                    if constant_value(item) is _NOT_CONSTANT:
                        raise self.expr.fail("a list after `in` may hold only constants",
                                             item)
            elif isinstance(op, (ast.Is, ast.IsNot)) and constant_value(right) is not None:
                raise self.expr.fail("`is` is only allowed as `is None`/`is not None`",
                                         node)


_NOT_CONSTANT = object()


def constant_value(node: ast.AST) -> Any:
    """The value of a constant or negated number node, else ``_NOT_CONSTANT``."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(
            node.value, (bool, int, float, str))):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)):
        return -node.operand.value
    return _NOT_CONSTANT



_KINDS = {"number": "Float64", "string": "String", "boolean": "Boolean",
          "timestamp": "Datetime", "date or timestamp": "Datetime"}


class _Builder:
    """Translate a checked tree into polars, type-checking each part on an empty frame."""

    def __init__(self, expr: Expression, schema: Mapping[str, Any]) -> None:
        import polars as pl  # deferred: steps import this module for --help

        self.pl = pl
        self.expr = expr
        self.schema = dict(schema)
        self.empty = pl.DataFrame(schema=self.schema)

    def typed(self, node: ast.AST, e: Any) -> tuple[Any, Any]:
        try:
            dtype = self.empty.select(e.alias("_")).schema["_"]
        except self.pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0][:300]
            raise self.expr.fail(f"it does not fit the data's types: {reason}", node) from None
        return e, dtype

    def need(self, node: ast.AST, kind: str, what: str) -> Any:
        """Build ``node`` and insist its type is ``kind``; an all-null column is cast."""
        e, dtype = self.build(node)
        if dtype == self.pl.Null:
            return e.cast(getattr(self.pl, _KINDS[kind]))
        ok = {"number": dtype.is_numeric(), "string": dtype == self.pl.String,
              "boolean": dtype == self.pl.Boolean,
              "timestamp": isinstance(dtype, self.pl.Datetime),
              "date or timestamp": dtype == self.pl.Date or isinstance(dtype, self.pl.Datetime),
              }[kind]
        if not ok:
            hint = " (cast it in the spec's `cast` section first)" if dtype == self.pl.String \
                else ""
            raise self.expr.fail(f"{what} needs a {kind}, but "
                                 f"{ast.get_source_segment(self.expr.text, node)!r} is "
                                 f"{type_name_of(dtype)}{hint}", node)
        return e

    def build(self, node: ast.AST) -> tuple[Any, Any]:
        pl = self.pl
        value = constant_value(node)
        if value is not _NOT_CONSTANT:
            dtype = {bool: pl.Boolean, int: pl.Int64, float: pl.Float64, str: pl.String,
                     type(None): pl.Null}[type(value)]
            return self.typed(node, pl.lit(value, dtype=dtype))
        if isinstance(node, (ast.Name, ast.Subscript)):
            return self.column(node)
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left)[0], self.build(node.right)[0]
            if isinstance(node.op, ast.Pow):  # int64 powers overflow silently; floats do not
                left = left.cast(pl.Float64)
            return self.typed(node, getattr(left, _OPS[type(node.op)])(right))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return self.typed(node, self.need(node.operand, "boolean", "`not`").not_())
            operand = self.need(node.operand, "number", "a sign")
            return self.typed(node, -operand if isinstance(node.op, ast.USub) else operand)
        if isinstance(node, ast.BoolOp):
            word = "`and`" if isinstance(node.op, ast.And) else "`or`"
            parts = [self.need(v, "boolean", word) for v in node.values]
            combined = parts[0]
            for part in parts[1:]:
                combined = combined & part if isinstance(node.op, ast.And) else combined | part
            return self.typed(node, combined)
        if isinstance(node, ast.IfExp):
            test = self.need(node.test, "boolean", "the condition of `if`")
            body, orelse = self.build(node.body)[0], self.build(node.orelse)[0]
            return self.typed(node, pl.when(test).then(body).otherwise(orelse))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        assert isinstance(node, ast.Call), "the checker lets nothing else through"
        return self.typed(node, self.call(node))

    def column(self, node: ast.Name | ast.Subscript) -> tuple[Any, Any]:
        if isinstance(node, ast.Name):
            name = node.id
        else:
            assert isinstance(node.slice, ast.Constant)
            name = str(node.slice.value)
        if name not in self.schema:
            cols = ", ".join(self.schema) or "none"
            raise self.expr.fail(f"unknown column {name!r}{suggest(name, self.schema)}; "
                                 f"columns: {cols}", node)
        return self.pl.col(name), self.schema[name]

    def operands(self, left: ast.expr, right: ast.expr) -> tuple[Any, Any]:
        """Both sides of a comparison; an ISO string beside a date/timestamp is parsed."""
        pl = self.pl
        le, ltype = self.build(left)
        re_, rtype = self.build(right)
        for const, otype in ((left, rtype), (right, ltype)):
            value = constant_value(const)
            if isinstance(value, str) and otype.is_temporal() and otype != pl.Duration:
                lit = pl.lit(date_literal(self.expr, const, value,
                                          "date" if otype == pl.Date else "timestamp"))
                le, re_ = (lit, re_) if const is left else (le, lit)
        return le, re_

    def compare(self, node: ast.Compare) -> tuple[Any, Any]:
        parts = []
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                assert isinstance(right, (ast.List, ast.Tuple))
                part = self.is_in(left, right)
                parts.append(part.not_() if isinstance(op, ast.NotIn) else part)
            elif isinstance(op, (ast.Is, ast.IsNot, ast.Eq, ast.NotEq)) and None in (
                    constant_value(left), constant_value(right)):
                other = right if constant_value(left) is None else left
                e = self.build(other)[0]
                parts.append(e.is_null() if isinstance(op, (ast.Is, ast.Eq)) else e.is_not_null())
            else:
                le, re_ = self.operands(left, right)
                parts.append(getattr(le, _CMP[type(op)])(re_))
            left = right
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return self.typed(node, combined)

    def is_in(self, left: ast.expr, right: ast.List | ast.Tuple) -> Any:
        pl = self.pl
        e, dtype = self.build(left)
        values = [constant_value(v) for v in right.elts]
        present = [v for v in values if v is not None]
        kinds = {"number" if type(v) in (int, float) else type(v).__name__ for v in present}
        if len(kinds) > 1:
            raise self.expr.fail(f"the list mixes {' and '.join(sorted(kinds))}", right)
        if dtype.is_numeric() and kinds <= {"number"}:
            floaty = dtype.is_float() or dtype.is_decimal() or any(
                type(v) is float for v in present)
            target = pl.Float64 if floaty else pl.Int64
            e, items = e.cast(target), pl.Series(present, dtype=target)
        elif dtype.is_temporal() and kinds <= {"str"} and dtype != pl.Duration:
            kind = "date" if dtype == pl.Date else "timestamp"
            items = pl.Series([date_literal(self.expr, v_node, v, kind) for v_node, v in zip(
                right.elts, values, strict=True) if v is not None]).cast(dtype)
        elif (dtype == pl.String and kinds <= {"str"}) or (dtype == pl.Boolean
                                                            and kinds <= {"bool"}):
            items = pl.Series(present, dtype=dtype)
        else:
            raise self.expr.fail(f"cannot look for {type_name_of(dtype)} values in a list "
                                 f"of {' and '.join(sorted(kinds)) or 'nothing'}", right)
        found = e.is_in(items.implode())
        return found | e.is_null() if len(present) < len(values) else found

    def call(self, node: ast.Call) -> Any:
        pl = self.pl
        assert isinstance(node.func, ast.Name)
        name, args = node.func.id, node.args
        what = f"{name}()"
        if name in ("abs", "floor", "ceil", "round"):
            e = self.need(args[0], "number", what)
            if name == "round":
                digits = constant_value(args[1]) if len(args) > 1 else 0
                if type(digits) is not int or not 0 <= digits <= 18:
                    raise self.expr.fail("round()'s second argument must be a whole number "
                                         "of decimals from 0 to 18", node)
                return e.round(digits)
            if name != "abs" and self.build(args[0])[1].is_integer():
                return e
            return getattr(e, name)()
        if name in ("lower", "upper", "strip", "length"):
            e = self.need(args[0], "string", what)
            return {"lower": e.str.to_lowercase, "upper": e.str.to_uppercase,
                    "strip": e.str.strip_chars,
                    "length": lambda: e.str.len_chars().cast(pl.Int64)}[name]()
        if name in ("contains", "startswith", "endswith"):
            e = self.need(args[0], "string", what)
            text = constant_value(args[1])
            if not isinstance(text, str):
                raise self.expr.fail(f"{what}'s second argument must be a string constant",
                                     node)
            if name == "contains":
                return e.str.contains(text, literal=True)
            return e.str.starts_with(text) if name == "startswith" else e.str.ends_with(text)
        if name == "concat":
            return pl.concat_str([self.build(a)[0].cast(pl.String) for a in args])
        if name == "coalesce":
            return pl.coalesce([self.build(a)[0] for a in args])
        if name in ("is_null", "is_not_null"):
            e = self.build(args[0])[0]
            return e.is_null() if name == "is_null" else e.is_not_null()
        if name in ("date", "timestamp"):
            return self.temporal(node, name)
        kind = "timestamp" if name == "hour" else "date or timestamp"
        return getattr(self.need(args[0], kind, what).dt, name)().cast(pl.Int64)

    def temporal(self, node: ast.Call, name: str) -> Any:
        pl = self.pl
        value = constant_value(node.args[0])
        if isinstance(value, str):
            parsed = date_literal(self.expr, node.args[0], value, name)
            return pl.lit(parsed, dtype=pl.Date if name == "date" else pl.Datetime("us"))
        e = self.need(node.args[0], "date or timestamp", f"{name}()")
        return e.cast(pl.Date) if name == "date" else e.cast(pl.Datetime("us"))
