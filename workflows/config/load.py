"""Resolve one pipeline in one environment: four layers into a checked :class:`Environment`.

The layers, the later over the earlier (workflows/config/layers.py says how they merge
and how ``null`` deletes)::

    environments/defaults.yaml  <  environments/<env>.yaml  <  pipelines/<p>.yaml
                                                            <  pipelines/<p>.<env>.yaml

The shared files hold only shared settings (image, namespace, schedule, SLA, retry,
deadlines, resources, secrets, notify...); a pipeline's own files may override any of
them and hold its ``steps:``. A pipeline never sees another pipeline's files. Every
problem names the file that set the value and its field path:
``pipelines/orders.prod.yaml: retry.limit: ... (pipeline orders, environment prod)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from workflows.config.checks import problems
from workflows.config.environment import Environment
from workflows.config.layers import LayerError, Stack, dotted, read_yaml
from workflows.config.project import DEFAULTS_FILE, PipelineFiles, Project, label

PIPELINE_ONLY = ("name", "description", "steps")


class ConfigError(ValueError):
    """The configuration is wrong; ``problems`` holds one ``file: path: message`` per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid pipeline configuration:\n" +
                         "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Resolved:
    """One pipeline in one environment: shared settings checked, step settings raw."""

    files: PipelineFiles
    env: Environment
    stack: Stack

    @property
    def steps(self) -> Stack:
        return self.stack.sub("steps")

    def where(self, path: tuple[Any, ...]) -> str:
        return self.stack.origin(path) or self.stack.deleted_by(path) or "defaults"

    def problem(self, path: tuple[Any, ...], message: str) -> str:
        return (f"{self.where(path)}: {dotted(path)}: {message} "
                f"(pipeline {self.env.pipeline.name}, environment {self.env.name})")


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def _loc(path: str) -> tuple[str, ...]:
    return tuple(re.sub(r"\[\d+\]", "", path).split("."))


def stack_for(project: Project, files: PipelineFiles, env: str) -> Stack:
    """The four layers of ``files`` in ``env``, merged; LayerError on a misplaced key."""
    stack = Stack()
    found: list[str] = []
    shared = [project.environments_dir / DEFAULTS_FILE, project.environments_dir / f"{env}.yaml"]
    for path in shared:
        data = read_yaml(path, label(path))
        found += [f"{label(path)}: {key}: belongs in a pipeline's own settings "
                  f"(pipelines/<name>.yaml), not in a shared file"
                  for key in PIPELINE_ONLY if key in data]
        stack.add(data, label(path))
    own = [files.settings] if files.settings.exists() else []
    if env in files.overlays:
        own.append(files.overlays[env])
    for path in own:
        data = read_yaml(path, label(path))
        if path != files.settings and "name" in data:
            found.append(f"{label(path)}: name: a pipeline is renamed in "
                         f"{label(files.settings)} only")
        stack.add(data, label(path))
    if found:
        raise LayerError(found)
    return stack


def resolve(project: Project, files: PipelineFiles, env: str) -> Resolved:
    """The checked shared settings of ``files`` in ``env``, with its raw step settings."""
    known = project.environment_names()
    if env not in known:
        raise ConfigError([f"no environment {env!r} (known: {', '.join(known)})"])
    try:
        stack = stack_for(project, files, env)
    except LayerError as exc:
        raise ConfigError(exc.problems) from None
    shared = {k: v for k, v in stack.data.items() if k not in PIPELINE_ONLY}
    context = f"(pipeline {files.name}, environment {env})"

    def where(loc: tuple[Any, ...]) -> str:
        return stack.origin(loc) or stack.deleted_by(loc) or label(files.settings)

    try:
        checked = Environment.model_validate(
            {**shared, "name": env, "pipeline": {"name": files.name}})
    except ValidationError as exc:
        raise ConfigError([f"{where(tuple(e['loc']))}: {dotted(tuple(e['loc']))}: "
                           f"{_message(e)} {context}" for e in exc.errors()]) from None
    found = problems(checked)
    if found:
        raise ConfigError([f"{where(_loc(path))}: {path}: {message} {context}"
                           for path, message in found])
    steps = stack.data.get("steps", {})
    if not isinstance(steps, dict) or not all(isinstance(v, dict) for v in steps.values()):
        raise ConfigError([f"{where(('steps',))}: steps: expected a mapping of step name to "
                           f"its settings {context}"])
    return Resolved(files, checked, stack)


def pipelines(project: Project, names: Iterable[str] | None = None) -> list[PipelineFiles]:
    """The pipelines named (default: all); ConfigError on an unknown name or a bad file."""
    try:
        if names is None:
            return project.pipelines()
        return [project.pipeline(n) for n in names]
    except LayerError as exc:
        raise ConfigError(exc.problems) from None
