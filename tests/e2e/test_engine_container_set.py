"""``containerSet`` templates through the local engine, as Argo v4.1.2 runs them: one Pod node
with a Container node per container (``executeContainerSet``), containers waiting for their
dependencies and ending with exit 64 when one failed (the emissary's ``runEmissary``), the
pod's phase from its containers (``assessNodeStatus``, ``inferFailedReason``), outputs from
``main`` and from the shared volumes. Small inline manifests of the host's ``sh``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import EngineConfig, ManifestRefused, images, run_workflow
from workflows.engine.isolation import availability
from workflows.runs.get import format_get
from workflows.runs.logs import format_logs
from workflows.runs.store import RunStore
from workflows.runs.summary import summary_rows

# each container has a filesystem of its own: without mount namespaces a set is refused
runs = pytest.mark.skipif(not availability().ok,
                          reason="no mount namespaces here (bwrap)")

HEAD = """
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: cset}
spec:
  entrypoint: main
"""


@pytest.fixture
def run(tmp_path: Path):
    def run(text: str) -> dict[str, Any]:
        docs = [d for d in yaml.safe_load_all(text) if d]
        return run_workflow(docs, store=RunStore(tmp_path / "runs"))
    return run


def node(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    """The node named ``<workflow>.<name>`` (``name`` empty: the root)."""
    wf = workflow["metadata"]["name"]
    full = f"{wf}.{name}" if name else wf
    (found,) = [n for n in workflow["status"]["nodes"].values() if n["name"] == full]
    return found


def names(workflow: dict[str, Any], ids: list[str]) -> list[str]:
    return [workflow["status"]["nodes"][i]["displayName"] for i in ids]


SEQUENCE = HEAD + """
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: [sh, -c, "echo a ran"]}
      - {name: b, image: alpine:3.20, command: [sh, -c, "echo b ran; exit 3"],
         dependencies: [a]}
      - {name: c, image: alpine:3.20, command: [sh, -c, "echo c ran"], dependencies: [b]}
"""


@runs
def test_a_failed_container_errors_its_dependents_and_fails_the_pod(run):
    """b exits 3: b's node Failed; c never runs its command: the emissary exits 64 with
    ``dependency "b" exited with non-zero code: 3`` (an Error node); the pod fails with
    the first failed container by name."""
    workflow = run(SEQUENCE)
    pod, a, b, c = (node(workflow, n) for n in ("", "a", "b", "c"))
    assert workflow["status"]["phase"] == "Failed"
    assert (pod["type"], pod["phase"], pod["message"]) == ("Pod", "Failed",
                                                           "b: Error (exit code 3)")
    assert (a["phase"], a.get("message")) == ("Succeeded", None)
    assert (b["phase"], b["message"]) == ("Failed", "b: Error (exit code 3): ")
    assert (c["phase"], c["message"]) == (
        "Error", 'c: Error (exit code 64): dependency "b" exited with non-zero code: 3')
    assert pod.get("outputs") is None  # no container named main: no exitCode, no result


@runs
def test_container_nodes_hang_from_the_pod_and_their_dependencies(run):
    """``<pod>.<container>`` nodes of type Container, bounded by the pod node, named after
    the container, with the pod's template; a container with no dependencies is a child
    of the pod, the others children of what they depend on."""
    workflow = run(SEQUENCE)
    pod, a, b, c = (node(workflow, n) for n in ("", "a", "b", "c"))
    for container, display in ((a, "a"), (b, "b"), (c, "c")):
        assert container["type"] == "Container"
        assert container["displayName"] == display
        assert container["boundaryID"] == pod["id"]
        assert container["templateName"] == "main"
    assert names(workflow, pod["children"]) == ["a"]
    assert names(workflow, a["children"]) == ["b"]
    assert names(workflow, b["children"]) == ["c"]
    assert "children" not in c


GRAPH = HEAD + """
  templates:
  - name: main
    volumes: [{name: ws, emptyDir: {}}]
    containerSet:
      volumeMounts: [{name: ws, mountPath: /ws}]
      containers:
      - {name: a, image: alpine:3.20, command: [sh, -c, "echo a > /ws/a"]}
      # b and c run together: each waits (up to 10 s) for the other's file
      - name: b
        image: alpine:3.20
        dependencies: [a]
        command:
        - sh
        - -c
        - |
          test -e /ws/a && touch /ws/b || exit 1
          for i in $(seq 100); do test -e /ws/c && exit 0; sleep 0.1; done; exit 1
      - name: c
        image: alpine:3.20
        dependencies: [a]
        command:
        - sh
        - -c
        - |
          test -e /ws/a && touch /ws/c || exit 1
          for i in $(seq 100); do test -e /ws/b && exit 0; sleep 0.1; done; exit 1
      - {name: d, image: alpine:3.20, dependencies: [b, c],
         command: [sh, -c, "test -e /ws/b && test -e /ws/c"]}
"""


@runs
def test_a_graph_of_containers_runs_in_dependency_order_and_in_parallel(run):
    workflow = run(GRAPH)
    pod = node(workflow, "")
    assert (pod["phase"], workflow["status"]["phase"]) == ("Succeeded", "Succeeded")
    assert {node(workflow, n)["phase"] for n in "abcd"} == {"Succeeded"}
    assert names(workflow, node(workflow, "a")["children"]) == ["b", "c"]
    assert names(workflow, node(workflow, "b")["children"]) == ["d"]
    assert names(workflow, node(workflow, "c")["children"]) == ["d"]


RESULT = HEAD + """
  templates:
  - name: main
    dag:
      tasks:
      - {name: set, template: set}
      - name: verify
        depends: set
        template: verify
        arguments:
          parameters:
          - {name: result, value: "{{tasks.set.outputs.result}}"}
          - {name: code, value: "{{tasks.set.exitCode}}"}
  - name: set
    containerSet:
      containers:
      - {name: before, image: alpine:3.20, command: [sh, -c, "echo not the result"]}
      - {name: main, image: alpine:3.20, command: [sh, -c, "echo hi; echo there"],
         dependencies: [before]}
  - name: verify
    inputs: {parameters: [{name: result}, {name: code}]}
    container:
      image: alpine:3.20
      command: [sh, -c, "echo '{{inputs.parameters.result}}/{{inputs.parameters.code}}'"]
"""


@runs
def test_outputs_result_and_exit_code_are_the_main_containers(run):
    """``outputs.result`` is main's stdout (one trailing newline trimmed), not another
    container's; the next task hangs on the set's last container (``getOutboundNodes``)."""
    workflow = run(RESULT)
    assert workflow["status"]["phase"] == "Succeeded"
    pod = node(workflow, "set")
    assert pod["outputs"] == {"exitCode": "0", "result": "hi\nthere"}
    assert node(workflow, "verify")["outputs"]["result"] == "hi\nthere/0"
    assert names(workflow, node(workflow, "set.main")["children"]) == ["verify"]
    assert "verify" not in names(workflow, pod["children"])


WORKSPACE = HEAD + """
  templates:
  - name: main
    volumes: [{name: workspace, emptyDir: {}}]
    containerSet:
      volumeMounts: [{name: workspace, mountPath: /workspace}]
      containers:
      - name: a
        image: alpine:3.20
        command: [sh, -c, "echo hi > /workspace/out; echo mine > /tmp/own; echo a > /mnt/x"]
      - name: main
        image: alpine:3.20
        dependencies: [a]
        command:
        - sh
        - -c
        - test ! -e /tmp/own && mkdir -p /mnt && echo main > /mnt/x && cat /workspace/out
    outputs:
      parameters:
      - {name: out, valueFrom: {path: /workspace/out}}
      - {name: own, valueFrom: {path: /mnt/x}}
      artifacts:
      - {name: out, path: /workspace/out}
"""


@runs
def test_containers_share_the_volumes_and_nothing_else(run):
    """a writes the shared volume, main reads it; a's /tmp is its own; an output out of
    the volumes is read in main's filesystem, one in a volume wherever it was written."""
    workflow = run(WORKSPACE)
    pod = node(workflow, "")
    assert pod["phase"] == "Succeeded", pod.get("message")
    params = {p["name"]: p["value"] for p in pod["outputs"]["parameters"]}
    assert params == {"out": "hi", "own": "main"}
    assert [a["name"] for a in pod["outputs"]["artifacts"]] == ["out"]
    assert pod["outputs"]["result"] == "hi"


PARALLEL_FAILURE = HEAD + """
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: [sh, -c, "sleep 30"]}
      - {name: b, image: alpine:3.20, command: [sh, -c, "exit 2"]}
      - {name: c, image: alpine:3.20, command: [sh, -c, "echo never"], dependencies: [a]}
"""


@runs
def test_a_failure_terminates_the_other_containers(run):
    """b fails: the controller terminates the pod's running containers (SIGTERM: a ends
    143, c, still waiting for a, exits 143 as the emissary does); the pod's message is the
    first failed container by name, here a's."""
    started = time.monotonic()
    workflow = run(PARALLEL_FAILURE)
    assert time.monotonic() - started < 20
    a, b, c = (node(workflow, n) for n in "abc")
    assert (a["phase"], a["message"]) == ("Failed", "a: Error (exit code 143): ")
    assert (b["phase"], b["message"]) == ("Failed", "b: Error (exit code 2): ")
    assert (c["phase"], c["message"]) == ("Failed", "c: Error (exit code 143): ")
    assert node(workflow, "")["message"] == "a: Error (exit code 143)"


MISSING = HEAD + """
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: example/tool, command: [no-such-program-here]}
"""


@runs
def test_a_program_the_host_lacks_is_an_error_of_its_container(run):
    workflow = run(MISSING)
    a = node(workflow, "a")
    assert a["phase"] == "Error"
    assert a["message"].startswith("a: Error (exit code 64): failed to start "
                                   "no-such-program-here: [Errno 2]")
    assert node(workflow, "")["phase"] == "Failed"


RETRIED = HEAD + """
  templates:
  - name: main
    retryStrategy: {limit: 1}
    volumes: [{name: ws, emptyDir: {}}]
    containerSet:
      volumeMounts: [{name: ws, mountPath: /ws}]
      containers:
      - {name: main, image: alpine:3.20,
         command: [sh, -c, "test -e /ws/seen && exit 0; touch /ws/seen; exit 1"]}
"""


@runs
def test_a_template_retry_makes_a_new_pod_with_fresh_volumes(run):
    """Each attempt is a new pod, its emptyDir fresh: both attempts fail the same way."""
    workflow = run(RETRIED)
    retry = node(workflow, "")
    assert retry["type"] == "Retry"
    attempts = [workflow["status"]["nodes"][c] for c in retry["children"]]
    assert [a["phase"] for a in attempts] == ["Failed", "Failed"]
    for attempt in attempts:
        (container,) = [workflow["status"]["nodes"][c] for c in attempt["children"]]
        assert container["name"] == f"{attempt['name']}.main"
        assert container["nodeFlag"] == {"retried": True}


@runs
def test_logs_show_each_container(run, tmp_path):
    workflow = run(SEQUENCE)
    store = RunStore(tmp_path / "runs")
    text = format_logs(store.load(workflow["metadata"]["name"]))
    pod = node(workflow, "")["displayName"]
    assert f"{pod}/a: a ran" in text
    assert f"{pod}/b: b ran" in text
    assert f'{pod}/c: dependency "b" exited with non-zero code: 3' in text
    assert "c ran" not in text
    only_b = format_logs(store.load(workflow["metadata"]["name"]), "b")
    assert only_b == "b ran\n"


@pytest.mark.parametrize(("change", "path", "why"), [
    ({"containers": [{"name": "a", "image": "alpine", "command": ["true"],
                      "dependencies": ["z"]}]},
     "containerSet.containers[0].dependencies", "dependency 'z' not defined"),
    ({"containers": [{"name": "a", "image": "alpine", "command": ["true"],
                      "dependencies": ["b"]},
                     {"name": "b", "image": "alpine", "command": ["true"],
                      "dependencies": ["a"]}]},
     "containerSet.containers", "dependency cycle"),
    ({"containers": [{"name": "wait", "image": "alpine", "command": ["true"]}]},
     "containerSet.containers[0].name", "reserved"),
    ({"containers": [{"name": "a", "image": "ghcr.io/x/cadencia:1", "command": ["true"]}]},
     "containerSet.containers[0].image", "this project's image"),
    ({"containers": []}, "containerSet.containers", "at least one container"),
    ({"containers": [{"name": "a", "image": "alpine", "command": ["true"],
                      "dependencies": "b"}]},
     "containerSet.containers[0].dependencies", "must be a list"),
    ({"containers": [{"name": "a", "command": ["true"]}]}, "containerSet.containers[0].image",
     "required"),
    ({"containers": [{"name": "A", "image": "alpine", "command": ["true"]}]},
     "containerSet.containers[0].name", "DNS-1123"),
    ({"volumeMounts": [{"name": "v", "mountPath": "/v"}, {"name": "v", "mountPath": "/v"}]},
     "containerSet.volumeMounts[1].mountPath", "already mounted"),
])
def test_what_the_engine_or_argo_refuses_is_named_by_its_path(run, change, path, why):
    tmpl = {"name": "main", "containerSet": {
        "containers": [{"name": "main", "image": "alpine", "command": ["true"]}], **change}}
    doc = yaml.safe_load(HEAD)
    doc["spec"]["templates"] = [tmpl]
    text = yaml.safe_dump(doc)
    with pytest.raises(ManifestRefused) as refused:
        run(text)
    assert any(f"spec.templates[0].{path}" in p and why in p
               for p in refused.value.problems), refused.value.problems


def test_outputs_need_a_container_named_main(run):
    text = HEAD + """
  templates:
  - name: main
    containerSet:
      containers: [{name: a, image: alpine, command: ["true"]}]
    outputs:
      parameters: [{name: x, valueFrom: {path: /tmp/x}}]
"""
    with pytest.raises(ManifestRefused) as refused:
        run(text)
    assert any('must have a container named "main"' in p for p in refused.value.problems)


def test_without_mount_namespaces_a_container_set_is_refused(tmp_path):
    docs = [d for d in yaml.safe_load_all(SEQUENCE) if d]
    with pytest.raises(ManifestRefused) as refused:
        run_workflow(docs, store=RunStore(tmp_path / "runs"),
                     config=EngineConfig(isolation="off"))
    assert any("spec.templates[0].containerSet: " in p and "mount namespace" in p
               for p in refused.value.problems), refused.value.problems


@runs
def test_get_shows_the_containers_under_their_pod(run):
    workflow = run(RESULT)
    text = format_get(workflow)
    rows = [line.split()[:3] for line in text.splitlines()]
    at = rows.index(["├─✔", "set", "set"])
    assert rows[at + 1][:3] == ["│", "├─✔", "before"]
    assert rows[at + 2][:3] == ["│", "└─✔", "main"]


@runs
def test_a_retried_run_keeps_a_succeeded_sets_containers(run, tmp_path):
    """``cadencia retry`` (argo retry) reuses the Succeeded pod with its Container nodes;
    the failed task after it runs again and still hangs on the set's last container."""
    text = RESULT.replace("{{inputs.parameters.code}}'\"", "{{inputs.parameters.code}}'; "
                          "exit {{workflow.parameters.fail}}\"").replace(
        "  entrypoint: main\n", "  entrypoint: main\n  arguments:\n"
        "    parameters: [{name: fail, value: '1'}]\n")
    failed = run(text)
    assert failed["status"]["phase"] == "Failed"
    docs = [d for d in yaml.safe_load_all(text) if d]
    again = run_workflow(docs, parameters={"fail": "0"}, store=RunStore(tmp_path / "runs"),
                         previous=failed)
    assert again["status"]["phase"] == "Succeeded"
    assert names(again, node(again, "set")["children"]) == ["before"]
    assert names(again, node(again, "set.main")["children"]) == ["verify"]
    record = RunStore(tmp_path / "runs").load(again["metadata"]["name"])
    logs = record.path / "logs"
    kept = (logs / f"{node(again, 'set.main')['id']}.log").read_text()
    assert kept == "hi\nthere\n"  # not run again (its log would hold two runs)
    assert (logs / f"{node(again, 'verify')['id']}.log").exists()


RETRY_STRATEGY = HEAD + """
  templates:
  - name: main
    volumes: [{name: ws, emptyDir: {}}]
    containerSet:
      retryStrategy: {retries: "3", duration: 200ms}
      volumeMounts: [{name: ws, mountPath: /ws}]
      containers:
      - name: main
        image: alpine:3.20
        command:
        - sh
        - -c
        - echo run >> /ws/runs; echo "run $(wc -l < /ws/runs)"; test $(wc -l < /ws/runs) -ge 3
      - name: always
        image: alpine:3.20
        dependencies: [main]
        command: [sh, -c, "echo x >> /ws/always; exit 5"]
      - name: after
        image: alpine:3.20
        dependencies: [always]
        command: [sh, -c, "echo never"]
    outputs:
      parameters:
      - {name: always, valueFrom: {path: /ws/always}}
"""


@runs
def test_the_sets_retry_strategy_reruns_a_command_in_its_container(run):
    """retries: "3" is three runs in all (the backoff's Steps), 200 ms apart: main
    succeeds at its third run, its stdout of every run is the result; then ``always``
    fails three times and keeps its last exit code (what ``after`` reads); no new
    container nor node."""
    started = time.monotonic()
    workflow = run(RETRY_STRATEGY)
    assert time.monotonic() - started >= 0.8  # 4 pauses of 200 ms
    pod, main, always = (node(workflow, n) for n in ("", "main", "always"))
    assert main["phase"] == "Succeeded"
    assert (always["phase"], always["message"]) == ("Failed", "always: Error (exit code 5): ")
    params = {p["name"]: p["value"] for p in pod["outputs"]["parameters"]}
    assert params["always"] == "x\nx\nx"
    assert pod["outputs"]["result"] == "run 1\nrun 2\nrun 3"
    assert pod["outputs"]["exitCode"] == "0"
    # the first failed container by name, and its termination message (inferFailedReason)
    assert pod["message"] == (
        'after: Error (exit code 64): dependency "always" exited with non-zero code: 5')
    assert node(workflow, "after")["message"] == (
        'after: Error (exit code 64): dependency "always" exited with non-zero code: 5')
    assert len(workflow["status"]["nodes"]) == 4


@pytest.mark.parametrize(("strategy", "why"), [
    ({"retries": 0}, "never run the command"),
    ({"retries": "two"}, "never run the command"),
    ({"retries": 2, "duration": "-1s"}, "duration has to be positive"),
    ({"retries": 2, "duration": "soon"}, "invalid duration"),
])
def test_a_retry_strategy_argo_would_not_follow_is_refused(run, strategy, why):
    doc = yaml.safe_load(HEAD)
    doc["spec"]["templates"] = [{"name": "main", "containerSet": {
        "retryStrategy": strategy,
        "containers": [{"name": "main", "image": "alpine", "command": ["true"]}]}}]
    with pytest.raises(ManifestRefused) as refused:
        run(yaml.safe_dump(doc))
    assert any("spec.templates[0].containerSet.retryStrategy: " in p and why in p
               for p in refused.value.problems), refused.value.problems


DEADLINES = HEAD + """
  activeDeadlineSeconds: 2
  templates:
  - name: main
    dag:
      tasks:
      - {name: workflow-deadline, template: slow}
      - {name: template-deadline, template: slow-with-deadline}
  - name: slow
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: [sleep, "30"]}
      - {name: b, image: alpine:3.20, command: ["true"], dependencies: [a]}
  - name: slow-with-deadline
    activeDeadlineSeconds: 1
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: [sleep, "30"]}
"""


@runs
def test_deadlines_stop_every_container(run):
    """The workflow's deadline fails the pod and its unfinished containers with ``Step
    exceeded its deadline`` (applyExecutionControl); the template's fails the pod as the
    kubelet does, its container ending as SIGTERM leaves it."""
    started = time.monotonic()
    workflow = run(DEADLINES)
    assert time.monotonic() - started < 15
    pod = node(workflow, "workflow-deadline")
    assert (pod["phase"], pod["message"]) == ("Failed", "Step exceeded its deadline")
    for name in ("a", "b"):
        container = node(workflow, f"workflow-deadline.{name}")
        assert (container["phase"], container["message"]) == (
            "Failed", "Step exceeded its deadline")
    pod = node(workflow, "template-deadline")
    assert (pod["phase"], pod["message"]) == (
        "Failed", "Pod was active on the node longer than the specified deadline")
    assert node(workflow, "template-deadline.a")["message"] == "a: Error (exit code 143): "


ARGOSAY = HEAD + """
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: "argoproj/argosay:v2"}
      - {name: b, image: "argoproj/argosay:v2", command: [exit, "1"], dependencies: [a]}
"""


@runs
def test_an_image_the_engine_knows_gives_its_entrypoint_and_lacks_what_it_lacks(run):
    """argosay:v2 with no command runs its entrypoint (``hello argo``); a program it lacks
    is that container's exit 64 with the emissary's LookPath error (an Error node, as
    assessNodeStatus makes 64), and fails the pod with it (inferFailedReason)."""
    if not images.host_is_base(images.KNOWN["argoproj/argosay:v2"]):
        pytest.skip("the host is not of the Debian family: its lack is not the image's")
    workflow = run(ARGOSAY)
    a, b = node(workflow, "a"), node(workflow, "b")
    assert a["phase"] == "Succeeded"
    lacks = 'failed to find name in PATH: exec: "exit": executable file not found in $PATH'
    assert (b["phase"], b["message"]) == ("Error", f"b: Error (exit code 64): {lacks}")
    pod = node(workflow, "")
    assert (pod["phase"], pod["message"]) == ("Failed", f"b: Error (exit code 64): {lacks}")


STEPS = HEAD + """
  templates:
  - name: main
    steps:
    - - {name: set, template: set}
    - - {name: next, template: next}
  - name: set
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: ["true"]}
      - {name: b, image: alpine:3.20, command: ["true"], dependencies: [a]}
  - name: next
    container: {image: alpine:3.20, command: ["true"]}
"""


@runs
def test_the_next_step_group_hangs_on_the_sets_last_container(run):
    workflow = run(STEPS)
    assert workflow["status"]["phase"] == "Succeeded"
    by_name = {n["name"]: n for n in workflow["status"]["nodes"].values()}
    pod = by_name[f"{workflow['metadata']['name']}[0].set"]
    a, b = by_name[f"{pod['name']}.a"], by_name[f"{pod['name']}.b"]
    assert names(workflow, pod["children"]) == ["a"]
    assert names(workflow, a["children"]) == ["b"]
    assert names(workflow, b["children"]) == ["[1]"]  # the next StepGroup


@runs
def test_the_run_summary_names_each_container_after_its_pod(run):
    workflow = run(RESULT)
    rows = {row.node: row.phase for row in summary_rows(workflow)}
    assert rows["set/before"] == rows["set/main"] == "Succeeded"
    assert rows["set"] == rows["verify"] == "Succeeded"


INPUTS = HEAD + """
  templates:
  - name: main
    inputs:
      artifacts:
      - {name: data, path: /in/data.txt, raw: {data: "the input"}}
    containerSet:
      containers:
      - {name: other, image: alpine:3.20, command: [sh, -c, "test ! -e /in/data.txt"]}
      - {name: main, image: alpine:3.20, command: [cat, "{{inputs.artifacts.data.path}}"]}
"""


@runs
def test_only_main_gets_the_input_artifacts(run):
    workflow = run(INPUTS)
    assert node(workflow, "other")["phase"] == "Succeeded"
    assert node(workflow, "")["outputs"]["result"] == "the input"


ARCHIVED = HEAD + """
  archiveLogs: true
  templates:
  - name: main
    containerSet:
      containers:
      - {name: a, image: alpine:3.20, command: [sh, -c, "echo from a"]}
      - {name: main, image: alpine:3.20, command: [sh, -c, "echo from main"],
         dependencies: [a]}
"""


@runs
def test_archive_logs_keeps_each_containers_log(run, tmp_path):
    """executor.go SaveLogs over GetMainContainerNames: <container>-logs, <container>.log."""
    workflow = run(ARCHIVED)
    arts = {a["name"]: a for a in node(workflow, "")["outputs"]["artifacts"]}
    assert sorted(arts) == ["a-logs", "main-logs"]
    assert arts["a-logs"]["local"]["key"].endswith("/a.log")
    stored = [p for p in tmp_path.rglob("a.log") if p.is_file()]
    assert [p.read_text() for p in stored] == ["from a\n"]


UNMADE = HEAD + """
  templates:
  - name: main
    containerSet:
      containers:
      - name: a
        image: alpine:3.20
        command: ["true"]
        resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}
"""


@runs
def test_a_pod_the_api_server_would_refuse_is_an_error(run):
    """A container's requests above its limits: the API server refuses the pod, no
    container runs (no Container nodes)."""
    workflow = run(UNMADE)
    pod = node(workflow, "")
    assert pod["phase"] == "Error"
    assert pod["message"].startswith(f'Pod "{pod["displayName"]}')
    assert "spec.containers[a].resources" in pod["message"]
    assert "children" not in pod


def test_a_patch_of_a_set_without_main_is_refused(run):
    doc = yaml.safe_load(HEAD)
    doc["spec"]["templates"] = [{"name": "main", "podSpecPatch": "{}", "containerSet": {
        "containers": [{"name": "a", "image": "alpine", "command": ["true"]}]}}]
    with pytest.raises(ManifestRefused) as refused:
        run(yaml.safe_dump(doc))
    assert any("spec.templates[0].podSpecPatch: " in p for p in refused.value.problems)


@runs
def test_a_retry_sets_aside_the_logs_of_a_failed_sets_containers(run, tmp_path):
    """The failed pod runs again: its containers' logs of the first run move to
    logs/retry-1/ with the pod's, the new run's logs start empty."""
    failed = run(SEQUENCE)
    again = run_workflow([d for d in yaml.safe_load_all(SEQUENCE) if d],
                         store=RunStore(tmp_path / "runs"), previous=failed)
    logs = RunStore(tmp_path / "runs").load(again["metadata"]["name"]).path / "logs"
    b = node(again, "b")["id"]
    assert (logs / "retry-1" / f"{b}.log").read_text() == "b ran\n"
    assert (logs / f"{b}.log").read_text() == "b ran\n"
