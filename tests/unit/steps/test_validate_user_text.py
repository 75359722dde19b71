"""validate's reasons carry user text (patterns, column names, bounds) as data.

Braces, backslashes and ``{}`` in a pattern or a column name are never read as format
syntax: the reason shows them exactly as the rules file wrote them.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from steps._validate.rules import parse_rules
from steps.validate import Result, validate
from tests.unit.steps.test_validate import NOON


def check(frame: pl.DataFrame, *rules: dict[str, Any]) -> Result:
    parsed, _ = parse_rules({"rules": list(rules)})
    return validate(frame, parsed, reject_threshold=1.0, reference=NOON)


def reasons(result: Result) -> list[str]:
    return result.quarantine["_reason"].to_list()


@pytest.mark.parametrize(("pattern", "good", "bad"), [
    (r"^\d{5}-\d{3}$", "01310-100", "1310-100"),  # counted repetition: {n}
    (r"^[{}]x$", "{x", "x"),  # braces inside a character class
    (r"^a{2,}$", "aaa", "a"),  # {n,}
    (r"^[x{}]+$", "x{}", "y"),  # {}: what a format template reads as a placeholder
])
def test_regex_rule_with_braces_quarantines_and_names_the_pattern(
        pattern: str, good: str, bad: str) -> None:
    result = check(pl.DataFrame({"cep": [good, bad, None]}),
                   {"kind": "regex", "column": "cep", "pattern": pattern})
    assert result.good["cep"].to_list() == [good, None]
    assert result.quarantine["cep"].to_list() == [bad]
    assert reasons(result) == [f"cep={bad} does not match {pattern}"]


@pytest.mark.parametrize("column", ["a{b}", "{}", "{0}", "x}{", "{valor!r}", "Preço"])
def test_column_names_with_braces_are_shown_as_written_in_every_row_reason(
        column: str) -> None:
    frame = pl.DataFrame({column: [1, 1, 50, 7], "k": [1, 2, 3, 3]})
    result = check(frame,
                   {"kind": "range", "column": column, "min": 0, "max": 10},
                   {"kind": "allowed", "column": column, "values": [1, 7]},
                   {"kind": "unique", "columns": [column, "k"], "name": "uk"},
                   {"kind": "unique", "column": "k", "name": "k1"})
    assert reasons(result) == [
        f"{column}=50 is above the maximum 10; {column}=50 is not an allowed value; k=3 is "
        "duplicated",
        "k=3 is duplicated"]
    dup = check(pl.DataFrame({column: [2, 2], "k": [5, 5]}),
                {"kind": "unique", "columns": [column, "k"]})
    assert reasons(dup) == [f"({column}, k)=2, 5 is duplicated"] * 2


def test_range_bounds_with_braces_are_shown_as_written() -> None:
    result = check(pl.DataFrame({"code": ["a{", "{{z"]}),
                   {"kind": "range", "column": "code", "min": "b{}", "max": "{{y"})
    assert reasons(result) == ["code=a{ is below the minimum b{}",
                               "code={{z is above the maximum {{y"]
