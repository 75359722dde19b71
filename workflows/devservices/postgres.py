"""A throwaway PostgreSQL cluster from the Debian/Ubuntu packages, on loopback.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the
``postgres`` user through ``runuser``. The cluster lives in a temporary folder, listens
on 127.0.0.1 on a free port with trust auth, and is removed by :meth:`TempPostgres.stop`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


def find_bindir() -> Path:
    """The newest installed PostgreSQL server ``bin`` folder."""
    env = os.environ.get("CADENCIA_PG_BINDIR")
    candidates = [env] if env else sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for cand in reversed(candidates):
        if cand and (Path(cand) / "initdb").exists():
            return Path(cand)
    raise RuntimeError(
        "PostgreSQL server binaries not found: run `make setup` "
        "(apt-get install postgresql) or set CADENCIA_PG_BINDIR")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """Start, stop, kill and restart a private PostgreSQL server."""

    def __init__(self, *, port: int | None = None, fast: bool = True) -> None:
        self.bindir = find_bindir()
        self.port = port or free_port()
        self.fast = fast
        self.root = Path(tempfile.mkdtemp(prefix="cadencia-pg-"))
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._initdb()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_root else list(args)

    def _run(self, *args: str) -> None:
        subprocess.run(self._cmd(*args), check=True, capture_output=True, timeout=60)

    def _initdb(self) -> None:
        self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")

    def start(self) -> str:
        pid = self.datadir / "postmaster.pid"
        if pid.exists() and not self.running():
            pid.unlink()  # stale after a kill
        opts = [f"-p {self.port}", f"-k {self.root}", "-c listen_addresses=127.0.0.1"]
        if self.fast:
            opts += [f"-c {s}" for s in FAST_SETTINGS]
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile),
                  "-w", "-t", "30", "-o", " ".join(opts), "start")
        return self.url

    def running(self) -> bool:
        proc = subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.datadir),
                                        "status"), capture_output=True)
        return proc.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w",
                      "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster (a crash, not a shutdown)."""
        pid = self.datadir / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(pid.read_text().splitlines()[0]), 9)
            time.sleep(0.2)

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()
