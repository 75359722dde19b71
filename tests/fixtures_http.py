"""Shared bits for the HTTP tests: the sample API on 127.0.0.1 and fast client settings.

Fault tests stay bounded in time: tiny backoff, one retry, sub-second read timeouts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workflows.devservices.sample_api import SampleApi

DATE = "2024-03-05"

# In-step retry settings for tests: quick, and a bounded number of attempts.
FAST_RETRIES = {
    "CADENCIA_HTTP_BACKOFF_BASE": "0.01",
    "CADENCIA_HTTP_BACKOFF_CAP": "0.05",
    "CADENCIA_HTTP_MAX_RETRIES": "2",
    "CADENCIA_HTTP_CONNECT_TIMEOUT": "2",
    "CADENCIA_HTTP_READ_TIMEOUT": "5",
}


@contextmanager
def serve(records: int = 250, **kwargs: Any) -> Iterator[SampleApi]:
    """A started sample API with ``records`` orders per date (stopped on exit)."""
    with SampleApi(records=records, date=DATE, **kwargs) as api:
        yield api
