"""Fetch pages on one thread, convert and write them on another, with bounded memory.

The fetch thread GETs a page, parses it with orjson and decides the next request (the
cursor or link is in the body, so it cannot run ahead of parsing), then hands the records
over through a small bounded queue. Socket reads and the Parquet encoder release the GIL,
so fetching overlaps with conversion and writing. The queue bound keeps memory flat no
matter how many pages there are; batches are gathered into whole row groups before
writing.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from steps._core.http import HttpClient, safe_url
from steps._core.parquet_io import ROW_GROUP_SIZE, ParquetSink
from steps._extract_http.columns import Columnizer
from steps._extract_http.decode import decode_body, records_at
from steps._extract_http.pagination import Pager, Request

logger = logging.getLogger("steps.extract_http")
QUEUE_PAGES = 3
LOOKAHEAD_PAGES = 8
_DONE = object()


@dataclasses.dataclass
class Outcome:
    rows: int = 0
    pages: int = 0
    columns: list[str] = dataclasses.field(default_factory=list)
    end: str = ""


def fetch_pages(client: HttpClient, pager: Pager) -> Iterator[list[Any]]:
    """Records of each page, in order, fetched on a background thread."""
    q: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_PAGES)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            req: Request | None = pager.first()
            while req is not None:
                resp = client.get(req.url, req.params)
                where = safe_url(resp.url)
                body = decode_body(resp.content, resp.headers.get("Content-Type", ""), where)
                records = records_at(body, pager.spec.records_path, where)
                req = pager.advance(body, resp.headers, len(records))
                del resp, body  # only the records travel on; keep memory to the queue bound
                if not put(records):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    thread = threading.Thread(target=work, name="fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=1)


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
            _Writer(sink) as writer:
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


class _Writer:
    """Writes row groups on a second thread: the Parquet encoder releases the GIL, so
    encoding one group overlaps with converting the next. One write in flight at a time."""

    def __init__(self, sink: ParquetSink) -> None:
        self.sink = sink
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self.pending: Future[None] | None = None

    def __enter__(self) -> _Writer:
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
