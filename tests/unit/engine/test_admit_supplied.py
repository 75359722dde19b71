"""A step or task that leaves a called template's input without a value is refused before
the run, as Argo's validation rejects it ("invalid spec: ... was not supplied")."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine import check

SAY = {"name": "say", "inputs": {"parameters": [{"name": "message"}]},
       "container": {"image": "alpine:3.20", "command": ["echo", "{{inputs.parameters.message}}"]}}


def workflow(caller: dict[str, Any], *templates: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": {"name": "w"},
            "spec": {"entrypoint": "main", "templates": [caller, *(templates or [SAY])]}}


def dag(arguments: Any) -> dict[str, Any]:
    return {"name": "main", "dag": {"tasks": [{"name": "a", "template": "say",
                                               "arguments": arguments}]}}


def steps(arguments: Any) -> dict[str, Any]:
    return {"name": "main", "steps": [[{"name": "a", "template": "say",
                                        "arguments": arguments}]]}


@pytest.mark.parametrize(("caller", "path"), [
    (dag({"parameters": None}), "spec.templates[0].dag.tasks[0].arguments"),
    (steps({"parameters": None}), "spec.templates[0].steps[0][0].arguments"),
    (dag({"parameters": []}), "spec.templates[0].dag.tasks[0].arguments"),
])
def test_a_null_or_missing_argument_is_refused_naming_the_input(caller, path):
    problems = check([workflow(caller)], "w").problems
    assert problems == [f"Workflow/w: {path}: templates.say inputs.parameters.message was "
                        "not supplied (Argo's validation rejects the workflow: invalid spec)"]


@pytest.mark.parametrize("caller", [dag, steps])
def test_an_argument_without_value_is_refused_whatever_the_template_declares(caller):
    """validateArgumentsValues, before the template is looked at."""
    say = {**SAY, "inputs": {"parameters": [{"name": "message", "default": "hi"}]}}
    assert check([workflow(caller({}), say)], "w").problems == []
    problems = check([workflow(caller({"parameters": [{"name": "other"}]}), say)], "w").problems
    assert [p.split(": ", 2)[2] for p in problems] == [
        "other.value or other.valueFrom is required (Argo's validation rejects the workflow: "
        "invalid spec)"]
    assert ".arguments.parameters[0]: " in problems[0]


@pytest.mark.parametrize("say", [
    SAY | {"inputs": {"parameters": [{"name": "message", "value": "own"}]}},
    SAY | {"inputs": {"parameters": [{"name": "message", "default": ""}]}},
])
def test_an_input_with_its_own_value_or_default_needs_no_argument(say):
    assert check([workflow(dag({"parameters": None}), say)], "w").problems == []


def test_a_supplied_argument_passes():
    caller = steps({"parameters": [{"name": "message", "value": "{{workflow.name}}"}]})
    assert check([workflow(caller)], "w").problems == []


def test_a_required_input_artifact_needs_an_argument_an_optional_one_does_not():
    art = {"name": "take", "inputs": {"artifacts": [{"name": "data", "path": "/tmp/d"},
                                                     {"name": "maybe", "path": "/tmp/m",
                                                      "optional": True}]},
           "container": {"image": "alpine:3.20", "command": ["true"]}}
    caller = {"name": "main", "dag": {"tasks": [{"name": "a", "template": "take"}]}}
    problems = check([workflow(caller, art)], "w").problems
    assert [p.split(": ", 2)[2] for p in problems] == [
        "templates.take inputs.artifacts.data was not supplied (Argo's validation rejects "
        "the workflow: invalid spec)"]
