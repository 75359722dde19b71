"""ConfigMaps given as documents: what a parameter's configMapKeyRef finds, with Argo's
messages (``common.GetConfigMapValue``), and what is refused before the run."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine import LoadError, check
from workflows.engine.config_maps import ConfigMapError, ConfigMaps

LABEL = {"workflows.argoproj.io/configmap-type": "Parameter"}


def _cm(name: str, data: dict[str, Any], labels: dict[str, str] | None = None,
        namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": LABEL if labels is None else labels}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _error(maps: ConfigMaps, name: str, key: str) -> ConfigMapError:
    with pytest.raises(ConfigMapError) as caught:
        maps.parameter_value(name, key)
    return caught.value


def test_a_labelled_config_map_of_the_namespace_gives_its_value():
    maps = ConfigMaps.from_docs([_cm("s", {"msg": "hello"})], "default")
    assert maps.parameter_value("s", "msg") == "hello"


def test_what_the_controller_cannot_see_does_not_exist():
    """Its informer lists only ConfigMaps with the label, in the workflow's namespace."""
    maps = ConfigMaps.from_docs([_cm("unlabelled", {"k": "v"}, labels={}),
                                 _cm("elsewhere", {"k": "v"}, namespace="other")], "default")
    for name in ("unlabelled", "elsewhere", "absent"):
        error = _error(maps, name, "k")
        assert error.not_found
        assert str(error) == (
            f"ConfigMap '{name}' does not exist. Please make sure it has the label "
            "workflows.argoproj.io/configmap-type: Parameter to be detectable by the "
            "controller")


def test_another_type_label_is_an_error_that_is_not_a_not_found():
    maps = ConfigMaps.from_docs(
        [_cm("c", {"k": "v"}, labels={"workflows.argoproj.io/configmap-type": "Cache"})],
        "default")
    error = _error(maps, "c", "k")
    assert not error.not_found
    assert str(error) == ("ConfigMap 'c' needs to have the label "
                          "workflows.argoproj.io/configmap-type: Parameter to load parameters")


def test_a_missing_key_is_not_found():
    error = _error(ConfigMaps.from_docs([_cm("s", {"a": "1"})], "default"), "s", "b")
    assert error.not_found and str(error) == "ConfigMap 's' does not have the key 'b'"


def test_what_the_kubernetes_api_would_not_take_is_a_load_error():
    with pytest.raises(LoadError, match=r"data\.n must be a string"):
        ConfigMaps.from_docs([_cm("s", {"n": 1})], "default")
    with pytest.raises(LoadError, match="given twice"):
        ConfigMaps.from_docs([_cm("s", {}), _cm("s", {})], "default")


def _workflow(param: dict[str, Any], where: str = "arguments") -> list[dict[str, Any]]:
    main: dict[str, Any] = {"name": "main", "container": {"image": "alpine", "command": ["true"]}}
    spec: dict[str, Any] = {"entrypoint": "main", "templates": [main]}
    if where == "arguments":
        spec["arguments"] = {"parameters": [param]}
    elif where == "inputs":
        main["inputs"] = {"parameters": [param]}
    else:
        spec["templates"] = [{"name": "main", "steps": [[{
            "name": "s", "template": "leaf", "arguments": {"parameters": [param]}}]]},
            {"name": "leaf", "container": {"image": "alpine", "command": ["true"]}}]
    return [{"kind": "Workflow", "metadata": {"name": "wf"}, "spec": spec}]


@pytest.mark.parametrize("where, path", [("arguments", "spec.arguments.parameters[0]"),
                                         ("inputs", "spec.templates[0].inputs.parameters[0]")])
def test_other_value_sources_are_refused_by_path(where, path):
    assert check(_workflow({"name": "p", "valueFrom": {"default": "x"}}, where),
                 "wf").problems == [f"Workflow/wf: {path}.valueFrom: a valueFrom without "
                                    "configMapKeyRef is not implemented by the local engine"]
    problems = check(_workflow({"name": "p", "valueFrom": {"supplied": {}}}, where),
                     "wf").problems
    assert problems == [f"Workflow/wf: {path}.valueFrom.supplied: valueFrom.supplied (a "
                        "suspend template's input) is not implemented by the local engine"]


def test_a_steps_argument_valuefrom_stays_refused():
    param = {"name": "p", "valueFrom": {"configMapKeyRef": {"name": "s", "key": "k"}}}
    problems = check(_workflow(param, "step"), "wf").problems
    assert [p.split(": ")[1] for p in problems] == [
        "spec.templates[0].steps[0][0].arguments.parameters[0].valueFrom"]
