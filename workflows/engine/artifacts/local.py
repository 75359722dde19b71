"""The local artifact repository: objects are files under one folder of this machine."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.engine.artifacts.base import DEFAULT_KEY_FORMAT, ArtifactError, ArtifactRepository
from workflows.engine.artifacts.files import MissingArtifact, folder_files
from workflows.engine.within import PathEscape, within


class LocalRepository(ArtifactRepository):
    """Objects are files under ``path``: ``<path>/<key>``, and never anywhere else (the
    object's path is resolved, symbolic links included, and must stay under ``path``)."""

    kind = "local"

    def __init__(self, path: Path, *, key_format: str = DEFAULT_KEY_FORMAT) -> None:
        self.path = Path(path)
        self.key_format = key_format

    def _object(self, key: str) -> Path:
        try:
            return within(self.path, self.path / key, f"artifact {key!r}")
        except PathEscape as exc:
            raise ArtifactError(str(exc), transient=False) from exc

    def _upload(self, payload: Path, key: str, size: int) -> None:
        final = self._object(key)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.")
            try:
                with os.fdopen(fd, "wb") as out, payload.open("rb") as src:
                    shutil.copyfileobj(src, out, 1024 * 1024)
                os.replace(tmp, final)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise ArtifactError(f"cannot store artifact {key!r} in {self.path}: {exc}",
                                transient=False) from exc

    def _download(self, key: str, dest: Path, ref: Mapping[str, Any]) -> None:
        source = self._object(key)
        if not source.is_file():
            raise MissingArtifact(f"artifact {key!r} not found in {self.path}")
        try:
            shutil.copyfile(source, dest)
        except OSError as exc:
            raise ArtifactError(f"cannot read artifact {key!r} from {self.path}: {exc}",
                                transient=False) from exc

    def _download_folder(self, prefix: str, dest: Path, ref: Mapping[str, Any]) -> bool:
        source = self._object(prefix)
        files = folder_files(source) if source.is_dir() else []
        try:
            for name, path in files:
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        except OSError as exc:
            raise ArtifactError(f"cannot read artifact folder {prefix!r} from {self.path}: "
                                f"{exc}", transient=False) from exc
        return bool(files)
