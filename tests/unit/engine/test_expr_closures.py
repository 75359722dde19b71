"""expr-lang closures (filter, map, all, any, none, one, count with ``#``, ``.name`` and
``#index``) and sprig's ``date``, as Argo v4.1.2 evaluates them (expr-lang v1.17.8's
parser, checker and VM; sprig v3.3.0's date.go)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from workflows.engine.expr import (
    EvaluationError,
    UnsupportedExpression,
    evaluate,
    substitute,
)

VARS: dict[str, Any] = {
    "rows": [{"name": "a", "n": 1}, {"name": "b", "n": 5}],
    "inputs": {"parameters": {"foo": "3"}},
}

CLOSURES = [
    ("filter([1, 3], {# > 1})", [3]),
    ("filter([1, 3], # > 1)", [3]),  # the braces are optional around one expression
    ("toJson(filter([1, 3], {# > 1}))", "[3]"),
    ("filter([], # > 1)", []),
    ("map([1, 2, 3], # * 2)", [2, 4, 6]),
    ("map(['a', 'b'], # + string(#index))", ["a0", "b1"]),
    ("map(['a', 'b'], # index)", [0, 1]),  # expr-lang reads '# index' as '#index'
    ("map(rows, .name)", ["a", "b"]),
    ("map(rows, #.n + #['n'])", [2, 10]),
    ("filter(rows, .n > 1)[0].name", "b"),
    ("all([1, 2], # > 0)", True),
    ("all([], # > 0)", True),
    ("any([1, 2], # > 1)", True),
    ("any([], # > 0)", False),
    ("none([1, 2], # > 1)", False),
    ("none([1, 2], # > 2)", True),
    ("one([1, 2], # > 1)", True),
    ("one([1, 2, 3], # > 1)", False),
    ("count([1, 2, 3], # > 1)", 2),
    ("count([true, false, true])", 2),
    ("filter(map([1, 2, 3], # * 2), # > 2)", [4, 6]),
    ("map([1, 2], map([3, 4], # + #index))", [[3, 5], [3, 5]]),  # the innermost element
    ("all([[1, 2], [3]], any(#, # > 1))", True),
    ("len(filter([1, 2, 3], # in [2, 3]))", 2),
    ("map([1, 2], {# > 1 ? 'big' : 'small'})", ["small", "big"]),
]


@pytest.mark.parametrize(("expr", "expected"), CLOSURES)
def test_closures_give_expr_langs_values(expr: str, expected: Any) -> None:
    assert evaluate(expr, VARS, strict=True) == expected


def test_the_names_of_the_builtins_stay_variables_when_not_called() -> None:
    assert evaluate("map + filter", {"map": "a", "filter": "b"}, strict=True) == "ab"


@pytest.mark.parametrize(("expr", "message"), [
    ("# > 1", "'#' outside a predicate"),
    ("filter([1], #index > 0)", "unknown pointer #index"),  # the checker gives it to map only
    ("map([1], #acc)", "unknown pointer #acc"),
    ("{(1 + 1): 1}", "a map key must be a quoted string, a number or a name"),
    ("filter([1])", "filter expects at least 2 arguments"),
    ("count()", "count expects at least 2 arguments"),
    ("filter([1, 2], {#; true})", "';'"),
    ("find([1], # > 0)", "unknown function 'find'"),
])
def test_what_is_outside_the_subset_is_refused_by_parsing(expr: str, message: str) -> None:
    with pytest.raises(UnsupportedExpression, match=message) as caught:
        evaluate(expr, VARS)
    assert not isinstance(caught.value, EvaluationError)


@pytest.mark.parametrize(("expr", "message"), [
    ("filter([1, 2], 1)", "needs a bool, got int"),  # the VM's OpJumpIfFalse wants a bool
    ("count([1])", "needs a bool, got int"),
    ("map('ab', #)", "builtin map takes only array \\(got string\\)"),
    ("all([1, 'a'], # > 0)", "mismatched types"),
])
def test_values_that_do_not_fit_fail_the_evaluation(expr: str, message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        evaluate(expr, VARS)


def test_all_any_and_none_stop_at_the_deciding_element() -> None:
    assert evaluate("any([2, 'a'], # > 1)", {}) is True
    assert evaluate("all([0, 'a'], # > 1)", {}) is False
    assert evaluate("none([2, 'a'], # > 1)", {}) is False


def test_sprig_date_formats_a_time_or_unix_seconds_and_any_other_value_as_now() -> None:
    moment = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
    assert evaluate("sprig.date('2006-01-02 15:04', t)", {"t": moment}) == "2026-11-25 09:30"
    assert evaluate("sprig.date('2006-01-02', 86400)", {}) == "1970-01-02"
    before = datetime.now(timezone.utc).year
    year = evaluate("sprig.date('2006', '2026-01-01T00:00:00Z')", {})  # a string: now
    assert year in (str(before), str(datetime.now(timezone.utc).year))
    with pytest.raises(EvaluationError, match="cannot use int as string"):
        evaluate("sprig.date(2006, 0)", {})


def test_argos_expression_tag_example_substitutes_as_argo_does() -> None:
    """examples/expression-tag-template-workflow.yaml: withParam and the pod's args."""
    with_param = "{{=toJson(filter([1, 3], {# > 1}))}}"
    assert substitute(with_param, {}, where="withParam") == "[3]"
    args = "hello {{=asInt(inputs.parameters.foo) * 10}} @ " \
           "{{=sprig.date('2006', workflow.creationTimestamp)}}\n"
    scope = {"inputs.parameters.foo": "3", "workflow.creationTimestamp": "2026-01-01T00:00:00Z"}
    year = datetime.now(timezone.utc).year
    assert substitute(args, scope, where="args") == f"hello 30 @ {year}\n"
