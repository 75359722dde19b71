"""Streaming Parquet I/O: zstd, record batches, published atomically.

Outputs go through :func:`steps._core.files.atomic_path`, so a failed or killed step never
leaves a partial Parquet file that a later step (or a rerun) could read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.parquet as pq

from steps._core.errors import ConfigError, DataError
from steps._core.files import atomic_path, write_json, write_text

__all__ = ["ParquetSink", "atomic_path", "iter_batches", "open_parquet", "read_table",
           "write_json", "write_table", "write_text"]

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 128 * 1024
BATCH_SIZE = 128 * 1024


class ParquetSink:
    """Append record batches or tables to one Parquet file, published atomically on close.

    The schema is taken from ``schema`` or from the first batch. Closing a sink that saw
    no rows writes an empty file with ``schema`` (or no columns), so downstream steps can
    tell "zero rows" from "missing input".
    """

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema | None = None, *,
                 use_dictionary: bool | list[str] = True) -> None:
        self.path = Path(path)
        self.schema = schema
        # Dictionary-encoding a near-unique column (ids, timestamps) costs up to 3x the
        # write time for nothing; a caller that knows its columns can list the others.
        self.use_dictionary = use_dictionary
        self.rows = 0
        self._ctx = atomic_path(self.path)
        self._tmp: Path | None = None
        self._writer: pq.ParquetWriter | None = None

    def __enter__(self) -> ParquetSink:
        self._tmp = self._ctx.__enter__()
        return self

    def _open(self, schema: pa.Schema) -> pq.ParquetWriter:
        assert self._tmp is not None, "use ParquetSink as a context manager"
        self.schema = schema
        self._writer = pq.ParquetWriter(self._tmp, schema, compression=COMPRESSION,
                                        use_dictionary=self.use_dictionary)
        return self._writer

    def write(self, data: pa.RecordBatch | pa.Table) -> None:
        writer = self._writer or self._open(data.schema)
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


def open_parquet(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """Open an input, mapping a missing file to ConfigError and a corrupt one to DataError."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"input file not found: {p}", path=str(p))
    try:
        return pq.ParquetFile(p)
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
    with ParquetSink(path, table.schema) as sink:
        for batch in table.to_batches(max_chunksize=BATCH_SIZE):
            sink.write(batch)
    return table.num_rows
