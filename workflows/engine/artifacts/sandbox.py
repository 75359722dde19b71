"""A node's sandbox: where a container's absolute paths land on this machine.

Every path a manifest declares (``/tmp/cadencia/in/data.parquet``) is remapped under the
node's own folder (``<run>/sandbox/<pod name>/tmp/cadencia/in/data.parquet``), and the
``{{inputs.artifacts.X.path}}``-style variables give the remapped path; two steps never
see each other's files, as two pods would not. Inputs are placed before the process
starts (``raw.data`` written, others fetched and verified through the repository);
outputs are read and stored after it ends.

A pod's ``emptyDir`` volumes are folders beside it (``<pod name>~volumes/<volume>``, ``~``
is never in a pod name); ``mount`` maps a volume's mount path there, so that an artifact
or parameter path inside a volume is read where the pod wrote it. The roots of the pod's
init containers are beside it too (``<pod name>~init/<index>``). In a private mount
namespace (``isolation``) the process sees the sandbox at the paths the manifest names.

The sandbox is a folder under the run's ``sandbox/`` and every path in it stays inside
it, resolved (a ``..`` or a symbolic link a step planted is a ``PathEscape``); an output
artifact whose key cannot be built (a ``keyFormat`` giving ``a/../../b``) is an error of
the node, never an exception that escapes it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from workflows.engine.artifacts.base import (
    ArtifactError,
    ArtifactRepository,
    archive_kind,
    render_key,
)
from workflows.engine.artifacts.files import MissingArtifact
from workflows.engine.scope import SubstitutionError
from workflows.engine.within import PathEscape, within


class Sandbox:
    """The folder ``<base>/<pod name>``; raises PathEscape when it would not be under
    ``base``."""

    def __init__(self, base: Path, pod: str) -> None:
        if not pod or "/" in pod or pod in (".", ".."):
            raise PathEscape(f"pod name {pod!r} cannot name a sandbox folder")
        self.root = within(base, Path(base) / pod, f"the sandbox of pod {pod!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        self.volumes = self.root.parent / f"{self.root.name}~volumes"
        self.mounts: dict[PurePosixPath, Path] = {}  # container path -> volume folder

    def mount(self, volume: str, at: str) -> Path:
        """The folder of the emptyDir ``volume``, seen by the pod's main container at
        ``at``."""
        folder = self.volume(volume, at)
        self.mounts[PurePosixPath(normal(at))] = folder
        return folder

    def volume(self, volume: str, at: str) -> Path:
        """The folder of the emptyDir ``volume`` (made once per pod), to be seen at ``at``
        by one of the pod's containers."""
        if not volume or "/" in volume or volume in (".", ".."):
            raise PathEscape(f"volume name {volume!r} cannot name a folder")
        if normal(at) == "/":
            raise PathEscape(f"volume {volume!r} cannot be mounted at /")
        folder = within(self.volumes, self.volumes / volume, f"volume {volume!r}")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def container_root(self, index: int) -> Path:
        """The root of the pod's init container ``index`` (``<pod name>~init/<index>``): a
        container of its own, whose writes outside the volumes are not the main's."""
        folder = self.root.parent / f"{self.root.name}~init" / str(int(index))
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def set_root(self, container: str) -> Path:
        """The root of a containerSet's container other than ``main``
        (``<pod name>~set/<container>``): a container of its own, sharing only the pod's
        volumes."""
        if not container or "/" in container or container in (".", ".."):
            raise PathEscape(f"container name {container!r} cannot name a folder")
        base = self.root.parent / f"{self.root.name}~set"
        folder = within(base, base / container, f"container {container!r}")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def path(self, declared: str) -> Path:
        """Where the container path ``declared`` is on this machine."""
        parts = [p for p in PurePosixPath("/", declared).parts[1:] if p not in ("", ".")]
        if ".." in parts:
            raise PathEscape(f"path {declared!r} leaves the sandbox")
        base, skip = self.root, 0
        for at, folder in self.mounts.items():  # the deepest mount holding the path
            depth = len(at.parts) - 1
            if tuple(parts[:depth]) == at.parts[1:] and depth >= skip:
                base, skip = folder, depth
        joined = base.joinpath(*parts[skip:])
        within(base, joined, f"path {declared!r}")
        return joined

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.volumes, ignore_errors=True)
        shutil.rmtree(self.root.parent / f"{self.root.name}~init", ignore_errors=True)
        shutil.rmtree(self.root.parent / f"{self.root.name}~set", ignore_errors=True)


def normal(path: str) -> str:
    """``/a//b/./c/`` -> ``/a/b/c``; raises PathEscape for ``..``."""
    parts = [p for p in PurePosixPath("/", path).parts[1:] if p not in ("", ".")]
    if ".." in parts:
        raise PathEscape(f"path {path!r} leaves the pod's filesystem")
    return "/" + "/".join(parts)


async def place_inputs(box: Sandbox, artifacts: Mapping[str, Mapping[str, Any]],
                       repo: ArtifactRepository) -> None:
    """Put each input artifact at its path; raises ArtifactError."""
    for name, art in artifacts.items():
        dest = box.path(str(art["path"]))
        dest.parent.mkdir(parents=True, exist_ok=True)
        if "raw" in art:
            dest.write_text(str((art["raw"] or {}).get("data", "")), encoding="utf-8")
        else:
            location = {k: v for k, v in art.items()
                        if k not in ("name", "path", "mode", "optional")}
            try:
                await asyncio.to_thread(repo.get, location, dest)
            except MissingArtifact:
                if art.get("optional"):  # executor.go loadArtifact: skipped when not found
                    continue
                raise
            except ArtifactError:
                raise
            except OSError as exc:
                raise ArtifactError(f"input artifact {name}: {exc}", transient=False) from exc
        if art.get("mode") is not None and dest.exists():
            os.chmod(dest, int(art["mode"]))


def read_parameter(box: Sandbox, spec: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(value, error) of an output parameter read through ``valueFrom.path``."""
    value_from = spec.get("valueFrom") or {}
    try:
        path = box.path(str(value_from["path"]))
    except PathEscape as exc:
        return None, f"failed to read output parameter {spec['name']}: {exc}"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        if "default" in value_from:
            return str(value_from["default"]), None
        return None, (f"failed to read output parameter {spec['name']}: "
                      f"{value_from['path']} does not exist")
    # Argo trims one trailing newline "for user convenience".
    return (text[:-1] if text.endswith("\n") else text), None


async def store_outputs(box: Sandbox, specs: list[Mapping[str, Any]], repo: ArtifactRepository,
                        scope: Mapping[str, str], *, required: bool,
                        key_of: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Upload each output artifact; returns (artifacts, error). Missing optional ones are
    skipped; a missing required one is an error only when ``required``."""
    stored: list[dict[str, Any]] = []
    for spec in specs:
        try:
            src = box.path(str(spec["path"]))
        except PathEscape as exc:
            return stored, f"failed to save outputs: {exc}"
        if not src.exists():
            if spec.get("optional") or not required:
                continue
            return stored, f"failed to save outputs: {spec['path']} does not exist"
        try:
            archive = archive_kind(spec.get("archive"))
            explicit = (spec.get("s3") or {}).get("key")
            key = (key_of(str(explicit)) if explicit else
                   render_key(repo.key_format, scope, str(spec["name"]), str(spec["path"]),
                              archive))
            location = await asyncio.to_thread(repo.put, src, key, archive=archive)
        except (ArtifactError, *SubstitutionError) as exc:
            return stored, f"failed to save outputs: {exc}"
        entry = {"name": spec["name"], "path": spec["path"], **location}
        if spec.get("globalName"):  # kept on the node's output, as Argo's executor does
            entry["globalName"] = spec["globalName"]
        stored.append(entry)
    return stored, None
