"""validate over a Parquet file in bounded memory: the input is read in batches and each
batch judged by :class:`steps._validate.evaluate.Evaluation` in order, its rejected and
good rows handed on as they go.

A ``unique`` rule needs every row of a key at once. Before the batches are judged, one
pass spreads each such rule's key columns (and the row number) over hash partitions on
disk, so that every row of a key shares a partition; each partition is judged with the
rule's own expression, and the rows that fail are marked in a bitmap of the input's rows
(one byte a row), handed to the evaluation batch by batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from steps import _spec
from steps._core import frames
from steps._core.frames import ROW, HashPartitions
from steps._validate.checks import row_check
from steps._validate.evaluate import Evaluation, verdict_column
from steps._validate.rules import Rule

PARTITION_ROWS = 500_000  # key columns and row numbers only: ~10 MiB of work each
WHOLE_ROWS = 500_000  # up to this many rows, one frame (~100 MiB) beats batches


def validate_file(source: Path, rules: list[Rule], *, reject_threshold: float,
                  reference: dt.datetime, on_good: Callable[[pl.DataFrame], None],
                  on_quarantine: Callable[[pl.DataFrame], None],
                  batch_rows: int = frames.BATCH_ROWS, partition_rows: int = PARTITION_ROWS,
                  whole_rows: int = WHOLE_ROWS, shard: bool = False
                  ) -> tuple[dict[str, Any], list[str]]:
    """The report and why the run fails (empty when it passes); see the module docstring.
    An input of at most ``whole_rows`` rows is judged whole, in one batch. ``shard``: the
    input is one shard of the day (``Evaluation.finish``)."""
    schema, rows = frames.input_shape(source)
    if rows <= whole_rows:
        whole = Evaluation(rules, schema, rows, on_good=on_good, on_quarantine=on_quarantine)
        whole.add(_spec.read_frame(source))
        return whole.finish(reject_threshold, reference, shard=shard)
    unique = {i: r for i, r in enumerate(rules) if r.kind == "unique" and rows
              and all(c in schema for c in r.columns)}
    verdicts = _unique_verdicts(source, unique, rows, batch_rows, partition_rows)
    evaluation = Evaluation(rules, schema, rows, on_good=on_good, on_quarantine=on_quarantine,
                            precomputed=frozenset(unique))
    offset = 0
    from steps._core.batch_flow import prefetch  # pyarrow: only when a day streams

    for frame in prefetch(frames.iter_frames(source, batch_rows), 2):  # decoded ahead
        end = offset + frame.height
        evaluation.add(frame, [pl.Series(verdict_column(i), mask[offset:end])
                               for i, mask in verdicts.items()])
        offset = end
    return evaluation.finish(reject_threshold, reference, shard=shard)


def _unique_verdicts(source: Path, unique: dict[int, Rule], rows: int, batch_rows: int,
                     partition_rows: int) -> dict[int, Any]:
    """For each ``unique`` rule (by index), which rows of the input fail it."""
    import numpy as np

    if not unique:
        return {}
    count = frames.partition_count(rows, partition_rows)
    verdicts = {}
    parts = {i: HashPartitions(count, rule.columns) for i, rule in unique.items()}
    try:
        offset = 0
        keys = list(dict.fromkeys(c for rule in unique.values() for c in rule.columns))
        for frame in frames.iter_frames(source, batch_rows, columns=keys):
            for i, rule in unique.items():
                parts[i].add(frame.select(rule.columns).with_row_index(ROW, offset))
            offset += frame.height
        for i, rule in unique.items():
            mask = np.zeros(rows, dtype=bool)
            fails = row_check(rule, pl.DataFrame(schema=dict(frame.schema)))[0].fill_null(False)
            for part in parts[i]:
                hit = part.select(fails).to_series()
                mask[part[ROW].filter(hit).to_numpy()] = True
            verdicts[i] = mask
    finally:
        for p in parts.values():
            p.__exit__(None, None, None)
    return verdicts
