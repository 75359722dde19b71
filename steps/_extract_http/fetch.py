"""Fetch the pages in order and check each one before it goes on to the converter.

Each page is GET, decoded as far as its end markers and its records' count (the page's
skeleton), and the next request decided from it (the cursor, link or end marker is in
the body, so a page cannot be fetched before the last one is parsed). What travels on is
the page's raw body: the converter process parses it whole on its own core, which costs
less than sending Python objects across. Nothing here imports pyarrow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from steps._core.http import HttpClient, safe_url
from steps._extract_http.decode import records_at
from steps._extract_http.pagination import Pager, Request
from steps._extract_http.skeleton import PageSkeleton

logger = logging.getLogger("steps.extract_http")


def checked_pages(client: HttpClient, pager: Pager) -> Iterator[bytearray]:
    """Each page's body, once it has parsed and its records path holds a list."""
    skeleton = PageSkeleton(pager.spec)
    req: Request | None = pager.first()
    while req is not None:
        resp = client.get(req.url, req.params, what=f"page {pager.pages + 1}")
        where = safe_url(resp.url)
        body = skeleton.decode(resp.content, resp.headers.get("Content-Type", ""), where)
        records = records_at(body, pager.spec.records_path, where)
        req = pager.advance(body, resp.headers, len(records))
        logger.debug("page %d: %d records", pager.pages, len(records),
                     extra={"page": pager.pages, "records": len(records)})
        del body, records
        yield resp.content
