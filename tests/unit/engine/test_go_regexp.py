"""govaluate's ``=~``/``!~`` in a ``when`` (``regexStage``: Go's regexp, searched for in the
left string) and the subset of Go's syntax the engine runs with Python's ``re``."""

from __future__ import annotations

import pytest

from workflows.engine.expr import EvaluationError, UnsupportedExpression, evaluate_when
from workflows.engine.expr.go_regexp import compile_go


@pytest.mark.parametrize(("when", "expected"), [
    ("heads =~ hea", True),  # a bare word on either side is a string, as in shouldExecute
    ("tails =~ hea", False),
    ("heads !~ hea", False),
    ("xheadsx =~ 'head'", True),  # a search, not a full match
    ("heads =~ '^eads'", False),
    ("'abc' =~ '^a.c$'", True),
    ("'a\\.c' =~ 'a.c'", True),  # govaluate's escape: \\. is a plain '.'
    ("'a7' =~ '^a\\\\d$'", True),
    ("'a٣' =~ '^a\\\\d$'", False),  # Go's \\d is ASCII only
    ("'x y' =~ 'x\\\\sy'", True),
    ("'x\\u000by' =~ 'x\\\\sy'", False),  # govaluate's \\u is a 'u'; \\s has no \\v in Go
    ("'aaa' =~ '^a{2,3}$'", True),
    ("'ab' =~ '^(a|b)+?$' && 'c' !~ '[a-b]'", True),
    ("1 == 1 && heads =~ 'h'", True),  # =~ binds as tightly as ==
])
def test_regex_operators_search_the_left_string(when: str, expected: bool) -> None:
    assert evaluate_when(when) is expected


def test_dollar_is_the_end_of_the_text_as_in_go() -> None:
    # Python's $ also matches before a final newline; Go's (no m flag) does not
    assert compile_go("^a$").search("a\n") is None
    assert compile_go("^a$").search("a") is not None


@pytest.mark.parametrize("when", ["5 =~ 5", "heads =~ 5", "true =~ t"])
def test_operands_that_are_not_strings_are_an_error_as_in_govaluate(when: str) -> None:
    with pytest.raises(EvaluationError, match="cannot be used with the comparator"):
        evaluate_when(when)


@pytest.mark.parametrize(("pattern", "why"), [
    ("(?i)a", "a group with flags"),
    ("(?P<x>a)", "a group with flags"),
    ("(?=a)", "a group with flags"),
    ("a**", "a repetition '*' of a repetition"),
    ("a*+", "a repetition '+' of a repetition"),
    ("*a", "nothing to repeat"),
    ("a{,2}", "not a repetition"),
    ("a{1001}", "the repetition {1001}"),
    ("\\1", "the escape '\\1'"),
    ("\\pL", "the escape '\\p'"),
    ("\\Z", "the escape '\\Z'"),
    ("[[:alpha:]]", "inside a class"),
    ("[a&&b]", "inside a class"),
    ("[]a]", "a leading ']'"),
    ("[\\S]", "inside a class"),
    ("[z-a]", "an invalid regular expression"),
    ("(a", "an unclosed '('"),
    ("a)", "an unopened ')'"),
    ("a}", "a literal '}'"),
])
def test_syntax_whose_meaning_may_differ_is_refused(pattern: str, why: str) -> None:
    with pytest.raises(UnsupportedExpression, match="regular expression") as refused:
        compile_go(pattern)
    assert why in refused.value.construct


def test_regex_operators_stay_refused_in_expr_lang() -> None:
    from workflows.engine.expr import validate_expression

    with pytest.raises(UnsupportedExpression, match="regular expression matching"):
        validate_expression("x =~ 'a'")
