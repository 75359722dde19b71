"""The README's "Running one step by hand" and docs/steps.md's examples, run exactly as
written: every ```bash block, in order, in one shell, from a folder laid out like the
project (its .venv), as a reader pastes them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "activate").is_file(),
                                reason="the docs activate the project's .venv")


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S)


def run_as_written(blocks: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    (cwd / ".venv").symlink_to(ROOT / ".venv")
    script = cwd / "pasted.sh"
    script.write_text("set -e\n" + "\n".join(blocks))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CADENCIA_", "VIRTUAL_ENV", "PYTHONPATH"))}
    log = cwd / "pasted.log"  # a file: the background API would hold a pipe open
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", str(script)], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=240)
        finally:  # the sample API the docs start in the background
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    return subprocess.CompletedProcess(proc.args, proc.returncode, log.read_text(), "")


def step_logs(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"time"')]


def test_the_readme_runs_the_orders_pipeline_step_by_hand(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running one step by hand"):]
    section = section[:section.index("\n## ", 1)]
    blocks = bash_blocks(section)
    assert len(blocks) == 1 and "python -m steps.load" in blocks[0]
    ran = run_as_written(blocks, tmp_path)
    assert ran.returncode == 0, ran.stdout[-3000:]
    logs = step_logs(ran.stdout)
    assert not [e for e in logs if e["level"] == "error"]
    finished = {e["step"]: e["summary"] for e in logs if str(e["message"]).endswith("finished")}
    assert list(finished) == ["extract_http", "extract_sql", "clean", "transform", "validate",
                              "load"]
    # the same day as the pipeline's run: both sources' 2,000 rows, 1,000 shared ids
    assert finished["clean"]["duplicates_dropped"] == 1000  # type: ignore[index]
    assert finished["validate"]["note"] == "3 quarantined (range:quantidade 3)"  # type: ignore[index]
    assert finished["load"]["note"] == "replaced 2,997 rows of 2026-11-25"  # type: ignore[index]
    with sqlite3.connect(tmp_path / ".cadencia" / "warehouse.db") as conn:
        assert conn.execute("SELECT count(*) FROM vendas").fetchone() == (2997,)


def test_every_example_of_the_steps_doc_runs_in_order(tmp_path: Path) -> None:
    blocks = bash_blocks((ROOT / "docs" / "steps.md").read_text())
    documented = {m for b in blocks for m in re.findall(r"python -m steps\.(\w+)", b)}
    shipped = {p.stem for p in (ROOT / "steps").glob("*.py") if not p.stem.startswith("_")}
    assert documented == shipped - {"contracts"}, "a step without an example, or a stale one"
    ran = run_as_written(blocks, tmp_path)
    assert ran.returncode == 0, ran.stdout[-3000:]
    logs = step_logs(ran.stdout)
    assert not [e for e in logs if e["level"] == "error"]
    notes = {e["step"]: e["summary"].get("note") for e in logs  # type: ignore[union-attr]
             if str(e["message"]).endswith("finished")}
    assert notes["join"].startswith("80 matched") or "matched" in notes["join"], notes
    enriched = pq.read_table(tmp_path / "enriched.parquet")
    assert enriched.num_rows == 80 and "name" in enriched.column_names
    assert (tmp_path / "orders.txt").read_text().strip() and (tmp_path / "payments.txt").is_file()
    with sqlite3.connect(tmp_path / ".cadencia" / "warehouse.db") as conn:
        assert conn.execute("SELECT count(*) FROM vendas").fetchone() == (2997,)
