"""Argo's DAG rules (workflow/controller/dag.go, scope.go of v4.1.2) through the local
engine: small inline manifests of ``sh -c`` containers, asserting the phases, nodes and
messages Argo shows for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import run_workflow
from workflows.engine.records import RunStore

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
