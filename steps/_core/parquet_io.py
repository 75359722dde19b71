"""Streaming Parquet I/O (zstd, record batches) and atomic output files.

Outputs are written to a temporary file beside the target and renamed into place only
when the step succeeds, so a failed or killed step never leaves a partial output that a
later step (or a rerun) could read.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from steps._core.errors import ConfigError, DataError

COMPRESSION = "zstd"
ROW_GROUP_SIZE = 128 * 1024
BATCH_SIZE = 128 * 1024


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path; rename it to ``path`` on success, delete it on failure."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


class ParquetSink:
    """Append record batches or tables to one Parquet file, published atomically on close.

    The schema is taken from ``schema`` or from the first batch. Closing a sink that saw
    no rows writes an empty file with ``schema`` (or no columns), so downstream steps can
    tell "zero rows" from "missing input".
    """

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema | None = None) -> None:
        self.path = Path(path)
        self.schema = schema
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
        self._writer = pq.ParquetWriter(self._tmp, schema, compression=COMPRESSION)
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
