"""The ``case`` fixture of every fault test: a sample API, PostgreSQL, S3 and a run store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import Case, open_case


@pytest.fixture
def case(tmp_path: Path, pg_url: str) -> Iterator[Case]:
    """The host's CADENCIA_* variables may stay: the engine gives a step only its own env."""
    with open_case(tmp_path, pg_url) as opened:
        yield opened
