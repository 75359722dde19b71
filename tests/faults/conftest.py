"""The ``case`` fixture of every fault test: a sample API, PostgreSQL, S3 and a run store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import Case, open_case


@pytest.fixture
def case(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Case]:
    """The host's CADENCIA_* variables go: the engine passes them to every step."""
    for name in [n for n in os.environ if n.startswith("CADENCIA_")]:
        monkeypatch.delenv(name)
    with open_case(tmp_path, pg_url) as opened:
        yield opened
