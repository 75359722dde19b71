"""Argo's DAG rules (workflow/controller/dag.go, scope.go of v4.1.2) through the local
engine: small inline manifests of ``sh -c`` containers, asserting the phases, nodes and
messages Argo shows for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import run_workflow
from workflows.runs.store import RunStore

TARGETS = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: dag-target}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: target, value: E}]
  templates:
  - name: main
    dag:
      target: "{{workflow.parameters.target}}"
      tasks:
      - {name: A, template: ok}
      - {name: B, template: breaks, depends: A}
      - {name: C, template: ok, depends: A}
      - {name: D, template: ok, depends: B && C}
      - {name: E, template: ok, depends: C}
  - name: ok
    container: {image: alpine:3.20, command: [sh, -c, "true"]}
  - name: breaks
    container: {image: alpine:3.20, command: [sh, -c, "exit 1"]}
"""


@pytest.fixture
def run(tmp_path: Path):
    def run(text: str, **parameters: str) -> dict[str, Any]:
        docs = [d for d in yaml.safe_load_all(text) if d]
        return run_workflow(docs, parameters=parameters,
                            store=RunStore(tmp_path / "runs"))
    return run


def phases(workflow: dict[str, Any]) -> dict[str, str]:
    return {n["displayName"]: n["phase"] for n in workflow["status"]["nodes"].values()
            if n["type"] != "DAG"}


def test_dag_target_runs_the_target_and_its_ancestors_only(run):
    """executeDAG starts executeDAGTask at each target, which walks up its dependencies:
    with target E (from a workflow parameter) only A, C and E run; B, whose failure
    would fail the DAG, and D are never created; assessDAGPhase judges the DAG by E."""
    workflow = run(TARGETS)
    assert phases(workflow) == {"A": "Succeeded", "C": "Succeeded", "E": "Succeeded"}
    assert workflow["status"]["phase"] == "Succeeded"


def test_dag_targets_are_space_separated_and_judge_the_dag(run):
    workflow = run(TARGETS, target="B E")
    assert phases(workflow) == {"A": "Succeeded", "B": "Failed", "C": "Succeeded",
                                "E": "Succeeded"}
    assert workflow["status"]["phase"] == "Failed"


def test_a_target_that_is_no_task_is_an_error_of_the_dag(run):
    workflow = run(TARGETS, target="Z")
    dag = next(n for n in workflow["status"]["nodes"].values() if n["type"] == "DAG")
    assert (dag["phase"], dag["message"]) == (
        "Error", "templates.main.targets: target 'Z' is not defined")
    assert phases(workflow) == {}
    assert workflow["status"]["phase"] == "Error"


SKIPPED_PRODUCER = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: skipped-producer}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: producer, template: produce, when: "false"}
      - name: consumer
        template: consume
        depends: producer.Succeeded || producer.Skipped
        arguments:
          parameters: [{name: in, value: "{{tasks.producer.outputs.parameters.msg}}"}]
  - name: produce
    outputs:
      parameters:
      - name: msg
        valueFrom: {path: /tmp/out.txt}
    container: {image: alpine:3.20, command: [sh, -c, "echo real > /tmp/out.txt"]}
  - name: consume
    inputs:
      parameters: [{name: in, default: fallback-from-input}]
    container: {image: alpine:3.20, command: [echo, "consumer got: [{{inputs.parameters.in}}]"]}
"""


def _consumer(workflow: dict[str, Any]) -> dict[str, Any]:
    return next(n for n in workflow["status"]["nodes"].values()
                if n["displayName"] == "consumer")


def test_a_reference_to_a_skipped_output_leaves_the_input_default(run):
    """scope.go markAbsentOptionalArgs: the argument only references the skipped
    producer's output, which declares no default, so it is unsupplied (ProcessArgs) and
    the consumer's input default applies."""
    workflow = run(SKIPPED_PRODUCER)
    assert phases(workflow)["producer"] == "Skipped"
    consumer = _consumer(workflow)
    assert consumer["inputs"]["parameters"] == [{"name": "in", "value": "fallback-from-input"}]
    assert workflow["status"]["phase"] == "Succeeded"


def test_a_skipped_output_takes_its_value_from_default(run):
    """scope.go addSkippedNodeOutputsToScope: the skipped producer's output is its
    valueFrom.default."""
    text = SKIPPED_PRODUCER.replace("valueFrom: {path: /tmp/out.txt}",
                                    "valueFrom: {path: /tmp/out.txt, default: from-producer}")
    workflow = run(text)
    assert _consumer(workflow)["inputs"]["parameters"] == [{"name": "in",
                                                            "value": "from-producer"}]
    assert workflow["status"]["phase"] == "Succeeded"


def test_an_absent_optional_with_no_input_default_is_an_error(run):
    """ProcessArgs: no default to fall back on is a terminal error, with Argo's message."""
    workflow = run(SKIPPED_PRODUCER.replace(", default: fallback-from-input", ""))
    consumer = _consumer(workflow)
    assert (consumer["phase"], consumer["message"]) == (
        "Error", "inputs.parameters.in: argument references an absent optional "
                 "(skipped/omitted node output with no default)")
    assert workflow["status"]["phase"] == "Error"


def test_a_reference_inside_other_text_is_still_unresolved(run):
    """Only a pure reference is an absent optional: 'x-{{ref}}' fails substitution."""
    text = SKIPPED_PRODUCER.replace('value: "{{tasks.producer.outputs.parameters.msg}}"',
                                    'value: "x-{{tasks.producer.outputs.parameters.msg}}"')
    consumer = _consumer(run(text))
    assert consumer["phase"] == "Error"
    assert "tasks.producer.outputs.parameters.msg" in consumer["message"]


def test_inline_templates_run_with_their_holders_arguments_and_no_template_name(tmp_path):
    """GetTemplate returns a task's or step's Inline: its inputs take the holder's
    arguments, its steps and tasks run as a named template's, and initializeNode gives
    its nodes the holder's template name, "" (omitted; GeneratePodName leaves it out); a
    when's =~ and !~ are govaluate's regex search, the pattern quoted or a bare word."""
    from tests.e2e.test_engine_conformance import docs_of
    from workflows.argo.nodes import pod_name

    workflow = run_workflow(docs_of("inline.yaml"), store=RunStore(tmp_path / "runs"))
    wf = workflow["metadata"]["name"]
    nodes = {n["name"].replace(wf, "inline", 1): n
             for n in workflow["status"]["nodes"].values()}
    assert workflow["status"]["phase"] == "Succeeded"
    assert {name: (n["type"], n["phase"], n.get("templateName")) for name, n in nodes.items()
            if name != "inline"} == {
        "inline.say": ("Pod", "Succeeded", None),
        "inline.matched": ("Pod", "Succeeded", "ok"),
        "inline.not-matched": ("Skipped", "Skipped", "ok"),
        "inline.group": ("Steps", "Succeeded", None),
        "inline.group[0]": ("StepGroup", "Succeeded", None),
        "inline.group[0].inner": ("Pod", "Succeeded", None),
    }
    assert nodes["inline.say"]["outputs"]["result"] == "heads"
    assert nodes["inline.not-matched"]["message"] == "when 'heads !~ hea' evaluated false"
    say = nodes["inline.say"]
    assert pod_name(wf, "", say["name"]) == say["id"]  # <wf>-<hash>, like the node id
