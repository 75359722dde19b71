"""Translate a checked tree into a polars expression, type-checking each part.

Each part is selected on an empty frame with the input's schema, so a type mistake is a
:class:`~steps._core.errors.ConfigError` naming the part before any data is touched.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

import polars as pl

from steps._expr import functions
from steps._expr.expression import (
    COMPARISONS,
    NOT_CONSTANT,
    OPERATORS,
    Expression,
    constant_value,
    date_literal,
)
from steps._spec import suggest, type_name_of

_KINDS = {"number": "Float64", "string": "String", "boolean": "Boolean",
          "timestamp": "Datetime", "date or timestamp": "Datetime"}


class Builder:
    """Builds polars expressions for one expression over one schema (name -> dtype)."""

    def __init__(self, expr: Expression, schema: Mapping[str, Any]) -> None:
        self.pl = pl
        self.expr = expr
        self.schema = dict(schema)
        self.empty = pl.DataFrame(schema=self.schema)

    def typed(self, node: ast.AST, e: Any) -> tuple[Any, Any]:
        try:
            dtype = self.empty.select(e.alias("_")).schema["_"]
        except pl.exceptions.PolarsError as exc:
            reason = str(exc).strip().splitlines()[0][:300]
            raise self.expr.fail(f"it does not fit the data's types: {reason}", node) from None
        return e, dtype

    def need(self, node: ast.AST, kind: str, what: str) -> Any:
        """Build ``node`` and insist its type is ``kind``; an all-null column is cast."""
        e, dtype = self.build(node)
        if dtype == pl.Null:
            return e.cast(getattr(pl, _KINDS[kind]))
        ok = {"number": dtype.is_numeric(), "string": dtype == pl.String,
              "boolean": dtype == pl.Boolean,
              "timestamp": isinstance(dtype, pl.Datetime),
              "date or timestamp": dtype == pl.Date or isinstance(dtype, pl.Datetime),
              }[kind]
        if not ok:
            hint = " (cast it in the spec's `cast` section first)" if dtype == pl.String \
                else ""
            raise self.expr.fail(f"{what} needs a {kind}, but "
                                 f"{ast.get_source_segment(self.expr.text, node)!r} is "
                                 f"{type_name_of(dtype)}{hint}", node)
        return e

    def build(self, node: ast.AST) -> tuple[Any, Any]:
        value = constant_value(node)
        if value is not NOT_CONSTANT:
            dtype = {bool: pl.Boolean, int: pl.Int64, float: pl.Float64, str: pl.String,
                     type(None): pl.Null}[type(value)]
            return self.typed(node, pl.lit(value, dtype=dtype))
        if isinstance(node, (ast.Name, ast.Subscript)):
            return self.column(node)
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left)[0], self.build(node.right)[0]
            if isinstance(node.op, ast.Pow):  # int64 powers overflow silently; floats do not
                left = left.cast(pl.Float64)
            return self.typed(node, getattr(left, OPERATORS[type(node.op)])(right))
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
        return self.typed(node, functions.call(self, node))

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
        return pl.col(name), self.schema[name]

    def operands(self, left: ast.expr, right: ast.expr) -> tuple[Any, Any]:
        """Both sides of a comparison; an ISO string beside a date/timestamp is parsed."""
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
                parts.append(getattr(le, COMPARISONS[type(op)])(re_))
            left = right
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return self.typed(node, combined)

    def is_in(self, left: ast.expr, right: ast.List | ast.Tuple) -> Any:
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
