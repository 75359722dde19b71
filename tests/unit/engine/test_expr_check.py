"""The admission of a manifest's ``when``, ``depends`` and ``retryStrategy.expression``
(``admit.expressions``, through ``admit.refuse.check``): what the engine could not run is refused
before the run, by YAML path, naming the construct or function."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from workflows.engine.admit.refuse import check

MANIFEST = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: exprs}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: A, template: ok}
      - {name: B, template: ok, depends: "A.Succeeded || A.Failed"}
      - {name: C, template: ok, depends: B, when: "{{tasks.A.outputs.result}} == heads"}
      - {name: D, template: ok, when: "'{{workflow.parameters.x}}' != '' && 2{{item}} > 3"}
      - {name: E, template: ok, when: "{{=asInt(workflow.parameters.n) > 1}}"}
  - name: ok
    retryStrategy: {limit: 2, expression: "asInt(lastRetry.exitCode) > 1"}
    container: {image: alpine:3.20, command: [sh, -c, "true"]}
    metrics:
      prometheus:
      - {name: ok_runs, help: runs, when: "{{status}} == Succeeded", counter: {value: "1"}}
"""


def problems(edit: dict[tuple[Any, ...], Any] | None = None) -> list[str]:
    doc = yaml.safe_load(MANIFEST)
    for (*keys, last), value in (edit or {}).items():
        node = doc
        for key in keys:
            node = node[key]
        node[last] = value
    return check([doc], "exprs").problems


TASK = ("spec", "templates", 0, "dag", "tasks")


def test_the_expressions_the_engine_runs_are_admitted() -> None:
    assert problems() == []


@pytest.mark.parametrize(("edit", "expected"), [
    ({(*TASK, 2, "when"): "hea =~ {{tasks.A.outputs.result}}"},
     "spec.templates[0].dag.tasks[2].when: the pattern of =~ in 'hea =~ "
     "{{tasks.A.outputs.result}}' must be a literal string"),
    ({(*TASK, 2, "when"): "{{tasks.A.outputs.result}} =~ '^a{{x}}'"},
     "the pattern of =~ in"),
    ({(*TASK, 2, "when"): "{{tasks.A.outputs.result}} !~ '(?i)hea'"},
     "spec.templates[0].dag.tasks[2].when: !~ '(?i)hea': a group with flags"),
    ({(*TASK, 2, "when"): "{{tasks.A.outputs.result}} =~ nil"},
     "nil beside =~ or !~"),
    ({(*TASK, 2, "when"): "asInt({{tasks.A.outputs.result}}) > 1"},
     "spec.templates[0].dag.tasks[2].when: Argo evaluates when with govaluate, which has "
     "no functions (asInt)"),
    ({(*TASK, 2, "when"): "{{item}} in filter([1], # > 0)"},
     "no functions (filter)"),
    ({(*TASK, 1, "depends"): "A.Completed"},
     "spec.templates[0].dag.tasks[1].depends: unsupported expression 'A.Completed': task "
     "result 'Completed' for task 'A' is invalid"),
    ({(*TASK, 1, "depends"): "A && Z"},
     "spec.templates[0].dag.tasks[1].depends: no task 'Z' in this DAG"),
    ({("spec", "templates", 1, "retryStrategy", "expression"): "lastRetry.status =~ 'E'"},
     "spec.templates[1].retryStrategy.expression: unsupported expression"),
    ({("spec", "templates", 1, "metrics", "prometheus", 0, "when"): "{{status}} ?? x"},
     "spec.templates[1].metrics.prometheus[0].when: unsupported when"),
])
def test_what_the_engine_cannot_run_is_refused_by_path(edit: dict[Any, Any],
                                                      expected: str) -> None:
    found = problems(edit)
    assert len(found) == 1, found
    assert found[0].startswith("Workflow/exprs: ")
    assert expected in found[0]


def test_steps_whens_are_checked_too() -> None:
    doc = yaml.safe_load(MANIFEST)
    doc["spec"]["templates"][0] = {"name": "main", "steps": [[
        {"name": "a", "template": "ok", "when": "{{steps.x.outputs.result}} !~ b"}]]}
    found = [p for p in check([doc], "exprs").problems if ".when:" in p]
    assert found == []
    doc["spec"]["templates"][0]["steps"][0][0]["when"] = "{{steps.x.outputs.result}} !~ 'b{2,1}'"
    found = [p for p in check([doc], "exprs").problems if ".when:" in p]
    assert len(found) == 1
    assert found[0].startswith("Workflow/exprs: spec.templates[0].steps[0][0].when: !~ "
                               "'b{2,1}': the repetition {2,1} at offset 1")
