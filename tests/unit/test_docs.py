"""The docs name what the programs accept: every step option is in docs/steps.md."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = sorted(p.stem for p in (ROOT / "steps").glob("*.py") if not p.stem.startswith("_"))


def options(step: str) -> set[str]:
    out = subprocess.run([sys.executable, "-m", f"steps.{step}", "--help"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    usage = out.split("\n\n", 1)[0]
    return set(re.findall(r"--[a-z][a-z-]+", usage)) - {"--help"}


@pytest.mark.parametrize("step", STEPS)
def test_every_step_option_is_documented(step: str) -> None:
    doc = (ROOT / "docs" / "steps.md").read_text()
    assert f"## {step}" in doc
    missing = sorted(o for o in options(step) if f"`{o}" not in doc)
    assert not missing, f"docs/steps.md does not mention {missing} of steps.{step}"


def test_readme_lists_every_step() -> None:
    readme = (ROOT / "README.md").read_text()
    assert [s for s in STEPS if f"`{s}`" not in readme] == []
