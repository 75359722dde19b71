"""Argo's expression examples through the local engine, with the values Argo v4.1.2 gives.

The manifests are the vendored ``examples/`` ones, unmodified (conditionals' ``cowsay``
container aside, which this host may lack): ``jsonpath`` (evilmonkeyinc/jsonpath v0.8.1
in util/expr/env/env.go), ``map`` with ``#``, map literals, ``toJson``, ``sprig.add/min/
max/b64dec`` and ``??``, and what ``expressionReplaceCore`` writes for a value that is
not a string (its ``json.Marshal`` text: ``[43]``, not Go's ``%v``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import run_workflow
from workflows.runs.store import RunStore

EXAMPLES = Path(__file__).parents[1] / "conformance" / "argo" / "examples"


@pytest.fixture
def run(tmp_path: Path):
    def run(docs: list[Any]) -> dict[str, Any]:
        return run_workflow(docs, parameters={}, store=RunStore(tmp_path / "runs"))
    return run


def example(name: str) -> list[Any]:
    return [d for d in yaml.safe_load_all((EXAMPLES / name).read_text()) if d]


def nodes(workflow: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [n for n in workflow["status"]["nodes"].values() if n["type"] == kind]


def test_jsonpath_destructures_a_json_parameter(run):
    """``jsonpath(workflow.parameters.config, '$.a')``: a JSON string member, as is."""
    workflow = run(example("expression-destructure-json.yaml"))
    assert workflow["status"]["phase"] == "Succeeded"
    (pod,) = nodes(workflow, "Pod")
    assert pod["outputs"]["result"] == "123"


def test_jsonpath_filters_slices_and_wildcards_print_as_json(run):
    """A filter gives a list even for one match (``[43]``, a float64 printed as 43), a
    slice a list of objects with sorted keys, a wildcard the list of names."""
    workflow = run(example("expression-destructure-json-complex.yaml"))
    assert workflow["status"]["phase"] == "Succeeded"
    (pod,) = nodes(workflow, "Pod")
    params = {p["name"]: p["value"] for p in pod["inputs"]["parameters"]}
    assert params == {"a": "[43]", "b": "[43]", "c": '[{"age":43,"name":"Baris"}]',
                      "d": '["Baris","Mo","Jai"]'}
    assert pod["outputs"]["result"] == '[43][43][{"age":43,"name":"Baris"}]["Baris","Mo","Jai"]'


def test_map_closure_to_json_and_sprig_arithmetic(run):
    """map([...], {toJson({avg: sprig.add(#[0], ...) / 5, ...})})[0]: sprig.add gives an
    int64 (179), ``/`` a float (35.8); jsonpath of that JSON gives the numbers back."""
    workflow = run(example("expression-reusing-verbose-snippets.yaml"))
    assert workflow["status"]["phase"] == "Succeeded"
    (pod,) = nodes(workflow, "Pod")
    params = {p["name"]: p["value"] for p in pod["inputs"]["parameters"]}
    assert params["week-temps"] == '{"avg":35.8,"max":57,"min":15}'
    assert pod["outputs"]["result"] == ("The week's average temperature was 35.8 with a "
                                        "minimum of 15 and a maximum of 57.")


def test_nil_coalescing_falls_back_on_a_skipped_output(run):
    """A skipped task's output without a default is nil in the scope of the DAG's
    outputs: ``?? 'expr-fallback'`` gives the fallback."""
    workflow = run(example("skipped-output-defaults/expression-fallback.yaml"))
    assert workflow["status"]["phase"] == "Succeeded"
    (dag,) = nodes(workflow, "DAG")
    assert dag["outputs"]["parameters"] == [{"name": "result", "value": "expr-fallback"}]


def test_nil_coalescing_keeps_a_real_empty_output(run):
    """Only absence falls back: a task that ran and wrote "" gives ""."""
    docs = example("skipped-output-defaults/expression-fallback.yaml")
    tasks = docs[0]["spec"]["templates"][0]["dag"]["tasks"]
    del tasks[0]["when"]
    docs[0]["spec"]["templates"][1]["container"] = {
        "image": "busybox", "command": ["sh", "-c"], "args": [": > /tmp/out.txt"]}
    workflow = run(docs)
    assert workflow["status"]["phase"] == "Succeeded"
    (dag,) = nodes(workflow, "DAG")
    assert dag["outputs"]["parameters"] == [{"name": "result", "value": ""}]


def test_jsonpath_in_a_when_reads_workflow_parameters_json(run):
    """conditionals: ``jsonpath(workflow.parameters.json, '$[0].value') == 'true'``,
    over the arguments as json.Marshal writes them, runs the step like the other two
    forms. (Its argosay container is replaced by ``echo``: the expressions are Argo's.)"""
    docs = example("conditionals.yaml")
    docs[0]["spec"]["templates"][1]["container"] = {
        "image": "busybox", "command": ["sh", "-c"], "args": ["echo hello"]}
    workflow = run(docs)
    assert workflow["status"]["phase"] == "Succeeded"
    ran = sorted(n["displayName"] for n in nodes(workflow, "Pod") if n["phase"] == "Succeeded")
    assert ran == ["print-hello-expr", "print-hello-expr-json", "print-hello-govaluate"]


def test_jsonpath_when_false_skips_the_step(run):
    docs = example("conditionals.yaml")
    docs[0]["spec"]["arguments"]["parameters"][0]["value"] = "false"
    docs[0]["spec"]["templates"][1]["container"] = {
        "image": "busybox", "command": ["sh", "-c"], "args": ["echo hello"]}
    workflow = run(docs)
    assert workflow["status"]["phase"] == "Succeeded"
    skipped = sorted(n["displayName"] for n in nodes(workflow, "Skipped"))
    assert skipped == ["print-hello-expr", "print-hello-expr-json", "print-hello-govaluate"]


OUTPUT_VALUES = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: output-values}
spec:
  entrypoint: main
  arguments: {parameters: [{name: doc, value: '{"n": [1, 2.5]}'}]}
  templates:
  - name: main
    inputs: {parameters: [{name: doc, value: "{{workflow.parameters.doc}}"}]}
    dag:
      tasks:
      - {name: a, template: ok}
    outputs:
      parameters:
      - {name: float, valueFrom: {expression: "1.5 * 2"}}
      - {name: big, valueFrom: {expression: "1000000 * 1.0"}}
      - {name: list, valueFrom: {expression: "[1, 'a']"}}
      - {name: found, valueFrom: {expression: "jsonpath(inputs.parameters.doc, '$.n')"}}
      - {name: ref, valueFrom: {parameter: "{{tasks.a.outputs.result}}"}}
      - {name: nil-key, valueFrom: {expression: "tasks.a.nope == nil ? 'nil' : 'set'"}}
      - {name: literal, valueFrom: {parameter: "{{=[1, 2.5]}}"}}
      - name: global
        valueFrom: {expression: "workflow.parameters.doc", default: not-in-scope}
      - name: function
        valueFrom: {parameter: "{{=jsonpath(inputs.parameters.doc, '$.n')}}", default: not-compiled}
      - name: around
        valueFrom: {parameter: "x-{{tasks.a.outputs.result}}", default: not-one-tag}
  - name: ok
    container: {image: busybox, command: [sh, -c, "echo out"]}
"""


def test_template_outputs_as_get_template_outputs_from_scope_resolves_them(run):
    """An expression's value is written with ``AnyStringPtr``, Go's ``%v`` (not the JSON
    a ``{{=...}}`` tag writes), and runs with no missing-variable check (a missing key is
    nil); the scope is the template's inputs and its tasks, no
    ``workflow.*``; ``valueFrom.parameter`` is ``ResolveVar``: one tag, and an
    expression there sees neither the scope nor Argo's functions (``Unable to
    compile``), so each of those takes its default."""
    workflow = run([yaml.safe_load(OUTPUT_VALUES)])
    assert workflow["status"]["phase"] == "Succeeded"
    (dag,) = nodes(workflow, "DAG")
    assert {p["name"]: p["value"] for p in dag["outputs"]["parameters"]} == {
        "float": "3", "big": "1e+06", "list": "[1 a]", "found": "[1 2.5]", "ref": "out",
        "nil-key": "nil", "literal": "[1 2.5]", "global": "not-in-scope",
        "function": "not-compiled", "around": "not-one-tag"}


def test_workflow_parameters_json_is_the_arguments_as_go_marshals_them(run):
    """setGlobalParameters: ``json.Marshal`` of the arguments (wfv1.Parameter's field
    order, omitempty, ``<`` escaped), as ``workflow.parameters`` and ``.json``."""
    workflow = run([yaml.safe_load("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: params-json}
spec:
  entrypoint: main
  arguments:
    parameters:
    - {name: a, value: "1", description: "x<y"}
    - {name: b, value: "two", enum: [one, two]}
  templates:
  - name: main
    inputs:
      parameters:
      - {name: all, value: "{{workflow.parameters}}"}
      - {name: json, value: "{{workflow.parameters.json}}"}
      - {name: second, value: "{{=jsonpath(workflow.parameters.json, '$[1].value')}}"}
    container: {image: busybox, command: [sh, -c, "true"]}
""")])
    assert workflow["status"]["phase"] == "Succeeded"
    (pod,) = nodes(workflow, "Pod")
    params = {p["name"]: p["value"] for p in pod["inputs"]["parameters"]}
    marshaled = ('[{"name":"a","value":"1","description":"x\\u003cy"},'
                 '{"name":"b","value":"two","enum":["one","two"]}]')
    assert params == {"all": marshaled, "json": marshaled, "second": "two"}
