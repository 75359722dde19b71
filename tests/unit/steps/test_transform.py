"""transform's pure core (rename, cast, compute, filter, select) and spec files."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from steps import _spec
from steps._core.errors import ConfigError, DataError
from steps.transform import Spec, note, parse_spec, transform
from tests.unit.steps.test_expr import DOCS, doc_examples, table_frame


def run(frame: pl.DataFrame, raw: dict[str, Any]) -> tuple[pl.DataFrame, dict[str, Any]]:
    return transform(frame, parse_spec(raw))


@pytest.fixture
def orders() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2, 3], "nome": ["ana", "bob", None],
                         "valor": [10.0, 2.5, None], "quantidade": [2, 4, 1]})


def test_the_documented_spec_gives_the_documented_result() -> None:
    data = table_frame(doc_examples("data", "expressions.md")[0])
    spec = yaml.safe_load(doc_examples("transform-spec", "expressions.md")[0])
    expected = table_frame(doc_examples("transform-result", "expressions.md")[0])
    out, counts = run(data, spec)
    assert_frame_equal(out, expected)
    assert counts["removed_by_filter"] == {"total > 0": 2, 'categoria != "moda"': 0}
    assert note(counts) == "2 rows removed by filter total > 0"


def test_every_yaml_block_in_expressions_doc_is_a_valid_spec() -> None:
    text = (DOCS / "expressions.md").read_text()
    blocks = [b.split("```")[0] for b in text.split("```yaml\n")[1:]]
    assert blocks
    for block in blocks:
        parse_spec(yaml.safe_load(block))


def test_seed_computed_column_and_order_of_operations(orders: pl.DataFrame) -> None:
    out, counts = run(orders, {
        "rename": {"quantidade": "qtd"},
        "cast": {"qtd": "float64"},  # casts see the new name
        "compute": {"total": 'df["valor"] * df["qtd"]', "dobro": "total * 2"},
        "filter": ["dobro > 30"],  # filters see computed columns
        "select": ["total", "id"],
    })
    assert out.to_dict(as_series=False) == {"total": [20.0], "id": [1]}
    assert counts["rows_in"] == 3 and counts["rows"] == 1
    assert counts["removed_by_filter"] == {"dobro > 30": 2}


def test_the_input_frame_is_not_mutated(orders: pl.DataFrame) -> None:
    before = orders.clone()
    run(orders, {"rename": {"nome": "name"}, "cast": {"id": "string"},
                 "compute": {"valor": "coalesce(valor, 0.0)"}, "drop": ["quantidade"]})
    assert_frame_equal(orders, before)


def test_filters_drop_rows_where_the_expression_is_null(orders: pl.DataFrame) -> None:
    out, _ = run(orders, {"filter": ["valor < 100"]})
    assert out["id"].to_list() == [1, 2]


def test_strict_cast_failure_is_a_data_error_naming_column_and_values() -> None:
    frame = pl.DataFrame({"qtd": ["1", "abc", " 3 ", "x1", "abc", None]})
    with pytest.raises(DataError) as info:
        run(frame, {"cast": {"qtd": "int64"}})
    assert info.value.exit_code == 65
    assert info.value.message == (
        "cast of column 'qtd' to int64 failed for 3 of 6 rows; sample values: ['abc', 'x1']")


def test_lenient_cast_turns_bad_values_into_null_and_counts_them() -> None:
    frame = pl.DataFrame({"qtd": ["1", "abc", " 3 ", None]})
    out, counts = run(frame, {"cast": {"qtd": "int64"}, "strict": False})
    assert out["qtd"].to_list() == [1, None, 3, None]
    assert counts["cast_nulls"] == {"qtd": 1}
    assert note(counts) == "1 values of qtd nulled by the cast"


def test_casts_to_every_type_family() -> None:
    frame = pl.DataFrame({
        "b": ["yes", "N", "TRUE", "0"], "d": ["2024-01-31", "2024-02-01", None, "2024-03-01"],
        "t": ["2024-01-31T10:00:00", "2024-01-31 10:00:00.5", "2024-01-31T10:00:00-03:00",
              "2024-01-31T10:00:00Z"],
        "m": ["1.005", "2", "-3.5", "0"], "i": [1, 2, 3, 4], "f": [1.9, -1.9, 0.0, 2.0]})
    out, _ = run(frame, {"cast": {"b": "bool", "d": "date", "t": "timestamp",
                                  "m": "decimal(10,2)", "i": "string", "f": "int64"}})
    assert out["b"].to_list() == [True, False, True, False]
    assert out["d"].to_list() == [dt.date(2024, 1, 31), dt.date(2024, 2, 1), None,
                                  dt.date(2024, 3, 1)]
    assert out.schema["t"] == pl.Datetime("us")
    assert out["t"].to_list() == [dt.datetime(2024, 1, 31, 10), dt.datetime(2024, 1, 31, 10,
                                  0, 0, 500000), dt.datetime(2024, 1, 31, 13),
                                  dt.datetime(2024, 1, 31, 10)]
    assert out.schema["m"] == pl.Decimal(10, 2)
    assert out["m"].to_list()[1:] == [Decimal("2.00"), Decimal("-3.50"), Decimal("0.00")]
    assert out["i"].to_list() == ["1", "2", "3", "4"]
    assert out["f"].to_list() == [1, -1, 0, 2]  # truncated toward zero, as documented


def test_aware_timestamps_cast_to_naive_utc() -> None:
    frame = pl.DataFrame({"t": [dt.datetime(2024, 1, 1, 12)]}).with_columns(
        pl.col("t").dt.replace_time_zone("America/Sao_Paulo"))
    out, _ = run(frame, {"cast": {"t": "timestamp"}})
    assert out["t"].to_list() == [dt.datetime(2024, 1, 1, 15)]


def test_zero_row_input_still_gets_computed_columns(orders: pl.DataFrame) -> None:
    out, counts = run(orders.head(0), {"compute": {"total": "valor * quantidade"},
                                       "filter": ["total > 0"]})
    assert out.height == 0 and out.schema["total"] == pl.Float64
    assert counts["rows"] == 0


@pytest.mark.parametrize(("raw", "message"), [
    ({"casts": {}}, "unknown key 'casts' (did you mean 'cast'?)"),
    ({"filters": []}, "unknown key 'filters' (did you mean 'filter'?)"),
    ({"rename": {"zz": "a"}}, "rename: unknown column 'zz'"),
    ({"rename": {"nome": "id"}}, "two columns would be named 'id'"),
    ({"cast": {"zz": "int64"}}, "cast: unknown column 'zz'"),
    ({"cast": {"id": "int99"}}, "unknown type 'int99'"),
    ({"cast": {"id": "decimal(40,2)"}}, "precision <= 38"),
    ({"compute": {"x": "valor * qty"}}, "compute 'x': invalid expression 'valor * qty'"),
    ({"compute": {"x": 5}}, "an expression must be a string"),
    ({"filter": ["valor"]}, "a filter must be true or false, but this gives float64"),
    ({"filter": "valor >"}, "filter #1: invalid expression 'valor >': syntax error"),
    ({"filter": {"a": 1}}, "'filter' must be a list"),
    ({"select": ["id", "zz"]}, "select: unknown column 'zz'"),
    ({"drop": ["zz"]}, "drop: unknown column 'zz'"),
    ({"select": ["id"], "drop": ["nome"]}, "give 'select' or 'drop', not both"),
    ({"strict": "yes"}, "'strict' must be true or false"),
    ({"rename": ["a"]}, "'rename' must be a mapping"),
])
def test_spec_mistakes_are_config_errors_naming_the_problem(
        orders: pl.DataFrame, raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        run(orders, raw)
    assert message in info.value.message
    assert info.value.exit_code == 78


def test_empty_spec_is_the_identity(orders: pl.DataFrame) -> None:
    out, _ = transform(orders, Spec())
    assert_frame_equal(out, orders)


# --- spec files ------------------------------------------------------------------------

def test_spec_files_load_from_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("compute:\n  total: valor * quantidade\n")
    (tmp_path / "s.json").write_text(json.dumps({"filter": ["valor > 0"]}))
    assert _spec.load(tmp_path / "s.yaml") == {"compute": {"total": "valor * quantidade"}}
    assert _spec.load(tmp_path / "s.json") == {"filter": ["valor > 0"]}


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.yaml", "compute: [unclosed", "is not valid YAML"),
    ("bad.json", "{'single': 1}", "is not valid JSON"),
    ("list.yaml", "- a\n- b\n", "must hold a mapping at the top level, not a list"),
    ("empty.yaml", "", "not nothing (the file is empty)"),
])
def test_bad_spec_files_are_config_errors(tmp_path: Path, name: str, text: str,
                                          message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _spec.load(tmp_path / name)


def test_missing_spec_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="spec file not found"):
        _spec.load(tmp_path / "nope.yaml")


# --- frame I/O shared by the frame steps --------------------------------------------------

def test_frames_round_trip_through_zstd_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    frame = pl.DataFrame({"id": [1, None], "t": [dt.datetime(2024, 1, 1), None],
                          "d": [Decimal("1.50"), None], "n": [None, None]},
                         schema_overrides={"d": pl.Decimal(10, 2)})
    path = tmp_path / "sub" / "f.parquet"
    assert _spec.write_frame(path, frame) == 2
    assert_frame_equal(_spec.read_frame(path), frame)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    assert [p.name for p in path.parent.iterdir()] == ["f.parquet"]  # no temp file left


def test_unreadable_inputs_are_classified(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="input file not found"):
        _spec.read_frame(tmp_path / "missing.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="is not a readable Parquet file"):
        _spec.read_frame(tmp_path / "bad.parquet")


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    (tmp_path / "bomb.yaml").write_text(bomb)
    with pytest.raises(ConfigError, match=r"aliases \(\*name\) are not allowed"):
        _spec.load(tmp_path / "bomb.yaml")
