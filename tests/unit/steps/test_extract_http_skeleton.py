"""The fetch side's skeleton decode decides exactly as the whole body would.

For every body and paging setup below, the skeleton must give the same records count,
the same next request or end, and the same error message as decoding the whole body
with orjson (``decode_body``), which is what the fetch side did before.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from steps._core.errors import PipelineError
from steps._extract_http.decode import decode_body, records_at
from steps._extract_http.pagination import Pager, PagingSpec
from steps._extract_http.skeleton import PageSkeleton

RECORDS = [{"id": 1, "nome": "ana", "tags": ["a", {"x": None}]}, {"id": 2, "nome": "bia"}]
SPECS = {
    "page": PagingSpec(style="page", page_size=2),
    "offset": PagingSpec(style="offset", page_size=2),
    "cursor nested": PagingSpec(style="cursor", records_path="result.items",
                                cursor_field="meta.next", has_more_field="meta.more",
                                total_field=""),
    "link field": PagingSpec(style="link", next_field="links.next", records_path="data"),
    "link header": PagingSpec(style="link", records_path="data"),
    "body is the list": PagingSpec(style="link", records_path=""),
    "marker holds a marker": PagingSpec(style="cursor", cursor_field="meta.next",
                                        has_more_field="meta", total_field="meta.total"),
    "odd keys": PagingSpec(style="cursor", records_path="the data", cursor_field="next-cursor",
                           has_more_field="has.more", total_field="class"),
}
BODIES: list[Any] = [
    {"data": RECORDS, "has_more": True, "total": 10},
    {"data": RECORDS, "has_more": False},
    {"data": RECORDS[:1], "total": 3, "next_cursor": "c2", "extra": {"deep": [1, 2]}},
    {"data": [], "has_more": "no"},
    {"data": RECORDS, "total": "12"},
    {"data": None},
    {"data": {"id": 1}},
    {"data": "rows"},
    {"rows": RECORDS},
    {"result": {"items": RECORDS, "n": 2}, "meta": {"next": "abc", "more": True}},
    {"result": {"items": RECORDS}, "meta": {"next": None, "more": False}},
    {"result": {"items": RECORDS}, "meta": {"next": 5}},
    {"result": {"items": RECORDS}, "meta": True},
    {"result": {"items": RECORDS}, "meta": {"next": "x", "more": True, "total": 4}},
    {"data": RECORDS, "links": {"next": "/orders?page=2"}},
    {"data": RECORDS, "links": {"next": "http://elsewhere.example/o"}},
    {"data": RECORDS, "links": None},
    {"the data": RECORDS, "next-cursor": "n", "has": {"more": True}, "class": 9},
    {"the data": RECORDS, "next-cursor": None, "has": {"more": False}},
    RECORDS,
    [],
    "text",
    7,
    None,
]
RAW_BODIES = [json.dumps(b).encode() for b in BODIES] + [
    b'{"data": [1, 2,], "has_more": false}',  # malformed inside the records
    b'{"data": [], "has_more": true} trailing',
    b'{"data": [{"id": 1}], "has_more": tru',  # cut off
    b"",
    b"   ",
    b"<html><body>502 Bad Gateway</body></html>",
    b'{"data": [], "data": [{"id": 1}, {"id": 2}], "has_more": false}',  # the last key wins
    b'\xef\xbb\xbf{"data": []}',
]
HEADERS = {"Link": '<http://api.example/orders?page=2>; rel="next"'}


def outcome(spec: PagingSpec, decode: Any, content: bytes) -> tuple[str, Any]:
    """What the fetch side does with a page: (records, next request) or the error."""
    where = "http://api.example/orders"
    try:
        body = decode(content, "application/json", where)
        records = records_at(body, spec.records_path, where)
        pager = Pager(spec, where, {"date": "2024-01-01"})
        pager.first()
        nxt = pager.advance(body, HEADERS, len(records))
    except PipelineError as exc:
        return "error", (type(exc).__name__, exc.message)
    return "ok", (len(records), nxt, pager.end_reason)


@pytest.mark.parametrize("name", SPECS)
def test_every_page_gets_the_whole_body_s_decision(name: str) -> None:
    spec = SPECS[name]
    skeleton = PageSkeleton(spec)
    for content in RAW_BODIES:
        assert outcome(spec, skeleton.decode, content) == outcome(spec, decode_body, content), \
            content


def test_records_are_counted_not_built() -> None:
    body = PageSkeleton(SPECS["page"]).decode(json.dumps(BODIES[0]).encode(), "", "-")
    assert set(body) == {"data", "has_more", "total"}
    assert [type(r).__name__ for r in body["data"]] == ["Raw", "Raw"]
