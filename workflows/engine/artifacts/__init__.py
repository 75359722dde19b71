"""Artifacts: where a run's files are kept between nodes, and where a node's paths land.

The repositories (``base``: keys and verified put/get; ``local``: a folder, the default;
``s3``: any S3 endpoint; ``repository.open_repository`` picks one from the run's
``artifactRepository``), the file handling they share (``files``: packing, digests,
verified unpacking), and a node's sandbox (``sandbox``: a container's absolute paths on
this machine, its inputs placed and its outputs stored).
"""

from workflows.engine.artifacts.base import (
    DEFAULT_KEY_FORMAT,
    ArtifactError,
    ArtifactRepository,
    Secrets,
    archive_kind,
    render_key,
)
from workflows.engine.artifacts.local import LocalRepository
from workflows.engine.artifacts.repository import open_repository

__all__ = ["DEFAULT_KEY_FORMAT", "ArtifactError", "ArtifactRepository", "LocalRepository",
           "Secrets", "archive_kind", "open_repository", "render_key"]
