"""A paginated JSON API of sample orders and customers on loopback, with switchable faults
(stdlib only).

Endpoints (``date`` defaults to the instance's date; records come from
:mod:`workflows.devservices.sample_data`, so the same date always gives the same rows)::

    /orders/page?page=P&per_page=S      {"data": [...], "has_more": b, "total": N}
    /orders/offset?offset=O&limit=S     same envelope
    /orders/cursor?cursor=C&limit=S     {"data": [...], "next_cursor": "..." | null, ...}
    /orders/link?after=O&limit=S        {"data": [...], "next": URL | null, ...} + Link header
    /orders/list?after=O&limit=S        [...] (bare list) + Link: <URL>; rel="next"
    /customers?cursor=C&limit=S         {"data": [...], "next_cursor": "..." | null}

``&records=N`` serves only the first N records of the date (the same rows); ``limit``
(``per_page``) defaults to 100.

``/customers`` is the CRM of ``customer-payments`` and of the authoring tutorial: customer
ids from 1001 on (:func:`~workflows.devservices.sample_data.customer`; ``updated_at`` on
``date``), cursor pagination only, and nothing else in the envelope: no ``has_more``, no
``total``, so a client stops on ``"next_cursor": null`` alone. The cursor is opaque; omit
it for the first page and send back each response's ``next_cursor`` with the same
``limit``, ``records`` and ``date``. A cursor that does not decode is a 400.

Every endpoint checks the same ``auth`` and goes through the same :class:`Faults` (a bad
page counts pages of ``limit`` records), and an unknown path is a 404.

Used three ways: by tests (``with SampleApi(records=250) as api: api.url``), by the local
pipeline (serves N records for a date), and by people::

    python -m workflows.devservices.sample_api --port 18080 --records 1000000

Faults (:class:`Faults`) can be replaced at run time (``api.faults = Faults(...)``); page
bodies are cached as encoded bytes so a benchmark measures the client, not this server.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from workflows.devservices.sample_data import customers, orders

DEFAULT_DATE = "2024-01-01"
BAD_PAGES = ("html", "notjson", "truncated", "short", "drop")
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


@dataclasses.dataclass
class Faults:
    """What goes wrong. Request counts start at 1 and include every request."""

    fail_first: int = 0                  # the first N requests answer fail_status
    fail_status: int = 500
    retry_after: str | None = None       # Retry-After header sent with those failures
    hang_first: int = 0                  # the first N requests stall hang_s before answering
    hang_s: float = 0.0
    bad_page: str | None = None          # one of BAD_PAGES, served for page number bad_page_at
    bad_page_at: int = 1


FAULT_HELP = {
    "fail_first": "the first N requests answer --fail-status",
    "fail_status": "status of those failures (default 500; 429 for rate limiting)",
    "retry_after": "Retry-After header sent with them (seconds or an HTTP date)",
    "hang_first": "the first N requests stall --hang-s seconds before answering",
    "hang_s": "how long they stall",
    "bad_page": "serve this kind of bad body for page --bad-page-at",
    "bad_page_at": "the page number (1-based) that gets --bad-page",
}


def bearer(token: str) -> tuple[str, str]:
    return ("Authorization", f"Bearer {token}")


def basic(username: str, password: str) -> tuple[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return ("Authorization", f"Basic {raw}")


def api_key(key: str, header: str = "X-API-Key") -> tuple[str, str]:
    return (header, key)


RESOURCES = {"orders": orders, "customers": customers}


def _encode(date: str, start: int, count: int, resource: str = "orders") -> bytes:
    return orjson.dumps(list(RESOURCES[resource](date, start, count)))


def _cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode()


def _position(cursor: str | None) -> int:
    """The record a cursor points at (0 without one); ValueError when it does not decode."""
    return int(base64.urlsafe_b64decode(cursor)) if cursor else 0


class SampleApi:
    """The server; ``auth`` is the ``(header, exact value)`` every request must carry."""

    def __init__(self, records: int = 1000, *, host: str = "127.0.0.1", port: int = 0,
                 date: str = DEFAULT_DATE, has_more: bool = True, total: bool = True,
                 faults: Faults | None = None, auth: tuple[str, str] | None = None,
                 cache_bytes: int = 1 << 30) -> None:
        self.records, self.date = records, date
        self.has_more, self.total = has_more, total
        self.faults = faults or Faults()
        self.auth = auth
        self.requests = 0
        self.seen: list[str] = []
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, int, int], bytes] = OrderedDict()
        self._cache_bytes, self._cache_used = cache_bytes, 0
        self._stopping = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.api = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> SampleApi:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers stalled by a hang fault
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> SampleApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.requests, self.seen = 0, []

    def _count(self, target: str) -> int:
        with self._lock:
            self.requests += 1
            self.seen.append(target)
            del self.seen[:-1000]
            return self.requests

    def records_bytes(self, date: str, start: int, count: int, resource: str = "orders"
                      ) -> bytes:
        """Records ``start .. start+count-1`` of ``date`` (orders or customers) as a JSON
        array, cached."""
        key = (resource, date, start, count)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        body = _encode(date, start, count, resource)
        self._remember(key, body)
        return body

    def _remember(self, key: tuple[str, str, int, int], body: bytes) -> None:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = body
                self._cache_used += len(body)
            while self._cache_used > self._cache_bytes and len(self._cache) > 1:
                self._cache_used -= len(self._cache.popitem(last=False)[1])

    def warm(self, page_size: int, date: str | None = None, workers: int | None = None) -> None:
        """Encode every page of ``page_size`` ahead of time (on all cores)."""
        date = date or self.date
        starts = range(0, self.records, page_size)
        counts = [min(page_size, self.records - s) for s in starts]
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
            for start, count, body in zip(starts, counts, pool.map(
                    _encode, [date] * len(counts), starts, counts, chunksize=4), strict=True):
                self._remember(("orders", date, start, count), body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # stop() must not wait for a handler stalled by a fault

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # client gave up: expected
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its connection
    # A body sent in parts would otherwise wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: Any

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and benchmarks make thousands of requests

    def _send(self, status: int, parts: list[bytes], ctype: str = "application/json",
              headers: dict[str, str] | None = None, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(sum(map(len, parts)) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        for part in parts:
            self.wfile.write(part)

    def do_GET(self) -> None:
        api: SampleApi = self.server.api
        f = api.faults
        n = api._count(self.path)
        if api.auth is not None and self.headers.get(api.auth[0]) != api.auth[1]:
            return self._send(401, [b'{"error": "unauthorized"}'],
                              headers={"WWW-Authenticate": 'Bearer realm="sample"'})
        if n <= f.hang_first and api._stopping.wait(f.hang_s):
            return None
        if n <= f.fail_first:
            extra = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            return self._send(f.fail_status, [b'{"error": "injected failure"}'], headers=extra)
        try:
            self._page(api, f)
        except ValueError as exc:
            self._send(400, [orjson.dumps({"error": str(exc)})])
        return None

    def _page(self, api: SampleApi, f: Faults) -> None:
        parts = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/customers":
            return self._customers(api, f, q)
        style = parts.path.removeprefix("/orders/")
        if style not in ("page", "offset", "cursor", "link", "list"):
            return self._send(404, [b'{"error": "not found"}'])
        date = q.get("date", api.date)
        size = int(q.get("per_page" if style == "page" else "limit", 100))
        if style == "page":
            start = (int(q.get("page", 1)) - 1) * size
        elif style == "cursor":
            start = _position(q.get("cursor"))
        else:
            start = int(q.get("offset" if style == "offset" else "after", 0))
        if size < 1 or start < 0:
            raise ValueError("page size must be positive and the start non-negative")
        records = int(q.get("records", api.records))  # a smaller data set, same rows
        count = max(0, min(size, records - start))
        end = start + count
        more = end < records
        bad = f.bad_page if f.bad_page and start // size + 1 == f.bad_page_at else None
        if bad == "short":
            count, end = count // 2, start + count // 2
        recs = api.records_bytes(date, start, count)
        keep = f"&records={records}" if "records" in q else ""
        nxt = f"/orders/{style}?date={date}&after={end}&limit={size}{keep}" if more else None
        base = f"http://{self.headers['Host']}" if self.headers.get("Host") else api.url
        headers = {"Link": f'<{base}{nxt}>; rel="next"'} if nxt and style in ("link", "list") \
            else {}
        if style == "list":
            body = [recs]
        else:
            tail: dict[str, Any] = {}
            if style == "cursor":
                tail["next_cursor"] = _cursor(end) if more else None
            if style == "link":
                tail["next"] = base + nxt if nxt else None
            if bad != "short":
                if api.has_more:
                    tail["has_more"] = more
                if api.total:
                    tail["total"] = records
            body = [b'{"data":', recs, b"," + orjson.dumps(tail)[1:] if tail else b"}"]
        return self._reply(bad, body, headers)

    def _customers(self, api: SampleApi, f: Faults, q: dict[str, str]) -> None:
        date = q.get("date", api.date)
        size, start = int(q.get("limit", 100)), _position(q.get("cursor"))
        if size < 1 or start < 0:
            raise ValueError("limit must be positive and the cursor non-negative")
        records = int(q.get("records", api.records))
        count = max(0, min(size, records - start))
        bad = f.bad_page if f.bad_page and start // size + 1 == f.bad_page_at else None
        if bad == "short":  # half the page; the cursor still follows what was served
            count //= 2
        more = start + count < records
        recs = api.records_bytes(date, start, count, "customers")
        tail = orjson.dumps({"next_cursor": _cursor(start + count) if more else None})
        return self._reply(bad, [b'{"data":', recs, b"," + tail[1:]], {})

    def _reply(self, bad: str | None, body: list[bytes], headers: dict[str, str]) -> None:
        """The page, or the bad body a fault asks for instead of it."""
        if bad == "html":
            return self._send(200, [HTML_PAGE], "text/html; charset=utf-8")
        if bad == "notjson":
            return self._send(200, [b"upstream said: try again later\n"])
        if bad == "truncated":
            whole = b"".join(body)
            return self._send(200, [whole[: len(whole) // 2]], headers=headers)
        if bad == "drop":  # promise the whole body, send half, hang up
            whole = b"".join(body)
            self._send(200, [whole[: len(whole) // 2]], headers=headers, length=len(whole))
            self.close_connection = True
            return None
        return self._send(200, body, headers=headers)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m workflows.devservices.sample_api",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=18080, help="0 picks a free port")
    p.add_argument("--records", type=int, default=1000, help="orders per date, and customers")
    p.add_argument("--date", default=DEFAULT_DATE, help="date served when ?date= is absent")
    p.add_argument("--warm-page-size", type=int, metavar="S", action="append", default=[],
                   help="encode every page of S records of --date before serving (repeatable)")
    p.add_argument("--no-has-more", dest="has_more", action="store_false")
    p.add_argument("--no-total", dest="total", action="store_false")
    p.add_argument("--require-auth", choices=("bearer", "basic", "api-key"),
                   help="expect the credentials in CADENCIA_HTTP_TOKEN / _USERNAME and "
                        "_PASSWORD / _API_KEY (+ _API_KEY_HEADER)")
    fault = p.add_argument_group("faults")
    for field in dataclasses.fields(Faults):
        kind: Any = {"int": int, "float": float}.get(str(field.type), str)
        fault.add_argument("--" + field.name.replace("_", "-"), type=kind, default=field.default,
                           choices=BAD_PAGES if field.name == "bad_page" else None,
                           help=FAULT_HELP[field.name])
    a = p.parse_args(argv)
    faults = Faults(**{f.name: getattr(a, f.name) for f in dataclasses.fields(Faults)})
    api = SampleApi(a.records, host=a.host, port=a.port, date=a.date, has_more=a.has_more,
                    total=a.total, auth=_auth_from_env(a.require_auth), faults=faults)
    for size in a.warm_page_size:
        api.warm(size)
    sys.stdout.write(f"serving {a.records} records per date on {api.url}\n")
    sys.stdout.flush()
    try:
        api.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        api.stop()
    return 0


def _auth_from_env(mode: str | None) -> tuple[str, str] | None:
    env = os.environ
    if mode == "bearer":
        return bearer(env["CADENCIA_HTTP_TOKEN"])
    if mode == "basic":
        return basic(env["CADENCIA_HTTP_USERNAME"], env["CADENCIA_HTTP_PASSWORD"])
    if mode == "api-key":
        return api_key(env["CADENCIA_HTTP_API_KEY"],
                       env.get("CADENCIA_HTTP_API_KEY_HEADER", "X-API-Key"))
    return None


if __name__ == "__main__":
    sys.exit(main())
