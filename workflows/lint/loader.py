"""Load YAML files into documents that remember the line of every YAML path.

Multi-document files give one ``Document`` each. Timestamps stay strings (Kubernetes reads
``2024-01-01`` as a string, PyYAML would make it a date) and duplicate keys are reported,
since the API server rejects what PyYAML silently overwrites. A file with an ``*alias`` is
not loaded at all (one ``yaml-alias`` finding): lint runs on untrusted pull requests, and
a few lines of nested aliases expand to billions of nodes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from steps import contracts
from workflows.lint.findings import Finding, Path_

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAX_DEPTH = 200


# libyaml parses about ten times faster; the pure-Python loader gives the same nodes
_BASE: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):  # type: ignore[valid-type,misc]
    """A safe loader without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BASE.yaml_implicit_resolvers.items()
}


@dataclass
class Document:
    """One YAML document of one file."""

    file: str
    index: int
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Sequence[str | int]) -> int | None:
        """Line of the deepest existing prefix of ``path`` (1-based)."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def finding(self, path: Sequence[str | int], rule: str, message: str) -> Finding:
        return Finding(self.file, self.line(path), tuple(path), rule, message)


def display_name(path: Path) -> str:
    """The path relative to the working folder when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and ``*.yaml``/``*.yml`` found recursively under folders named."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                     and not any(part.startswith(".") for part in p.relative_to(path).parts)]
            out.extend(sorted(found))
        elif path.is_file():
            out.append(path)
        else:
            raise FileNotFoundError(str(path))
    return out


def _index(node: yaml.Node, path: Path_, lines: dict[Path_, int], dups: list[Path_]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if len(path) > _MAX_DEPTH:
        return
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                dups.append(child)
            seen.add(key)
            lines.setdefault(child, key_node.start_mark.line + 1)
            _index(value_node, child, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines, dups)


def _error_message(exc: yaml.YAMLError) -> tuple[int | None, str]:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        text = " ".join(p for p in (exc.context, exc.problem) if p)
        return (mark.line + 1 if mark else None), text or "invalid YAML"
    return None, str(exc)


def load_file(path: Path) -> tuple[list[Document], list[Finding]]:
    """Parse every document of one file; parse problems come back as findings."""
    name = display_name(path)
    docs: list[Document] = []
    findings: list[Finding] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Finding(name, None, (), "yaml-parse", f"cannot read the file: {exc}")]
    try:
        contracts.refuse_aliases(text)
    except contracts.AliasRefused as exc:
        return [], [Finding(name, exc.line, (), "yaml-alias", str(exc))]
    except yaml.YAMLError:
        pass  # reported with its line by the loader below
    loader = _Loader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            lines: dict[Path_, int] = {}
            dups: list[Path_] = []
            _index(node, (), lines, dups)
            data = loader.construct_document(node)
            doc = Document(name, index, data, lines)
            index += 1
            for dup in dups:
                findings.append(doc.finding(dup, "yaml-duplicate-key",
                                            f"key {dup[-1]!r} appears more than once"))
            if data is None:
                continue
            if not isinstance(data, dict):
                findings.append(doc.finding((), "yaml-parse",
                                            f"document {doc.index} is a {type(data).__name__}, "
                                            "not a mapping"))
                continue
            docs.append(doc)
    except yaml.YAMLError as exc:
        line, message = _error_message(exc)
        findings.append(Finding(name, line, (), "yaml-parse", message))
    finally:
        loader.dispose()
    return docs, findings
