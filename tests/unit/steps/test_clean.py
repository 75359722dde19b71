"""clean's pure core: union with schema alignment, null keys, dedupe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from steps._core.errors import ConfigError, DataError
from steps.clean import check_same_entity, clean, input_arg, input_names, union


def http_orders() -> pl.DataFrame:
    """Like extract-http's output: created_at as ISO strings, no categoria."""
    return pl.DataFrame({"id": [1, 2], "nome": ["ana", "bob"], "valor": [10, 20],
                         "created_at": ["2024-01-31T10:00:00", "2024-01-31T11:30:00.25"]})


def sql_orders() -> pl.DataFrame:
    """Like extract-sql's output: created_at as timestamps, valor as float."""
    return pl.DataFrame({"id": [2, 3], "valor": [21.5, 30.0],
                         "created_at": [dt.datetime(2024, 2, 1), dt.datetime(2024, 1, 1)],
                         "categoria": ["casa", "moda"]})


def test_union_aligns_columns_and_promotes_types() -> None:
    out = union([http_orders(), sql_orders()], ["http", "sql"])
    assert out.schema == {"id": pl.Int64, "nome": pl.String, "valor": pl.Float64,
                          "created_at": pl.Datetime("us"), "categoria": pl.String}
    assert out.to_dict(as_series=False) == {
        "id": [1, 2, 2, 3], "nome": ["ana", "bob", None, None],
        "valor": [10.0, 20.0, 21.5, 30.0],
        "created_at": [dt.datetime(2024, 1, 31, 10), dt.datetime(2024, 1, 31, 11, 30, 0, 250000),
                       dt.datetime(2024, 2, 1), dt.datetime(2024, 1, 1)],
        "categoria": [None, None, "casa", "moda"]}


def test_union_does_not_mutate_inputs() -> None:
    a, b = http_orders(), sql_orders()
    union([a, b])
    assert_frame_equal(a, http_orders())
    assert_frame_equal(b, sql_orders())


def test_timestamp_strings_with_offsets_are_converted_to_utc() -> None:
    a = pl.DataFrame({"t": ["2024-01-31T10:00:00-03:00", "2024-01-31T10:00:00Z", "2024-01-31"]})
    b = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]})
    assert union([a, b])["t"].to_list()[:3] == [
        dt.datetime(2024, 1, 31, 13), dt.datetime(2024, 1, 31, 10), dt.datetime(2024, 1, 31)]


def test_parse_timestamps_parses_a_string_column_on_its_own() -> None:
    out = union([http_orders()], parse_timestamps=["created_at"])
    assert out.schema["created_at"] == pl.Datetime("us")
    with pytest.raises(ConfigError, match=r"--parse-timestamps: column 'create_at' is not in "
                                          r"the inputs \(did you mean 'created_at'"):
        union([http_orders()], parse_timestamps=["create_at"])


def test_unparseable_timestamp_is_a_data_error_naming_column_and_input() -> None:
    bad = pl.DataFrame({"created_at": ["2024-01-31T10:00:00", "yesterday", "31/01/2024"]})
    with pytest.raises(DataError) as info:
        union([bad, sql_orders()], ["http.parquet", "sql.parquet"])
    assert info.value.message == (
        "column 'created_at' in http.parquet: 2 value(s) do not convert to timestamp; "
        "sample values: ['yesterday', '31/01/2024']")


def test_incompatible_types_are_a_data_error_naming_column_and_both_types() -> None:
    with pytest.raises(DataError) as info:
        union([pl.DataFrame({"id": [1]}), pl.DataFrame({"id": ["1"]})], ["a.parquet", "b.parquet"])
    assert info.value.message == (
        "column 'id' has incompatible types: int64 in a.parquet and string in b.parquet")
    assert info.value.exit_code == 65


def test_integer_widths_and_dates_merge() -> None:
    a = pl.DataFrame({"n": [1], "d": [dt.date(2024, 1, 1)]}, schema={"n": pl.Int32,
                                                                        "d": pl.Date})
    b = pl.DataFrame({"n": [2**40], "d": [dt.date(2024, 1, 2)]})
    out = union([a, b])
    assert out.schema == {"n": pl.Int64, "d": pl.Date}
    c = pl.DataFrame({"d": [dt.datetime(2024, 1, 3, 12)]})
    assert union([a, c]).schema["d"] == pl.Datetime("us")


def test_empty_inputs_with_and_without_columns_are_fine() -> None:
    no_columns = pl.DataFrame()
    no_rows = sql_orders().head(0)
    all_null = pl.DataFrame({"id": [None], "categoria": [None]})
    out = union([no_columns, no_rows, http_orders(), all_null])
    assert out.height == 3
    assert out.schema["categoria"] == pl.String and out.schema["id"] == pl.Int64
    assert union([no_columns, no_columns]).shape == (0, 0)
    empty, counts = clean(pl.DataFrame(), key=["id"])
    assert empty.shape == (0, 0) and counts["rows"] == 0


def test_dedupe_by_key_keeps_the_latest_by_order_by_and_input_order() -> None:
    frame = pl.DataFrame({"id": [1, 2, 1, 2, 3, 2], "v": ["a-new", "b-old", "a-old", "b-new",
                                                          "c", "b-new"],
                          "ts": [5, 1, 3, 9, None, 9]})
    out, counts = clean(frame, key=["id"], order_by="ts")
    assert out.to_dict(as_series=False) == {"id": [1, 2, 3], "v": ["a-new", "b-new", "c"],
                                            "ts": [5, 9, None]}
    assert counts == {"rows_in": 6, "duplicates_dropped": 1, "superseded_dropped": 2,
                      "null_key_rows": 0, "conflicting_rows": 0, "rows": 3}


def test_null_order_by_counts_as_oldest() -> None:
    frame = pl.DataFrame({"id": [1, 1, 2], "v": ["a", "b", "c"], "ts": [None, 0, None]})
    out, counts = clean(frame, key=["id"], order_by="ts")
    assert out.to_dict(as_series=False) == {"id": [1, 2], "v": ["b", "c"], "ts": [0, None]}
    assert counts["superseded_dropped"] == 1


def test_rows_sharing_a_key_that_nothing_orders_are_kept_as_conflicts_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    # 1: tied at the latest ts with other values; 2: no ts at all; 3: an older version
    frame = pl.DataFrame({"id": [1, 1, 2, 2, 3, 3], "v": ["a", "b", "c", "d", "e", "f"],
                          "ts": [7, 7, None, None, 1, 2]})
    out, counts = clean(frame, key=["id"], order_by="ts")
    assert out["v"].to_list() == ["a", "b", "c", "d", "f"]
    assert (counts["conflicting_rows"], counts["superseded_dropped"]) == (4, 1)
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert "4 row(s) sharing a key with different values" in record.getMessage()
    assert "conflicting keys: [1, 2]" in record.getMessage()


def test_without_order_by_every_differing_row_of_a_key_is_a_conflict() -> None:
    frame = pl.DataFrame({"id": [1, 2, 1, 1], "v": ["first", "only", "last", "first"]})
    out, counts = clean(frame, key=["id"])
    assert out.to_dict(as_series=False) == {"id": [1, 2, 1], "v": ["first", "only", "last"]}
    assert (counts["duplicates_dropped"], counts["conflicting_rows"]) == (1, 2)


def test_null_keys_are_kept_for_validate_and_never_supersede_each_other(
        caplog: pytest.LogCaptureFixture) -> None:
    frame = pl.DataFrame({"a": [1, 1, 1, None, None], "b": ["x", "y", "x", "x", None],
                          "ts": [1, 2, 1, 5, 1]})
    out, counts = clean(frame, key=["a", "b"], order_by="ts")
    assert out["ts"].to_list() == [1, 2, 5, 1]
    assert (counts["null_key_rows"], counts["duplicates_dropped"],
            counts["conflicting_rows"]) == (2, 1, 0)
    assert "2 row(s) with a null key" in caplog.records[0].getMessage()


def test_without_key_only_whole_row_duplicates_go() -> None:
    frame = pl.DataFrame({"id": [1, 1, 1, None, None], "v": ["a", "a", "b", None, None]})
    out, counts = clean(frame)
    assert out.to_dict(as_series=False) == {"id": [1, 1, None], "v": ["a", "b", None]}
    assert counts == {"rows_in": 5, "duplicates_dropped": 2, "superseded_dropped": 0,
                      "null_key_rows": 0, "conflicting_rows": 0, "rows": 3}


def test_unknown_key_or_order_by_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"column 'idd' \(from --key/--order-by\) is not in "
                                          r"the inputs \(did you mean 'id'\?\)"):
        clean(http_orders(), key=["idd"])
    with pytest.raises(ConfigError, match="column 'when'"):
        clean(http_orders(), key=["id"], order_by="when")


def test_clean_does_not_mutate_its_input() -> None:
    frame = pl.DataFrame({"id": [1, 1, None], "v": [1, 2, 3]})
    clean(frame, key=["id"], order_by="v")
    assert_frame_equal(frame, pl.DataFrame({"id": [1, 1, None], "v": [1, 2, 3]}))


def test_inputs_that_share_no_column_are_refused_as_not_one_entity() -> None:
    customers = pl.DataFrame({"customer_id": [1], "name": ["ana"]})
    with pytest.raises(DataError) as info:
        check_same_entity([http_orders(), customers], ["orders", "customers"])
    assert info.value.exit_code == 65
    assert info.value.message == (
        "inputs orders and customers share no column: they cannot describe the same entity "
        "(join them instead of a union); orders has id, nome, valor, created_at; customers "
        "has customer_id, name")
    # a third input sharing a column with each does not make the first two one entity
    bridge = pl.DataFrame({"id": [1], "customer_id": [1]})
    with pytest.raises(DataError, match="inputs orders and customers share no column"):
        check_same_entity([http_orders(), bridge, customers], ["orders", "bridge", "customers"])


def test_empty_inputs_are_never_judged_as_another_entity() -> None:
    no_columns, no_rows = pl.DataFrame(), pl.DataFrame({"other": []}, schema={"other": pl.Int64})
    check_same_entity([http_orders(), no_columns, no_rows], ["http", "none", "zero"], ["id"])
    check_same_entity([http_orders(), sql_orders()], ["http", "sql"], ["id"])


def test_an_input_without_the_key_the_others_have_is_refused() -> None:
    no_id = sql_orders().drop("id")
    with pytest.raises(DataError) as info:
        check_same_entity([http_orders(), no_id], ["http", "sql"], ["id"])
    assert info.value.message == (
        "input sql has no key column 'id' that other inputs have: its rows would all have a "
        "null key; its columns: valor, created_at, categoria")
    # a key no input has is a misspelled --key: clean's configuration error, not bad data
    check_same_entity([http_orders(), sql_orders()], ["http", "sql"], ["idd"])
    with pytest.raises(ConfigError, match="column 'idd'"):
        clean(union([http_orders(), sql_orders()]), key=["idd"])


def test_input_takes_a_path_or_a_name_and_a_path(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert input_arg("/in/x.parquet") == (None, Path("/in/x.parquet"))
    assert input_arg("http=/in/x.parquet") == ("http", Path("/in/x.parquet"))
    assert input_arg("/runs/day=1/x.parquet") == (None, Path("/runs/day=1/x.parquet"))
    monkeypatch.chdir(tmp_path)
    assert input_arg("a=b.parquet") == ("a", Path("b.parquet"))
    (tmp_path / "a=b.parquet").touch()  # a file really named so stays a path
    assert input_arg("a=b.parquet") == (None, Path("a=b.parquet"))
    assert input_names([(None, Path("/in/http.parquet")), ("sql", Path("/in/data.parquet"))]
                       ) == ["http", "sql"]
    # stems that repeat (every artifact named data.parquet) would not tell inputs apart
    assert input_names([(None, Path("/a/data.parquet")), (None, Path("/b/data.parquet"))]
                       ) == ["/a/data.parquet", "/b/data.parquet"]


FORMS = [  # (text, what clean makes of it: a naive UTC timestamp, or None for "does not parse")
    ("2024-01-31T10:00:00", dt.datetime(2024, 1, 31, 10)),
    ("2024-01-31 10:00:00", dt.datetime(2024, 1, 31, 10)),
    ("2024-01-31T10:00:00.25", dt.datetime(2024, 1, 31, 10, 0, 0, 250000)),
    ("2024-01-31T10:00", dt.datetime(2024, 1, 31, 10)),
    ("2024-01-31", dt.datetime(2024, 1, 31)),
    ("2024-01-31T10:00:00Z", dt.datetime(2024, 1, 31, 10)),
    ("2024-01-31T10:00:00-03:00", dt.datetime(2024, 1, 31, 13)),
    ("2024-01-31T10:00:00.123456789", dt.datetime(2024, 1, 31, 10, 0, 0, 123456)),
    (" 2024-01-31T10:00:00 ", dt.datetime(2024, 1, 31, 10)),
    ("2024-01-31T10", None),
    ("2024-01-31 10", None),
    ("2024-02-30T00:00:00", None),
    ("20240131", None),
    ("yesterday", None),
]


@pytest.mark.parametrize("others", [[], [text for text, _ in FORMS]],
                         ids=["alone", "among-every-form"])
@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[t for t, _ in FORMS])
def test_each_timestamp_form_parses_alone_or_in_any_company(
        text: str, expected: dt.datetime | None, others: list[str]) -> None:
    """A column that is all in the common forms is read by Arrow's fast ISO 8601 cast, any
    other by polars' formats: a value must come out the same whichever reads it."""
    from steps._spec import iso_timestamps

    plain = ["2024-01-01T00:00:00"] * 3
    got = iso_timestamps(pl.Series("t", [*plain, text, *others]))
    assert got.to_list()[len(plain)] == expected
    assert got.dtype == pl.Datetime("us")
