"""clean over files in batches and hash partitions gives what clean on whole frames gives:
the same rows in the same order, the same counts, warning and errors."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from steps._clean.stream import clean_files
from steps._core.errors import ConfigError, DataError
from steps.clean import clean, union

T0 = dt.datetime(2024, 1, 1)


def sources() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two overlapping sources with whole-row copies, newer versions, ties, null keys."""
    ids = [1, 2, 3, 4, 5, 6, 7, 8, None, None, 9, 10, 11, 12, 13, 14]
    a = pl.DataFrame({"id": ids, "nome": [f"n{i}" for i in range(len(ids))],
                      "valor": [float(i) for i in range(len(ids))],
                      "created_at": [T0 + dt.timedelta(hours=i % 5) for i in range(len(ids))]})
    b = pl.DataFrame({
        "id": [5, 6, 7, 8, 9, None, 20, 21, 22, 3, 3, 30],
        "nome": ["n4", "other", "n6", "n7b", "n10", "n8", "x", "y", "z", "n2", "q", "w"],
        "valor": [4.0, 5.0, 6.0, 7.0, 10.0, 8.0, 1.0, 2.0, 3.0, 2.0, 9.0, 1.0],
        "created_at": [(T0 + dt.timedelta(hours=h)).isoformat() for h in
                       (4, 0, 1, 9, 0, 3, 1, 1, 1, 2, 2, 0)]})
    return a, b


def both_ways(tmp_path: Path, frames: list[pl.DataFrame], caplog: pytest.LogCaptureFixture,
              **options: Any) -> tuple[pl.DataFrame, dict[str, Any], list[str],
                                       pl.DataFrame, dict[str, Any], list[str]]:
    paths = []
    for i, frame in enumerate(frames):
        paths.append(tmp_path / f"in{i}.parquet")
        frame.write_parquet(paths[-1], row_group_size=4)
    names = [f"in{i}" for i in range(len(frames))]
    caplog.clear()
    whole, counts = clean(union(frames, names), **options)
    logged = [r.getMessage() for r in caplog.records]
    caplog.clear()
    out = tmp_path / "out.parquet"
    streamed = clean_files(list(zip(names, paths, strict=True)), out, partition_rows=5,
                           batch_rows=3, **options)
    streamed_logged = [r.getMessage() for r in caplog.records]
    assert streamed.pop("input_rows") == [f.height for f in frames]
    return whole, counts, logged, pl.read_parquet(out), streamed, streamed_logged


@pytest.mark.parametrize("options", [
    {"key": ["id"], "order_by": "created_at"},
    {"key": ["id"]},
    {"key": ["id", "nome"], "order_by": "created_at"},
    {},
])
def test_partitioned_clean_matches_the_whole_frame(tmp_path: Path, options: dict[str, Any],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="steps.clean")
    whole, counts, logged, streamed, streamed_counts, streamed_logged = both_ways(
        tmp_path, list(sources()), caplog, **options)
    assert_frame_equal(streamed, whole)
    assert streamed_counts == counts
    assert streamed_logged == logged


def test_partitioned_clean_keeps_the_errors(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    a, b = sources()
    soon = pl.concat_str([pl.lit("soon "), pl.col("valor")])
    bad = b.with_columns(pl.when(pl.col("valor") > 5).then(soon).otherwise(
        pl.col("created_at")).alias("created_at"))
    with pytest.raises(DataError) as whole:
        union([a, bad], ["in0", "in1"])
    with pytest.raises(DataError) as streamed:
        both_ways(tmp_path, [a, bad], caplog, key=["id"])
    assert str(streamed.value) == str(whole.value)
    assert "5 value(s)" in str(whole.value) and "soon 10.0" in str(whole.value)
    with pytest.raises(ConfigError) as typo:
        both_ways(tmp_path, [a, b], caplog, key=["idd"])
    assert "'idd'" in str(typo.value) and "did you mean 'id'" in str(typo.value)


@pytest.mark.parametrize("narrow_id", [False, True], ids=["same-types", "int32-id"])
@pytest.mark.parametrize("partition_rows", [5, 1_000_000], ids=["partitioned", "whole"])
@pytest.mark.parametrize("options", [
    {"key": ["id"], "order_by": "created_at"},
    {"key": ["id", "nome"]},
])
def test_shards_together_keep_exactly_the_rows_one_clean_keeps(
        tmp_path: Path, options: dict[str, Any], partition_rows: int, narrow_id: bool) -> None:
    """A sharded pipeline's K cleans: each row of the unsharded output is in exactly one
    shard (a key's versions and copies from both sources meet there), and the counts add
    up to the unsharded ones. With an int32 id in one source, its rows are assigned a
    shard once widened, as the other source's int64 ids are."""
    a, b = sources()
    if narrow_id:
        b = b.with_columns(pl.col("id").cast(pl.Int32))
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    a.write_parquet(paths[0], row_group_size=4)
    b.write_parquet(paths[1], row_group_size=4)
    inputs = list(zip(["a", "b"], paths, strict=True))
    whole = clean_files(inputs, tmp_path / "all.parquet", partition_rows=partition_rows,
                        batch_rows=3, **options)
    expected = pl.read_parquet(tmp_path / "all.parquet")
    parts, counts = [], []
    for shard in range(3):
        out = tmp_path / f"shard{shard}.parquet"
        counts.append(clean_files(inputs, out, partition_rows=partition_rows, batch_rows=3,
                                  shard=(shard, 3), **options))
        parts.append(pl.read_parquet(out))
    assert all(p.height for p in parts), "the test data should reach every shard"
    got = pl.concat(parts)
    order = [*options["key"], "nome", "created_at"]
    assert_frame_equal(got.sort(order, nulls_last=True), expected.sort(order, nulls_last=True))
    for name in ("rows_in", "rows", "duplicates_dropped", "superseded_dropped",
                 "null_key_rows", "conflicting_rows"):
        assert sum(c[name] for c in counts) == whole[name], name


def test_a_shard_outside_the_shards_or_without_a_key_is_a_configuration_error() -> None:
    from steps.clean import shard_arg

    assert shard_arg(None, 1, []) is None
    assert shard_arg(2, 4, ["id"]) == (2, 4)
    for shard, shards, key in ((4, 4, ["id"]), (-1, 4, ["id"]), (None, 4, ["id"]),
                               (0, 4, []), (0, 0, ["id"])):
        with pytest.raises(ConfigError):
            shard_arg(shard, shards, key)


def test_partitioned_clean_writes_into_an_output_folder_nobody_made(tmp_path: Path) -> None:
    """On a pod the output's folder (/tmp/cadencia/out) does not exist until the step
    writes: the partitions, kept beside the output, must not need it first."""
    a, b = sources()
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    a.write_parquet(paths[0])
    b.write_parquet(paths[1])
    out = tmp_path / "cadencia" / "out" / "data.parquet"

    counts = clean_files([("a", paths[0]), ("b", paths[1])], out, key=["id"],
                         order_by="created_at", parse_timestamps=["created_at"],
                         partition_rows=5, batch_rows=3)

    assert pl.read_parquet(out).height == counts["rows"] > 0
    assert list(out.parent.iterdir()) == [out]  # the partitions are gone


def crowded(seed: int, rows: int = 120) -> list[pl.DataFrame]:
    """Two sources over few keys, versions and values: many whole-row copies (among the
    latest rows and among older versions), ties, conflicts, null keys and null versions."""
    import random

    rnd = random.Random(seed)

    def source(n: int) -> pl.DataFrame:
        return pl.DataFrame({
            "id": [rnd.choice([None, *range(12)]) for _ in range(n)],
            "nome": [rnd.choice("ab") for _ in range(n)],
            "valor": [float(rnd.randrange(2)) for _ in range(n)],
            "created_at": [None if rnd.random() < 0.05
                           else T0 + dt.timedelta(hours=rnd.randrange(3)) for _ in range(n)]})

    unversioned = pl.DataFrame({"id": [99, 99, 99], "nome": ["a", "b", "a"],  # no version
                                "valor": [1.0, 1.0, 1.0], "created_at": [None, None, None]},
                               schema_overrides={"created_at": pl.Datetime("us")})
    return [pl.concat([source(rows), unversioned]), source(rows // 2)]


def by_definition(frame: pl.DataFrame, key: list[str], order_by: str | None = None
                  ) -> tuple[pl.DataFrame, dict[str, int]]:
    """clean's dedupe as the module docstring defines it, step by step over the whole
    frame: drop whole-row copies (first kept), then older versions of each key; count
    what is left sharing a key, and the null keys."""
    work = frame.with_row_index("row")
    unique = work.unique(subset=frame.columns, keep="first").sort("row")
    null_key = pl.any_horizontal([pl.col(k).is_null() for k in key])
    kept = unique
    if order_by:
        latest = pl.col(order_by).max().over(key)
        kept = unique.filter(null_key | latest.is_null() | (pl.col(order_by) == latest))
    keyed = kept.filter(~null_key)
    counts = {"duplicates_dropped": work.height - unique.height,
              "superseded_dropped": unique.height - kept.height,
              "null_key_rows": kept.filter(null_key).height,
              "conflicting_rows": keyed.filter(pl.struct(key).is_duplicated()).height}
    return kept.drop("row"), counts


@pytest.mark.parametrize("options", [
    {"key": ["id"], "order_by": "created_at"},
    {"key": ["id"]},
    {"key": ["id", "nome"], "order_by": "created_at"},
    {"key": ["id"], "order_by": "valor"},
    {"key": ["id"], "order_by": "id"},
])
@pytest.mark.parametrize("seed", [1, 2])
def test_crowded_keys_are_cleaned_as_defined_whole_and_partitioned(
        tmp_path: Path, options: dict[str, Any], seed: int,
        caplog: pytest.LogCaptureFixture) -> None:
    """Few keys, versions and values: whole-row copies among the latest rows and among
    older versions, ties, conflicts, null keys and null versions. clean compares whole
    rows only where a key's version repeats; every row's fate and every count must still
    be the definition's, on the whole frame and partitioned."""
    caplog.set_level(logging.WARNING, logger="steps.clean")
    frames = crowded(seed)
    whole, counts, logged, streamed, streamed_counts, streamed_logged = both_ways(
        tmp_path, frames, caplog, **options)
    expected, expected_counts = by_definition(pl.concat(frames), **options)
    assert expected_counts["duplicates_dropped"] and expected_counts["conflicting_rows"], \
        "weak test data"
    assert_frame_equal(whole, expected)
    assert {k: counts[k] for k in expected_counts} == expected_counts
    assert_frame_equal(streamed, whole)
    assert streamed_counts == counts
    assert streamed_logged == logged
