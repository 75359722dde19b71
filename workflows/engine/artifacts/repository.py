"""``open_repository``: the artifact repository a run's ``artifactRepository`` names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflows.engine.artifacts.base import (
    DEFAULT_KEY_FORMAT,
    ArtifactError,
    ArtifactRepository,
    Secrets,
)
from workflows.engine.artifacts.files import refuse_unknown
from workflows.engine.artifacts.local import LocalRepository


def open_repository(spec: Mapping[str, Any] | None, *, root: Path,
                    secrets: Secrets | None = None) -> ArtifactRepository:
    """A repository from ``{"local": {"path"}}`` (relative to ``root``; the default is
    ``<root>/artifacts``) or Argo's ``{"s3": {...}}`` shape. ``secrets(name, key)``
    resolves ``accessKeySecret``/``secretKeySecret``."""
    if not spec:
        return LocalRepository(Path(root) / "artifacts")
    kinds = list(spec)
    if kinds == ["local"]:
        local = dict(spec["local"] or {})
        refuse_unknown(local, {"path", "keyFormat"}, "local")
        path = Path(local.get("path") or "artifacts")
        return LocalRepository(path if path.is_absolute() else Path(root) / path,
                               key_format=local.get("keyFormat") or DEFAULT_KEY_FORMAT)
    if kinds == ["s3"]:
        from workflows.engine.artifacts.s3 import S3Repository  # boto3 only when asked for

        return S3Repository.from_spec(spec["s3"] or {}, secrets=secrets)
    raise ArtifactError(f"artifact repository must be one of local, s3; got {kinds}",
                        transient=False)
