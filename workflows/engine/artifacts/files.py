"""File handling shared by every artifact repository: packing, digests, verified unpacking.

An artifact is stored either as the file itself (``archive: none``), as a folder of
objects, one per file under the key (a folder with ``archive: none``, as Argo's driver
``PutDirectory`` stores it), or as a gzip'd tar holding one top-level entry named after
the source (Argo's default ``tar`` archive). On the way back a downloaded object is
checked against the size and sha256 recorded when it was stored, BEFORE anything appears
at the destination: a corrupt or truncated object never lands where a step would read it.
A folder of objects has no such record (its objects may come from several pods, as in
Argo's map-reduce example): it is taken as listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from workflows.engine.errors import NodeError

CHUNK = 1024 * 1024
ARCHIVES = {"none": "none", "tgz": "tgz", "tar": "tgz"}


class ArtifactError(NodeError):
    """An artifact could not be stored or fetched. ``transient`` says whether trying again
    later may succeed (store unreachable) or not (missing object, corrupt bytes, bad key)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


class MissingArtifact(ArtifactError):
    """No object at that key: Argo's ``CodeNotFound``, which skips an optional input."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def archive_kind(archive: str | Mapping[str, Any] | None) -> str:
    """``"tgz"`` or ``"none"`` from a string or an Argo ``archive`` field (None = tgz)."""
    if archive is None:
        return "tgz"
    if isinstance(archive, str):
        kind = ARCHIVES.get(archive)
    else:
        keys = list(archive)
        kind = ARCHIVES.get(keys[0]) if len(keys) == 1 else None
    if kind is None:
        raise ArtifactError(f"unsupported artifact archive {archive!r} (use none or tar)",
                            transient=False)
    return kind


def archive_field(kind: str) -> dict[str, Any]:
    """The Argo ``archive`` field recorded in a location for ``kind``."""
    return {"none": {}} if kind == "none" else {"tar": {}}


def refuse_unknown(spec: Mapping[str, Any], known: set[str], kind: str) -> None:
    """Refuse repository fields the engine does not implement, rather than ignore them."""
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ArtifactError(f"artifact repository {kind}: unsupported field(s) "
                            f"{', '.join(unknown)} (supported: {', '.join(sorted(known))})",
                            transient=False)


def check_key(key: str) -> str:
    """Refuse keys that could escape a local store or that S3 would mangle."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(p in ("", ".", "..") for p in parts):
        raise ArtifactError(f"invalid artifact key {key!r}: use a relative path of "
                            "non-empty segments without '.' or '..'", transient=False)
    return key


def folder_key(key: str) -> str:
    """The key of a folder of objects without its trailing ``/`` (``x/parts/`` is written
    for ``x/parts``, as Argo's ``path.Join`` of each object's key drops it), checked."""
    return check_key(key.rstrip("/"))


def folder_files(src: Path) -> list[tuple[str, Path]]:
    """(key under the folder, file) of each regular file below ``src``, as Argo's
    ``generatePutTasks`` walks it: folders are no objects and symbolic links are skipped."""
    found = []
    for parent, _, names in os.walk(src):  # never into a linked folder
        for name in names:
            path = Path(parent) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(src).as_posix(), path))
    return sorted(found)


def digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file."""
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            sha.update(block)
            size += len(block)
    return size, sha.hexdigest()


@contextlib.contextmanager
def staged(src: Path, archive: str) -> Iterator[tuple[Path, str]]:
    """Yield (file to store, archive kind actually used). Directories are always tarred."""
    kind = archive_kind(archive)
    if not src.exists():
        raise ArtifactError(f"artifact source {src} does not exist", transient=False)
    if kind == "none" and not src.is_dir():
        yield src, "none"
        return
    with tempfile.TemporaryDirectory(prefix="cadencia-artifact-") as tmp:
        packed = Path(tmp) / f"{src.name}.tgz"
        with tarfile.open(packed, "w:gz") as tar:
            tar.add(src, arcname=src.name)
        yield packed, "tgz"


def verify(path: Path, location: Mapping[str, Any], key: str) -> None:
    """Compare a downloaded object with the size and sha256 recorded in ``location``."""
    want_size, want_sha = location.get("size"), location.get("sha256")
    if want_size is None and want_sha is None:
        return
    size, sha = digest(path)
    if want_size is not None and size != int(want_size):
        raise ArtifactError(f"artifact {key!r} is corrupt: size {size} bytes, expected "
                            f"{want_size}", transient=False)
    if want_sha is not None and sha != want_sha:
        raise ArtifactError(f"artifact {key!r} is corrupt: sha256 {sha}, expected {want_sha}",
                            transient=False)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def place(raw: Path, dest: Path, kind: str | None, key: str, scratch: Path) -> None:
    """Move a verified object to ``dest``, unpacking it when it is a tar archive.

    ``kind`` None means "not recorded": like Argo, sniff whether the object is a tarball.
    A tarball with one top-level entry becomes ``dest`` itself; several become ``dest/``.
    """
    if kind is None:
        kind = "tgz" if tarfile.is_tarfile(raw) else "none"
    if kind == "none":
        remove(dest)
        os.replace(raw, dest)
        return
    unpacked = scratch / "unpacked"
    unpacked.mkdir()
    try:
        with tarfile.open(raw, "r:*") as tar:
            tar.extractall(unpacked, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArtifactError(f"artifact {key!r} is not a readable tar archive: {exc}",
                            transient=False) from exc
    entries = list(unpacked.iterdir())
    remove(dest)
    os.replace(entries[0] if len(entries) == 1 else unpacked, dest)
