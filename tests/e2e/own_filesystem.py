"""What the e2e tests of a pod's own filesystem share: they need bubblewrap's mount
namespaces, a run store of their own, and no caller's CADENCIA_ENGINE_SHARE or
CADENCIA_ENGINE_ISOLATION changing what a pod sees. A test module takes them as
``pytestmark = NEEDS_NAMESPACES``, ``nothing_shared = own_filesystem.nothing_shared`` and
``store = own_filesystem.store``."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engine.isolation import SHARE, SWITCH, availability
from workflows.runs.store import RunStore

NEEDS_NAMESPACES = pytest.mark.skipif(
    not availability("auto").ok, reason=f"no private mount namespace: {availability('auto').how}")


@pytest.fixture(autouse=True)
def nothing_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SHARE, raising=False)
    monkeypatch.delenv(SWITCH, raising=False)


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "runs")
