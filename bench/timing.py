"""Whole-process measurement: wall time and peak RSS of one child, via ``os.wait4``."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mib: float
    returncode: int


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None,
            stdin_path: str | None = None, cwd: str | None = None) -> Sample:
    """Run ``cmd`` to completion; its wall time and its own peak RSS (not the parent's)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, stdin=stdin, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, cwd=cwd)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdin_path:
            stdin.close()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.decode()[-2000:]}")
    return Sample(elapsed, usage.ru_maxrss / 1024, proc.returncode)


def median(samples: Sequence[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)
