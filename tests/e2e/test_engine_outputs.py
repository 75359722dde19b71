"""Outputs of DAG and steps templates and the workflow's global outputs through the local
engine, as Argo v4.1.2 resolves them: ``getTemplateOutputsFromScope`` (operator.go) over the
scope ``executeDAG``/``executeSteps`` build, ``wfScope.resolveParameter``/``resolveArtifact``
(scope.go), and ``addOutputsToGlobalScope`` for ``globalName``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import ManifestRefused, run_workflow
from workflows.runs.store import RunStore

CASES = Path(__file__).parent / "engine_cases"
EXAMPLES = Path(__file__).parents[1] / "conformance" / "argo" / "examples"


@pytest.fixture
def run(tmp_path: Path):
    def run(text: str) -> dict[str, Any]:
        docs = [d for d in yaml.safe_load_all(text) if d]
        return run_workflow(docs, parameters={}, store=RunStore(tmp_path / "runs"))
    return run


def node(workflow: dict[str, Any], display: str) -> dict[str, Any]:
    found = [n for n in workflow["status"]["nodes"].values() if n["displayName"] == display]
    assert len(found) == 1, display
    return found[0]


def values(outputs: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in outputs.get("parameters") or []}


@pytest.fixture(scope="module")
def outputs_case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    docs = list(yaml.safe_load_all((CASES / "template_outputs.yaml").read_text()))
    store = RunStore(tmp_path_factory.mktemp("outputs") / "runs")
    return run_workflow(docs, parameters={}, store=store)


def test_dag_output_parameters_from_expression_parameter_and_default(outputs_case):
    """valueFrom.expression picks the branch that ran; valueFrom.parameter of a skipped
    task takes its producer's default (addSkippedNodeOutputsToScope); a reference that
    does not resolve takes the output's own default."""
    assert outputs_case["status"]["phase"] == "Succeeded"
    pick = node(outputs_case, "pick")
    assert values(pick["outputs"]) == {"chosen": "it-was-heads", "skipped": "not-written",
                                       "unresolved": "none"}
    assert pick["outputs"]["parameters"][0]["globalName"] == "chosen"


def test_dag_output_artifacts_by_from_and_from_expression(outputs_case):
    """The chosen task's artifact, renamed; an optional one whose task was skipped is
    left out; the consumer reads the file the expression chose."""
    pick = node(outputs_case, "pick")
    heads = node(outputs_case, "heads")["outputs"]["artifacts"][0]
    arts = {a["name"]: a for a in pick["outputs"]["artifacts"]}
    assert sorted(arts) == ["chosen-file", "first-file"]
    assert arts["chosen-file"] == {**heads, "name": "chosen-file"}
    assert node(outputs_case, "consume")["outputs"]["result"] == "it-was-heads=it-was-heads"


def test_steps_outputs_by_expression_and_from(outputs_case):
    main = next(n for n in outputs_case["status"]["nodes"].values() if n["type"] == "Steps"
                and not n["name"].endswith(".onExit"))
    assert values(main["outputs"]) == {"via-steps": "it-was-heads=it-was-heads!"}
    assert [a["name"] for a in main["outputs"]["artifacts"]] == ["copied"]


def test_global_outputs_reach_status_and_the_exit_handler(outputs_case):
    """addParamToGlobalScope/addArtifactToGlobalScope: status.outputs holds them under
    their globalName, the artifact without its path; the exit handler reads both."""
    outputs = outputs_case["status"]["outputs"]
    assert values(outputs) == {"chosen": "it-was-heads",
                               "via-steps": "it-was-heads=it-was-heads!"}
    [art] = outputs["artifacts"]
    assert art["name"] == "last-file" and "path" not in art and "globalName" not in art
    assert node(outputs_case, "global-art")["outputs"]["result"] == (
        "it-was-heads=it-was-heads")


UNRESOLVED = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: unresolved-output}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: skipped, template: ok, when: "false"}
    outputs:
      parameters:
      - name: out
        valueFrom: {expression: "tasks.skipped.outputs.result"}
  - name: ok
    container: {image: alpine:3.20, command: [sh, -c, "echo hi"]}
"""


def test_an_output_that_does_not_resolve_without_default_is_an_error_of_the_dag(run):
    """executeDAG returns getTemplateOutputsFromScope's error; executeTemplate marks the
    node Error with it."""
    workflow = run(UNRESOLVED)
    dag = node(workflow, workflow["metadata"]["name"])
    assert dag["phase"] == "Error"
    assert "failed to evaluate expression" in dag["message"]
    assert workflow["status"]["phase"] == "Error"


def test_an_output_default_rescues_an_expression_that_does_not_resolve(run):
    workflow = run(UNRESOLVED.replace('"tasks.skipped.outputs.result"}',
                                      '"tasks.skipped.outputs.result", default: dflt}'))
    dag = node(workflow, workflow["metadata"]["name"])
    assert (dag["phase"], values(dag["outputs"])) == ("Succeeded", {"out": "dflt"})


def test_outputs_from_scope_outside_dag_and_steps_and_unsupported_syntax_are_refused(run):
    text = UNRESOLVED.replace("- {name: skipped, template: ok, when: \"false\"}",
                              "- {name: skipped, template: ok}")
    with pytest.raises(ManifestRefused) as refused:
        run(text.replace('"tasks.skipped.outputs.result"', '"tasks.skipped?.outputs.result"'))
    assert any("templates[0].outputs.parameters[0].valueFrom.expression" in p
               for p in refused.value.problems)
    moved = text.replace("  - name: ok\n", "  - name: ok\n    outputs:\n      artifacts:\n"
                         "      - {name: a, from: '{{tasks.x.outputs.artifacts.y}}'}\n")
    with pytest.raises(ManifestRefused) as refused:
        run(moved)
    assert any("templates[1].outputs.artifacts[0].from: read only in dag and steps" in p
               for p in refused.value.problems)


@pytest.mark.parametrize("example", ["conditional-parameters", "dag-conditional-parameters"])
def test_argo_conditional_parameters_take_the_branch_that_ran(run, example):
    workflow = run((EXAMPLES / f"{example}.yaml").read_text())
    assert workflow["status"]["phase"] == "Succeeded"
    top = next(n for n in workflow["status"]["nodes"].values()
               if n["type"] in ("DAG", "Steps"))
    flip = node(workflow, "flip-coin")["outputs"]["result"]
    assert values(top["outputs"]) == {"stepresult": flip}
