"""Names as paths (issue 10, case 6): a name or key from a manifest never leaves its root.

A workflow name or a template name holding ``../`` is refused when the manifest is loaded,
naming its YAML path; a ``keyFormat`` that a parameter turns into ``a/../../b`` fails the
node that stores the artifact; any exception inside a task fails that task. In every case
the run ends (a pytest timeout guards the hang the old engine had), nothing is written
outside ``--home``, and the CLI answers with one line, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures_s3 import SECRET_NAME, MotoS3
from workflows.engine import LoadError, run_workflow
from workflows.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]


def workflow(name: str = "paths", *, templates: list[dict[str, Any]],
             parameters: dict[str, str] | None = None,
             meta: dict[str, str] | None = None, entrypoint: str = "main") -> dict[str, Any]:
    spec: dict[str, Any] = {"entrypoint": entrypoint, "templates": templates}
    if parameters:
        spec["arguments"] = {"parameters": [{"name": k, "value": v}
                                            for k, v in parameters.items()]}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
            "metadata": meta or {"name": name}, "spec": spec}


def writer(name: str = "write", **extra: Any) -> dict[str, Any]:
    """A container that writes one output artifact (archive none), making its folder as
    a command must in Argo."""
    return {"name": name, **extra,
            "outputs": {"artifacts": [{"name": "out", "path": "/tmp/out/data.txt",
                                       "archive": {"none": {}}}]},
            "container": {"image": "busybox", "command": [
                "sh", "-c", "mkdir -p \"$(dirname '{{outputs.artifacts.out.path}}')\" && "
                            "echo rows > '{{outputs.artifacts.out.path}}'"]}}


def dag(*tasks: tuple[str, str]) -> dict[str, Any]:
    return {"name": "main", "dag": {"tasks": [{"name": n, "template": t} for n, t in tasks]}}


def files_outside(tmp_path: Path, home: Path) -> list[Path]:
    """Every file or folder under tmp_path that is neither home nor below it."""
    return [p for p in tmp_path.rglob("*")
            if p != home and home not in p.parents and p.name != "manifest.yaml"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("meta", [{"name": "../../escaped"},
                                  {"generateName": "../../escaped-"}],
                         ids=["name", "generateName"])
def test_a_workflow_name_holding_dotdot_is_refused_and_no_run_folder_is_made(
        tmp_path: Path, meta: dict[str, str]) -> None:
    home = tmp_path / "home"
    docs = [workflow(templates=[writer("main")], meta=meta)]

    with pytest.raises(LoadError) as refused:
        run_workflow(docs, store=RunStore(home / "runs"))

    field = next(iter(meta))
    assert f"Workflow: metadata.{field}: '../../escaped" in str(refused.value)
    assert "DNS-1123" in str(refused.value)
    assert files_outside(tmp_path, home) == []
    assert not (home / "runs").exists() or list((home / "runs").iterdir()) == []


@pytest.mark.timeout(30)
def test_a_template_named_as_a_path_is_refused_naming_its_yaml_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = "x/../../../../../y"  # would put the pod's sandbox beside --home
    docs = [workflow(templates=[dag(("a", bad)), writer(bad)])]

    with pytest.raises(LoadError) as refused:
        run_workflow(docs, store=RunStore(home / "runs"))

    assert (f"Workflow/paths: spec.templates[1].name: template name {bad!r} must use "
            "letters, digits and '-'") in str(refused.value)
    assert files_outside(tmp_path, home) == []


@pytest.mark.parametrize("bad_task", ["../a", "a b", "-a"])
def test_a_task_name_argo_refuses_is_refused_here_too(tmp_path: Path, bad_task: str) -> None:
    docs = [workflow(templates=[dag((bad_task, "write")), writer()])]

    with pytest.raises(LoadError, match=r"spec\.templates\[0\]\.dag\.tasks\[0\]\.name"):
        run_workflow(docs, store=RunStore(tmp_path / "runs"))


@pytest.fixture(params=["local", "s3"])
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    key_format = "{{workflow.parameters.prefix}}/{{pod.name}}"
    if request.param == "local":
        yield {"local": {"keyFormat": key_format}}, None
        return
    with MotoS3() as s3:
        yield s3.repository_spec(keyFormat=key_format), s3


@pytest.mark.timeout(60)
def test_a_key_format_parameter_holding_dotdot_fails_the_node_and_the_run_ends(
        tmp_path: Path, repository: tuple[dict[str, Any], MotoS3 | None]) -> None:
    spec, s3 = repository
    home = tmp_path / "home"
    docs = [workflow(templates=[dag(("write", "write")), writer()],
                     parameters={"prefix": "a/../../../b"})]

    ran = run_workflow(docs, store=RunStore(home / "runs"), repository_spec=spec,
                       secrets_file=None if s3 is None else _s3_secrets(tmp_path, s3))

    nodes = {n["displayName"]: n for n in ran["status"]["nodes"].values()}
    assert nodes["write"]["phase"] == "Error"
    assert nodes["write"]["message"].startswith(
        "failed to save outputs: invalid artifact key 'a/../../../b/")
    assert ran["status"]["phase"] in ("Failed", "Error")
    assert files_outside(tmp_path, home) == []
    if s3 is not None:
        assert s3.client().list_objects_v2(Bucket=s3.bucket).get("KeyCount", 0) == 0


def _s3_secrets(tmp_path: Path, s3: MotoS3) -> Path:
    path = tmp_path / "home" / "secrets.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({SECRET_NAME: {"accesskey": s3.access_key,
                                                  "secretkey": s3.secret_key}}))
    return path


@pytest.mark.timeout(30)
def test_an_exception_inside_a_task_fails_that_task_and_the_run_ends(tmp_path: Path) -> None:
    # A deadline that is not a number raised inside the attempt, after its process had
    # started: the old engine waited for that task forever.
    docs = [workflow(templates=[dag(("a", "write")), writer(activeDeadlineSeconds="soon")])]

    ran = run_workflow(docs, store=RunStore(tmp_path / "runs"))

    nodes = {n["displayName"]: n for n in ran["status"]["nodes"].values()}
    assert nodes["a"]["phase"] == "Error"
    assert nodes["a"]["message"] == ("local engine error: ValueError: could not convert "
                                     "string to float: 'soon'")
    assert ran["status"]["phase"] == "Error"


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("name", "template", "where"), [
    ("../../escaped", "main", "Workflow: metadata.name"),
    ("paths", "x/../../y", "Workflow/paths: spec.templates[0].name")])
def test_cadencia_run_of_a_name_as_a_path_prints_one_line_and_exits_1(
        tmp_path: Path, name: str, template: str, where: str) -> None:
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(workflow(name, templates=[writer(template)],
                                                entrypoint=template)))
    home = tmp_path / "home"

    done = _cli(["run", "--env", str(manifest), "--home", str(home)], tmp_path)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: names Argo would refuse: {where}: "), line
    assert files_outside(tmp_path, home) == []
