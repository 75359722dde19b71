"""A template's inputs: resolved from the arguments its caller passed, as Argo does.

An input parameter is resolved as Argo's ``ProcessArgs`` does: its own ``value``, else its
``default`` (substituted with the workflow's variables, so a default of
``{{workflow.parameters.run-date}}`` works); an argument of the same name replaces it ("any
passed values take precedence"), its ``valueFrom`` included; a ``valueFrom.configMapKeyRef``
then reads its ConfigMap (:mod:`workflows.engine.config_maps`; ``valueFrom.default`` when
it is not found, else the node errors: ``unable to retrieve inputs.parameters.<name> from
ConfigMap: ...``); with no value left the node errors with ``inputs.parameters.<name> was
not supplied``. An argument that references an absent optional counts as not supplied,
with Argo's own error when there is neither a value nor a ``valueFrom``.

Input artifacts come from the argument (``from`` another task, ``raw``, an ``s3`` key),
the template's own ``raw``/``s3``, or are skipped when ``optional`` (also when nothing is
found at their key, as the executor's ``loadArtifact`` skips an optional one on
``CodeNotFound``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from workflows.engine.config_maps import ConfigMapError
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
    # parameters passed as a valueFrom (the workflow's arguments to its entrypoint)
    value_from: dict[str, Mapping[str, Any]] = field(default_factory=dict)


class Execute(Protocol):
    """What runs a template at a node with a caller's arguments (``template.execute``).
    It is handed to the DAG and steps runners, which ``execute`` itself runs, so that
    they need not import it."""

    def __call__(self, run: Run, branch: Branch, *, name: str, holder: Mapping[str, Any],
                 templates: Templates, args: Arguments, boundary_id: str | None,
                 parents: list[str], flags: dict[str, bool] | None = None
                 ) -> Awaitable[dict[str, Any]]: ...


def _from_config_map(run: Run, name: str, value_from: Mapping[str, Any]) -> str:
    """``substituteAndGetConfigMapValue``: the ConfigMap's name and key substituted with
    the workflow's variables, then its value; ``valueFrom.default`` only when it is not
    found, any other failure an error of the node."""
    ref = value_from["configMapKeyRef"]
    where = f"inputs.parameters.{name}.valueFrom.configMapKeyRef"
    cm_name = subst(str(ref["name"]), run.globals, f"{where}.name")
    cm_key = subst(str(ref["key"]), run.globals, f"{where}.key")
    try:
        return run.loaded.config_maps.parameter_value(cm_name, cm_key)
    except ConfigMapError as exc:
        if value_from.get("default") is None or not exc.not_found:
            raise InputError(f"unable to retrieve inputs.parameters.{name} from ConfigMap: "
                             f"{exc}") from exc
        return parameter_text(value_from["default"])


def resolve_inputs(run: Run, tmpl: Mapping[str, Any], args: Arguments) -> Inputs:
    inputs = Inputs()
    for param in (tmpl.get("inputs") or {}).get("parameters") or []:
        name = param["name"]
        own = param.get("value", param.get("default"))
        value = None if own is None else subst(
            parameter_text(own), run.globals,
            f"inputs.parameters.{name}" + ("" if "value" in param else ".default"))
        value_from = param.get("valueFrom")
        if name in args.parameters:  # a passed value takes precedence (and drops valueFrom)
            value, value_from = args.parameters[name], None
        elif name in args.value_from:  # a passed valueFrom replaces the value
            value, value_from = None, args.value_from[name]
        elif name in args.absent and value is None and value_from is None:
            raise InputError(f"inputs.parameters.{name}: argument references an absent "
                             "optional (skipped/omitted node output with no default)")
        if value_from is not None and value_from.get("configMapKeyRef") is not None:
            value = _from_config_map(run, name, value_from)
        elif value is None:
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
            # the whole template is substituted with its inputs (util.go SubstituteParams)
            key = subst(str(art["s3"]["key"]), {**run.globals, **inputs.scope()},
                        f"inputs.artifacts.{name}.s3.key")
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
        if art.get("optional"):  # not found at its key: skipped, as Argo's loadArtifact does
            location["optional"] = True
        inputs.artifacts[name] = location
    return inputs
