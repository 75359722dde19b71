"""Read a streamed response body with a bound on its size after decompression.

A page is held in memory to be parsed, so its size must be bounded before it is read, not
checked after: a 2 MiB gzip body can inflate to 2 GiB. The compressed bytes are read in
chunks and inflated here with ``zlib`` in pieces of at most :data:`CHUNK` bytes
(``max_length``), counting as they come; past the limit, reading stops and
:class:`BodyTooLarge` is raised, so memory never holds more than the limit plus one
piece. Only the encodings the client asks for (``gzip``, ``deflate``) are accepted; any
other ``Content-Encoding`` cannot be measured and is refused.

Transfer errors are urllib3's own (a connection cut mid-body is a ``ProtocolError``, a
body that does not inflate a ``DecodeError``), so the caller classifies them in one place.
Whatever happens, the connection goes back to the pool clean: closed unless the body was
read to its end.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from urllib3 import BaseHTTPResponse
from urllib3.exceptions import DecodeError

CHUNK = 1 << 20
ACCEPT_ENCODING = "gzip, deflate"


class BodyTooLarge(Exception):
    """The body passed ``limit`` bytes after decompression."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class UnknownEncoding(Exception):
    def __init__(self, encoding: str) -> None:
        super().__init__(encoding)
        self.encoding = encoding


def _decompressor(encoding: str) -> zlib._Decompress | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib or gzip header, auto-detected
    raise UnknownEncoding(encoding)


def _inflate(chunks: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """Decoded pieces of at most :data:`CHUNK` bytes each, however compressible the input."""
    z = _decompressor(encoding)
    if z is None:
        yield from chunks
        return
    try:
        for data in chunks:
            while True:
                piece = z.decompress(data, CHUNK)
                if piece:
                    yield piece
                if z.eof and z.unused_data:  # another gzip member follows
                    data, z = z.unused_data, _decompressor(encoding)
                    assert z is not None
                    continue
                data = z.unconsumed_tail
                if not data and len(piece) < CHUNK:
                    break  # input used up and no output pending
        yield z.flush()
    except zlib.error as exc:
        raise DecodeError(f"{encoding} body: {exc}") from exc


def read_body(resp: BaseHTTPResponse, limit: int, *, truncate: bool = False) -> bytearray:
    """The decoded body, at most ``limit`` bytes.

    Past the limit: :class:`BodyTooLarge`, or with ``truncate`` the first ``limit`` bytes
    (enough for an error message quoting the body).
    """
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    body = bytearray()
    try:
        for piece in _inflate(resp.stream(CHUNK, decode_content=False), encoding):
            body += piece
            if len(body) > limit:
                if truncate:
                    del body[limit:]
                    break
                raise BodyTooLarge(limit)
    finally:
        resp.close()  # a no-op once the whole body was read: urllib3 has released it
        resp.release_conn()
    return body
