"""Whole-process measurement: wall time and peak RSS of one command.

``ru_maxrss`` survives fork and exec, so a child forked from a benchmark that has loaded
pyarrow (~200 MiB) would report at least that much. A bare interpreter (``python -I -S``)
spawns each measured command instead and reports the command's own wall time and peak
RSS (``os.wait4``).
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_SPAWNER = """
import json, os, sys, time
out, stdout, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
os.chdir(cwd)
redirect = [(os.POSIX_SPAWN_OPEN, 1, stdout, os.O_WRONLY | os.O_TRUNC, 0)]
started = time.perf_counter()
pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=redirect)
_, status, usage = os.wait4(pid, 0)
elapsed = time.perf_counter() - started
with open(out, "w") as f:
    json.dump([elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status),
               usage.ru_utime + usage.ru_stime], f)
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mib: float
    returncode: int
    cpu_seconds: float = 0.0
    stdout: str = ""


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str = ".",
            timeout: float = 1800) -> Sample:
    """Wall time, CPU time, peak RSS and stdout of ``cmd`` as a whole process.

    Raises if it fails, with the end of its stderr and of its stdout.
    """
    with tempfile.NamedTemporaryFile(suffix=".json") as out, \
            tempfile.NamedTemporaryFile(suffix=".out") as stdout:
        # its own session: past the timeout the command goes too, not only the spawner
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _SPAWNER, out.name, stdout.name, cwd, *cmd],
            env=os.environ.copy() if env is None else env, stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        elapsed, maxrss_kib, code, cpu = json.loads(
            Path(out.name).read_text() or "[0, 0, -1, 0]")
        text = Path(stdout.name).read_text(errors="replace")
    if proc.returncode != 0 or code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.decode()[-2000:]}"
                           + (f"\nits stdout ends: {text[-2000:]}" if text.strip() else ""))
    return Sample(elapsed, maxrss_kib / 1024, code, cpu, text)


def median(samples: Sequence[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)
