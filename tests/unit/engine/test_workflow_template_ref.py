"""A Workflow's ``workflowTemplateRef``: how its spec joins the referenced template's
(Argo's ``JoinWorkflowSpec``) and what is refused before the run."""

from __future__ import annotations

from typing import Any

from workflows.engine import check
from workflows.engine.admit.merge import join_specs

TEMPLATE = {
    "entrypoint": "main",
    "arguments": {"parameters": [
        {"name": "who", "value": "world", "enum": ["world", "you"]},
        {"name": "from-cm", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
        {"name": "kept", "value": "as is"}]},
    "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}},
                  {"name": "other", "container": {"image": "alpine", "command": ["true"]}}],
    "workflowMetadata": {"labels": {"team": "etl", "tier": "1"}},
    "hooks": {"exit": {"template": "main"}},
}


def test_the_workflows_entrypoint_and_fields_win_and_mappings_merge():
    joined = join_specs({"entrypoint": "other", "workflowTemplateRef": {"name": "t"},
                         "workflowMetadata": {"labels": {"tier": "2"}}}, TEMPLATE)
    assert joined["entrypoint"] == "other"
    assert joined["workflowMetadata"] == {"labels": {"team": "etl", "tier": "2"}}
    assert [t["name"] for t in joined["templates"]] == ["main", "other"]
    assert joined["hooks"] == {"exit": {"template": "main"}}


def test_a_parameter_with_a_value_is_the_workflows_whole_parameter():
    """Value and valueFrom never mix, and the template's enum goes with its value."""
    joined = join_specs({"arguments": {"parameters": [
        {"name": "who", "value": "me"}, {"name": "from-cm", "value": "given"}]}}, TEMPLATE)
    params = joined["arguments"]["parameters"]
    assert params == [{"name": "who", "value": "me"}, {"name": "from-cm", "value": "given"},
                      {"name": "kept", "value": "as is"}]


def test_a_workflow_parameter_without_a_value_keeps_the_templates():
    joined = join_specs({"arguments": {"parameters": [
        {"name": "who", "description": "whom to greet"}]}}, TEMPLATE)
    assert joined["arguments"]["parameters"][0] == {
        "name": "who", "value": "world", "enum": ["world", "you"]}


def test_the_workflows_hook_of_a_name_wins_whole():
    joined = join_specs({"hooks": {"exit": {"templateRef": {"name": "x", "template": "y"}}}},
                        TEMPLATE)
    assert joined["hooks"] == {"exit": {"templateRef": {"name": "x", "template": "y"}}}


def _docs(workflow_spec: dict[str, Any], kind: str = "ClusterWorkflowTemplate",
          template_spec: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    spec = template_spec if template_spec is not None else {
        "templates": [{"name": "main", "container": {"image": "alpine", "command": ["true"]}}]}
    return [{"kind": "Workflow", "metadata": {"name": "wf"}, "spec": workflow_spec},
            {"kind": kind, "metadata": {"name": "lib"}, "spec": spec}]


def test_an_entrypoint_the_workflow_gives_is_looked_for_in_the_referenced_template():
    ref = {"name": "lib", "clusterScope": True}
    assert check(_docs({"entrypoint": "main", "workflowTemplateRef": ref}), "wf").problems == []
    assert check(_docs({"entrypoint": "nope", "workflowTemplateRef": ref}), "wf").problems == [
        "Workflow/wf: spec.entrypoint: no template 'nope'"]


def test_neither_the_workflow_nor_its_template_naming_an_entrypoint_is_refused():
    docs = _docs({"workflowTemplateRef": {"name": "lib", "clusterScope": True}})
    assert check(docs, "wf").problems == ["Workflow/wf: spec.entrypoint: required"]


def test_cluster_scope_names_the_cluster_kind_only():
    docs = _docs({"entrypoint": "main", "workflowTemplateRef": {"name": "lib"}})
    assert check(docs, "wf").problems == [
        "Workflow/wf: spec.workflowTemplateRef: no WorkflowTemplate 'lib' among the documents"]
    docs = _docs({"entrypoint": "main", "workflowTemplateRef": {"name": "lib",
                                                                "clusterScope": True}},
                 kind="WorkflowTemplate")
    assert check(docs, "wf").problems == [
        "Workflow/wf: spec.workflowTemplateRef: no ClusterWorkflowTemplate 'lib' among the "
        "documents"]


def test_templates_beside_a_workflow_template_ref_are_refused_as_argo_does():
    docs = _docs({"entrypoint": "main", "workflowTemplateRef": {"name": "lib",
                                                                "clusterScope": True},
                  "templates": [{"name": "x", "container": {"image": "a", "command": ["b"]}}]})
    assert "Workflow/wf: spec.templates: Templates is invalid field in spec if workflow " \
        "referred WorkflowTemplate reference" in check(docs, "wf").problems


def test_a_cluster_scope_that_is_not_a_boolean_is_refused():
    docs = _docs({"entrypoint": "main", "workflowTemplateRef": {"name": "lib",
                                                                "clusterScope": "true"}})
    assert check(docs, "wf").problems == [
        "Workflow/wf: spec.workflowTemplateRef.clusterScope: must be true or false (got 'true')"]


def test_what_a_cluster_template_holds_is_checked_too():
    bad = {"templates": [{"name": "main", "container": {"image": "a", "command": ["b"]},
                          "sidecars": []}]}
    docs = _docs({"entrypoint": "main", "workflowTemplateRef": {"name": "lib",
                                                                "clusterScope": True}},
                 template_spec=bad)
    assert [p.split(":")[0:2] for p in check(docs, "wf").problems] == [
        ["ClusterWorkflowTemplate/lib", " spec.templates[0].sidecars"]]


def test_an_empty_workflow_field_leaves_the_templates():
    """``entrypoint:`` with no value is Go's empty string, omitted from the patch."""
    assert join_specs({"entrypoint": None}, TEMPLATE)["entrypoint"] == "main"


def test_an_empty_entrypoint_beside_a_reference_takes_the_templates():
    docs = _docs({"entrypoint": None, "workflowTemplateRef": {"name": "lib"}},
                 kind="WorkflowTemplate", template_spec={**TEMPLATE, "hooks": {}})
    assert check(docs, "wf").problems == []
