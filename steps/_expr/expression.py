"""A checked expression, the operator tables, and helpers for constant and ISO literals."""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from steps._core.errors import ConfigError

OPERATORS = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__",
             ast.Div: "__truediv__", ast.FloorDiv: "__floordiv__", ast.Mod: "__mod__",
             ast.Pow: "__pow__"}
COMPARISONS = {ast.Eq: "__eq__", ast.NotEq: "__ne__", ast.Lt: "__lt__", ast.LtE: "__le__",
               ast.Gt: "__gt__", ast.GtE: "__ge__"}


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
        from steps._expr.to_polars import Builder  # deferred: it imports polars

        return Builder(self, schema).build(self.tree)

    def to_polars(self, schema: Mapping[str, Any]) -> Any:
        return self.compile(schema)[0]


NOT_CONSTANT = object()


def constant_value(node: ast.AST) -> Any:
    """The value of a constant or negated number node, else ``NOT_CONSTANT``."""
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(
            node.value, (bool, int, float, str))):
        return node.value
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, (int, float))
            and not isinstance(node.operand.value, bool)):
        return -node.operand.value
    return NOT_CONSTANT


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
