"""Record batches in motion: exact-size chunks, and reading ahead on a thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable, Iterator
from typing import Any

import pyarrow as pa


def rechunk(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last may be shorter) from ADBC's ~16 MB ones."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(rows - count, batch.num_rows)
            pending.append(batch.slice(0, take))
            batch, count = batch.slice(take), count + take
            if count == rows:
                yield combine(pending)
                pending, count = [], 0
    if pending:
        yield combine(pending)


def combine(parts: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(parts) == 1:
        return parts[0]
    return pa.Table.from_batches(parts).combine_chunks().to_batches()[0]


def prefetch(batches: Iterable[pa.RecordBatch], depth: int
             ) -> Generator[pa.RecordBatch, None, None]:
    """``batches`` read ahead by a thread, at most ``depth`` waiting: the driver decodes
    (without the GIL) and the server keeps sending while the caller writes Parquet."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: tuple[str, Any]) -> bool:
        """Queue ``item`` unless the caller has stopped reading (then nobody would take it)."""
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for batch in batches:
                if not offer(("batch", batch)):
                    return
            offer(("end", None))
        except BaseException as exc:  # handed to the caller's thread, raised there
            offer(("error", exc))

    worker = threading.Thread(target=pump, name="pg-arrow-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
