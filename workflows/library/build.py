"""Build one pipeline in one environment: run its Python file inside a Hera DAG context.

:func:`build` opens a ``WorkflowTemplate`` and its ``main`` DAG, sets the current
:class:`Build` (what the library's step functions read: the environment, the pipeline's
step settings with their origins, the names taken so far), and calls the file's
``pipeline()`` function. The step functions add their Container templates and tasks to
the current DAG; afterwards the build adds what every pipeline has: the
``source-fingerprint`` task before the extracts, the ``sla-watch`` daemon, and the
``notify`` exit handler that reports every counted step.
"""

from __future__ import annotations

import contextvars
import importlib.util
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from hera.workflows import DAG, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m
from pydantic import BaseModel, ValidationError

from workflows.argo.names import FIELD_NAME, field_name_problem
from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import ConfigError, Environment, Resolved, Stack
from workflows.config.layers import dotted
from workflows.config.project import label

RESERVED = ("main", "sla-watch", "notify", "source-fingerprint", "date-range", "backfill",
            "shards", "shard", "gather")
T = TypeVar("T", bound=BaseModel)
_current: contextvars.ContextVar[Build] = contextvars.ContextVar("cadencia_build")


@dataclass(frozen=True)
class Source:
    """A source step, for source-fingerprint: its name, kind and (HTTP) URL and auth."""

    name: str
    kind: str
    url: str | None = None
    env: tuple[tuple[str, Any], ...] = ()


@dataclass
class Build:
    resolved: Resolved
    names: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    counted: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    # each step's checked settings and the stack they came from (``cadencia show``)
    resolved_steps: dict[str, tuple[BaseModel, Stack]] = field(default_factory=dict)
    # the frame steps by name: their program (clean, join, transform, validate), for shards
    frame_steps: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> Environment:
        return self.resolved.env

    @property
    def source_label(self) -> str:
        return label(self.resolved.files.source)

    def problem(self, name: str, path: tuple[Any, ...], message: str, stack: Stack) -> str:
        origin = stack.origin(path) or stack.deleted_by(path) or self.source_label
        return (f"{origin}: {dotted(('steps', name, *path))}: {message} "
                f"(pipeline {self.env.pipeline.name}, environment {self.env.name})")

    def fault(self, message: str) -> ConfigError:
        """A problem of the pipeline's Python file, named with the pipeline and environment."""
        return ConfigError([f"{self.source_label}: {message} (pipeline "
                            f"{self.env.pipeline.name}, environment {self.env.name})"])

    def claim(self, name: str, what: str) -> None:
        """Take ``name`` for a step; ConfigError when it is taken or not a valid name."""
        problem = field_name_problem(name, what)
        if name in RESERVED:
            problem = f"{name!r} is reserved for cadencia's own tasks; choose another name"
        elif name in self.names:
            problem = f"two steps are named {name!r}; give one of them name=..."
        elif len(name) > 57:  # rows-<name> and note-<name> stay valid field names
            problem = f"step name {name!r} is longer than 57 characters"
        if problem:
            raise self.fault(problem)
        self.names.append(name)

    def settings(self, name: str, model: type[T], given: Mapping[str, Any]) -> T:
        """The step's settings: ``given`` (the Python call) under ``steps.<name>`` of the
        settings files; checked by ``model``, every problem naming its file."""
        stack = Stack()
        stack.add({k: v for k, v in given.items() if v is not None}, self.source_label)
        files = self.resolved.steps.sub(name)
        for path, origin in files.deleted.items():
            stack.add(_nested(path, None), origin)
        for path, value, origin in files.leaves():
            if path:
                stack.add(_nested(path, value), origin)
        try:
            checked = model.model_validate(stack.data)
        except ValidationError as exc:
            raise ConfigError([self.problem(name, tuple(e["loc"]), _message(e), stack)
                               for e in exc.errors()]) from None
        self.resolved_steps[name] = (checked, stack)
        return checked


def _nested(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return dict(out)


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def current() -> Build:
    """The build the step functions add to; RuntimeError outside ``cadencia compile``."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("cadencia's step functions add tasks to a pipeline being built: "
                           "call them inside a pipeline file's pipeline() function, which "
                           "`cadencia compile` runs") from None


@contextmanager
def building(resolved: Resolved) -> Iterator[Build]:
    b = Build(resolved)
    token = _current.set(b)
    try:
        yield b
    finally:
        _current.reset(token)


def load_module(resolved: Resolved) -> ModuleType:
    """The pipeline's Python file as a module (by path: a project needs no package)."""
    path = resolved.files.source
    name = f"cadencia_pipeline_{resolved.files.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError([f"{label(path)}: cannot be imported"])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if not callable(getattr(module, "pipeline", None)):
        raise ConfigError([f"{label(path)}: defines no pipeline() function (see "
                           "docs/authoring.md)"])
    return module


def build(resolved: Resolved) -> WorkflowTemplate:
    """The pipeline's WorkflowTemplate in ``resolved.env``; ConfigError on a wrong setting."""
    return build_traced(resolved)[0]


def build_traced(resolved: Resolved) -> tuple[WorkflowTemplate, Build]:
    """:func:`build`, with the :class:`Build` that made it (its steps' settings)."""
    from workflows.definitions import defaults as d
    from workflows.definitions.metrics import workflow_metrics
    from workflows.definitions.notify import exit_handler, sla_watch
    from workflows.library.sources import fingerprint_task

    env = resolved.env
    with building(resolved) as b:
        # imported inside the build: a module-level @script(...) takes this env's defaults
        module = load_module(resolved)
    with building(resolved) as b, WorkflowTemplate(
            name=env.pipeline.name, entrypoint="main", on_exit="notify",
            arguments=[Parameter(name=RUN_DATE,
                                 description="Logical date of the run, YYYY-MM-DD.")],
            metrics=workflow_metrics(env),
            **d.workflow_settings(env, "etl", env.sla.hard)) as w:
        with DAG(name="main", inputs=[Parameter(name=RUN_DATE)]) as dag:
            module.pipeline()
            if not b.names:
                raise ConfigError([f"{b.source_label}: pipeline() added no step"])
            first = [Task(name="sla-watch", template=sla_watch(env),
                          arguments=[Parameter(name=RUN_DATE, value=RUN_DATE_INPUT)],
                          # the watcher must never fail the run it watches
                          continue_on=m.ContinueOn(failed=True, error=True))]
            if b.sources:
                first.append(fingerprint_task(b))
        exit_handler(env, counted=b.counted)  # a template of w, as created in its context
    unused = [k for k in resolved.steps.data if k not in b.names]
    if unused:
        raise ConfigError([resolved.problem(("steps", k), f"no step named {k!r} in "
                                            f"{b.source_label}") for k in unused])
    for task in dag.tasks:
        _as_dependencies(task, b)
    # cadencia's own tasks and templates first: the order a reader expects
    own = {t.name for t in first}
    dag.tasks = [*first, *(t for t in dag.tasks if t.name not in own)]
    w.templates = _ordered(w.templates, ["main", "source-fingerprint"],
                           ["sla-watch", "notify"])
    if env.shards.count > 1:
        from workflows.library.shards import sharded

        w = sharded(w, b)
    return w, b


def _as_dependencies(task: Any, b: Build) -> None:
    """Hera's ``a >> b`` writes ``depends: a``; the pipeline's DAG uses ``dependencies``
    (Argo refuses a DAG mixing both, and sla-watch's ``continueOn`` needs
    ``dependencies``). A plain ``a && b`` becomes ``dependencies: [a, b]`` (the same
    rule: each Succeeded, Skipped or Daemoned); anything else is refused by name."""
    if not task.depends:
        return
    names = [n.strip() for n in task.depends.split("&&")]
    if not all(FIELD_NAME.match(n) for n in names):
        raise b.fault(f"task {task.name!r}: depends {task.depends!r} is not a plain "
                      "'a && b': a pipeline's DAG orders its tasks by dependencies, since the "
                      "SLA watcher's continueOn needs them")
    task.dependencies = list(dict.fromkeys([*(task.dependencies or []), *names]))
    task.depends = None


def _ordered(templates: list[Any], head: list[str], tail: list[str]) -> list[Any]:
    def rank(t: Any) -> int:
        name = getattr(t, "name", "")
        if name in head:
            return head.index(name) - len(head)
        return len(tail) + tail.index(name) if name in tail else 0

    return sorted(templates, key=rank)


__all__ = ["Build", "Source", "build", "build_traced", "current", "load_module"]
