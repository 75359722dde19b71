"""URL facts shared by the HTTP client and the pagination, with no heavy import.

The origin (scheme, host, port) is the unit of trust: credentials are sent to the origin
of ``--url`` only, whether the next URL comes from a next link or a redirect.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without credentials, lower-cased."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc.rpartition('@')[2].lower()}"
