"""``script`` templates through the local engine, as Argo v4.1.2 runs them: the source
substituted and staged at ``/argo/staging/script``, appended to the command
(operator.go ``executeScript``, executor.go ``StageFiles``), ``outputs.result`` from stdout
with one trailing newline trimmed and at most its last 256 kB (``CaptureScriptResult``).
Small inline manifests of the host's ``python3``, ``sh`` and ``bash``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import ManifestRefused, run_workflow
from workflows.runs.store import RunStore

HEAD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: scripts}
spec:
  entrypoint: main
"""

RESULTS = HEAD + """
  arguments:
    parameters: [{name: count, value: "3"}]
  templates:
  - name: main
    dag:
      tasks:
      - name: gen
        template: gen
        arguments: {parameters: [{name: n, value: "{{workflow.parameters.count}}"}]}
      - name: times-ten
        template: times-ten
        depends: gen
        withParam: "{{tasks.gen.outputs.result}}"
        arguments: {parameters: [{name: x, value: "{{item}}"}]}
      - name: staged
        template: staged
      - name: all-inputs
        template: all-inputs
        arguments: {parameters: [{name: a, value: "x<y & \\"z\\""}]}
  - name: gen
    inputs: {parameters: [{name: n}]}
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import json
        print(json.dumps([i for i in range({{inputs.parameters.n}})]))
  - name: times-ten
    inputs: {parameters: [{name: x}]}
    script:
      image: alpine:3.20
      command: [sh]
      source: |
        echo $(( {{inputs.parameters.x}} * 10 ))

  - name: staged
    outputs:
      parameters: [{name: mode, valueFrom: {path: /tmp/mode}}]
    script:
      image: bash:5
      command: [bash]
      args: [-e]
      source: |
        echo "$0"
        stat -c %a "$0" > /tmp/mode
  - name: all-inputs
    inputs:
      parameters:
      - {name: a}
      - {name: b, default: "d", description: the second}
    script:
      image: alpine:3.20
      command: [sh, -c]
      source: |
        cat <<'EOF'
        {{inputs.parameters}}
        EOF
"""


@pytest.fixture
def run(tmp_path: Path):
    def run(text: str, **parameters: str) -> dict[str, Any]:
        docs = [d for d in yaml.safe_load_all(text) if d]
        return run_workflow(docs, parameters=parameters, store=RunStore(tmp_path / "runs"))
    return run


def nodes(workflow: dict[str, Any], display: str) -> list[dict[str, Any]]:
    return [n for n in workflow["status"]["nodes"].values() if n["displayName"] == display]


def node(workflow: dict[str, Any], display: str) -> dict[str, Any]:
    (found,) = nodes(workflow, display)
    return found


def test_result_is_stdout_without_its_last_newline_and_inputs_are_substituted(run):
    """gen's source gets {{inputs.parameters.n}} (from a workflow parameter); its printed
    JSON list, trailing newline trimmed, fans out withParam; each item is substituted into
    a shell script's source."""
    workflow = run(RESULTS)
    assert workflow["status"]["phase"] == "Succeeded", workflow["status"].get("message")
    assert node(workflow, "gen")["outputs"]["result"] == "[0, 1, 2]"
    items = sorted(n["outputs"]["result"] for n in workflow["status"]["nodes"].values()
                   if n["displayName"].startswith("times-ten("))
    assert items == ["0", "10", "20"]


def test_source_is_staged_at_argo_staging_script_and_appended_to_the_command(run):
    """command [bash] + args [-e] + /argo/staging/script, the file executable (0755), as
    the pod sees it in its own filesystem."""
    workflow = run(RESULTS)
    staged = node(workflow, "staged")
    assert staged["outputs"]["result"] == "/argo/staging/script"
    assert staged["outputs"]["parameters"][0]["value"] == "755"


def test_inputs_parameters_is_every_input_as_go_marshals_it(run):
    """{{inputs.parameters}}: name, default, value, description in the struct's order,
    HTML characters escaped as json.Marshal does (Hera's runner reads this)."""
    workflow = run(RESULTS)
    text = node(workflow, "all-inputs")["outputs"]["result"]
    assert text == ('[{"name":"a","value":"x\\u003cy \\u0026 \\"z\\""},'
                    '{"name":"b","default":"d","value":"d","description":"the second"}]')
    assert json.loads(text)[0]["value"] == 'x<y & "z"'


FAILS = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: fails, template: fails}
  - name: fails
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import sys
        print("partial")
        sys.exit(3)
"""


def test_a_failing_script_fails_with_its_exit_code(run):
    workflow = run(FAILS)
    fails = node(workflow, "fails")
    assert workflow["status"]["phase"] == "Failed"
    assert (fails["phase"], fails["message"]) == ("Failed", "main: Error (exit code 3)")
    assert fails["outputs"]["exitCode"] == "3"
    assert fails["outputs"]["result"] == "partial"


RETRIES = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: flaky, template: flaky}
  - name: flaky
    retryStrategy: {limit: 3}
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import sys
        print("attempt {{retries}}")
        sys.exit(0 if {{retries}} >= 2 else 1)
"""


def test_retries_rerun_the_script_with_retries_substituted(run):
    workflow = run(RETRIES)
    retry = node(workflow, "flaky")
    attempts = [workflow["status"]["nodes"][c] for c in retry["children"]]
    assert retry["phase"] == "Succeeded"
    assert [a["phase"] for a in attempts] == ["Failed", "Failed", "Succeeded"]
    assert [a["outputs"]["result"] for a in attempts] == [
        "attempt 0", "attempt 1", "attempt 2"]


ARTIFACT = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: write, template: write}
      - name: read
        template: read
        depends: write
        arguments:
          artifacts: [{name: data, from: "{{tasks.write.outputs.artifacts.data}}"}]
  - name: write
    outputs:
      artifacts: [{name: data, path: /tmp/data.json}]
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import json
        json.dump({"rows": 7}, open("/tmp/data.json", "w"))
  - name: read
    inputs:
      artifacts: [{name: data, path: /data/in.json}]
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import json
        print(json.load(open("{{inputs.artifacts.data.path}}"))["rows"] * 2)
"""


def test_an_artifact_passes_between_scripts_at_literal_paths(run):
    workflow = run(ARTIFACT)
    assert workflow["status"]["phase"] == "Succeeded", workflow["status"].get("message")
    assert node(workflow, "read")["outputs"]["result"] == "14"


def test_without_namespaces_literal_paths_in_a_source_are_refused(run, monkeypatch):
    monkeypatch.setenv("CADENCIA_ENGINE_ISOLATION", "off")
    with pytest.raises(ManifestRefused) as refused:
        run(ARTIFACT)
    assert any("spec.templates[1].outputs.artifacts[0].path: the command uses "
               "/tmp/data.json literally" in p for p in refused.value.problems)


OURS = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - name: ours
        template: ours
        arguments: {parameters: [{name: who, value: cadencia}]}
  - name: ours
    inputs: {parameters: [{name: who}]}
    outputs:
      parameters: [{name: out, valueFrom: {path: /tmp/out.txt}}]
    script:
      image: registry.example/cadencia:1.0
      command: [python]
      source: |
        import sys, workflows
        open("{{outputs.parameters.out.path}}", "w").write(sys.executable)
        print("hello {{inputs.parameters.who}}")
"""


def test_our_image_runs_the_script_with_the_current_python(run):
    """This project's image: python is the running interpreter with the project on its
    path; the path variables point into the node's sandbox."""
    workflow = run(OURS)
    ours = node(workflow, "ours")
    assert ours["phase"] == "Succeeded", ours.get("message")
    assert ours["outputs"]["result"] == "hello cadencia"
    assert ours["outputs"]["parameters"][0]["value"] == sys.executable


BIG = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: big, template: big}
  - name: big
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import sys
        sys.stdout.write("a" * 1000 + "b" * (256 * 1024 - 1) + "z\\n")
"""


def test_a_result_over_256_kb_keeps_its_last_256_kb(run):
    workflow = run(BIG)
    result = node(workflow, "big")["outputs"]["result"]
    assert len(result) == 256 * 1024 and result.endswith("bz") and "a" not in result


HERA_OUTPUTS = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: outp, template: outp, arguments: {parameters: [{name: a, value: "3"}]}}
  - name: outp
    inputs: {parameters: [{name: a}]}
    outputs:
      parameters:
      - {name: doubled, valueFrom: {path: /tmp/hera-outputs/parameters/doubled}}
    script:
      image: cadencia:latest
      source: '{{inputs.parameters}}'
      command: [python]
      args: [-m, hera.workflows.runner, -e, "tests.e2e.hera_scripts_program:outp"]
      env: [{name: hera__outputs_directory, value: /tmp/hera-outputs}]
"""


def test_our_image_scripts_that_need_their_own_filesystem_are_refused(run):
    """What Hera compiles for a runner function with an annotated output: the runner
    writes under a literal /tmp/hera-outputs, which our image (run in the host's
    filesystem) would write on the host. Refused before the run, by path."""
    with pytest.raises(ManifestRefused) as refused:
        run(HERA_OUTPUTS)
    problems = "\n".join(refused.value.problems)
    assert ("Workflow/scripts: spec.templates[1].outputs.parameters[0].valueFrom.path: "
            "/tmp/hera-outputs/parameters/doubled is never named through "
            "{{outputs.parameters.doubled.path}}") in problems
    assert "spec.templates[1].script: the command uses /tmp/hera-outputs," in problems


MEMO_AND_DEADLINE = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: first, template: memoized}
      - {name: second, template: memoized, depends: first}
      - {name: slow, template: slow}
  - name: memoized
    memoize: {key: scripts-memo, maxAge: 1h, cache: {configMap: {name: script-cache}}}
    script:
      image: python:3.12-alpine
      command: [python3]
      source: |
        import uuid
        print(uuid.uuid4())
  - name: slow
    activeDeadlineSeconds: 1
    script:
      image: alpine:3.20
      command: [sh]
      source: sleep 30
"""


def test_memoize_and_deadlines_apply_to_scripts(run):
    workflow = run(MEMO_AND_DEADLINE)
    first, second = node(workflow, "first"), node(workflow, "second")
    assert first["memoizationStatus"]["hit"] is False
    assert second["memoizationStatus"]["hit"] is True
    assert second["outputs"]["result"] == first["outputs"]["result"]
    slow = node(workflow, "slow")
    assert (slow["phase"], slow["message"]) == (
        "Failed", "Pod was active on the node longer than the specified deadline")
