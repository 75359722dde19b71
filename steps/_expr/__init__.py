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

Modules: :mod:`.expression` (the checked value and literal helpers), :mod:`.parse` (text
-> whitelisted tree), :mod:`.functions` (the function table and its translations),
:mod:`.to_polars` (tree -> typed polars expression). Only ``to_polars`` imports polars,
and only when an expression is compiled, so steps' ``--help`` stays fast.
"""

from steps._expr.expression import Expression, constant_value, date_literal
from steps._expr.functions import FUNCTIONS
from steps._expr.parse import INT64, MAX_CHARS, MAX_DEPTH, MAX_NODES, parse

__all__ = ["FUNCTIONS", "INT64", "MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "Expression",
           "constant_value", "date_literal", "parse"]
