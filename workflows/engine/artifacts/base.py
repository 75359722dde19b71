"""What every artifact repository does: keys in Argo's layout, verified put and get.

::

    repo = open_repository({"local": {"path": "artifacts"}}, root=Path(".cadencia"))
    key = render_key(repo.key_format, scope, "data", "/tmp/out/data.parquet", "none")
    location = repo.put(Path("/tmp/out/data.parquet"), key, archive="none")
    # {"local": {"key": ...}, "archive": {"none": {}}, "size": 1234, "sha256": "..."}
    repo.get(location, Path("sandbox/in/data.parquet"))

Keys follow Argo's layout: ``keyFormat`` (default ``{{workflow.name}}/{{pod.name}}``), then
``/<artifact name>.tgz`` for tar archives or ``/<file base name>`` for ``archive: none``.
``put`` records the stored object's size and sha256 in the location; ``get`` refuses an
object that differs (``ArtifactError``). A folder with ``archive: none`` is stored as
Argo stores it, one object per file under the key (``<key>/<path in the folder>``); ``get``
of a key with no object takes every object under ``<key>/`` as a folder, as Argo's
``loadS3Artifact`` does, else it is a ``MissingArtifact``. Writes are atomic in both
directions. A key is relative, without ``.`` or ``..`` segments (``check_key``), for both
repositories: an S3 key cannot leave its bucket, and a local object never lands outside
the folder.
"""

from __future__ import annotations

import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from workflows.engine.artifacts.files import (
    ArtifactError,
    MissingArtifact,
    archive_field,
    archive_kind,
    check_key,
    digest,
    folder_files,
    folder_key,
    place,
    remove,
    staged,
    verify,
)
from workflows.engine.expr import UnresolvedReference, substitute

__all__ = ["DEFAULT_KEY_FORMAT", "ArtifactError", "ArtifactRepository", "Secrets", "archive_kind",
           "render_key"]

DEFAULT_KEY_FORMAT = "{{workflow.name}}/{{pod.name}}"
Secrets = Callable[[str, str], str | None]


def render_key(key_format: str, scope: Mapping[str, str], artifact_name: str, path: str,
               archive: str) -> str:
    """The object key of an output artifact with no explicit key, as Argo computes it."""
    prefix = _substitute(key_format or DEFAULT_KEY_FORMAT, scope).strip("/")
    leaf = f"{artifact_name}.tgz" if archive_kind(archive) == "tgz" else PurePosixPath(path).name
    return check_key(f"{prefix}/{leaf}" if prefix else leaf)


def _substitute(text: str, scope: Mapping[str, str]) -> str:
    try:
        return substitute(text, scope, where="artifactRepository.keyFormat")
    except UnresolvedReference as exc:
        raise ArtifactError(str(exc), transient=False) from exc


class ArtifactRepository(ABC):
    """Stores files and directories under keys and fetches them back, verified."""

    kind: str
    key_format: str = DEFAULT_KEY_FORMAT

    def put(self, src: Path, key: str, *, archive: str) -> dict[str, Any]:
        """Store ``src`` (a file, or a directory: tarred, or with ``archive: none`` a
        folder of objects) under ``key``; return the location to keep in the node's
        outputs."""
        if archive_kind(archive) == "none" and Path(src).is_dir():
            return self._put_folder(Path(src), key)
        check_key(key)
        with staged(Path(src), archive) as (payload, kind):
            size, sha = digest(payload)
            self._upload(payload, key, size)
        return {self.kind: {"key": key}, "archive": archive_field(kind), "size": size,
                "sha256": sha}

    def _put_folder(self, src: Path, key: str) -> dict[str, Any]:
        """Argo's executor keeps such a folder as it is (executor.go ``stageArchiveFile``)
        and its driver puts each file at ``<key>/<path>`` (s3.go ``PutDirectory``); the
        key is kept as written (``x/parts/``)."""
        prefix = folder_key(key)
        for name, path in folder_files(src):
            self._upload(path, check_key(f"{prefix}/{name}"), path.stat().st_size)
        return {self.kind: {"key": key}, "archive": archive_field("none")}

    def get(self, location: Mapping[str, Any], dest: Path) -> None:
        """Fetch the object at ``location`` to ``dest`` (unpacked when it is a tar archive),
        after checking its size and sha256 against those in ``location``; or, with no
        object there, the folder of objects under the key."""
        ref = location.get(self.kind)
        if not isinstance(ref, Mapping) or not ref.get("key"):
            raise ArtifactError(f"artifact location {dict(location)!r} has no {self.kind} key "
                                f"for this {self.kind} repository", transient=False)
        key = str(ref["key"])
        kind = archive_kind(location["archive"]) if location.get("archive") else None
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        # Downloading beside dest keeps the final rename atomic (same filesystem).
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".artifact-") as tmp:
            scratch = Path(tmp)
            raw = scratch / "object"
            missing: MissingArtifact | None = None
            try:
                if key.endswith("/"):
                    raise MissingArtifact(f"artifact {key!r}: no object at a key ending in /")
                self._download(check_key(key), raw, ref)
            except MissingArtifact as exc:
                missing = exc
            if missing is None:
                verify(raw, location, key)
                place(raw, dest, kind, key, scratch)
            elif self._download_folder(folder_key(key), raw, ref):
                remove(dest)
                os.replace(raw, dest)
            else:
                raise missing

    @abstractmethod
    def _upload(self, payload: Path, key: str, size: int) -> None: ...

    @abstractmethod
    def _download(self, key: str, dest: Path, ref: Mapping[str, Any]) -> None:
        """The object at ``key`` to the file ``dest``; ``MissingArtifact`` if none."""

    @abstractmethod
    def _download_folder(self, prefix: str, dest: Path, ref: Mapping[str, Any]) -> bool:
        """Every object under ``<prefix>/`` to the folder ``dest``, at its path below the
        prefix; False when there is none (s3.go ``IsDirectory``, ``GetDirectory``)."""
