"""runner.run as Argo sees it: a real process, its exit code and its log lines."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT

TINY_STEP = '''"""tiny: a step that does what --mode says (runner tests)."""
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from steps._core import runner
from steps._core.errors import DataError, TransientError
from steps._core.parquet_io import ParquetSink

p = runner.parser("tiny", __doc__, needs_date=True)
p.add_argument("--mode", required=True, choices=["ok", "data", "transient", "bug", "hang"])
p.add_argument("--hold-mib", type=int, default=0, help="touch this much memory first")
p.add_argument("--out", type=Path)
args = p.parse_args()


def body(a):
    held = bytearray(a.hold_mib << 20)
    held[::4096] = b"x" * len(held[::4096])  # every page resident
    if a.mode == "ok":
        return {"rows": 42, "note": "2 duplicates dropped", "out": "x.parquet"}
    if a.mode == "data":
        raise DataError("column id has 3 nulls", column="id", nulls=3)
    if a.mode == "transient":
        raise TransientError("database unavailable")
    if a.mode == "bug":
        return {}["no such key"]
    with ParquetSink(a.out) as sink:
        sink.write(pa.table({"x": [1, 2, 3]}))
        print("ready", flush=True)
        time.sleep(60)
    return {}


runner.run("tiny", args, body)
'''


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    script = tmp_path / "tiny.py"
    script.write_text(TINY_STEP)
    return script


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    return {**e, "CADENCIA_LOG_FORMAT": "json", "PYTHONPATH": str(ROOT)}


def run(script: Path, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    proc = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=60)
    logs = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    return proc.returncode, logs, proc.stderr


def test_success_logs_one_summary_and_writes_the_output_parameters(tiny: Path,
                                                                    tmp_path: Path) -> None:
    code, logs, _ = run(tiny, "--mode", "ok", "--logical-date", "2026-11-26",
                        "--run-id", "r-1", "--summary-out", str(tmp_path / "s.json"),
                        "--rows-out", str(tmp_path / "rows.txt"),
                        "--note-out", str(tmp_path / "note.txt"))
    assert code == 0
    (line,) = logs
    assert line["message"] == "tiny finished" and line["summary"]["rows"] == 42
    assert (line["step"], line["run_id"], line["logical_date"]) == ("tiny", "r-1", "2026-11-26")
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["rows"] == 42 and summary["duration_s"] >= 0
    assert (tmp_path / "rows.txt").read_text() == "42"
    assert (tmp_path / "note.txt").read_text() == "2 duplicates dropped"


def run_measured(script: Path, *args: str) -> tuple[int, list[dict[str, Any]], float]:
    """Like :func:`run`, plus the process's own peak RSS in MiB as its parent sees it."""
    proc = subprocess.Popen([sys.executable, str(script), *args], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    with proc.stderr:
        stderr = proc.stderr.read()  # until the step exits; wait4 then reaps it
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return proc.returncode, logs, usage.ru_maxrss / 1024


@pytest.mark.parametrize(("mode", "code"), [("ok", 0), ("data", 65), ("bug", 1)])
def test_the_last_line_tells_the_steps_peak_memory(tiny: Path, mode: str, code: int) -> None:
    """``peak_rss_mib`` on the finished line (and on an error line) is the step's own peak
    resident memory: what ``cadencia logs`` shows against a container's memory limit."""
    rc, logs, measured_mib = run_measured(tiny, "--mode", mode, "--hold-mib", "120",
                                          "--logical-date", "2026-11-26")
    assert rc == code
    last = logs[-1]
    peak = last["summary"]["peak_rss_mib"] if mode == "ok" else last["peak_rss_mib"]
    assert 120 < peak <= measured_mib + 0.1, (peak, measured_mib)
    assert peak >= measured_mib - 16  # logged just before exiting: little can come after


@pytest.mark.parametrize(("mode", "code", "kind"), [("data", 65, "bad_data"),
                                                    ("transient", 75, "transient")])
def test_pipeline_error_exits_with_its_code_and_one_error_line(tiny: Path, tmp_path: Path,
                                                               mode: str, code: int,
                                                               kind: str) -> None:
    rc, logs, _ = run(tiny, "--mode", mode, "--logical-date", "2026-11-26",
                      "--summary-out", str(tmp_path / "s.json"))
    assert rc == code
    (error,) = [r for r in logs if r["level"] == "error"]
    assert (error["error_kind"], error["exit_code"]) == (kind, code)
    assert "exception" not in error  # an expected failure, no traceback noise
    if mode == "data":
        assert error["message"] == "column id has 3 nulls"
        assert (error["column"], error["nulls"]) == ("id", 3)
    assert not (tmp_path / "s.json").exists()


def test_a_bug_exits_1_with_the_traceback_in_the_error_line(tiny: Path) -> None:
    rc, logs, _ = run(tiny, "--mode", "bug", "--logical-date", "2026-11-26")
    assert rc == 1
    (error,) = [r for r in logs if r["level"] == "error"]
    assert error["error_kind"] == "bug" and "KeyError" in error["message"]
    assert "Traceback" in error["exception"] and "no such key" in error["exception"]


@pytest.mark.parametrize("args", [
    ("--mode", "nonsense", "--logical-date", "2026-11-26"),
    ("--mode", "ok"),  # the date is required here
    ("--mode", "ok", "--logical-date", "26/11/2026"),
    ("--mode", "ok", "--logical-date", "2026-11-26", "--unknown-flag"),
])
def test_bad_usage_is_a_configuration_error_78(tiny: Path, args: tuple[str, ...]) -> None:
    rc, _, stderr = run(tiny, *args)
    assert rc == 78
    assert "configuration error" in stderr and "usage:" in stderr


def test_sigterm_exits_143_and_leaves_no_temp_file(tiny: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    out = outdir / "x.parquet"
    proc = subprocess.Popen(
        [sys.executable, str(tiny), "--mode", "hang", "--logical-date", "2026-11-26",
         "--out", str(out)], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.readline().strip() == "ready"
        (partial,) = outdir.iterdir()
        assert partial.name.endswith(".part")  # mid-write
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == 143
    assert list(outdir.iterdir()) == []
    errors = [json.loads(line) for line in stderr.splitlines() if '"error"' in line]
    assert [e["error_kind"] for e in errors] == ["terminated"]


def test_a_note_travels_as_one_line_argo_cannot_mistake_for_a_tag() -> None:
    from steps._core.runner import NOTE_MAX, one_line

    assert one_line('1 rows removed by "x > 1"\n  and {{workflow.name}}') == (
        "1 rows removed by 'x > 1' and { {workflow.name} }")
    long = one_line("x" * (NOTE_MAX + 50))
    assert len(long) == NOTE_MAX and long.endswith("…")
