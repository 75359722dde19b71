"""Convert pages of records to Arrow and write them to Parquet on a second thread.

The Parquet encoder releases the GIL, so encoding one row group overlaps with converting
the next pages. Batches are gathered into whole row groups (``ROW_GROUP_SIZE`` rows)
before writing; at most one group is being written while the next fills, so memory does
not grow with the number of pages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from steps._core.parquet_io import ROW_GROUP_SIZE, ParquetSink, WriteBehind
from steps._extract_http.columns import Columnizer

LOOKAHEAD_PAGES = 8


@dataclasses.dataclass
class Outcome:
    rows: int = 0
    pages: int = 0
    columns: list[str] = dataclasses.field(default_factory=list)


def write_pages(pages: Iterator[list[Any]], columnizer: Columnizer, out: Path) -> Outcome:
    """Convert each page and append it to ``out`` (published only if all pages succeed)."""
    outcome = Outcome()
    head: list[pa.RecordBatch] = []  # pages held back until all-null columns get a type
    for records in pages:
        outcome.pages += 1
        batch = columnizer.batch(records)
        if columnizer.schema is None:
            continue  # only empty pages so far
        head.append(batch)
        if columnizer.frozen or not columnizer.pending or len(head) >= LOOKAHEAD_PAGES:
            break
    group = _settle(columnizer, head)
    dictionary = columnizer.repetitive or False
    with ParquetSink(out, columnizer.schema, use_dictionary=dictionary) as sink, \
            WriteBehind(sink) as writer:
        rows = sum(b.num_rows for b in group)
        for records in pages:
            outcome.pages += 1
            batch = columnizer.batch(records)
            del records
            group.append(batch)
            rows += batch.num_rows
            if rows >= ROW_GROUP_SIZE:  # write whole row groups; keep the rest for the next
                table = pa.Table.from_batches(group)
                writer.write(table.slice(0, ROW_GROUP_SIZE))
                group = table.slice(ROW_GROUP_SIZE).to_batches()
                rows -= ROW_GROUP_SIZE
        if rows:
            writer.write(pa.Table.from_batches(group))
        writer.finish()
        outcome.rows = sink.rows
    outcome.columns = list(columnizer.schema.names) if columnizer.schema is not None else []
    return outcome


def _settle(columnizer: Columnizer, head: list[pa.RecordBatch]) -> list[pa.RecordBatch]:
    """Freeze the schema; type the head pages' all-null columns as it says."""
    columnizer.frozen = True
    schema = columnizer.schema
    out = []
    for batch in head:
        if schema is not None and not batch.schema.equals(schema):
            batch = pa.RecordBatch.from_arrays(
                [col if col.type == f.type else col.cast(f.type)
                 for col, f in zip(batch.columns, schema, strict=True)], schema=schema)
        if batch.num_rows:
            out.append(batch)
    return out
