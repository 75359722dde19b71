"""Binary COPY fed by Arrow batches: decode and encode in one thread, send in the other.

The server's row parsing is the bottleneck of a load (one core), so the client's work,
Parquet decoding and pgpq encoding, runs in a producer thread and overlaps with the
main thread pushing COPY data down the socket. A small bounded queue keeps memory
bounded by a few encoded batches, not by the input size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pgpq
import psycopg
import pyarrow as pa

from steps._load.source import Conformer, Source

QUEUE_DEPTH = 4
_DONE = object()


def encoder_schema(source: Source, conform: Conformer) -> pa.Schema:
    fields = [pa.field(c.name, c.cast or f.type)
              for c, f in zip(conform.columns, source.schema, strict=True)]
    fields.append(pa.field(conform.partition_column, conform.partition_type))
    if conform.with_ordinal:
        fields.append(pa.field(conform.names[-1], pa.int64()))
    return pa.schema(fields)


class _Producer(threading.Thread):
    """Reads, conforms and encodes batches; hands bytes (or its exception) to a queue."""

    def __init__(self, batches: Callable[[], Iterator[pa.RecordBatch]], conform: Conformer,
                 schema: pa.Schema) -> None:
        super().__init__(name="copy-encoder", daemon=True)
        self.batches = batches
        self.conform = conform
        self.encoder = pgpq.ArrowToPostgresBinaryEncoder(schema)
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.stop = threading.Event()

    def _put(self, item: object) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def run(self) -> None:
        try:
            self._put(self.encoder.write_header())
            for batch in self.batches():
                if self.stop.is_set():
                    return
                self._put(self.encoder.write_batch(self.conform(batch)))
            self._put(self.encoder.finish())
            self._put(_DONE)
        except BaseException as exc:  # handed to the main thread, which raises it
            self._put(exc)


def copy_batches(cur: psycopg.Cursor[Any], statement: str, source: Source,
                 conform: Conformer) -> int:
    """COPY every batch of ``source`` with ``statement``; returns the rows sent."""
    producer = _Producer(source.batches, conform, encoder_schema(source, conform))
    with cur.copy(statement) as copy:
        producer.start()
        try:
            while (item := producer.queue.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                # A memoryview lets psycopg split large buffers without copying them.
                copy.write(memoryview(item))
        finally:
            producer.stop.set()
            producer.join(timeout=30)
    return conform.rows
