"""Read ``pipeline.yaml`` plus one overlay per environment into checked :class:`Environment`s.

An overlay is merged into the base key by key (mappings merge, lists and scalars
replace). Every problem is reported at once, each naming its field path as
``environments.<env>.<path>`` and the file that set the value, so a wrong value in
``prod.yaml`` reads ``environments.prod.retry.limit: ... (prod.yaml)``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from steps._core import yaml_safe
from workflows.config.checks import problems
from workflows.config.environment import Environment

CONFIG_DIR = Path(__file__).resolve().parent.parent / "pipeline"
BASE_FILE = "pipeline.yaml"


class ConfigError(ValueError):
    """The configuration is wrong; ``problems`` holds one ``path: message`` per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid pipeline configuration:\n" +
                         "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Config:
    environments: dict[str, Environment]


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


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml_safe.load(path.read_text(encoding="utf-8"), loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError([f"{path.name}: file not found ({path})"]) from None
    except yaml_safe.AliasRefused as exc:
        raise ConfigError([f"{path.name}: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path.name}: not valid YAML: {exc}"]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path.name}: expected a mapping at the top level"])
    return data


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``overlay`` over ``base``: mappings merge recursively, anything else replaces."""
    out = copy.deepcopy(dict(base))
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def environment_names(config_dir: Path = CONFIG_DIR) -> list[str]:
    """The environments: one overlay ``<name>.yaml`` beside ``pipeline.yaml`` each."""
    return sorted(p.stem for p in config_dir.glob("*.yaml") if p.name != BASE_FILE)


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _sets(data: Mapping[str, Any], loc: tuple[Any, ...]) -> bool:
    node: Any = data
    for part in loc:
        if ((isinstance(node, Mapping) and part in node)
                or (isinstance(node, list) and isinstance(part, int) and part < len(node))):
            node = node[part]
        else:
            return False
    return True


def _loc(path: str) -> tuple[str, ...]:
    return tuple(re.sub(r"\[\d+\]", "", path).split("."))


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def _check(name: str, data: dict[str, Any], overlay: dict[str, Any]) -> Environment:
    def where(loc: tuple[Any, ...]) -> str:
        return f"{name}.yaml" if _sets(overlay, loc) else BASE_FILE

    try:
        env = Environment.model_validate({**data, "name": name})
    except ValidationError as exc:
        raise ConfigError([
            f"environments.{name}.{_path(e['loc'])}: {_message(e)} ({where(tuple(e['loc']))})"
            for e in exc.errors()]) from None
    found = problems(env)
    if found:
        raise ConfigError([
            f"environments.{name}.{path}: {message} ({where(_loc(path))})"
            for path, message in found])
    return env


def load_environment(name: str, config_dir: Path = CONFIG_DIR) -> Environment:
    """The checked configuration of one environment (base merged with its overlay)."""
    known = environment_names(config_dir)
    if name not in known:
        raise ConfigError([f"environments.{name}: no such environment (known: "
                           f"{', '.join(known)})"])
    overlay = read_yaml(config_dir / f"{name}.yaml")
    return _check(name, merge(read_yaml(config_dir / BASE_FILE), overlay), overlay)


def load_config(envs: Iterable[str] | None = None, config_dir: Path = CONFIG_DIR) -> Config:
    """Every environment (or those named), checked; all problems reported together."""
    names = list(envs) if envs is not None else environment_names(config_dir)
    found: list[str] = []
    loaded: dict[str, Environment] = {}
    for name in names:
        try:
            loaded[name] = load_environment(name, config_dir)
        except ConfigError as exc:
            found += exc.problems
    if found:
        raise ConfigError(found)
    return Config(environments=loaded)
