"""A template's inputs: resolved from the arguments its caller passed, as Argo does.

An input parameter takes the argument of the same name (Argo's ``ProcessArgs``: "any
passed values take precedence over the specified value"), else its own ``value``, else its
``default`` (substituted with the workflow's variables, so a default of
``{{workflow.parameters.run-date}}`` works), else the node errors with
``inputs.parameters.<name> was not supplied``. An argument that references an absent
optional counts as not supplied (``ProcessArgs``), with Argo's own error when there is
no default. Input artifacts come from the argument
(``from`` another task, ``raw``, an ``s3`` key), the template's own ``raw``/``s3``, or are
skipped when ``optional``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflows.engine.context import Branch, Run, Templates
from workflows.engine.errors import NodeError
from workflows.engine.scope import parameter_text, subst


@dataclass
class Inputs:
    parameters: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def scope(self) -> dict[str, str]:
        return {f"inputs.parameters.{k}": v for k, v in self.parameters.items()}

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.parameters:
            out["parameters"] = [{"name": k, "value": v} for k, v in self.parameters.items()]
        if self.artifacts:
            out["artifacts"] = [{"name": k, **v} for k, v in self.artifacts.items()]
        return out


class InputError(NodeError):
    """An input the template declares was not supplied."""


@dataclass
class Arguments:
    parameters: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # parameters passed as a reference to an absent optional: not supplied (task_args)
    absent: set[str] = field(default_factory=set)


class Execute(Protocol):
    """What runs a template at a node with a caller's arguments (``template.execute``).
    It is handed to the DAG and steps runners, which ``execute`` itself runs, so that
    they need not import it."""

    def __call__(self, run: Run, branch: Branch, *, name: str, holder: Mapping[str, Any],
                 templates: Templates, args: Arguments, boundary_id: str | None,
                 parents: list[str], flags: dict[str, bool] | None = None
                 ) -> Awaitable[dict[str, Any]]: ...


def resolve_inputs(run: Run, tmpl: Mapping[str, Any], args: Arguments) -> Inputs:
    inputs = Inputs()
    for param in (tmpl.get("inputs") or {}).get("parameters") or []:
        name = param["name"]
        if name in args.parameters:  # ProcessArgs: a passed value takes precedence
            value = args.parameters[name]
        elif "value" in param:
            value = subst(parameter_text(param["value"]), run.globals,
                          f"inputs.parameters.{name}")
        elif "default" in param:
            value = subst(parameter_text(param["default"]), run.globals,
                          f"inputs.parameters.{name}.default")
        elif name in args.absent:
            # ProcessArgs: an absent optional argument and no default to fall back on
            raise InputError(f"inputs.parameters.{name}: argument references an absent "
                             "optional (skipped/omitted node output with no default)")
        else:
            raise InputError(f"inputs.parameters.{name} was not supplied")
        enum = param.get("enum")
        if enum and value not in [parameter_text(e) for e in enum]:
            raise InputError(f"inputs.parameters.{name}: {value!r} is not one of "
                             f"{', '.join(map(parameter_text, enum))}")
        inputs.parameters[name] = value
    for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
        name = art["name"]
        if name in args.artifacts:
            location = dict(args.artifacts[name])
        elif "raw" in art:
            location = {"raw": dict(art["raw"] or {})}
        elif "s3" in art:
            key = subst(str(art["s3"]["key"]), run.globals, f"inputs.artifacts.{name}.s3.key")
            location = {run.repo.kind: {"key": key}}
        elif art.get("optional"):
            continue
        else:
            raise InputError(f"inputs.artifacts.{name} was not supplied")
        location.pop("name", None)
        if art.get("path"):
            location["path"] = art["path"]
        if art.get("mode") is not None:
            location["mode"] = art["mode"]
        inputs.artifacts[name] = location
    return inputs
