"""docs/authoring.md, executed: every command of the tutorial runs as written, in order,
in a copy of this checkout, with the tutorial's files written where it shows them.

Commands that need a cluster sit in ```console cluster blocks; they are not run (there
is no cluster here), and the test checks that such a block holds nothing but helm,
kubectl and argo commands, so nothing else can hide there.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(420)
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "authoring.md"
CLUSTER_TOOLS = ("helm", "kubectl", "argo")


@dataclass(frozen=True)
class Block:
    kind: str  # "console", "cluster" or "file"
    text: str
    path: str | None = None

    @property
    def commands(self) -> list[str]:
        return [line[2:] for line in self.text.splitlines() if line.startswith("$ ")]


def blocks() -> list[Block]:
    out: list[Block] = []
    lines = DOC.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i]
        if fence.startswith("```") and fence != "```":
            end = lines.index("```", i + 1)
            text = "\n".join(lines[i + 1:end]) + "\n"
            info = fence[3:]
            if " file=" in info:
                out.append(Block("file", text, info.split(" file=", 1)[1].strip()))
            elif info == "console cluster":
                out.append(Block("cluster", text))
            elif info == "console":
                out.append(Block("console", text))
            i = end
        i += 1
    return out


def copy_of_checkout(dest: Path) -> Path:
    for part in ("workflows/environments", "workflows/pipelines", "charts", "scripts"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / ".tools").symlink_to(ROOT / ".tools")
    return dest


def test_every_command_of_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    found = blocks()
    assert sum(len(b.commands) for b in found if b.kind == "console") >= 8
    project = copy_of_checkout(tmp_path / "clone")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["CADENCIA_PROJECT"] = str(project)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for block in found:
        if block.kind == "file":
            assert block.path and block.path.startswith("workflows/pipelines/shop")
            (project / block.path).write_text(block.text, encoding="utf-8")
        elif block.kind == "cluster":
            assert all(c.split()[0] in CLUSTER_TOOLS for c in block.commands), block.text
        else:
            for command in block.commands:
                done = subprocess.run(["bash", "-c", command], cwd=project, env=env,
                                      capture_output=True, text=True, timeout=300,
                                      check=False)
                assert done.returncode == 0, f"$ {command}\n{done.stdout}\n{done.stderr}"
                if command.startswith(".tools/bin/helm template"):
                    for name in ("WorkflowTemplate", "CronWorkflow"):
                        assert f"kind: {name}\nmetadata:\n  name: shop" in done.stdout
    # what the tutorial says the two runs leave: each table's rows once, two loads each
    with sqlite3.connect(project / ".cadencia" / "warehouse.db") as db:
        for table, key in (("shop_orders", "id"), ("shop_payments", "payment_id")):
            rows, keys = db.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}"
                                    ).fetchone()
            assert rows == keys > 0, table
        ledger = dict(db.execute("SELECT target, count(*) FROM cadencia_load_ledger WHERE "
                                 "pipeline = 'shop' GROUP BY target").fetchall())
    # the scaffold's own table, loaded once in step 1, may be there too
    assert (ledger.get("shop_orders"), ledger.get("shop_payments")) == (2, 2), ledger
