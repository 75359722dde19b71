"""join's pure core: SQL join semantics, key type alignment, counts, empty sides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from steps._core.errors import ConfigError, DataError
from steps.join import Side, check_options, join, note, write


def side(name: str, frame: pl.DataFrame) -> Side:
    return Side(name, frame.lazy(), dict(frame.schema), frame.height)


def payments() -> pl.DataFrame:
    """Like extract-sql's output: customer_id as int32 (PostgreSQL integer), one null."""
    return pl.DataFrame({"payment_id": [10, 11, 12, 13], "customer_id": [2, 9, None, 1],
                         "amount": [5.0, 6.0, 7.0, 8.0]},
                        schema_overrides={"customer_id": pl.Int32})


def customers() -> pl.DataFrame:
    """Like extract-http's output: customer_id as int64, one customer without payments."""
    return pl.DataFrame({"customer_id": [1, 2, 3], "name": ["ana", "bob", "cid"]})


def run(how: str, left: pl.DataFrame | None = None, right: pl.DataFrame | None = None,
        **kw: str) -> tuple[pl.DataFrame, dict[str, int]]:
    frame, counts = join(side("payments", payments() if left is None else left),
                         side("customers", customers() if right is None else right),
                         on=["customer_id"], how=how, **kw)
    return frame.collect(), counts


def test_inner_keeps_matches_in_left_order_with_the_key_once() -> None:
    out, counts = run("inner")
    assert out.columns == ["customer_id", "payment_id", "amount", "name"]
    assert out.schema["customer_id"] == pl.Int64  # int32 + int64 widen
    assert out.to_dict(as_series=False) == {"customer_id": [2, 1], "payment_id": [10, 13],
                                            "amount": [5.0, 8.0], "name": ["bob", "ana"]}
    assert counts == {"matched": 2, "left_only": 2, "right_only": 1,
                      "many_to_many_keys": 0, "many_to_many_rows": 0}
    assert note(counts, "payments", "customers") == (
        "2 matched, 2 payments only, 1 customers only")


def test_left_keeps_every_left_row_and_full_adds_the_unmatched_right_rows() -> None:
    left, left_counts = run("left")
    assert left["payment_id"].to_list() == [10, 11, 12, 13]
    assert left["name"].to_list() == ["bob", None, None, "ana"]
    full, full_counts = run("full")
    assert full.to_dict(as_series=False) == {
        "customer_id": [2, 9, None, 1, 3], "payment_id": [10, 11, 12, 13, None],
        "amount": [5.0, 6.0, 7.0, 8.0, None], "name": ["bob", None, None, "ana", "cid"]}
    assert left_counts == full_counts  # the counts describe the inputs, not the how


def test_null_keys_never_match_not_even_each_other() -> None:
    right = pl.DataFrame({"customer_id": [None, 2], "name": ["nobody", "bob"]},
                         schema_overrides={"customer_id": pl.Int64})
    inner, counts = run("inner", right=right)
    assert inner["payment_id"].to_list() == [10]
    assert (counts["matched"], counts["left_only"], counts["right_only"]) == (1, 3, 1)
    full, _ = run("full", right=right)
    # the null-key payment and the null-key customer stay two rows, each half empty
    assert full.filter(pl.col("customer_id").is_null()).select("payment_id", "name").rows() == [
        (12, None), (None, "nobody")]


def test_a_null_in_any_key_column_never_matches() -> None:
    left = pl.DataFrame({"a": [1, 1, None], "b": ["x", None, "y"], "v": [1, 2, 3]})
    right = pl.DataFrame({"a": [1, 1, None], "b": ["x", None, "y"], "w": [4, 5, 6]})
    out, counts = join(side("l", left), side("r", right), on=["a", "b"], how="inner")
    assert out.collect().rows() == [(1, "x", 1, 4)]
    assert (counts["matched"], counts["left_only"], counts["right_only"]) == (1, 2, 2)


def test_many_to_many_gives_every_pairing_and_is_counted() -> None:
    left = pl.DataFrame({"k": [1, 1, 2, 3], "v": ["a", "b", "c", "d"]})
    right = pl.DataFrame({"k": [1, 1, 1, 2, 2], "w": ["p", "q", "r", "s", "t"]})
    out, counts = join(side("l", left), side("r", right), on=["k"])
    frame = out.collect()
    assert frame.height == 3 * 2 + 2  # key 1: 2 x 3 pairings; key 2: 1 x 2 (one-to-many)
    assert frame.filter(pl.col("k") == 1)["v"].to_list() == ["a"] * 3 + ["b"] * 3
    assert counts == {"matched": 3, "left_only": 1, "right_only": 0,
                      "many_to_many_keys": 1, "many_to_many_rows": 6}
    assert note(counts, "l", "r") == "3 matched, 1 l only, 0 r only; 1 keys many-to-many (6 rows)"


def test_shared_column_names_get_the_suffix_and_a_clash_is_a_config_error() -> None:
    left = pl.DataFrame({"id": [1], "name": ["ana"]})
    right = pl.DataFrame({"id": [1], "name": ["Ana"], "name_r": ["x"]})
    out, _ = join(side("l", left), side("r", right), on=["id"])
    assert out.collect().columns == ["id", "name", "name_right", "name_r"]
    with pytest.raises(ConfigError) as info:
        join(side("l", left), side("r", right), on=["id"], suffix="_r")
    assert info.value.exit_code == 78
    assert info.value.message == ("--suffix '_r': column 'name_r' of r clashes with column "
                                  "'name' of r (renamed 'name_r') in the output; choose "
                                  "another --suffix")
    with pytest.raises(ConfigError, match="column 'name' of r clashes with column 'name' of l"):
        join(side("l", left), side("r", right), on=["id"], suffix="")


def test_key_types_that_do_not_agree_are_a_data_error_naming_both() -> None:
    with pytest.raises(DataError) as info:
        run("inner", right=customers().with_columns(pl.col("customer_id").cast(pl.String)))
    assert info.value.exit_code == 65
    assert info.value.message == ("key column 'customer_id' has incompatible types: int32 in "
                                  "payments and string in customers")
    naive = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]})
    aware = naive.with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    with pytest.raises(DataError, match=r"timestamp in l and timestamp\[UTC\] in r"):
        join(side("l", naive), side("r", aware), on=["t"])


def test_key_types_widen_when_no_value_is_lost() -> None:
    ms = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)]}, schema={"t": pl.Datetime("ms")})
    ns = pl.DataFrame({"t": [dt.datetime(2024, 1, 1)], "v": [1]},
                      schema={"t": pl.Datetime("ns"), "v": pl.Int64})
    out, counts = join(side("l", ms), side("r", ns), on=["t"])
    assert out.collect().schema["t"] == pl.Datetime("ns") and counts["matched"] == 1
    cat = pl.DataFrame({"k": ["a"]}, schema={"k": pl.Categorical})
    text = pl.DataFrame({"k": ["a"], "v": [1]})
    out, counts = join(side("l", cat), side("r", text), on=["k"])
    assert out.collect().schema["k"] == pl.String and counts["matched"] == 1


def test_a_key_value_that_does_not_fit_the_common_type_is_a_data_error() -> None:
    big = pl.DataFrame({"id": [2**63 + 1]}, schema={"id": pl.UInt64})
    signed = pl.DataFrame({"id": [-1]}, schema={"id": pl.Int64})
    with pytest.raises(DataError, match=r"the join failed on the data: .*u64.* to .*i64"):
        join(side("l", signed), side("r", big), on=["id"])


def test_a_zero_column_side_is_empty_and_matches_nothing(tmp_path: Path) -> None:
    nothing = Side("customers", pl.LazyFrame(), {}, 0)  # an extract of zero rows, no schema
    left, counts = join(side("payments", payments()), nothing, on=["customer_id"], how="left")
    assert left.collect().columns == ["customer_id", "payment_id", "amount"]
    assert left.collect()["payment_id"].to_list() == [10, 11, 12, 13]
    assert counts == {"matched": 0, "left_only": 4, "right_only": 0,
                      "many_to_many_keys": 0, "many_to_many_rows": 0}
    inner, _ = join(side("payments", payments()), nothing, on=["customer_id"])
    assert inner.collect().height == 0
    full, counts = join(nothing, side("customers", customers()), on=["customer_id"],
                        how="full")
    assert full.collect().to_dict(as_series=False) == customers().to_dict(as_series=False)
    assert counts["right_only"] == 3
    both, _ = join(nothing, nothing, on=["customer_id"], how="full")
    assert write(tmp_path / "out.parquet", both) == 0
    assert pl.read_parquet(tmp_path / "out.parquet").columns == ["customer_id"]


def test_a_key_missing_on_one_side_is_bad_data_and_on_both_a_misspelled_on() -> None:
    with pytest.raises(DataError) as info:
        run("inner", right=customers().rename({"customer_id": "id"}))
    assert info.value.message == ("customers has no key column 'customer_id'; its columns: "
                                  "id, name")
    with pytest.raises(ConfigError) as config:
        join(side("payments", payments()), side("customers", customers()),
             on=["customer_ids"])
    assert config.value.message.startswith(
        "--on: key column 'customer_ids' is in neither input (did you mean 'customer_id'?)")


def test_options_are_checked_before_any_data() -> None:
    assert check_options(["a", "b", "a"], "full") == ["a", "b"]
    with pytest.raises(ConfigError, match="--on: give at least one key column"):
        check_options([], "inner")
    with pytest.raises(ConfigError, match="--how 'outer' is not one of inner, left, full"):
        check_options(["id"], "outer")
