"""Which page to ask for next, and when the pages have ended (pure: no I/O).

Four styles: ``page`` (page number + page size), ``offset`` (offset + limit), ``cursor``
(a cursor read from the response and sent back as a parameter) and ``link`` (the next
URL from a response field or the ``Link: <...>; rel="next"`` header).

The pages end ONLY on an explicit marker: the has-more field is false, the reported
total is reached, the next cursor or link is null (or absent from the ``Link`` header),
or, when the user opts in, a page is empty. A page shorter than the page size with no
marker is refused as possible truncation: stopping there could silently lose rows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from steps._core.errors import ConfigError, DataError
from steps._core.urls import origin

STYLES = ("page", "offset", "cursor", "link")
DEFAULT_SIZE_PARAM = {"page": "per_page", "offset": "limit", "cursor": "limit", "link": "limit"}
MISSING: Any = object()
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*?\brel="?(?:[^",]*\s)?next\b')


@dataclasses.dataclass(frozen=True)
class PagingSpec:
    """How one API paginates. Field paths are dotted (``meta.next``); "" disables a marker."""

    style: str = "page"
    page_size: int | None = None          # sent as size_param; page/offset default to 100
    size_param: str | None = None         # default per style (DEFAULT_SIZE_PARAM)
    page_param: str = "page"
    first_page: int = 1
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    cursor_field: str = "next_cursor"
    next_field: str = ""                  # link style: "" reads the Link header
    records_path: str = "data"            # "" means the body itself is the list
    has_more_field: str = "has_more"
    total_field: str = "total"
    stop_on_empty: bool = False
    max_pages: int = 100_000

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ConfigError(f"unknown pagination {self.style!r}; expected one of {STYLES}")
        if self.style in ("page", "offset") and self.page_size is None:
            object.__setattr__(self, "page_size", 100)
        if self.page_size is not None and self.page_size < 1:
            raise ConfigError(f"--page-size must be positive, got {self.page_size}")
        if self.max_pages < 1:
            raise ConfigError(f"--max-pages must be positive, got {self.max_pages}")
        if self.size_param is None:
            object.__setattr__(self, "size_param", DEFAULT_SIZE_PARAM[self.style])

    def own_params(self) -> set[str]:
        names = {self.size_param} if self.page_size is not None else set()
        names |= {"page": {self.page_param}, "offset": {self.offset_param},
                  "cursor": {self.cursor_param}, "link": set()}[self.style]
        return {n for n in names if n}


@dataclasses.dataclass(frozen=True)
class Request:
    url: str
    params: dict[str, str] | None


def lookup(body: Any, path: str) -> Any:
    """``body["a"]["b"]`` for path ``a.b``; ``MISSING`` when any step is absent."""
    value = body
    for key in path.split(".") if path else ():
        if not isinstance(value, dict) or key not in value:
            return MISSING
        value = value[key]
    return value


def link_next(header: str | None) -> str | None:
    """The ``rel="next"`` target of an RFC 8288 ``Link`` header, if any."""
    match = _LINK_NEXT.search(header or "")
    return match.group(1) if match else None


def render_params(items: list[str], logical_date: str | None, reserved: set[str]
                  ) -> dict[str, str]:
    """``--param k=v`` values with ``{logical_date}`` replaced (plain text, nothing else)."""
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--param expects name=value, got {item!r}")
        if key in reserved:
            raise ConfigError(f"--param {key} clashes with a pagination parameter")
        if "{logical_date}" in value:
            if logical_date is None:
                raise ConfigError(f"--param {key} uses {{logical_date}} but no --logical-date "
                                  "was given")
            value = value.replace("{logical_date}", logical_date)
        params[key] = value
    return params


class Pager:
    """Walks the pages: :meth:`first`, then :meth:`advance` after each page until ``None``."""

    def __init__(self, spec: PagingSpec, url: str, params: Mapping[str, str]) -> None:
        self.spec, self.base, self.params = spec, url, dict(params)
        self.pages = self.fetched = 0
        self.page = spec.first_page
        self.offset = 0
        self.url = url
        self.end_reason = ""

    def _request(self, extra: Mapping[str, str]) -> Request:
        s = self.spec
        params = dict(self.params)
        if s.page_size is not None and s.size_param:
            params[s.size_param] = str(s.page_size)
        params.update(extra)
        return Request(self.base, params)

    def first(self) -> Request:
        first = {"page": {self.spec.page_param: str(self.page)},
                 "offset": {self.spec.offset_param: "0"}}.get(self.spec.style, {})
        return self._request(first)

    def advance(self, body: Any, headers: Mapping[str, str], n: int) -> Request | None:
        """The next request after a page of ``n`` records, or ``None`` at an end marker."""
        s = self.spec
        self.pages += 1
        self.fetched += n
        where = f"page {self.pages}"
        more = False
        has_more = lookup(body, s.has_more_field) if s.has_more_field else MISSING
        if has_more is not MISSING:
            if not isinstance(has_more, bool):
                raise DataError(f"{where}: field {s.has_more_field!r} is {has_more!r}, "
                                "expected true or false", field=s.has_more_field)
            if not has_more:
                return self._end(f"{s.has_more_field} is false")
            more = True
        total = lookup(body, s.total_field) if s.total_field else MISSING
        if total is not MISSING and total is not None:
            if not isinstance(total, int) or isinstance(total, bool):
                raise DataError(f"{where}: field {s.total_field!r} is {total!r}, expected an "
                                "integer", field=s.total_field)
            if self.fetched >= total:
                return self._end(f"reached the reported {s.total_field} of {total}")
            more = True
        if s.style in ("cursor", "link"):
            return self._follow(body, headers, more, where)
        if not more:
            if n == 0 and s.stop_on_empty:
                return self._end("empty page")
            assert s.page_size is not None
            if n < s.page_size:
                hint = "" if n else "; pass --stop-on-empty if this API ends with an empty page"
                raise DataError(
                    f"{where} has {n} records, fewer than the page size {s.page_size}, and no "
                    f"end marker ({s.has_more_field or '-'}/{s.total_field or '-'}): the response "
                    f"may be truncated; refusing to stop here{hint}", page=self.pages, records=n)
        self._check_bound()
        if s.style == "page":
            self.page += 1
            return self._request({s.page_param: str(self.page)})
        self.offset += n
        return self._request({s.offset_param: str(self.offset)})

    def _follow(self, body: Any, headers: Mapping[str, str], more: bool, where: str
                ) -> Request | None:
        s = self.spec
        if s.style == "cursor":
            field, token = s.cursor_field, lookup(body, s.cursor_field)
        elif s.next_field:
            field, token = s.next_field, lookup(body, s.next_field)
        else:
            field, token = "Link header", link_next(headers.get("Link")) or None
        if token is MISSING:
            raise DataError(f"{where}: the response has no field {field!r} (set --"
                            f"{'cursor' if s.style == 'cursor' else 'next'}-field); cannot tell "
                            "whether more pages follow", field=field)
        if token is None or token == "":
            if more:
                raise DataError(f"{where}: {s.has_more_field} is true but the next "
                                f"{'cursor' if s.style == 'cursor' else 'link'} is empty")
            return self._end(f"no next {'cursor' if s.style == 'cursor' else 'link'}")
        if not isinstance(token, (str, int)) or isinstance(token, bool):
            raise DataError(f"{where}: {field!r} is {token!r}, expected a string", field=field)
        self._check_bound()
        if s.style == "cursor":
            return self._request({s.cursor_param: str(token)})
        nxt = urljoin(self.url, str(token))
        if origin(nxt) != origin(self.base):
            raise DataError(f"{where}: the next link points to another origin "
                            f"({origin(nxt)}); refusing to send credentials there")
        self.url = nxt
        return Request(nxt, None)

    def _check_bound(self) -> None:
        if self.pages >= self.spec.max_pages:
            raise DataError(f"more than {self.spec.max_pages} pages and no end marker yet "
                            "(raise --max-pages if the source is really this large)",
                            pages=self.pages)

    def _end(self, reason: str) -> Request | None:
        self.end_reason = reason
        return None

