"""podSpecPatch and podResources as Argo applies and validates them, limited to what a
local run can honour: accepted where they change nothing here, refused by path where they
would change what runs, an Error where Argo or the API server would not make the pod."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from workflows.engine import check
from workflows.engine.podspec import check_pod, patch, quantity


@pytest.mark.parametrize(("text", "amount"), [
    ("100m", "0.1"), ("2", "2"), (2, "2"), ("64Mi", str(64 * 2**20)), ("1e3", "1000"),
    ("1.5Gi", str(int(1.5 * 2**30))), (" 10Gi ", str(10 * 2**30)), ("2000m", "2"),
    (".5", "0.5"), ("1E-2", "0.01"), ("-1", "-1"),
])
def test_quantities_read_as_go_reads_them(text, amount):
    assert quantity.parse(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["lots", "", "1 Gi", "1gi", "1KiB", "m", True, [1], None])
def test_a_quantity_go_cannot_read_is_an_error(text):
    with pytest.raises(quantity.QuantityError):
        quantity.parse(text)


def test_a_patch_is_json_when_it_starts_with_a_brace_else_yaml():
    json_patch = '{"containers":[{"name":"main","resources":{"limits":{"cpu":"1"}}}]}'
    yaml_patch = "containers:\n- name: main\n  resources: {limits: {cpu: '1'}}\n"
    assert patch.read(json_patch).main == patch.read(yaml_patch).main == [{"limits": {"cpu": "1"}}]
    with pytest.raises(patch.Unreadable, match="invalid podSpecPatch"):
        patch.read("{containers: []}")  # a YAML flow mapping is not JSON


@pytest.mark.parametrize(("text", "paths"), [
    ('{"containers":[{"name":"main","command":["false"],"env":[]}]}',
     ["containers[0].command", "containers[0].env"]),
    ('{"containers":[{"name":"sidecar","image":"x"}]}', ["containers[0]"]),
    ("volumes: [{name: v, emptyDir: {}}]\nactiveDeadlineSeconds: 5\n",
     ["volumes", "activeDeadlineSeconds"]),
    ("containers:\n- name: main\n  resources: {limits: {nvidia.com/gpu: 1}, claims: []}\n",
     ["containers[0].resources.limits.nvidia.com/gpu", "containers[0].resources.claims"]),
    ("resources: {limits: {ephemeral-storage: 1Gi}}", ["resources.limits.ephemeral-storage"]),
])
def test_a_patch_of_what_matters_locally_is_refused_by_its_path(text, paths):
    assert [where for where, _ in patch.read(text).refused] == paths


@pytest.mark.parametrize("text", [
    '"just a string"', "[1, 2]", '{"containers": {"name": "main"}}',
    '{"containers":[{"name":"main","resources":{"limits":{"cpu":"lots"}}}]}',
    '{"containers":[{"name":"main","resources":{"limits":"1"}}]}',
    '{"nodeSelector":{"disk":1}}',
])
def test_a_patch_argo_cannot_unmarshal_into_a_pod_spec_is_unreadable(text):
    with pytest.raises(patch.Unreadable):
        patch.read(text)


def substitute_nothing(value: Any, where: str) -> Any:
    return value


def pod_message(spec: dict[str, Any], tmpl: dict[str, Any],
                resources: dict[str, Any] | None = None) -> str | None:
    container = {"image": "alpine", "command": ["true"], "resources": resources}
    unmade = check_pod(spec, tmpl, container, substitute_nothing, "wf-main-1")
    return None if unmade is None else unmade.message


def main_patch(kind: str, cpu: str) -> dict[str, str]:
    text = json.dumps({"containers": [{"name": "main", "resources": {kind: {"cpu": cpu}}}]})
    return {"podSpecPatch": text}


def test_the_template_patch_merges_over_the_workflow_patch_and_the_container():
    spec = {"podSpecPatch": "containers: [{name: main, resources: {limits: {cpu: '1'}}}]"}
    over = main_patch("requests", "2")
    message = pod_message(spec, over)
    assert message == ('Pod "wf-main-1" is invalid: spec.containers[main].resources.requests: '
                       'Invalid value: "2": must be less than or equal to cpu limit of 1')
    fits = main_patch("requests", "500m")
    assert pod_message(spec, fits) is None
    # merged key by key with the container's own resources
    assert pod_message({}, over, {"limits": {"cpu": "1"}}) is not None
    raise_limit = main_patch("limits", "4")
    assert pod_message({}, raise_limit, {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}) is None


def test_the_containers_own_resources_are_checked_without_a_patch():
    assert "must be less than or equal to memory limit of 1Gi" in (pod_message(
        {}, {}, {"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}}) or "")
    assert pod_message({}, {}, {"limits": {"memory": "1Gi"}}) is None
    assert pod_message({}, {}, None) is None


def test_pod_resources_of_the_template_override_the_workflows():
    spec = {"podResources": {"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}}}
    assert "spec.resources.requests" in (pod_message(spec, {}) or "")
    tmpl = {"podResources": {"limits": {"memory": "4Gi"}, "requests": {"memory": "2Gi"}}}
    assert pod_message(spec, tmpl) is None


def test_a_node_selector_the_api_server_would_reject_is_an_error():
    message = pod_message({}, {"podSpecPatch": '{"nodeSelector":{"disk":"not ok"}}'})
    assert message is not None and message.startswith('Pod "wf-main-1" is invalid: '
                                                       "spec.nodeSelector: Invalid value: ")
    assert pod_message({}, {"podSpecPatch": '{"nodeSelector":{"disk":"ssd"}}'}) is None


def workflow(**spec: Any) -> dict[str, Any]:
    main = {"name": "main", "container": {"image": "alpine:3.20", "command": ["true"]}}
    main.update(spec.pop("template", {}))
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
            "spec": {"entrypoint": "main", "templates": [main], **spec}}


def test_an_accepted_patch_and_pod_resources_are_listed_as_cluster_only():
    found = check([workflow(podSpecPatch="nodeSelector: {disk: ssd}",
                            podResources={"limits": {"cpu": "1"}},
                            template={"podSpecPatch": '{"resources":{"limits":{"memory":"1Gi"}}}',
                                      "podResources": {"requests": {"memory": "64Mi"}}})], "w")
    assert found.problems == []
    assert found.cluster_only == ["Workflow/w: spec.templates[0].podSpecPatch",
                                  "Workflow/w: spec.templates[0].podResources",
                                  "Workflow/w: spec.podSpecPatch", "Workflow/w: spec.podResources"]


def test_a_patch_with_variables_in_its_values_is_still_checked_before_the_run():
    text = '{"containers":[{"name":"main","args":["{{workflow.name}}"],' \
           '"resources":{"limits":{"cpu":"{{workflow.parameters.cpu}}"}}}]}'
    assert check([workflow(template={"podSpecPatch": text})], "w").problems == [
        "Workflow/w: spec.templates[0].podSpecPatch: containers[0].args: podSpecPatch "
        "containers[main].args is not implemented by the local engine (only resources)"]
    built = '{"containers":[{"name":"main","resources":{"limits": {{inputs.parameters.r}} }}]}'
    assert check([workflow(template={"podSpecPatch": built})], "w").problems == []
    named = ("containers: [{name: '{{inputs.parameters.c}}', resources: {}}]\n"
             "{{inputs.parameters.k}}: {}")
    assert check([workflow(template={"podSpecPatch": named})], "w").problems == []


@pytest.mark.parametrize(("resources", "says"), [
    ({"limits": {"nvidia.com/gpu": "1"}}, "is not a valid pod-level resource, only cpu, "
                                          "memory and hugepages-* are supported"),
    ({"claims": [{"name": "c"}]}, "claims is not supported for pod-level resources"),
    ({"limits": {"hugepages-2Mi": "1Gi"}}, "pod-level huge pages are not implemented"),
    ({"limits": {"cpu": "lots"}}, "quantities must match"),
])
def test_pod_resources_argo_rejects_are_refused(resources, says):
    problems = check([workflow(podResources=resources)], "w").problems
    assert len(problems) == 1 and problems[0].startswith("Workflow/w: spec.podResources.")
    assert says in problems[0]
