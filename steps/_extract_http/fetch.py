"""Fetch the pages on a background thread, handing records over through a bounded queue.

The thread GETs a page, parses it with orjson and decides the next request (the cursor
or link is in the body, so it cannot run ahead of parsing). Socket reads release the
GIL, so the next page downloads while the consumer converts the last one. The queue
bound keeps memory flat however many pages there are. Nothing here imports pyarrow:
the step starts fetching first and imports pyarrow while page 1 is on the wire.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from steps._core.http import HttpClient, safe_url
from steps._extract_http.decode import decode_body, records_at
from steps._extract_http.pagination import Pager, Request

logger = logging.getLogger("steps.extract_http")
QUEUE_PAGES = 3
_DONE = object()


class PageFetcher:
    """Iterate for each page's records, in order; a fetch error is raised by the iterator."""

    def __init__(self, client: HttpClient, pager: Pager) -> None:
        self.client, self.pager = client, pager
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_PAGES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="fetch", daemon=True)

    def __enter__(self) -> PageFetcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # a put() waiting on a full queue gives up
        self._thread.join(timeout=1)  # daemon: a request stuck in a read cannot block exit

    def __iter__(self) -> Iterator[list[Any]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        pager = self.pager
        try:
            req: Request | None = pager.first()
            while req is not None:
                resp = self.client.get(req.url, req.params, what=f"page {pager.pages + 1}")
                where = safe_url(resp.url)
                body = decode_body(resp.content, resp.headers.get("Content-Type", ""), where)
                records = records_at(body, pager.spec.records_path, where)
                req = pager.advance(body, resp.headers, len(records))
                logger.debug("page %d: %d records", pager.pages, len(records),
                             extra={"page": pager.pages, "records": len(records)})
                del resp, body  # only the records travel on
                if not self._put(records):
                    return
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)
