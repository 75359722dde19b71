"""Argo's ``jsonpath(json, path)``: github.com/evilmonkeyinc/jsonpath v0.8.1, a subset.

``syntax`` reads a path into steps (and refuses what is outside the subset); ``query``
decodes the document and runs the steps.

Argo's expression environment (util/expr/env/env.go ``jsonPath``) decodes ``json`` with
Go's ``json.Unmarshal`` into ``any`` (every number a float64, ``NaN``/``1e400`` refused)
and runs ``jsonpath.Query(path, value)``; a failure of either panics, which expr-lang
turns into an error of the expression. What the library returns, read from its source
(token/*.go, script/standard/*.go):

- ``$.key``, ``$['key']``, ``$["key"]``: the member; a missing key or a target that is
  not an object is an error (``key: invalid token key 'x' not found``). ``.length`` is
  the length token: an object's ``length`` member if it has one, else its size; an
  array's size; a string's size in UTF-8 bytes (an int64, not a float).
- ``[i]``: an array element, negative from the end; out of range is an error; an index
  on an object or a string is an error (the library's options are off in Argo).
- ``[*]``, ``.*``: every element of an array, or every value of an object by sorted
  key. ``[a:b]``, ``[a:]``, ``[:b]``, ``[a:b:c]``: a slice of an array (bounds clamped,
  a negative bound from the end, a step of 0 an error, a negative step backwards).
  ``[?(...)]``: the elements (values of an object by sorted key) whose filter is true.
  Each gives a list; the tokens after it apply to each element, the elements where
  they fail or give null are dropped, and results are not flattened
  (``$.a[*].b[*]`` is a list of lists). An ``[i]`` right after a slice or a filter
  indexes the list instead (``$.a[?(@.x>1)][0]`` is one element).
- A filter is comparisons ``@.k.k OP literal`` (``== != < <= > >=``; either side a
  selector ``@``/``@.k...`` or a literal: a number, a quoted string, ``true``,
  ``false``, ``null``) joined by ``&&`` and ``||`` (``&&`` binding tighter). As the
  library's script engine does it: ``< <= > >=`` need two numbers (a JSON string never
  is one: ``@.age > 42`` drops ``{"age": "43"}``); ``==``/``!=`` compare as numbers when
  both sides are, else as text, a selected string in single quotes (``'Baris'``) and
  ``"Baris"`` read as ``'Baris'``; both sides of ``&&``/``||`` are always evaluated and
  an error in any part (a missing key) drops the element, ``!=`` included.

Anything else is refused (UnsupportedExpression) rather than approximated: recursive
``..``, unions ``[0,1]``, scripts ``[(...)]``, ``@``/``$`` inside scripts, ``=~``,
``in``, arithmetic, parentheses in filters, keys the library's tokenizer splits
differently (a quote, bracket, parenthesis or backslash in a key, spaces outside a
quoted key), and filter keys that are not plain identifiers or contain ``in`` (its
script engine reads ``@.info`` as the operator ``in`` and fails to compile the path).
"""

from workflows.engine.expr.jsonpath.query import JsonPathFailure, go_unmarshal, query
from workflows.engine.expr.jsonpath.syntax import compile_path

__all__ = ["JsonPathFailure", "compile_path", "go_unmarshal", "query"]
