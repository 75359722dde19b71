"""Streaming Parquet I/O: zstd, record batches, published atomically.

Outputs go through :func:`steps._core.files.atomic_path`, so a failed or killed step never
leaves a partial Parquet file that a later step (or a rerun) could read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from steps._core.errors import ConfigError, DataError
from steps._core.files import atomic_path

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 128 * 1024
BATCH_SIZE = 128 * 1024
DICTIONARY_MAX_RATIO = 0.5  # distinct / non-null values in the first batch
DICTIONARY_MIN_SAMPLE = 1000


class ParquetSink:
    """Append record batches or tables to one Parquet file, published atomically on close.

    The schema is taken from ``schema`` or from the first batch. Closing a sink that saw
    no rows writes an empty file with ``schema`` (or no columns), so downstream steps can
    tell "zero rows" from "missing input".
    """

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema | None = None, *,
                 use_dictionary: bool | list[str] | None = None) -> None:
        self.path = Path(path)
        self.schema = schema
        # Dictionary-encoding a near-unique column (ids, timestamps) costs up to 3x the
        # write time for nothing. A caller that knows its columns can list the repetitive
        # ones; None (the default) lets the first batch decide (see choose_dictionary).
        self.use_dictionary = use_dictionary
        self.rows = 0
        self._ctx = atomic_path(self.path)
        self._tmp: Path | None = None
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> ParquetSink:
        self._tmp = self._ctx.__enter__()
        return self

    def _open(self, schema: pa.Schema, first: pa.RecordBatch | pa.Table | None = None
              ) -> pq.ParquetWriter:
        assert self._tmp is not None, "use ParquetSink as a context manager"
        self.schema = schema
        dictionary = self.use_dictionary
        if dictionary is None:
            dictionary = choose_dictionary(first) if first is not None else True
        self._writer = pq.ParquetWriter(self._tmp, schema, compression=COMPRESSION,
                                        use_dictionary=dictionary)
        return self._writer

    def write(self, data: pa.RecordBatch | pa.Table) -> None:
        """Append ``data`` as row groups of at most ``ROW_GROUP_SIZE`` rows (one per call
        for smaller batches, so a streaming caller's memory stays one batch)."""
        writer = self._writer or self._open(data.schema, data)
        if not data.schema.equals(writer.schema):
            try:
                data = data.cast(writer.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise DataError(f"schema changed between batches: {exc}") from exc
        table = pa.Table.from_batches([data]) if isinstance(data, pa.RecordBatch) else data
        writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
        self.rows += data.num_rows

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None and self._writer is None:
            self._open(self.schema if self.schema is not None else pa.schema([]))
        if self._writer is not None:
            self._writer.close()
        self._ctx.__exit__(exc_type, exc, tb)


class WriteBehind:
    """Writes to a :class:`ParquetSink` on a second thread: the Parquet encoder releases the
    GIL, so encoding one table overlaps with making the next. One write in flight at a
    time; a failed write is raised by the next :meth:`write` or by :meth:`finish`."""

    def __init__(self, sink: ParquetSink) -> None:
        self.sink = sink
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self.pending: Future[None] | None = None

    def __enter__(self) -> WriteBehind:
        return self

    def write(self, table: pa.Table) -> None:
        self.finish()
        self.pending = self.pool.submit(self.sink.write, table)

    def finish(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # re-raises a failed write here

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown(wait=True)  # the sink must not close under a running write


def open_parquet(path: str | os.PathLike[str], *, pre_buffer: bool = True
                 ) -> pq.ParquetFile:
    """Open an input, mapping a missing file to ConfigError and a corrupt one to DataError.

    ``pre_buffer=False`` for a long ``iter_batches``: with it on, pyarrow 26 kept part of
    every row group read, and a 10M-row stream grew by ~1 MiB a batch."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"input file not found: {p}", path=str(p))
    try:
        return pq.ParquetFile(p, pre_buffer=pre_buffer)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"input {p} is not a readable Parquet file: {exc}", path=str(p)) from exc


def iter_batches(
    path: str | os.PathLike[str], batch_size: int = BATCH_SIZE, columns: list[str] | None = None
) -> Iterator[pa.RecordBatch]:
    pf = open_parquet(path)
    try:
        yield from pf.iter_batches(batch_size=batch_size, columns=columns)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"input {path} is corrupt: {exc}", path=str(path)) from exc


def read_table(path: str | os.PathLike[str]) -> pa.Table:
    pf = open_parquet(path)
    try:
        return pf.read()
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"input {path} is corrupt: {exc}", path=str(path)) from exc


def write_table(path: str | os.PathLike[str], table: pa.Table) -> int:
    # One call: the writer cuts the row groups itself, without a Table per batch.
    with ParquetSink(path, table.schema) as sink:
        sink.write(table)
    return table.num_rows


def choose_dictionary(data: pa.RecordBatch | pa.Table) -> bool | list[str]:
    """The Parquet columns worth dictionary-encoding, judged on a first batch.

    pyarrow starts every row group with a dictionary for every column and falls back to
    plain encoding only once it passes ``dictionary_pagesize_limit`` (1 MiB). For a
    near-unique column that is most of each row group hashed for nothing and a larger
    file: with 128k-row groups, 1M rows took 2x as long as one ``pq.write_table`` call
    (whose single 1M-row group falls back once) and the file was 35 % larger. Columns
    with at most ``DICTIONARY_MAX_RATIO`` distinct values keep the dictionary; nested and
    dictionary-typed columns keep pyarrow's default (on).
    """
    if data.num_rows < DICTIONARY_MIN_SAMPLE:
        return True  # too few rows to judge: pyarrow's default
    data = data.slice(0, ROW_GROUP_SIZE)  # the decision is per row group; so is the sample
    chosen: list[str] = []
    for field, column in zip(data.schema, data.columns, strict=True):
        kind = field.type
        if pa.types.is_nested(kind) or pa.types.is_dictionary(kind):
            chosen.extend(_leaf_paths(field.name, kind))
            continue
        try:
            # Unique ids, amounts and timestamps show in a few thousand rows: skip the
            # full count (a third of this function's time) for them.
            if _distinct_ratio(column.slice(0, 8192)) < 0.97 and _distinct_ratio(
                    column) <= DICTIONARY_MAX_RATIO:
                chosen.append(field.name)
        except pa.ArrowNotImplementedError:
            chosen.append(field.name)
    return chosen or False


def _distinct_ratio(column: pa.Array | pa.ChunkedArray) -> float:
    return len(column.unique()) / max(1, len(column) - column.null_count)


def _leaf_paths(name: str, kind: pa.DataType) -> list[str]:
    """Parquet column paths under a field, as pyarrow names them (compliant nesting)."""
    if pa.types.is_struct(kind):
        return [path for child in kind for path in _leaf_paths(f"{name}.{child.name}",
                                                                child.type)]
    if pa.types.is_map(kind):
        return (_leaf_paths(f"{name}.key_value.key", kind.key_type)
                + _leaf_paths(f"{name}.key_value.value", kind.item_type))
    if isinstance(kind, pa.ListType | pa.LargeListType | pa.FixedSizeListType):
        return _leaf_paths(f"{name}.list.element", kind.value_type)
    return [name]
