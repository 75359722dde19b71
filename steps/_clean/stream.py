"""clean over files in bounded memory: the same union, dedupe, counts and errors as
``steps.clean.union`` + ``steps.clean.clean`` on whole frames, batch by batch.

1. Shapes: each input's schema and row count from its footer; the same-entity checks
   and the union's types come from them, before any row is read.
2. A day of at most ``PARTITION_ROWS`` rows is read whole and cleaned in memory, as
   before (it fits, and one pass is faster).
3. A larger day is read in batches, aligned to the union's types and numbered, and
   spread over hash partitions on disk by key (by the whole row without ``--key``). A
   key's rows, and a row's copies, share a partition, so each partition is
   deduplicated on its own by ``steps.clean.dedupe``; the rows that go are marked in a
   bitmap of the day's rows (one byte a row).
4. The aligned batches, kept in an LZ4 Arrow file on disk as they were read (a
   ``FrameSpill``: cheaper than reading and parsing the inputs again), are read back and
   the unmarked rows written: the output keeps input order without holding it.

A value that does not convert is counted over its whole input, as on a whole frame,
before the step fails with the same message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from steps import _spec
from steps import clean as core
from steps._core import frames
from steps._core.batch_flow import prefetch
from steps._core.frames import ROW, FirstValues, FrameSink, FrameSpill, HashPartitions

PARTITION_ROWS = 250_000  # ~60 MiB of work per partition for the orders table


def clean_files(inputs: Sequence[tuple[str, Path]], out: Path, *, key: Sequence[str] = (),
                order_by: str | None = None, parse_timestamps: Sequence[str] = (),
                partition_rows: int = PARTITION_ROWS, batch_rows: int = frames.BATCH_ROWS // 2,
                shard: tuple[int, int] | None = None) -> dict[str, Any]:
    """Clean ``inputs`` (name, path) into ``out``; the counts, with ``input_rows``.

    ``shard`` (index, count): keep only the rows of that shard of the key
    (``frames.shard_of``), aligned first; the counts are then the shard's."""
    shapes = [(name, *frames.input_shape(path)) for name, path in inputs]
    core.check_shapes([(n, list(schema), rows) for n, schema, rows in shapes], key)
    schema = core.union_schema([(n, schema) for n, schema, _ in shapes], parse_timestamps)
    input_rows = [rows for _, _, rows in shapes]
    used = [(name, path) for (name, path), (_, sch, _) in zip(inputs, shapes, strict=True)
            if sch]
    total = sum(rows for _, sch, rows in shapes if sch)
    sharded = shard if shard is not None and all(k in schema for k in key) else None
    expected = total // sharded[1] if sharded else total
    if frames.partition_count(expected, partition_rows) == 1:
        merged = core.union([_spec.read_frame(path) for _, path in inputs],
                            [name for name, _ in inputs], parse_timestamps=parse_timestamps)
        if sharded and merged.width:
            merged = merged.filter(frames.shard_of(key, sharded[1]) == sharded[0])
        result, counts = core.clean(merged, key=key, order_by=order_by)
        _spec.write_frame(out, result)
        return {**counts, "input_rows": input_rows}
    import numpy as np

    wanted = [*key, *([order_by] if order_by else [])]
    missing = [col for col in wanted if col not in schema]
    dropped = np.zeros(total, dtype=bool)
    counts = core.no_counts()
    conflicts = []
    with HashPartitions(frames.partition_count(expected, partition_rows), key or list(schema),
                        directory=str(out.parent)) as parts, \
            FrameSpill(str(out.parent)) as spill:
        offset = 0
        # read and converted by a thread ahead: decoding and parsing overlap the writes
        for aligned in prefetch(_aligned(used, schema, batch_rows, shard=sharded, key=key), 2):
            if not missing:
                parts.add(aligned.with_row_index(ROW, offset))
            spill.add(aligned)
            offset += aligned.height
        core.check_columns(wanted, list(schema))  # after the conversions, as clean() does
        for part in parts:
            gone, found, first = core.dedupe(part, list(schema), key, order_by)
            dropped[gone.to_numpy()] = True
            counts = {k: counts[k] + found[k] for k in counts}
            conflicts.append(first)
        core.log_passed_on(counts, pl.concat(conflicts), key)
        with FrameSink(out) as sink:
            offset = 0
            for aligned in prefetch(spill, 2):
                keep = ~dropped[offset:offset + aligned.height]
                sink.write(aligned.filter(pl.Series(keep)) if not keep.all() else aligned)
                offset += aligned.height
    return {"rows_in": offset, **counts, "rows": offset - int(dropped.sum()),
            "input_rows": input_rows}


def _aligned(inputs: Sequence[tuple[str, Path]], schema: dict[str, Any], batch_rows: int,
             *, shard: tuple[int, int] | None = None,
             key: Sequence[str] = ()) -> Iterator[pl.DataFrame]:
    """Each input's batches in the union's columns and types, inputs in order (only
    ``shard``'s rows of ``key``, when given).

    An input with values that do not convert fails once it has been read to its end,
    with the count over the whole input (over the shard's rows, in a shard) and its first
    sample values."""
    columns = list(schema)
    mine = frames.shard_of(key, shard[1]) == shard[0] if shard else None
    for name, path in inputs:
        failed: dict[str, tuple[int, FirstValues]] = {}
        for frame in frames.iter_frames(path, batch_rows):
            # a key already in the union's types hashes as it will once aligned: keep the
            # shard's rows first, so that only they are converted (timestamps parsed)
            early = all(frame.schema.get(k) == schema[k] for k in key)
            if mine is not None and early:
                frame = frame.filter(mine)
            aligned, failures = core.convert(frame, schema)
            for col, bad in failures.items():
                count, samples = failed.setdefault(col, (0, FirstValues(core.SAMPLES)))
                samples.add(frame.select(pl.col(col).filter(bad)))
                failed[col] = (count + int(bad.sum()), samples)
            if failed:
                continue  # this input fails; only its counts matter now
            absent = [pl.lit(None, schema[c]).alias(c) for c in columns if c not in aligned]
            whole = (aligned.with_columns(absent) if absent else aligned).select(columns)
            yield whole if mine is None or early else whole.filter(mine)
        for col in frame.columns:  # the first failing column, as on a whole frame
            if col in failed:
                count, samples = failed[col]
                assert samples.frame is not None
                raise core.conversion_error(col, name, count,
                                            samples.frame.to_series().to_list(), schema)
