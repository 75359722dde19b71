"""A real HTTP server on 127.0.0.1 whose every answer a test scripts: redirects, refusals
that echo what they were sent, compressed and oversized bodies.

``ScriptedServer(route)`` calls ``route(request)`` for each request and sends the
:class:`Reply` it returns; every request (method, path, headers) is recorded, so a test
can assert that a server saw nothing at all.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import http.server
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclasses.dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)


def json_reply(text: str, status: int = 200) -> Reply:
    return Reply(status, text.encode(), {"Content-Type": "application/json"})


def gzip_reply(body: bytes, status: int = 200) -> Reply:
    return Reply(status, gzip.compress(body, compresslevel=9),
                 {"Content-Type": "application/json", "Content-Encoding": "gzip"})


class ScriptedServer:
    def __init__(self, route: Callable[[Seen], Reply]) -> None:
        self.seen: list[Seen] = []
        lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                seen = Seen(self.command, self.path, dict(self.headers))
                with lock:
                    server.seen.append(seen)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                reply = route(seen)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                # the client stopped reading: what a size cap does
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply.body)

            do_GET = do_POST = _answer

            def handle(self) -> None:
                with contextlib.suppress(ConnectionResetError):  # a client that hung up
                    super().handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
