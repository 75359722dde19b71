"""Convert the pages to Parquet in a second process, so fetching has a core and a GIL of its own.

In one process the fetch loop (HTTP, JSON) and the conversion (records to Arrow) take
turns on one GIL, and each slows the other: 1M records in pages of 500 took 2.6-3.0 s
there. Here the step's own process fetches, checks each page (its skeleton, fetch.py)
and decides the next request; the converter, forked before the first request, receives
each checked page's raw body through a pipe, parses it whole (orjson, on the other core)
and runs :func:`write_pages`. The pipe bounds how far the fetch runs ahead, so memory
stays flat.

The converter publishes the Parquet file only after the fetch side says every page has
been sent (an empty body: a real page is never empty, ``decode_body`` refuses it). If the
step fails or dies first, the converter reads the end of the pipe instead and leaves no
file. A classified error in the converter (a column that changes type, say) comes back
as the same class and message; a converter that dies (OOM kill) is named with its signal.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import itertools
import multiprocessing
import os
import signal
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps._core import errors
from steps._extract_http.pagination import lookup

if TYPE_CHECKING:
    import pyarrow as pa

PIPE_BYTES = 1 << 20  # bodies in flight to the converter (a few pages)
_DONE = b""


class ConverterDied(RuntimeError):
    """The converter process ended without a result (killed, or a crash in C code)."""


class Converter:
    """``send(body)`` for each page, then ``finish()`` for the outcome (or its error)."""

    def __init__(self, schema: pa.Schema | None, records_path: str, out: Path) -> None:
        ctx = multiprocessing.get_context("fork")  # before any thread: nothing to re-import
        reader, self._pages = ctx.Pipe(duplex=False)
        self._results, result_writer = ctx.Pipe(duplex=False)
        with contextlib.suppress(OSError):  # a smaller pipe only makes the fetch wait sooner
            fcntl.fcntl(self._pages.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self._proc = ctx.Process(target=_serve, name="extract-http-converter", daemon=True,
                                 args=(reader, self._pages, result_writer, schema,
                                       records_path, out))
        self._proc.start()
        reader.close()  # only the child reads pages; its exit then breaks our sends
        result_writer.close()  # only the child writes results; its death is our EOF

    def __enter__(self) -> Converter:
        return self

    def send(self, body: bytes | bytearray) -> None:
        try:
            self._pages.send_bytes(body)
        except (BrokenPipeError, ConnectionResetError):
            self._raise_result()  # the converter stopped early: its error says why

    def finish(self) -> dict[str, Any]:
        self.send(_DONE)
        self._pages.close()
        return self._raise_result()

    def _raise_result(self) -> dict[str, Any]:
        try:
            kind, payload = self._results.recv()
        except EOFError:
            self._proc.join()
            code = self._proc.exitcode
            how = (f"was killed by {signal.Signals(-code).name}" if code is not None and code < 0
                   else f"exited with code {code}")
            raise ConverterDied(f"the converter process {how} before it reported a result "
                                "(out of memory?); nothing was published") from None
        if kind == "ok":
            return dict(payload)
        if kind == "error":
            name, message, fields = payload
            raise getattr(errors, name)(message, **fields)
        raise RuntimeError(f"the converter process failed: {payload}")

    def __exit__(self, *exc: object) -> None:
        self._pages.close()  # after a failure: the converter reads EOF and publishes nothing
        self._proc.join(timeout=10)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._results.close()


def _serve(reader: Connection, our_writer: Connection, results: Connection,
           schema: pa.Schema | None, records_path: str, out: Path) -> None:
    """The converter's life: pages in, one result out, then exit."""
    our_writer.close()  # else a dead fetch side would never show as EOF
    gc.disable()  # as in the fetch side: the records are short-lived trees
    try:
        from steps._extract_http.columns import Columnizer
        from steps._extract_http.pipeline import write_pages

        outcome = write_pages(_pages(reader, records_path), Columnizer(schema), out)
        results.send(("ok", {"rows": outcome.rows, "pages": outcome.pages,
                             "columns": outcome.columns}))
    except errors.PipelineError as exc:  # sent as its class in the error tree, which pickles
        tree = next(c for c in type(exc).__mro__ if getattr(errors, c.__name__, None) is c)
        results.send(("error", (tree.__name__, exc.message, exc.fields)))
    except _FetchEnded:
        pass  # the fetch side failed and will report its own error
    except BaseException as exc:  # a bug: reported with its type, the step exits 1
        results.send(("bug", f"{type(exc).__name__}: {exc}"))
    finally:
        results.close()
        os._exit(0)  # skip the parent's atexit and logging shutdown


class _FetchEnded(Exception):
    """The fetch side closed the pipe before the end-of-pages marker."""


def _pages(reader: Connection, records_path: str) -> Iterator[list[Any]]:
    import orjson

    for page in itertools.count(1):
        try:
            body = reader.recv_bytes()
        except EOFError:
            raise _FetchEnded from None
        if body == _DONE:
            return
        try:  # the fetch side decoded only the markers (skeleton.py)
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise errors.DataError(f"page {page} has records that are not JSON ({exc.msg} at "
                                   f"byte {exc.pos})", page=page) from None
        del body
        yield lookup(parsed, records_path)  # a list: the fetch side checked it
