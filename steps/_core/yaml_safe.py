"""YAML without aliases: the one way cadencia reads a YAML file it did not write itself.

A "billion laughs" document nests aliases (``b: [*a, *a, ...]``, ``c: [*b, *b, ...]``):
a few hundred bytes expand to billions of nodes and gigabytes of memory, in any loader
that expands aliases (PyYAML's safe loaders included). Argo manifests, Helm output and our
own settings never need them, and the manifests a pull request brings are untrusted, so
every manifest, configuration, secrets and spec loader refuses them before building
anything: ``refuse_aliases`` walks the event stream (linear in the text, nothing is
expanded) and raises ``AliasRefused`` at the first ``*alias``.

``AliasRefused`` is a ``yaml.YAMLError``, so a caller that already reports bad YAML
reports it too; its text is one line: where, and why. It lives in ``steps._core`` so that
the steps and the ``workflows`` package (which may import steps, never the reverse) share
it.
"""

from __future__ import annotations

from typing import Any

import yaml

_EVENTS: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
WHY = ("YAML aliases (*name) are not allowed: a few lines of nested aliases can expand to "
       "billions of nodes")


class AliasRefused(yaml.composer.ComposerError):
    """An ``*alias`` in a document cadencia reads."""

    def __init__(self, source: str | None, mark: Any, alias: str) -> None:
        super().__init__(None, None, WHY, mark)
        self.source = source
        self.alias = alias
        self.line = int(mark.line) + 1  # 1-based, as editors count
        self.column = int(mark.column) + 1

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        prefix = f"{self.source}: " if self.source else ""
        return f"{prefix}{where}: {WHY} (found *{self.alias})"


def refuse_aliases(text: str, source: str | None = None) -> None:
    """Raise AliasRefused at the first alias of ``text``; bad YAML raises YAMLError."""
    for event in yaml.parse(text, Loader=_EVENTS):
        if isinstance(event, yaml.AliasEvent):
            raise AliasRefused(source, event.start_mark, str(event.anchor))


def load(text: str, source: str | None = None, *,
         loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """The one document of ``text`` (``loader``: a SafeLoader or a subclass of one)."""
    refuse_aliases(text, source)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader, checked by the type


def load_all(text: str, source: str | None = None, *,
             loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> list[Any]:
    """Every document of ``text``."""
    refuse_aliases(text, source)
    return list(yaml.load_all(text, Loader=loader))
