"""A container's main process, run locally in its own process group.

``start`` launches ``argv`` with ``start_new_session=True`` so that the process and every
child it forks can be signalled at once, as a container's processes are. Its stdout and
stderr go to the attempt's log file as they arrive; stdout is also kept (the last
``RESULT_LIMIT`` bytes, one trailing newline trimmed: ``result_text``) for
``outputs.result``. When the main process exits, whatever it
left behind in its group is killed, as the end of a container would.

A process run in its own mount namespace (``isolation``: bubblewrap with
``--new-session --info-fd``) is signalled through the group of bwrap's child, the
container's main process, whose pid bwrap reports on that descriptor: bwrap itself would
die at the SIGTERM and take its child with it before the grace period.

``stop`` sends SIGTERM to the group, then SIGKILL after the grace period; the reason it
was stopped (a deadline, the end of a daemon's scope) travels with the outcome. A log that
cannot be written (a full disk) is cut there, the output still read to the end (the
process never blocks on a full pipe), and the error travels with the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

RESULT_LIMIT = 256 * 1024  # Argo caps outputs.result at 256 kB
KILL_GRACE_SECONDS = 5.0
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Outcome:
    """How a process ended. ``exit_code`` is None when it never started."""

    exit_code: int | None
    started: float  # epoch seconds
    finished: float
    stdout: str
    start_error: str | None = None
    stopped_for: str | None = None  # the reason given to ``stop``
    log_error: OSError | None = None  # writing the log failed (it is cut there)
    raw_stdout: bytes = b""  # stdout as written (its end, when long): for appending attempts
    termination_message: str | None = None  # the container's own, as the kubelet reports it


class Process:
    """A running process group; await ``wait()`` for its ``Outcome``."""

    def __init__(self, proc: asyncio.subprocess.Process, log: Path, started: float,
                 grace: float, child: int | None = None) -> None:
        self._proc = proc
        self._child = child  # the isolated main process (its own group), else None
        self._log = log
        self._started = started
        self._grace = grace
        self._stdout = bytearray()
        self._stopped_for: str | None = None
        self._killer: asyncio.Task[None] | None = None
        self._handle = log.open("ab", buffering=0)
        self._log_error: OSError | None = None
        self._readers = [
            asyncio.ensure_future(self._pump(proc.stdout, keep=True)),
            asyncio.ensure_future(self._pump(proc.stderr, keep=False)),
        ]

    @property
    def pid(self) -> int:
        return self._proc.pid

    async def _pump(self, stream: asyncio.StreamReader | None, *, keep: bool) -> None:
        if stream is None:
            return
        while True:
            chunk = await stream.read(_READ_CHUNK)
            if not chunk:
                return
            if self._log_error is None:
                try:
                    self._handle.write(chunk)
                except OSError as exc:
                    exc.filename = exc.filename or str(self._log)
                    self._log_error = exc
            if keep:
                self._stdout += chunk
                if len(self._stdout) > 2 * RESULT_LIMIT:
                    del self._stdout[:-(RESULT_LIMIT + 1)]  # + a newline to trim

    def stop(self, reason: str) -> None:
        """SIGTERM the group now, SIGKILL it after the grace period; idempotent."""
        if self._stopped_for is None:
            self._stopped_for = reason
        if self._killer is None and self._proc.returncode is None:
            self._signal(signal.SIGTERM)
            self._killer = asyncio.ensure_future(self._kill_later())

    def _signal(self, sig: signal.Signals) -> None:
        if self._child is None:
            _signal_group(self._proc.pid, sig)
            return
        try:
            os.killpg(self._child, sig)
        except ProcessLookupError:  # not yet its own group (bwrap calls setsid late)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self._child, sig)
        except PermissionError:
            pass
        if sig == signal.SIGKILL:
            _signal_group(self._proc.pid, sig)

    async def _kill_later(self) -> None:
        await asyncio.sleep(self._grace)
        self._signal(signal.SIGKILL)

    async def wait(self) -> Outcome:
        try:
            code = await self._proc.wait()
        finally:
            # The container is gone once its main process is: so is what it left running.
            self._signal(signal.SIGKILL)
        finished = time.time()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._readers), timeout=2.0)
        for reader in self._readers:
            reader.cancel()
        if self._killer is not None:
            self._killer.cancel()
        with contextlib.suppress(OSError):
            self._handle.close()
        text = result_text(bytes(self._stdout))
        # A signal shows as 128 + its number, as a container runtime reports it.
        exit_code = 128 - code if code < 0 else code
        return Outcome(exit_code=exit_code, started=self._started, finished=finished,
                       stdout=text, raw_stdout=bytes(self._stdout),
                       stopped_for=self._stopped_for,
                       log_error=self._log_error)


def result_text(stdout: bytes) -> str:
    """``outputs.result`` as Argo's ``CaptureScriptResult`` makes it from stdout: one
    trailing newline trimmed, then only the last 256 kB kept."""
    if stdout.endswith(b"\n"):
        stdout = stdout[:-1]
    return stdout[-RESULT_LIMIT:].decode("utf-8", errors="replace")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


async def start(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path,
                grace: float = KILL_GRACE_SECONDS,
                wrap: Callable[[int], list[str]] | None = None) -> Process | Outcome:
    """Start ``argv``; a process that cannot start gives an ``Outcome`` right away.

    ``wrap(fd)`` gives the argv to run instead (bwrap's, around ``argv``), given the
    descriptor on which it reports its child's pid as JSON (``{"child-pid": N}``)."""
    started = time.time()
    info_read, info_write = os.pipe() if wrap is not None else (-1, -1)
    try:
        command = wrap(info_write) if wrap is not None else list(argv)
        proc = await asyncio.create_subprocess_exec(
            *command, env=dict(env), cwd=str(cwd), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            start_new_session=True, pass_fds=(info_write,) if wrap is not None else ())
    except (OSError, ValueError) as exc:
        for fd in (info_read, info_write):
            if fd >= 0:
                os.close(fd)
        message = f"failed to start {argv[0] if argv else '(no command)'}: {exc}"
        with log.open("a", encoding="utf-8") as handle:
            handle.write(message + "\n")
        return Outcome(exit_code=None, started=started, finished=time.time(), stdout="",
                       start_error=message)
    child = None
    if wrap is not None:
        os.close(info_write)
        child = await _child_pid(info_read)
    return Process(proc, log, started, grace, child)


async def _child_pid(fd: int) -> int | None:
    """The ``child-pid`` bwrap writes on ``fd`` (it closes it then); None if it died first."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", 0))
    try:
        text = await reader.read()
    finally:
        transport.close()
    try:
        pid = json.loads(text or b"{}").get("child-pid")
    except ValueError:
        return None
    return int(pid) if isinstance(pid, int) else None
