"""A pod's own filesystem: a private mount namespace over the node's sandbox (bubblewrap).

An image that is not this project's runs its command with the host's programs, inside a
mount namespace (``bwrap``) whose root is the node's sandbox folder, read-write, as a
container's root is its own writable layer: a file the command writes anywhere that is
not a volume or a host folder (``/result.txt``, ``result.txt`` in ``/``, ``/mnt/out/x``)
lands in the sandbox, where the engine collects the outputs after it ends. Into that root:

- the host's entries, read-only, one by one (its programs and libraries stand in for the
  image's): at ``/`` and in every *image folder*, a host folder on the way to a path the
  pod uses (``/mnt`` for ``/mnt/out/part.json``: the command can ``mkdir /mnt/out`` as in
  its image), an entry the sandbox already has (a placed input artifact) taking its place;
- ``/tmp``: the sandbox's ``tmp/``, empty at the start and the node's own;
- each ``volumeMounts`` entry: its emptyDir folder (read-only with ``readOnly``);
- a ``/proc`` and a minimal ``/dev`` of its own;
- the host folders listed in ``CADENCIA_ENGINE_SHARE`` (``os.pathsep``-separated),
  read-write at their own paths: a local convenience (tests keep their scratch folders
  there), never something a manifest can ask for.

Every mount point bwrap makes is made in the root, that is in the sandbox (a stub folder
or empty file under the host entry's mount), so nothing is ever created on the host's
filesystem; the stubs go with the sandbox. ``CADENCIA_ENGINE_ISOLATION=off`` behaves as if
namespaces were unavailable (``literal_paths`` then refuses what would need them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
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


def image_folder(path: str, own: Iterable[str] = (), *, itself: bool = False) -> str | None:
    """The deepest folder holding the container path ``path`` (or ``path`` itself, with
    ``itself``) that the image has, the host standing in for it: ``/mnt`` for
    ``/mnt/out/part.json`` on a host with ``/mnt`` and no ``/mnt/out``. None when that is
    ``/``, or when the way passes through ``/tmp``, one of ``own`` (the pod's volumes) or
    the namespace's ``/proc`` and ``/dev``: the host's entries never show there."""
    blocked = [TMP, *own, *OWN]
    folders = ([path] if itself else []) + _ancestors(path)  # deepest first
    for folder in folders:
        if any(folder == b or folder.startswith(b.rstrip("/") + "/") for b in blocked):
            return None
        if os.path.isdir(folder):
            return folder
    return None


def bwrap_argv(bwrap: str, root: Path, targets: Mapping[str, Bind], argv: Sequence[str],
               chdir: str, info_fd: int) -> list[str]:
    """bwrap's command line running ``argv`` in ``chdir``, ``root`` (the sandbox) at ``/``
    and ``targets`` mapped (keys are normalised absolute container paths). A target whose
    source is the root's own folder at that path (an image folder, ``/tmp``) needs no
    mount: it only says whether the host's entries show through there."""
    args = [bwrap, "--new-session", "--die-with-parent", "--info-fd", str(info_fd),
            "--bind", str(root), "/",  # first: every later mount point is made in it
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]  # noqa: S108
    ancestors = {a for t in targets for a in _ancestors(t)} - set(targets)
    children: dict[str, list[str]] = {}
    for path in sorted(set(targets) | ancestors):
        children.setdefault(_parent(path), []).append(path)

    def walk(folder: str, backing: Path, merge: bool) -> None:
        """``backing``: the host folder the pod sees at ``folder``; ``merge``: the host's
        own entries of ``folder`` show through, read-only, where ``backing`` has none."""
        mine = children.get(folder, [])
        if merge:
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            for name in names:
                path = os.path.join(folder, name)
                if path in mine or path in OWN or os.path.lexists(backing / name):
                    continue
                if os.path.islink(path):
                    args.extend(["--symlink", os.readlink(path), path])
                else:
                    args.extend(["--ro-bind", path, path])
        for path in mine:
            own = backing / PurePosixPath(path).name
            bind = targets.get(path)
            if bind is None:  # a folder on the way to a mapped path
                walk(path, own, merge and os.path.isdir(path))
                continue
            if bind.read_only or bind.source != own:
                args.extend(["--ro-bind" if bind.read_only else "--bind", str(bind.source),
                             path])
            walk(path, bind.source, bind.merge and os.path.isdir(path))

    walk("/", root, True)
    return [*args, "--chdir", chdir, "--", *argv]
