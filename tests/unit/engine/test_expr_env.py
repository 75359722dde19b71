"""expr-lang v1.17.8's ``??`` and map literals, and the sprig functions of Argo's
expression environment (``add``, ``min``, ``max``, ``b64dec``), with the values and
errors expr-lang and sprig v3.3.0 give (checked against them)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from workflows.engine.expr import (
    EvaluationError,
    UnresolvedReference,
    UnsupportedExpression,
    evaluate,
    substitute,
)


def value(expr: str, variables: dict[str, Any] | None = None) -> Any:
    return evaluate(expr, variables or {}, strict=True)


@pytest.mark.parametrize(("expr", "expected"), [
    ("nil ?? 1", 1),
    ("1 ?? nil", 1),
    ("nil ?? nil ?? 3", 3),
    ("'' ?? 'x'", ""),  # only nil falls back
    ("false ?? true", False),
    ("-nil ?? 2", -2),  # '??' binds inside unary minus: -(nil ?? 2)
    ("!nil ?? true", False),
    ("(nil ?? 1) + 2", 3),
    ("2 + nil ?? 1", 3),  # after another operator: 2 + (nil ?? 1)
    ("2 * nil ?? 1", 2),
    ("1 + 2 * nil ?? 3", 7),
    ("1 == nil ?? 1", True),
    ("1 < nil ?? 2", True),
    ("false || nil ?? true", True),
    ("'a' in nil ?? ['a']", True),
    ("nil ?? false ? 'a' : 'b'", "b"),  # the ternary takes the whole '??'
    ("[nil ?? 1, 2]", [1, 2]),
    ("map([{a: 1}, {b: 1}], {#.a ?? 0})", [1, 0]),
])
def test_nil_coalescing(expr: str, expected: Any) -> None:
    result = value(expr)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("expr", [
    "nil ?? 1 + 2", "nil ?? 1 == 1", "nil ?? true || false", "nil ?? 'a' in ['a']",
    "nil ?? 2 not in [1]", "1 + nil ?? 2 * 3",
])
def test_coalescing_mixed_with_another_operator_is_refused_as_expr_lang_does(expr: str) -> None:
    with pytest.raises(UnsupportedExpression,
                       match=re.escape("and coalesce expressions (??) cannot be mixed")):
        value(expr)


SCOPE = {"tasks": {"p": {"outputs": {"parameters": {"msg": None, "empty": ""}}}}}


@pytest.mark.parametrize(("expr", "expected"), [
    ("tasks.p.outputs.parameters.msg ?? 'fb'", "fb"),  # an absent optional: nil
    ("tasks.p.outputs.parameters.empty ?? 'fb'", ""),
    ("tasks.p.outputs.parameters.other ?? 'fb'", "fb"),  # a missing key is nil there
    ("tasks.p.outputs.parameters['other'] ?? 'fb'", "fb"),
    ("tasks.p.outputs.parameters.msg ?? tasks.p.outputs.parameters.x ?? 'y'", "y"),
])
def test_on_the_left_of_coalescing_a_missing_key_is_nil(expr: str, expected: str) -> None:
    assert value(expr, SCOPE) == expected


def test_a_member_of_that_nil_and_an_unknown_name_still_fail() -> None:
    with pytest.raises(EvaluationError, match="cannot fetch parameters from <nil>"):
        value("tasks.q.outputs.parameters.msg ?? 'fb'", {"tasks": {"q": {}}})
    with pytest.raises(UnresolvedReference):
        value("nope ?? 'fb'", SCOPE)  # expr-lang: unknown name
    with pytest.raises(UnresolvedReference):  # only the left side is guarded
        value("nil ?? tasks.p.outputs.parameters.other", SCOPE)


def test_coalescing_is_not_govaluate() -> None:
    with pytest.raises(UnsupportedExpression, match="when"):
        evaluate("a ?? b", {}, govaluate=True)


@pytest.mark.parametrize(("expr", "expected"), [
    ("{a: 1, 'b': 2.5, 3: nil}", '{"3":null,"a":1,"b":2.5}'),
    ("{a: 1, a: 2}", '{"a":1}'),  # OpMap pops the pairs last first: the first one stays
    ("{'x y': 1}['x y']", "1"),
    ("{nil: 1, true: 2}", '{"nil":1,"true":2}'),  # keys are their text
    ("{1.50: 1}", '{"1.50":1}'),
    ("{a: 1,}", '{"a":1}'),
    ("{a: {b: [1]} }.a.b[0]", "1"),  # a "}}" would end the tag, in Argo too
])
def test_map_literals(expr: str, expected: str) -> None:
    assert substitute(f"{{{{= {expr} }}}}", {}, where="t") == expected


@pytest.mark.parametrize(("expr", "expected"), [
    ("sprig.add()", 0),
    ("sprig.add(1, 2.9)", 3),  # cast.ToInt64 truncates a float
    ("sprig.add(true, nil, '')", 1),
    ("sprig.add('0x10', '010', '7.9')", 16 + 8 + 7),  # strconv.ParseInt(s, 0, 0), decimals cut
    ("sprig.add('x', '09', '-.5', [1])", 0),  # what does not convert is 0
    ("sprig.add(9223372036854775807, 1)", -9223372036854775808),
    ("sprig.add(1) / 2", 0.5),
    ("sprig.min(3, 1.5, '2')", 1),
    ("sprig.max(3, 1.5, '20')", 20),
    ("sprig.max(-1)", -1),
])
def test_sprig_integer_functions(expr: str, expected: Any) -> None:
    result = value(expr)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("encoded", "expected"), [
    ("aGVsbG8gd29ybGQ=", "hello world"),
    ("YQ==", "a"),
    ("YR==", "a"),  # unused bits are ignored (StdEncoding is not strict)
    ("YWJj\\nZA==", "abcd"),  # newlines are skipped
    ("YQ==\\n", "a"),
    ("YQ=\\n=", "a"),
    ("", ""),
    # bad input is not a failure: the error's text is the value
    ("!!", "illegal base64 data at input byte 0"),
    ("YQ", "illegal base64 data at input byte 0"),
    ("YQ=", "illegal base64 data at input byte 3"),
    ("YQ==YQ==", "illegal base64 data at input byte 4"),
    ("Y=Q=", "illegal base64 data at input byte 1"),
    ("YQ==x", "illegal base64 data at input byte 4"),
    ("YWJjZA", "illegal base64 data at input byte 4"),
    ("=", "illegal base64 data at input byte 0"),
    ("aGVsbG8gd29yb GQ=", "illegal base64 data at input byte 13"),
])
def test_sprig_b64dec(encoded: str, expected: str) -> None:
    assert value(f"sprig.b64dec('{encoded}')") == expected


@pytest.mark.parametrize(("expr", "message"), [
    ("sprig.add(1e300)", "beyond int64"),  # amd64 and arm64 convert it differently
    ("sprig.add('1_000')", "'_'"),
    ("sprig.b64dec('/w==')", "not UTF-8"),
])
def test_what_go_does_not_say_the_same_everywhere_is_refused(expr: str, message: str) -> None:
    with pytest.raises(UnsupportedExpression, match=message) as caught:
        value(expr)
    assert not isinstance(caught.value, EvaluationError)


def test_sprig_to_json_ignores_the_error_top_level_to_json_fails() -> None:
    assert value("sprig.toJson(1 / 0)") == ""
    with pytest.raises(EvaluationError, match="unsupported value"):
        value("toJson(1 / 0)")


def test_sprig_arity_is_checked_before_evaluation() -> None:
    with pytest.raises(UnsupportedExpression, match=re.escape("sprig.min takes at least 1")):
        value("sprig.min()")
    with pytest.raises(UnsupportedExpression, match=re.escape("sprig.b64dec takes 1")):
        value("sprig.b64dec('a', 'b')")
