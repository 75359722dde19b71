"""Polars frames in bounded memory: Parquet inputs read in batches, outputs appended in
batches, and rows spread over files on disk by a hash of their key.

The frame steps (clean, transform, validate) use these so that their peak memory follows
the batch size, not the day's size. A 5M-row day read whole took clean to ~2 GiB.

- :func:`input_shape` reads an input's schema and row count from its footer;
  :func:`iter_frames` reads it as polars frames of at
  most ``BATCH_ROWS`` rows, typed as ``pl.read_parquet`` types them; an input with zero
  rows still yields one empty frame, so a caller's checks run on every input.
- :class:`FrameSink` appends frames to one Parquet file, published atomically on close,
  or dropped if the caller calls :meth:`FrameSink.discard` or raises.
- :class:`FrameSpill` keeps frames on disk for a second pass in order.
- :func:`shard_of` names each row's shard when a pipeline runs in shards.
- :class:`HashPartitions` writes rows to ``count`` Arrow IPC files by a hash of key
  columns: every row of one key (and every copy of one row) lands in the same file, so
  a dedupe or a uniqueness check can work one file at a time. Rows keep their order
  within a file.

Imported by the steps' bodies only (polars loads with it), never at start-up; pyarrow
loads only once a step streams, so a small day costs no more start-up than before.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import polars as pl

from steps._core.errors import ConfigError, DataError

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 128 * 1024
ROW = "__cadencia_row"  # the global row number the partitioned steps carry


def input_shape(path: str | os.PathLike[str]) -> tuple[dict[str, Any], int]:
    """An input's polars schema and row count from its footer, without reading rows or
    loading pyarrow (missing file 78, unreadable file 65, as ``_spec.read_frame``)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"input file not found: {p}", path=str(p))
    try:
        schema = dict(pl.read_parquet_schema(p))
        rows = int(pl.scan_parquet(p).select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise DataError(f"input {p} is not a readable Parquet file: "
                        f"{str(exc).strip().splitlines()[0]}", path=str(p)) from exc
    return schema, rows


def iter_frames(path: str | os.PathLike[str], batch_rows: int = BATCH_ROWS,
                columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
    """The input's rows as frames of at most ``batch_rows`` rows; one empty frame when it
    has none. A file that breaks half-way is a DataError, as a whole read would be.
    ``columns``: only these (in this order)."""
    import pyarrow as pa

    from steps._core.parquet_io import open_parquet

    pf = open_parquet(path, pre_buffer=False)  # with it, memory grew with the file
    # not schema_arrow.empty_table(): that imports pandas (0.6 s) for its metadata
    schema = pl.read_parquet_schema(Path(path))
    empty = pl.DataFrame(schema={c: schema[c] for c in (columns or schema)})
    seen = False
    try:
        for batch in pf.iter_batches(batch_size=batch_rows,
                                      columns=list(columns) if columns else None):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            seen = True
            yield frame
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"input {path} is corrupt: {exc}", path=str(path)) from exc
    if not seen:
        yield empty


class FrameSink:
    """Append polars frames to one Parquet file (zstd), published atomically on close.

    The first frame, even an empty one, fixes the schema, so zero rows still make a file
    with the columns. A sink given one frame writes it with polars' own writer, as
    ``_spec.write_frame`` does (no pyarrow for a small day); from the second frame on
    it appends row groups through pyarrow, behind the step (``parquet_io.WriteBehind``):
    one frame is encoded while the step computes the next. Strings are large_string
    either way.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._first: pl.DataFrame | None = None
        self._sink: Any = None
        self._writer: Any = None  # a parquet_io.WriteBehind on _sink
        self._discard = False
        self.rows = 0

    def __enter__(self) -> FrameSink:
        return self

    def write(self, frame: pl.DataFrame) -> None:
        self.rows += frame.height
        if self._sink is None and (self._first is None or self._first.height == 0):
            self._first = frame
            return
        if self._sink is None:
            from steps._core.parquet_io import ParquetSink, WriteBehind

            assert self._first is not None
            self._sink = ParquetSink(self.path)
            self._sink.__enter__()
            self._writer = WriteBehind(self._sink)
            self._writer.write(self._first.to_arrow())
            self._first = None
        if frame.height:
            self._writer.write(frame.to_arrow())

    def discard(self) -> None:
        """Leave no file at ``path`` on close (e.g. the step failed after the rows)."""
        self._discard = True

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._sink is not None:
            try:
                self._writer.finish()
            except BaseException as failed:  # the write's error, unless one is on its way
                if exc is None:
                    exc_type, exc, tb = type(failed), failed, failed.__traceback__
                    self._close(exc_type, exc, tb)
                    raise
            self._close(exc_type, exc, tb)
        elif exc is None and not self._discard and self._first is not None:
            from steps._spec import write_frame

            write_frame(self.path, self._first)

    def _close(self, exc_type: type[BaseException] | None, exc: BaseException | None,
               tb: TracebackType | None) -> None:
        self._writer.__exit__()
        if exc is None and self._discard:
            exc_type, exc = DataError, DataError("output discarded")
        self._sink.__exit__(exc_type, exc, tb)


def _scratch(directory: str | None) -> str | None:
    """``directory``, made if missing: the scratch files live beside the output, whose
    folder nobody may have made yet (on a pod, Argo creates the volume, /tmp, not
    /tmp/cadencia/out; the output's sink makes it when the first rows are written)."""
    if directory is not None:
        Path(directory).mkdir(parents=True, exist_ok=True)
    return directory


def _ipc_stream(path: Path, schema: pa.Schema, compression: str | None
                ) -> pa.ipc.RecordBatchStreamWriter:
    """An Arrow IPC stream writer: the scratch format of this module."""
    import pyarrow as pa

    return pa.ipc.new_stream(str(path), schema,
                             options=pa.ipc.IpcWriteOptions(compression=compression))


class HashPartitions:
    """Rows spread over ``count`` IPC files by a hash of ``key``; see the module docstring.
    Uncompressed: a batch's share of one partition is small, and LZ4 on small pieces
    took 2 s of clean's 10.6 at 5M rows per source (more than the writes themselves).
    Use as a context manager: the files live in a temporary folder."""

    def __init__(self, count: int, key: Sequence[str], directory: str | None = None) -> None:
        self.count = count
        self.key = list(key)
        self._dir = tempfile.TemporaryDirectory(prefix="cadencia-parts-",
                                                dir=_scratch(directory))
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._schema: pa.Schema | None = None

    def __enter__(self) -> HashPartitions:
        return self

    def __exit__(self, *exc: object) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self._dir.cleanup()

    def _path(self, part: int) -> Path:
        return Path(self._dir.name) / f"{part}.arrows"

    def add(self, frame: pl.DataFrame) -> None:
        """Append ``frame``'s rows to their partitions: ordered by partition (stable) and
        converted to Arrow once, each partition's share a slice of that (a frame and a
        cast per partition and batch cost ~15% more)."""
        import numpy as np

        if self._schema is None:
            self._schema = frame.head(0).to_arrow().schema
        if frame.height == 0:
            return
        part = frame.select(pl.struct(self.key).hash(seed=7) % self.count).to_series()
        # 16-bit: numpy's stable argsort is then a radix sort, 12x faster than on 64 bits
        part_of = part.cast(pl.UInt16 if self.count <= 1 << 16 else pl.UInt32).to_numpy()
        counts = np.bincount(part_of, minlength=self.count)
        order = pl.Series(np.argsort(part_of, kind="stable"), dtype=pl.UInt32)
        table = frame[order].to_arrow().cast(self._schema)
        start = 0
        for index in map(int, np.flatnonzero(counts)):
            writer = self._writers.get(index)
            if writer is None:
                writer = _ipc_stream(self._path(index), self._schema, compression=None)
                self._writers[index] = writer
            writer.write_table(table.slice(start, int(counts[index])))
            start += int(counts[index])

    def __iter__(self) -> Iterator[pl.DataFrame]:
        """Each non-empty partition as one frame, its rows in the order they were added."""
        for writer in self._writers.values():
            writer.close()
        written = sorted(self._writers)
        self._writers.clear()
        import pyarrow as pa

        for index in written:
            with pa.OSFile(str(self._path(index))) as source:
                table = pa.ipc.open_stream(source).read_all()
            self._path(index).unlink()
            frame = pl.from_arrow(table)
            del table
            assert isinstance(frame, pl.DataFrame)
            yield frame


class FrameSpill:
    """Frames written once to one LZ4 Arrow IPC file, then read back in order, batch by
    batch: a second pass over rows already read and converted costs less than reading and
    converting the inputs again (clean parses its timestamp strings once). Use as a
    context manager: the file is removed at the end."""

    def __init__(self, directory: str | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="cadencia-spill-", suffix=".arrows",
                                    dir=_scratch(directory))
        os.close(fd)
        self.path = Path(name)
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self._schema: pa.Schema | None = None
        self._empty: pl.DataFrame | None = None

    def __enter__(self) -> FrameSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.path.unlink(missing_ok=True)

    def add(self, frame: pl.DataFrame) -> None:
        if self._empty is None:
            self._empty = frame.head(0)
        if frame.height == 0:
            return
        if self._writer is None:
            self._schema = frame.head(0).to_arrow().schema
            self._writer = _ipc_stream(self.path, self._schema, compression="lz4")
        self._writer.write_table(frame.to_arrow().cast(self._schema))

    def __iter__(self) -> Iterator[pl.DataFrame]:
        """The frames added, in order (their empty ones left out); one empty frame when
        no row was added."""
        if self._writer is None:
            if self._empty is not None:
                yield self._empty
            return
        self._writer.close()
        self._writer = None
        import pyarrow as pa

        with pa.OSFile(str(self.path)) as source:
            for batch in pa.ipc.open_stream(source):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield frame


SHARD_SEED = 11  # not HashPartitions' 7: a shard's rows must still spread over its partitions


def shard_of(key: Sequence[str], shards: int) -> pl.Expr:
    """Each row's shard, 0 .. shards-1, by a hash of its ``key`` columns.

    A sharded pipeline (``shards: K``) runs clean once per shard; each keeps the rows of
    its own shard, so every row of one key, from whichever input, meets in one shard and
    is deduplicated there. The hash is polars' (stable within one polars version: every
    shard runs the same image) over the key as the union types it, so an id read as
    int32 from one source and int64 from another hashes alike once aligned."""
    return pl.struct(list(key)).hash(seed=SHARD_SEED) % shards


def partition_count(rows: int, rows_per_partition: int) -> int:
    """How many partitions keep each near ``rows_per_partition`` rows (at least one)."""
    return max(1, -(-rows // max(1, rows_per_partition)))


class FirstValues:
    """The first ``limit`` distinct values (rows of ``columns``) seen over many batches,
    in the order they were seen, as ``frame.unique(maintain_order=True).head(limit)`` on
    the whole input would give them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.frame: pl.DataFrame | None = None

    def add(self, values: pl.DataFrame) -> None:
        if self.frame is not None and self.frame.height >= self.limit:
            return
        values = values.unique(maintain_order=True).head(self.limit)
        both = values if self.frame is None else pl.concat([self.frame, values])
        self.frame = both.unique(maintain_order=True).head(self.limit)
