"""validate's pure core and rules files, and the examples in docs/validation.md."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from steps._core.errors import ConfigError
from steps._validate.rules import parse_duration, parse_rules
from steps.validate import Result, reference_time, validate
from tests.unit.steps.test_expr import DOCS, doc_examples, table_frame

NOON = dt.datetime(2024, 2, 1)


def check(frame: pl.DataFrame, *rules: dict[str, Any], threshold: float = 0.0,
          reference: dt.datetime = NOON) -> Result:
    parsed, _ = parse_rules({"rules": list(rules)})
    return validate(frame, parsed, reject_threshold=threshold, reference=reference)


def rule(result: Result, name: str) -> dict[str, Any]:
    return next(r for r in result.report["rules"] if r["name"] == name)


def subset(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and subset(actual[k], v) for k, v in expected.items())
    return bool(actual == expected)


# --- the documented example -------------------------------------------------------------

@pytest.fixture(scope="module")
def documented() -> tuple[pl.DataFrame, dict[str, Any]]:
    data = table_frame(doc_examples("data", "validation.md")[0])
    return data, yaml.safe_load(doc_examples("rules", "validation.md")[0])


def run_documented(documented: tuple[pl.DataFrame, dict[str, Any]],
                   threshold: float | None = None) -> Result:
    data, raw = documented
    rules, file_threshold = parse_rules(raw)
    return validate(data, rules, reject_threshold=threshold if threshold is not None
                    else file_threshold or 0.0, reference=reference_time("2024-01-31"))


def test_documented_report_quarantine_and_errors(documented: tuple[pl.DataFrame, Any]
                                                 ) -> None:
    result = run_documented(documented)
    assert subset(result.report, json.loads(doc_examples("report", "validation.md")[0]))
    for entry in doc_examples("report-rule", "validation.md"):
        expected = json.loads(entry)
        assert subset(rule(result, expected["name"]), expected), expected["name"]
    quarantine = table_frame(doc_examples("quarantine", "validation.md")[0])
    assert_frame_equal(result.quarantine.select(quarantine.columns), quarantine)
    assert result.good["id"].to_list() == [1, 5, 7, 8]
    assert result.failures == []

    strict = run_documented(documented, threshold=0.0)
    error = doc_examples("error", "validation.md")[0].strip()
    assert "validation failed: " + "; ".join(strict.failures) == error


def test_documented_zero_rows_message() -> None:
    result = check(pl.DataFrame(), {"kind": "min_rows", "value": 1})
    expected = doc_examples("error-empty", "validation.md")[0].strip()
    assert "validation failed: " + "; ".join(result.failures) == expected


def test_every_yaml_block_in_validation_doc_parses() -> None:
    text = (DOCS / "validation.md").read_text()
    blocks = [b.split("```")[0] for b in text.split("```yaml\n")[1:]]
    assert len(blocks) >= 4
    for block in blocks:
        raw = yaml.safe_load(block)
        parse_rules(raw if isinstance(raw, dict) else {"rules": raw})


# --- row-level rules ----------------------------------------------------------------------

def orders() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 2, None, 5], "nome": ["Ana", "bob", None, "Eva", "Ivo"],
                         "valor": [1.5, -2.0, None, 300.0, 10.0],
                         "categoria": ["a", "b", "c", None, "a"]})


def test_row_rules_quarantine_with_rule_names_and_reasons() -> None:
    result = check(orders(), {"kind": "not_null", "column": "id"},
                   {"kind": "range", "column": "valor", "min": 0, "max": 100},
                   {"kind": "regex", "column": "nome", "pattern": "^[A-Z]"},
                   threshold=1.0)
    q = result.quarantine
    assert q.columns == [*orders().columns, "_rejected_by", "_reason"]
    assert q.select("id", "_rejected_by", "_reason").rows() == [
        (2, "range:valor,regex:nome", "valor=-2.0 is below the minimum 0; nome=bob does not "
                                      "match ^[A-Z]"),
        (None, "not_null:id,range:valor", "id is null; valor=300.0 is above the maximum 100")]
    assert result.good["id"].to_list() == [1, 2, 5]
    assert result.report["totals"] == {"rows": 5, "passed": 3, "rejected": 2, "warned": 0,
                                       "rejected_fraction": 0.4, "reject_threshold": 1.0}


def test_unique_rejects_every_row_of_a_duplicated_key_by_default() -> None:
    result = check(orders(), {"kind": "unique", "column": "id"}, threshold=1.0)
    assert result.quarantine["id"].to_list() == [2, 2]  # null ids are not duplicates
    first = check(orders(), {"kind": "unique", "column": "id", "keep": "first"}, threshold=1.0)
    assert first.quarantine["nome"].to_list() == [None]
    assert first.good["id"].to_list() == [1, 2, None, 5]


def test_unique_on_a_composite_key() -> None:
    frame = pl.DataFrame({"a": [1, 1, 1], "b": ["x", "y", "x"]})
    result = check(frame, {"kind": "unique", "columns": ["a", "b"]}, threshold=1.0)
    assert result.quarantine["_reason"].to_list() == ["(a, b)=1, x is duplicated"] * 2
    assert rule(result, "unique:a,b")["sample_values"] == [{"a": 1, "b": "x"}]


def test_range_exclusive_and_on_timestamps() -> None:
    frame = pl.DataFrame({"v": [0, 5, 10], "t": [dt.datetime(2023, 12, 31),
                                                  dt.datetime(2024, 1, 1), None]})
    result = check(frame, {"kind": "range", "column": "v", "min": 0, "max": 10,
                           "inclusive": False},
                   {"kind": "range", "column": "t", "min": "2024-01-01"}, threshold=1.0)
    assert rule(result, "range:v")["sample_values"] == [0, 10]
    assert rule(result, "range:t")["rows_failed"] == 1  # null passes


def test_allowed_values_and_nulls_pass() -> None:
    result = check(orders(), {"kind": "allowed", "column": "categoria", "values": ["a", "b"]},
                   threshold=1.0)
    assert rule(result, "allowed:categoria")["sample_values"] == ["c"]
    assert rule(result, "allowed:categoria")["sample_rows"] == [2]


def test_warn_rules_keep_rows_and_only_count() -> None:
    result = check(orders(), {"kind": "not_null", "column": "nome", "severity": "warn"})
    assert result.failures == []
    assert result.good.height == 5 and result.quarantine.height == 0
    assert result.report["totals"]["warned"] == 1
    assert result.report["warned_rules"] == ["not_null:nome"]


def test_threshold_is_a_fraction_compared_with_more_than() -> None:
    rules = {"kind": "not_null", "column": "id"}  # 1 of 5 rows = 20 %
    assert check(orders(), rules, threshold=0.2).failures == []
    failed = check(orders(), rules, threshold=0.19)
    assert failed.failures == ["1 of 5 rows rejected (20.00%, more than the threshold "
                               "19.00%) by not_null:id (1)"]
    assert failed.report["status"] == "failed"
    assert failed.quarantine.height == 1  # still there for the user to see


def test_rule_on_a_missing_column_fails_the_dataset_but_not_when_empty() -> None:
    result = check(orders(), {"kind": "not_null", "column": "zzz"})
    assert result.failures == ["not_null:zzz: column 'zzz' is missing from the data"]
    assert check(orders().head(0).drop("id"), {"kind": "not_null", "column": "id"}
                 ).failures == []


def test_rule_that_does_not_fit_the_column_type_says_so() -> None:
    result = check(orders(), {"kind": "regex", "column": "valor", "pattern": "x"},
                   {"kind": "range", "column": "nome", "min": 0},
                   {"kind": "allowed", "column": "id", "values": ["x"]})
    assert result.failures == [
        "regex:valor: regex needs a string column, but 'valor' is float64",
        "range:nome: min 0 does not fit column 'nome', which is string",
        "allowed:id: the allowed values ['x'] do not fit column 'id', which is int64"]


# --- dataset-level rules -----------------------------------------------------------------

def test_min_and_max_rows() -> None:
    assert check(orders(), {"kind": "min_rows", "value": 6}).failures == [
        "min_rows: 5 rows, fewer than the minimum 6"]
    assert check(orders(), {"kind": "max_rows", "value": 4}).failures == [
        "max_rows: 5 rows, more than the maximum 4"]
    assert check(orders(), {"kind": "min_rows", "value": 5},
                 {"kind": "max_rows", "value": 5}).failures == []


def test_zero_rows_with_min_rows_says_zero_rows() -> None:
    result = check(orders().head(0), {"kind": "min_rows", "value": 1})
    assert result.failures == ["min_rows: the input has zero rows; at least 1 required"]


def test_required_columns_and_types_contract() -> None:
    result = check(orders(), {"kind": "required_columns", "columns": ["id", "x", "y"]},
                   {"kind": "types", "columns": {"id": "int64", "valor": "string",
                                                 "z": "date"}, "strict": True,
                    "name": "contract"})
    assert result.failures == [
        "required_columns:id,x,y: missing column(s): x, y",
        "contract: valor is float64, expected string; z is missing; unexpected column nome; "
        "unexpected column categoria"]
    ok = check(orders(), {"kind": "types", "columns": {"id": "int", "valor": "double"}})
    assert ok.failures == []


def test_max_null_ratio() -> None:
    result = check(orders(), {"kind": "max_null_ratio", "column": "nome", "value": 0.1})
    assert result.failures == ["max_null_ratio:nome: 20.0% of 'nome' is null (1 of 5 rows), "
                               "more than the maximum 10.0%"]
    assert check(orders(), {"kind": "max_null_ratio", "column": "nome", "value": 0.2}
                 ).failures == []


def test_freshness_is_measured_from_the_reference_time() -> None:
    frame = pl.DataFrame({"t": [dt.datetime(2024, 1, 30, 12), dt.datetime(2024, 1, 31, 1)]})
    fresh = {"kind": "freshness", "column": "t", "max_age": "1d"}
    assert check(frame, fresh, reference=reference_time("2024-01-31")).failures == []
    stale = check(frame, fresh, reference=reference_time("2024-02-02"))
    assert stale.failures == ["freshness:t: the newest t is 2024-01-31 01:00:00, 71.0 h "
                              "before 2024-02-03 00:00:00; the maximum age is 24.0 h"]
    empty = check(frame.head(0), fresh)
    assert empty.failures == ["freshness:t: no values in 't' to judge freshness "
                              "(zero rows or all null)"]


def test_reference_time_is_end_of_logical_date_or_now() -> None:
    assert reference_time("2024-01-31") == dt.datetime(2024, 2, 1)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert abs((reference_time(None) - now).total_seconds()) < 60


def test_validate_does_not_mutate_its_input() -> None:
    frame = orders()
    check(frame, {"kind": "unique", "column": "id"}, threshold=1.0)
    assert_frame_equal(frame, orders())


# --- rules files -------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "message"), [
    ({"rule": []}, "unknown key 'rule' (did you mean 'rules'?)"),
    ({"rules": []}, "'rules' must be a non-empty list"),
    ({"rules": [{"kind": "not_nul", "column": "id"}]}, "unknown kind 'not_nul' "
                                                       "(did you mean 'not_null'?)"),
    ({"rules": [{"kind": "not_null", "colum": "id"}]}, "unknown key 'colum'"),
    ({"rules": [{"kind": "not_null"}]}, "rule #1 (not_null): missing key 'column'"),
    ({"rules": [{"kind": "not_null", "column": "id", "severity": "fatal"}]},
     "severity must be 'error' or 'warn'"),
    ({"rules": [{"kind": "range", "column": "v"}]}, "give 'min', 'max' or both"),
    ({"rules": [{"kind": "regex", "column": "v", "pattern": "(unclosed"}]},
     "invalid regular expression '(unclosed'"),
    ({"rules": [{"kind": "min_rows", "value": -1}]}, "'value' must be a whole number >= 0"),
    ({"rules": [{"kind": "max_null_ratio", "column": "v", "value": 2}]},
     "must be a fraction from 0 to 1"),
    ({"rules": [{"kind": "freshness", "column": "t", "max_age": "soon"}]},
     "max_age 'soon' is not a duration"),
    ({"rules": [{"kind": "types", "columns": {"v": "int99"}}]}, "unknown type 'int99'"),
    ({"rules": [{"kind": "not_null", "column": "id"}, {"kind": "not_null", "column": "id"}]},
     "two rules are named 'not_null:id'"),
    ({"rules": [{"kind": "allowed", "column": "c", "values": []}]},
     "'values' must be a non-empty list"),
    ({"rules": [{"kind": "allowed", "column": "c", "values": [[1, 2]]}]},
     "'values' must be a non-empty list of plain values"),
    ({"rules": [{"kind": "unique", "column": "c", "keep": "last"}]},
     "keep must be 'none' or 'first'"),
    ({"rules": [{"kind": "min_rows", "value": 1}], "reject_threshold": 1.5},
     "'reject_threshold' must be a fraction from 0 to 1"),
    ({"rules": ["not_null"]}, "a rule must be a mapping"),
])
def test_rules_file_mistakes_are_config_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules(raw)
    assert message in info.value.message


def test_durations() -> None:
    assert parse_duration("36h", "r") == dt.timedelta(hours=36)
    assert parse_duration("1d12h", "r") == dt.timedelta(hours=36)
    assert parse_duration("90m", "r") == dt.timedelta(minutes=90)
    assert parse_duration(3600, "r") == dt.timedelta(hours=1)
    assert parse_duration("1w", "r") == dt.timedelta(days=7)
