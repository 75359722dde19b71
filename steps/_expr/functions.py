"""The functions an expression may call: their arity, and their translation to polars.

The arity table is read by the parser (no polars needed); :func:`call` is used by the
translator while it builds, so it gets the :class:`~steps._expr.to_polars.Builder`.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

from steps._expr.expression import constant_value, date_literal

if TYPE_CHECKING:
    from steps._expr.to_polars import Builder

# name -> (min args, max args); the argument kinds are checked while building.
FUNCTIONS: dict[str, tuple[int, int]] = {
    "abs": (1, 1), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1),
    "lower": (1, 1), "upper": (1, 1), "strip": (1, 1), "length": (1, 1),
    "contains": (2, 2), "startswith": (2, 2), "endswith": (2, 2), "concat": (2, 50),
    "coalesce": (2, 50), "is_null": (1, 1), "is_not_null": (1, 1),
    "year": (1, 1), "month": (1, 1), "day": (1, 1), "hour": (1, 1),
    "date": (1, 1), "timestamp": (1, 1),
}


def call(b: Builder, node: ast.Call) -> Any:
    """The polars expression for a call the parser accepted (name and arity are valid)."""
    pl = b.pl
    assert isinstance(node.func, ast.Name)
    name, args = node.func.id, node.args
    what = f"{name}()"
    if name in ("abs", "floor", "ceil", "round"):
        e = b.need(args[0], "number", what)
        if name == "round":
            digits = constant_value(args[1]) if len(args) > 1 else 0
            if type(digits) is not int or not 0 <= digits <= 18:
                raise b.expr.fail("round()'s second argument must be a whole number "
                                  "of decimals from 0 to 18", node)
            return e.round(digits)
        if name != "abs" and b.build(args[0])[1].is_integer():
            return e
        return getattr(e, name)()
    if name in ("lower", "upper", "strip", "length"):
        e = b.need(args[0], "string", what)
        return {"lower": e.str.to_lowercase, "upper": e.str.to_uppercase,
                "strip": e.str.strip_chars,
                "length": lambda: e.str.len_chars().cast(pl.Int64)}[name]()
    if name in ("contains", "startswith", "endswith"):
        e = b.need(args[0], "string", what)
        text = constant_value(args[1])
        if not isinstance(text, str):
            raise b.expr.fail(f"{what}'s second argument must be a string constant", node)
        if name == "contains":
            return e.str.contains(text, literal=True)
        return e.str.starts_with(text) if name == "startswith" else e.str.ends_with(text)
    if name == "concat":
        return pl.concat_str([b.build(a)[0].cast(pl.String) for a in args])
    if name == "coalesce":
        return pl.coalesce([b.build(a)[0] for a in args])
    if name in ("is_null", "is_not_null"):
        e = b.build(args[0])[0]
        return e.is_null() if name == "is_null" else e.is_not_null()
    if name in ("date", "timestamp"):
        return _temporal(b, node, name)
    kind = "timestamp" if name == "hour" else "date or timestamp"
    return getattr(b.need(args[0], kind, what).dt, name)().cast(pl.Int64)


def _temporal(b: Builder, node: ast.Call, name: str) -> Any:
    """date(x)/timestamp(x): an ISO literal parsed now, or a column cast."""
    pl = b.pl
    value = constant_value(node.args[0])
    if isinstance(value, str):
        parsed = date_literal(b.expr, node.args[0], value, name)
        return pl.lit(parsed, dtype=pl.Date if name == "date" else pl.Datetime("us"))
    e = b.need(node.args[0], "date or timestamp", f"{name}()")
    return e.cast(pl.Date) if name == "date" else e.cast(pl.Datetime("us"))
