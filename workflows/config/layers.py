"""Settings files stacked in layers, each value remembering the file that set it.

A layer is one YAML file. Layers merge key by key, the later over the earlier: mappings
merge recursively, lists and scalars replace. ``null`` (``~``) deletes: a key set to
``null`` in a layer removes what the earlier layers gave it, so the default applies again
(or, for a required field, the error says it is missing and which file removed it).

:class:`Stack` keeps, for every leaf value, the name of the file it came from, so an error
and ``cadencia show`` can name it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from steps import contracts

Path_ = tuple[str | int, ...]


class LayerError(ValueError):
    """A settings file cannot be read; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice (PyYAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, label: str | None = None) -> dict[str, Any]:
    """A settings file's top-level mapping (``{}`` when empty); LayerError names the file."""
    name = label or path.name
    try:
        data = contracts.load_yaml(path.read_text(encoding="utf-8"), loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise LayerError([f"{name}: file not found ({path})"]) from None
    except contracts.AliasRefused as exc:
        raise LayerError([f"{name}: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise LayerError([f"{name}: not valid YAML: {exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LayerError([f"{name}: expected a mapping at the top level"])
    return data


@dataclass
class Stack:
    """The merged value of several layers, with the origin of every leaf and deletion."""

    data: dict[str, Any] = field(default_factory=dict)
    origins: dict[Path_, str] = field(default_factory=dict)
    deleted: dict[Path_, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)

    def add(self, layer: Mapping[str, Any], origin: str) -> None:
        """Merge ``layer`` (from the file ``origin``) over what is there."""
        if origin not in self.layers:
            self.layers.append(origin)
        _merge(self.data, layer, (), origin, self.origins, self.deleted)

    def origin(self, path: Path_) -> str | None:
        """The file that set ``path`` or the nearest value above it (None: nobody did);
        for ``()``, the last layer that set anything."""
        if not path:
            present = set(self.origins.values())
            return next((o for o in reversed(self.layers) if o in present), None)
        for n in range(len(path), 0, -1):
            prefix = path[:n]
            if prefix in self.origins:
                return self.origins[prefix]
            under = [o for p, o in self.origins.items() if p[:n] == prefix]
            if under:
                return under[-1]
        return None

    def deleted_by(self, path: Path_) -> str | None:
        for n in range(len(path), 0, -1):
            if path[:n] in self.deleted:
                return self.deleted[path[:n]]
        return None

    def leaves(self) -> Iterator[tuple[Path_, Any, str]]:
        """``(path, value, origin)`` of every leaf, in file order."""
        yield from _leaves(self.data, (), self.origins)

    def sub(self, *path: str) -> Stack:
        """The stack below ``path`` (a mapping), origins re-rooted."""
        node: Any = self.data
        for part in path:
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        n = len(path)
        return Stack(data=copy.deepcopy(dict(node)) if isinstance(node, Mapping) else {},
                     origins={p[n:]: o for p, o in self.origins.items() if p[:n] == path},
                     deleted={p[n:]: o for p, o in self.deleted.items() if p[:n] == path},
                     layers=list(self.layers))


def _merge(out: dict[str, Any], layer: Mapping[str, Any], at: Path_, origin: str,
           origins: dict[Path_, str], deleted: dict[Path_, str]) -> None:
    for key, value in layer.items():
        path = (*at, key)
        if value is None:
            out.pop(key, None)
            _forget(origins, path)
            deleted[path] = origin
            continue
        deleted.pop(path, None)
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            _merge(out[key], value, path, origin, origins, deleted)
            continue
        _forget(origins, path)
        if isinstance(value, Mapping):
            out[key] = {}
            _merge(out[key], value, path, origin, origins, deleted)
            if not value:
                origins[path] = origin
        else:
            out[key] = copy.deepcopy(value)
            origins[path] = origin


def _forget(origins: dict[Path_, str], path: Path_) -> None:
    n = len(path)
    for p in [p for p in origins if p[:n] == path]:
        del origins[p]


def _leaves(node: Any, at: Path_, origins: dict[Path_, str]
            ) -> Iterator[tuple[Path_, Any, str]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _leaves(value, (*at, key), origins)
    else:
        yield at, node, origins.get(at, "?")


def dotted(path: Path_) -> str:
    """``('steps', 'load', 'keys', 0)`` -> ``steps.load.keys[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
