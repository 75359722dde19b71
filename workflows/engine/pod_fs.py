"""What each container of a pod sees where: the path variables, the volumes and the
bubblewrap targets over its root (``isolation``), and whether the host has its program.

The main container's root is the node's sandbox, where the inputs are placed and the
outputs read. An init container (``init_containers``) has a root of its own, as in a pod
(each container has its own image filesystem), and shares only the pod's volumes with
the main container: its own ``volumeMounts``, plus, with ``mirrorVolumeMounts``, the main
container's, which in Argo's pod include the input artifacts and the staged script.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workflows.engine import isolation, scripts
from workflows.engine.artifacts.sandbox import Sandbox, normal
from workflows.engine.declared import declared_paths
from workflows.engine.within import within

Targets = dict[str, isolation.Bind]


def paths(tmpl: dict[str, Any], box: Sandbox, *, literal: bool) -> dict[str, str]:
    """The path variables: as written when the pod has its own filesystem, else remapped
    into the sandbox. The folders on the way to an output that the image has (the host
    standing in for it: ``/tmp``, ``/mnt``) exist in the sandbox; a folder it lacks is the
    command's to make, as in Argo, whose executor creates none for outputs (emissary.go
    ``saveArtifact`` only reads them)."""
    scope: dict[str, str] = {}
    own = [str(at) for at in box.mounts]
    for variable, _, declared in declared_paths(tmpl):
        path = box.path(declared)
        scope[variable] = declared if literal else str(path)
        if variable.startswith("inputs."):
            continue  # placed with its folders, as Argo's executor does
        folder = (isolation.TMP if normal(declared).startswith(isolation.TMP + "/")
                  else isolation.image_folder(normal(declared), own))
        if folder is not None:
            box.path(folder).mkdir(parents=True, exist_ok=True)
    return scope


def mount_volumes(tmpl: dict[str, Any], box: Sandbox) -> Targets:
    """Each volumeMounts entry of the main container: its emptyDir folder, a fresh one per
    pod, as in Argo."""
    targets: Targets = {}
    for mount in scripts.main_container(tmpl).get("volumeMounts") or []:
        folder = box.mount(str(mount["name"]), str(mount["mountPath"]))
        targets[normal(str(mount["mountPath"]))] = isolation.Bind(
            folder, read_only=bool(mount.get("readOnly")))
    return targets


def targets(tmpl: dict[str, Any], box: Sandbox, volumes: Targets, workdir: str | None,
            shared: tuple[Path, ...]) -> Targets:
    """What the isolated main container sees where, over its sandbox at /: /tmp (the
    sandbox's, the host's entries hidden), its volumes, the shared host folders, and the
    image folders (``isolation.image_folder``) of the declared paths, the working
    directory and the script's staging folder: the sandbox's same folder with the host's
    entries showing through, so that the command writes there as in its image."""
    places = [normal(declared) for _, _, declared in declared_paths(tmpl)]
    if "script" in tmpl:
        places.append(scripts.SOURCE_PATH)
    return _over_root(box.root, volumes, places, workdir, shared)


def init_targets(root: Path, box: Sandbox, container: Mapping[str, Any],
                 mirrored: Iterable[str], workdir: str | None,
                 shared: tuple[Path, ...], places: Iterable[str] = ()) -> Targets:
    """What an isolated init container sees where, over its own ``root``: its volumes
    (the pod's folders), the ``mirrored`` paths of the main container (input artifacts,
    the staged script: the sandbox's own files, read-write as Argo's subPath mounts are),
    /tmp, the shared host folders and the image folder of its working directory (and of
    ``places``: a containerSet's other containers get the declared paths' folders of
    their own, as their images have them)."""
    volumes: Targets = {}
    for mount in container.get("volumeMounts") or []:
        volumes[normal(str(mount["mountPath"]))] = isolation.Bind(
            box.volume(str(mount["name"]), str(mount["mountPath"])),
            read_only=bool(mount.get("readOnly")))
    for path in mirrored:
        source = box.path(path)
        if source.exists():
            volumes.setdefault(normal(path), isolation.Bind(source))
    return _over_root(root, volumes, [normal(p) for p in places], workdir, shared)


def _over_root(root: Path, volumes: Targets, places: list[str], workdir: str | None,
               shared: tuple[Path, ...]) -> Targets:
    own = list(volumes)
    folders = {isolation.image_folder(place, own) for place in places}
    if workdir and normal(workdir) != "/":
        # made if missing, as a container runtime does; where the container sees it
        _on_host(root, volumes, normal(workdir)).mkdir(parents=True, exist_ok=True)
        folders.add(isolation.image_folder(normal(workdir), own, itself=True))
    found = dict(volumes)
    if isolation.TMP not in found:  # a volume at /tmp takes its place
        tmp = _on_host(root, {}, isolation.TMP)
        tmp.mkdir(parents=True, exist_ok=True)
        found[isolation.TMP] = isolation.Bind(tmp)
    for folder in sorted(f for f in folders if f is not None):
        source = _on_host(root, {}, folder)
        source.mkdir(parents=True, exist_ok=True)  # the image has it: the pod sees it
        found[folder] = isolation.Bind(source, merge=True)
    for path in shared:
        found[str(path)] = isolation.Bind(path)
    return found


def _on_host(root: Path, volumes: Targets, path: str) -> Path:
    """Where the container path ``path`` (normalised) is on this machine: in the deepest
    volume holding it, else under ``root``; never outside either (``PathEscape``)."""
    base, rest = root, path.lstrip("/")
    for at in sorted(volumes, key=len):
        if path == at or path.startswith(at.rstrip("/") + "/"):
            base, rest = volumes[at].source, path[len(at):].lstrip("/")
    return within(base, base / rest, f"path {path!r}")


def missing_program(argv: list[str], env: Mapping[str, str], root: Path,
                    image: str) -> str | None:
    """Argo's container would not start: say which program the host lacks, for which
    image (the host's programs stand in for the image's); ``root`` is the container's."""
    program = argv[0]
    if "/" in program:
        if os.path.exists(program) or (root / program.lstrip("/")).exists():
            return None
    elif shutil.which(program, path=env.get("PATH", os.defpath)) is not None:
        return None
    return (f"failed to start {program}: [Errno 2] No such file or directory: {program!r} "
            f"(image {image}: the local engine runs its command with this host's programs, "
            "and the host has no such program)")
