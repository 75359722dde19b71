"""extract_http's two processes: the step fetches, a forked converter writes the Parquet.

Whichever side fails, and however, the step exits with the class of the failure, says
what happened in one error line, publishes no file and leaves no process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.fixtures_http import FAST_RETRIES
from tests.fixtures_scripted_http import Reply, ScriptedServer, Seen, json_reply
from tests.support import (
    ROOT,
    StepResult,
    assert_failed_without_output,
    assert_nothing_published,
    run_step,
    step_env,
)


def page(n: int, records: list[dict[str, object]], more: bool = True) -> Reply:
    return json_reply(json.dumps({"data": records, "has_more": more, "page": n}))


def by_page(replies: dict[int, Reply]) -> ScriptedServer:
    return ScriptedServer(lambda seen: replies[int(seen.query["page"])])


def step_args(server: ScriptedServer, out: Path) -> list[str]:
    return ["--url", f"{server.origin}/orders", "--out", str(out), "--page-size", "2"]


def leftovers(out: Path) -> list[int]:
    """Processes still running whose command line names ``out`` (an orphaned converter)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and str(out).encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def assert_fails(result: StepResult, code: int, cause: str, out: Path) -> None:
    assert_failed_without_output(result, code, cause, out)
    assert leftovers(out) == []


def test_the_converter_s_data_error_is_the_step_s_65(tmp_path: Path) -> None:
    replies = {1: page(1, [{"id": 1, "x": "a"}, {"id": 2, "x": "b"}]),
               2: page(2, [{"id": 3, "x": 5}, {"id": 4, "x": 6}]),
               3: page(3, [], more=False)}
    out = tmp_path / "o.parquet"
    with by_page(replies) as server:
        result = run_step("extract_http", *step_args(server, out), env=FAST_RETRIES)
    assert_fails(result, 65, "column 'x' changed type from string to int64 on page 2", out)


def test_records_only_the_converter_reads_in_full_are_checked_there(tmp_path: Path) -> None:
    """The fetch side skips the records' values (skeleton.py); an infinite number in one
    is still bad data, found when the converter parses the page whole."""
    replies = {1: page(1, [{"id": 1}, {"id": 2}]),
               2: json_reply('{"data": [{"id": 3, "x": 1e999}], "has_more": false}')}
    out = tmp_path / "o.parquet"
    with by_page(replies) as server:
        result = run_step("extract_http", *step_args(server, out), env=FAST_RETRIES)
    assert_fails(result, 65, "page 2 has records that are not JSON (number is infinity", out)


def test_a_fetch_failing_after_pages_were_converted_publishes_nothing(tmp_path: Path) -> None:
    replies = {n: page(n, [{"id": 2 * n}, {"id": 2 * n + 1}]) for n in (1, 2, 3)}
    replies[4] = json_reply('{"error": "gone"}', status=404)
    out = tmp_path / "o.parquet"
    with by_page(replies) as server:
        result = run_step("extract_http", *step_args(server, out), env=FAST_RETRIES)
    assert_fails(result, 76, "HTTP 404", out)


class HeldOnPage2:
    """A server whose page 2 waits until the test has done its part."""

    def __init__(self) -> None:
        self.asked, self.release = threading.Event(), threading.Event()
        self.server = ScriptedServer(self.route)

    def route(self, seen: Seen) -> Reply:
        n = int(seen.query["page"])
        if n == 2:
            self.asked.set()
            self.release.wait(30)
        return page(n, [{"id": 2 * n}, {"id": 2 * n + 1}], more=n < 3)

    def start_step(self, out: Path) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-m", "steps.extract_http",
                                 *step_args(self.server, out)], cwd=ROOT,
                                env=step_env(FAST_RETRIES),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.asked.wait(30), "the step never asked for page 2"
        return proc


def converter_of(proc: subprocess.Popen[str]) -> int:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_a_killed_converter_fails_the_step_naming_the_signal(tmp_path: Path) -> None:
    """What an OOM kill of the converter looks like: exit 1 naming SIGKILL, no file."""
    out, held = tmp_path / "o.parquet", HeldOnPage2()
    with held.server:
        proc = held.start_step(out)
        try:
            os.kill(converter_of(proc), signal.SIGKILL)
            time.sleep(0.2)
        finally:
            held.release.set()
        stdout, stderr = proc.communicate(timeout=60)
    result = StepResult(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    assert_fails(result, 1, "the converter process was killed by SIGKILL", out)


def test_a_killed_step_takes_its_converter_with_it(tmp_path: Path) -> None:
    """Argo's deadline kills the step's process: the converter must not publish or linger."""
    out, held = tmp_path / "o.parquet", HeldOnPage2()
    with held.server:
        proc = held.start_step(out)
        converter = converter_of(proc)
        proc.kill()
        proc.communicate(timeout=30)
        held.release.set()
        deadline = time.monotonic() + 10
        while Path(f"/proc/{converter}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # reaped by init once it exits
    assert leftovers(out) == []
    assert_nothing_published(out)


def test_the_step_s_peak_memory_counts_its_children() -> None:
    """The pod's limit holds both processes, so the logged peak must include the child's."""
    code = ("import subprocess, sys\n"
            "from steps._core.runner import peak_rss_mib\n"
            "before = peak_rss_mib()\n"
            "subprocess.run([sys.executable, '-c', 'b = bytearray(300 << 20); b[::4096] = "
            "bytes(len(b) // 4096)'], check=True)\n"
            "print(before, peak_rss_mib())\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    before, after = map(float, proc.stdout.split())
    assert after - before >= 290, (before, after)
