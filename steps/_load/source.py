"""The input side of a load: Parquet batches of bounded size, conformed to the target.

Batches follow the file's row groups (read whole, which allocates far less than
``iter_batches`` over the file: 176 vs 279 MiB peak for 5M rows), grouping small row
groups and splitting large ones, so memory is bounded by ``batch_rows``, not by the
file. :class:`Conformer` casts the columns the target needs cast and appends the
partition column (and, for upserts, a row ordinal that lets the last duplicate win).

A folder input (a sharded pipeline's shards) is its ``.parquet`` files in shard order,
one schema, as one input.

The content checksum is ``sha256:`` of the input Parquet file's bytes, hashed in a
background thread while the load runs (hashlib releases the GIL): cheap, stable for
the same input file, and independent of the target.
"""

from __future__ import annotations

import array
import datetime as dt
import hashlib
import os
import threading
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from steps._core.errors import DataError
from steps._core.files import shard_order
from steps._core.parquet_io import open_parquet
from steps._load.ddl import Column

ORD_COLUMN = "_cadencia_ord"


def shard_files(folder: str | os.PathLike[str]) -> list[str]:
    """The Parquet files of a folder input (a sharded pipeline's shards, ``0.parquet``,
    ``1.parquet``, ...), in shard order: by name, shorter names first."""
    names = sorted((n for n in os.listdir(folder) if n.endswith(".parquet")),
                   key=shard_order)
    if not names:
        raise DataError(f"input folder {folder} holds no .parquet file", path=str(folder))
    return [os.path.join(folder, n) for n in names]


class Source:
    """One input Parquet file, or a folder of them with one schema (a sharded pipeline's
    shards: loaded as one input), read in batches of about ``batch_rows`` rows."""

    def __init__(self, path: str | os.PathLike[str], batch_rows: int) -> None:
        self.path = str(path)
        self.paths = shard_files(path) if os.path.isdir(path) else [self.path]
        self.files: list[pq.ParquetFile] = [open_parquet(p) for p in self.paths]
        self.schema: pa.Schema = self.files[0].schema_arrow
        for other, f in zip(self.paths[1:], self.files[1:], strict=True):
            if not f.schema_arrow.equals(self.schema):
                raise DataError(f"input {other} has another schema than {self.paths[0]}: "
                                f"{f.schema_arrow.names} vs {self.schema.names}", path=other)
        self.num_rows: int = sum(f.metadata.num_rows for f in self.files)
        self.batch_rows = batch_rows

    def batches(self) -> Iterator[pa.RecordBatch]:
        for path, file in zip(self.paths, self.files, strict=True):
            try:
                yield from self._batches(file)
            except (pa.ArrowInvalid, OSError) as exc:
                raise DataError(f"input {path} is corrupt: {exc}", path=path) from exc

    def _batches(self, file: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
        meta = file.metadata
        pending: list[int] = []
        pending_rows = 0
        for i in range(meta.num_row_groups):
            rows = meta.row_group(i).num_rows
            if rows > 2 * self.batch_rows:
                yield from self._flush(file, pending)
                pending, pending_rows = [], 0
                yield from file.iter_batches(batch_size=self.batch_rows, row_groups=[i])
                continue
            pending.append(i)
            pending_rows += rows
            if pending_rows >= self.batch_rows:
                yield from self._flush(file, pending)
                pending, pending_rows = [], 0
        yield from self._flush(file, pending)

    @staticmethod
    def _flush(file: pq.ParquetFile, groups: list[int]) -> Iterator[pa.RecordBatch]:
        if not groups:
            return
        table = (file.read_row_group(groups[0]) if len(groups) == 1
                 else file.read_row_groups(groups).combine_chunks())
        yield from table.to_batches()


class Conformer:
    """Turns input batches into the column list the target receives.

    Constant and ordinal columns are built from raw buffers: ``pa.array`` on Python
    values makes pyarrow import pandas, which would add 0.4-1 s to every load.
    """

    def __init__(self, columns: Sequence[Column], partition_column: str,
                 partition_value: dt.date | str, *, with_ordinal: bool = False) -> None:
        self.columns = list(columns)
        self.partition_column = partition_column
        self.partition_value = partition_value
        self.partition_type = pa.string() if isinstance(partition_value, str) else pa.date32()
        self.with_ordinal = with_ordinal
        self._constant = self._repeat(0)
        self.rows = 0

    def _repeat(self, n: int) -> pa.Array:
        value = self.partition_value
        if isinstance(value, str):
            data = value.encode()
            offsets = array.array("i", range(0, (n + 1) * len(data), len(data)))
            return pa.Array.from_buffers(pa.string(), n, [
                None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data * n)])
        days = (value - dt.date(1970, 1, 1)).days
        return pa.Array.from_buffers(pa.date32(), n, [
            None, pa.py_buffer(array.array("i", [days]).tobytes() * n)])

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        n = batch.num_rows
        arrays = []
        for col, column in zip(self.columns, batch.columns, strict=True):
            if col.cast is not None:
                # PostgreSQL keeps microseconds: nanoseconds are truncated, not refused.
                nanos = getattr(column.type, "unit", None) == "ns"
                try:
                    column = column.cast(col.cast, safe=not nanos)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    raise DataError(f"column {col.name!r} does not fit {col.pg_type}: {exc}",
                                    column=col.name) from exc
            arrays.append(column)
        if len(self._constant) < n:
            self._constant = self._repeat(n)
        arrays.append(self._constant.slice(0, n))
        if self.with_ordinal:
            ordinal = array.array("q", range(self.rows, self.rows + n))
            arrays.append(pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(ordinal)]))
        self.rows += n
        return pa.RecordBatch.from_arrays(arrays, names=self.names)

    @property
    def names(self) -> list[str]:
        extra = [ORD_COLUMN] if self.with_ordinal else []
        return [c.name for c in self.columns] + [self.partition_column, *extra]


class Checksum:
    """sha256 of a file, computed in a background thread; of a folder of shards, the
    sha256 of each file's name and sha256 in shard order."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._digest: str | None = None
        self._error: OSError | DataError | None = None
        self._thread = threading.Thread(target=self._run, name="checksum", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if not os.path.isdir(self.path):
                with open(self.path, "rb") as f:
                    self._digest = hashlib.file_digest(f, "sha256").hexdigest()
                return
            whole = hashlib.sha256()
            for path in shard_files(self.path):
                with open(path, "rb") as f:
                    part = hashlib.file_digest(f, "sha256").hexdigest()
                whole.update(f"{os.path.basename(path)} {part}\n".encode())
            self._digest = whole.hexdigest()
        except (OSError, DataError) as exc:
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise DataError(f"cannot read input {self.path}: {self._error}") from self._error
        return f"sha256:{self._digest}"
