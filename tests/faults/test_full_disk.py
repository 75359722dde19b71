"""Issue 10, case 8: `cadencia run --home DIR` on a filesystem that is nearly full.

DIR is a real 4 MiB tmpfs (mounting one needs root, as CI runs), filled with a file so
that only a few KiB or hundreds of KiB are left: the embedded source cannot be seeded,
or the run record, the logs and the artifacts cannot be written (the record's last write
then falls back to a smaller one: without node inputs when an earlier save got through,
a bare one in the room the first record reserved when none did). Whichever write fails
first, the CLI answers with one line naming the path (no traceback), exits non-zero, and
the record does not stay Pending or Running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
SIZE_KIB = 4096


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 4 MiB filesystem at tmp_path/disk, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_KIB}k", "tmpfs", str(disk)],
                   check=True, capture_output=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)


def fill(disk: Path, leave_kib: int) -> None:
    fs = os.statvfs(disk)
    free = fs.f_bavail * fs.f_frsize
    with open(disk / "filler", "wb") as handle:
        handle.write(b"\0" * max(0, free - leave_kib * 1024))


def cadencia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=100)


# 170 KiB: the seeded source takes about 150, so the disk is full before any save of the
# record after the first, Pending, one gets through (200 KiB: it depends on the timing).
@pytest.mark.parametrize("leave_kib", [8, 170, 200, 450], ids=[
    "no-room-to-seed", "room-for-the-first-record-only", "room-for-a-few-writes",
    "room-for-some-steps"])
def test_a_full_disk_under_home_is_one_line_naming_the_path_and_no_record_stays_running(
        small_disk: Path, tmp_path: Path, leave_kib: int) -> None:
    home = small_disk / "home"
    fill(small_disk, leave_kib)

    ran = cadencia("run", "--pipeline", "orders", "--date", "2026-11-25", "--home", str(home),
                   cwd=tmp_path)

    output = ran.stdout + ran.stderr
    assert ran.returncode == 1, output
    assert "Traceback" not in output and "Exception in callback" not in output, output
    said = [line for line in output.splitlines()
            if str(small_disk) in line and ("cannot write" in line or "is full" in line)]
    assert len(said) == 1, output
    assert any(reason in said[0] for reason in ("No space left on device", "disk is full",
                                                 "is full")), said
    records = sorted((home / "runs").glob("*/workflow.json"))
    if leave_kib == 8:
        assert said[0].startswith(f"Error: cannot write the embedded source {home}"), said
        assert records == []  # nothing ran: no record at all
        return
    (record,) = records
    status = json.loads(record.read_text())["status"]
    assert status["phase"] in ("Failed", "Error"), status["phase"]
    if "the run record: only" in said[0]:  # a cut record says why, naming the file
        assert f"cannot write {record}: No space left on device" in status["message"], status
    assert not [n["displayName"] for n in status["nodes"].values()
                if n["phase"] in ("Running", "Pending")]
    shown = cadencia("get", "@latest", "--home", str(home), cwd=tmp_path)
    assert shown.returncode == 0 and status["phase"] in shown.stdout, shown.stdout
