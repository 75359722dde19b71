"""Paths that must stay under a root: run folders, node sandboxes, local artifact objects.

Names and keys come from manifests and parameters, so every path built from them is
resolved (``..`` and symbolic links followed) and compared with its resolved root before
anything is read or written there. ``PathEscape`` is a ``ValueError``: callers that turn
bad manifest values into node errors already catch it.
"""

from __future__ import annotations

from pathlib import Path


class PathEscape(ValueError):
    """A path built from a name or key lands outside the folder it belongs to."""


def within(root: Path, path: Path, what: str) -> Path:
    """``path`` resolved, when it is ``root`` or below it; else ``PathEscape`` naming
    ``what`` (e.g. "sandbox of pod x")."""
    base = Path(root).resolve()
    target = Path(path).resolve()
    if target != base and base not in target.parents:
        raise PathEscape(f"{what} would be {target}, outside {base}")
    return target
