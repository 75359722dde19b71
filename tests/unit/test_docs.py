"""The docs name what exists: every step option is in docs/steps.md, every cited test exists."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# the step programs (steps.contracts is the steps' public door for tools, not a program)
STEPS = sorted(p.stem for p in (ROOT / "steps").glob("*.py") if not p.stem.startswith("_")
               and 'if __name__ == "__main__":' in p.read_text(encoding="utf-8"))


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


def test_every_proof_in_the_reliability_guide_names_a_test_that_exists() -> None:
    guide = (ROOT / "docs" / "reliability.md").read_text()
    cited = set(re.findall(r"`(test_\w+\.py)::(test_\w+)", guide))
    assert len(cited) >= 20
    faults = ROOT / "tests" / "faults"
    # a proof outside tests/faults names its folder: `tests/integration/test_x.py::test_y`
    cited |= set(re.findall(r"`(tests/[\w/]+/test_\w+\.py)::(test_\w+)", guide))
    paths = {module: ROOT / module if "/" in module else faults / module
             for module, _ in cited}
    missing = [f"{module}::{name}" for module, name in sorted(cited)
               if not paths[module].exists()
               or not re.search(rf"^def {name}\(", paths[module].read_text(), re.MULTILINE)]
    assert missing == [], f"docs/reliability.md cites tests that do not exist: {missing}"


def test_the_documented_notification_json_is_what_notify_sends() -> None:
    doc = (ROOT / "docs" / "steps.md").read_text()
    section = doc[doc.index("The webhook channel POSTs"):]
    command = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    shown = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "steps.notify"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={**env, "CADENCIA_LOG_FORMAT": "json"})
    (sent,) = [json.loads(line)["notification"] for line in proc.stderr.splitlines()
               if '"notification"' in line]
    assert sent == shown


def test_the_engine_docs_supported_subset_is_the_refusal_schema() -> None:
    """docs/engine.md's table is generated from the schema the refusal check walks; a field
    accepted or refused without regenerating it (`python -m workflows.engine.subset
    --write`) fails here."""
    from workflows.engine import subset

    text = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    assert subset.with_table(text) == text, "run `python -m workflows.engine.subset --write`"
    assert "| `spec.templates[].container` |" in text and "`podSpecPatch`" in text
