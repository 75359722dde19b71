"""labelsFrom expressions are parsed before the run: one outside the engine's expr-lang
subset is refused by its path, as any other expression."""

from __future__ import annotations

from typing import Any

from workflows.engine import check


def workflow(labels_from: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
            "spec": {"entrypoint": "main", "workflowMetadata": {"labelsFrom": labels_from},
                     "templates": [{"name": "main", "container": {"image": "alpine:3.20",
                                                                   "command": ["true"]}}]}}


def test_a_parsable_expression_is_accepted():
    assert check([workflow({"foo": {"expression": "workflow.parameters.foo"}})], "w").problems \
        == []


def test_an_expression_the_engine_cannot_parse_is_refused_by_its_path():
    problems = check([workflow({"foo": {"expression": "workflow.parameters.foo ||| 1"}})],
                     "w").problems
    assert len(problems) == 1
    assert problems[0].startswith("Workflow/w: spec.workflowMetadata.labelsFrom.foo.expression: ")


def test_a_label_source_other_than_an_expression_is_refused():
    problems = check([workflow({"foo": {"value": "x"}})], "w").problems
    assert problems == ["Workflow/w: spec.workflowMetadata.labelsFrom.foo: must be "
                        "{expression: ...}"]
