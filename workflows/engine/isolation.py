"""A pod's own filesystem: a private mount namespace over the node's sandbox (bubblewrap).

An image that is not this project's runs its command with the host's programs, inside a
mount namespace (``bwrap``) whose root is a fresh tmpfs holding:

- the host's folders, read-only (its programs and libraries stand in for the image's);
- ``/tmp``: the sandbox's ``tmp/``, empty at the start and the node's own;
- the folder of each declared artifact or parameter path and the ``workingDir``: the
  sandbox's same folder, where the engine placed the inputs and collects the outputs
  (the host's own entries of such a folder show through, read-only, as an image's would);
- each ``volumeMounts`` entry: its emptyDir folder (read-only with ``readOnly``);
- a ``/proc`` and a minimal ``/dev`` of its own;
- the host folders listed in ``CADENCIA_ENGINE_SHARE`` (``os.pathsep``-separated),
  read-write at their own paths: a local convenience (tests keep their scratch folders
  there), never something a manifest can ask for.

A folder on the way to a mapped path (``/mnt`` for ``/mnt/out/x``) is a folder of that
tmpfs with the host's entries bound into it one by one, so no mount point is ever made on
the host's filesystem. ``CADENCIA_ENGINE_ISOLATION=off`` behaves as if namespaces were
unavailable (``literal_paths`` then refuses what would need them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SWITCH = "CADENCIA_ENGINE_ISOLATION"
SHARE = "CADENCIA_ENGINE_SHARE"
OWN = ("/proc", "/dev")  # the namespace's own, never the host's
TMP = "/tmp"  # noqa: S108 - the pod's own /tmp, a folder of its sandbox


@dataclass(frozen=True)
class Availability:
    """Whether pods get their own filesystem; ``how`` is the bwrap binary or why not."""

    ok: bool
    how: str


_probed: dict[str, Availability] = {}


def availability(setting: str | None = None) -> Availability:
    """Probed once per process (about 10 ms): can bwrap make a mount namespace here?"""
    setting = os.environ.get(SWITCH, "") if setting is None else setting
    if setting.lower() in ("off", "0", "no", "false"):
        return Availability(False, f"{SWITCH}={setting}")
    if "bwrap" not in _probed:
        _probed["bwrap"] = _probe()
    return _probed["bwrap"]


def _probe() -> Availability:
    exe = shutil.which("bwrap")
    if exe is None:
        return Availability(False, "bubblewrap (bwrap) is not installed")
    try:
        done = subprocess.run([exe, "--new-session", "--die-with-parent", "--ro-bind", "/", "/",
                               "--proc", "/proc", "--dev", "/dev", "--tmpfs", TMP, "true"],
                              capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Availability(False, f"bwrap cannot run: {exc}")
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return Availability(False, "bwrap cannot make a mount namespace here: "
                            + (lines[-1] if lines else f"exit {done.returncode}"))
    return Availability(True, exe)


def shared_paths(text: str | None = None) -> tuple[Path, ...]:
    text = os.environ.get(SHARE, "") if text is None else text
    return tuple(Path(p).resolve() for p in text.split(os.pathsep) if p.strip())


@dataclass(frozen=True)
class Bind:
    """What the pod sees at a path: ``source`` on the host."""

    source: Path
    read_only: bool = False
    merge: bool = False  # the host's own entries at that path show through, read-only


def _parent(path: str) -> str:
    return str(PurePosixPath(path).parent)


def _ancestors(path: str) -> list[str]:
    return [str(p) for p in PurePosixPath(path).parents if str(p) != "/"]


def bwrap_argv(bwrap: str, targets: Mapping[str, Bind], argv: Sequence[str], chdir: str,
               info_fd: int) -> list[str]:
    """bwrap's command line running ``argv`` in ``chdir`` with ``targets`` mapped (keys
    are normalised absolute container paths, ``/tmp`` among them)."""
    args = [bwrap, "--new-session", "--die-with-parent", "--info-fd", str(info_fd),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]  # noqa: S108
    ancestors = {a for t in targets for a in _ancestors(t)} - set(targets)
    children: dict[str, list[str]] = {}
    for path in sorted(set(targets) | ancestors):
        children.setdefault(_parent(path), []).append(path)

    def walk(folder: str, inside: Bind | None, merge: bool) -> None:
        mine = children.get(folder, [])
        if merge:
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            for name in names:
                path = os.path.join(folder, name)
                if path in mine or path in OWN or (
                        inside is not None and os.path.lexists(inside.source / name)):
                    continue
                if os.path.islink(path):
                    args.extend(["--symlink", os.readlink(path), path])
                else:
                    args.extend(["--ro-bind", path, path])
        for path in mine:
            bind = targets.get(path)
            if bind is not None:
                args.extend(["--ro-bind" if bind.read_only else "--bind", str(bind.source),
                             path])
                walk(path, bind, bind.merge and os.path.isdir(path))
            else:
                if inside is None:
                    args.extend(["--dir", path])
                walk(path, inside, inside is None and os.path.isdir(path))

    walk("/", None, True)
    return [*args, "--chdir", chdir, "--", *argv]
