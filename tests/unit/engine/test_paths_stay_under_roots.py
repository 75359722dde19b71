"""Run folders, sandboxes and local artifact objects stay under their roots (case 6).

The loader already refuses names that would escape; these prove the second line: a path
is resolved (``..`` and symbolic links) and compared with its root before it is used.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.argo.names import field_name_problem, generate_name_problem, object_name_problem
from workflows.engine.artifacts import ArtifactError, LocalRepository
from workflows.engine.artifacts.sandbox import Sandbox
from workflows.runs.store import RunStore


def test_a_run_name_that_would_leave_the_store_makes_no_folder(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "home" / "runs")

    with pytest.raises(ValueError, match="cannot name a run folder"):
        store.new_run("../../escaped")

    assert sorted(p.name for p in tmp_path.rglob("*")) == ["home", "runs"]


def test_a_pod_name_holding_a_path_gets_no_sandbox(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot name a sandbox folder"):
        Sandbox(tmp_path / "sandbox", "run-x/../../../y-1")

    assert list(tmp_path.iterdir()) == []


def test_an_output_a_step_made_a_symlink_out_of_its_sandbox_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("not for the artifact store")
    box = Sandbox(tmp_path / "sandbox", "run-write-1")
    (box.root / "out").mkdir()
    (box.root / "out" / "data.txt").symlink_to(secret)

    with pytest.raises(ValueError, match="outside"):
        box.path("/out/data.txt")


def test_a_local_artifact_key_through_a_symlink_out_of_the_repository_is_refused(
        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = tmp_path / "artifacts"
    store.mkdir()
    (store / "run").symlink_to(outside)
    src = tmp_path / "data.txt"
    src.write_text("rows\n")
    repo = LocalRepository(store)

    with pytest.raises(ArtifactError, match="outside"):
        repo.put(src, "run/pod/data.txt", archive="none")

    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(("name", "kind", "ok"), [
    ("cadencia-etl", "WorkflowTemplate", True),
    ("cadencia.etl-2", "Workflow", True),
    ("../x", "Workflow", False),
    ("Cadencia", "Workflow", False),
    ("a" * 63, "Workflow", True),
    ("a" * 64, "Workflow", False),
    ("a" * 53, "CronWorkflow", False)])
def test_object_names_follow_kubernetes_and_argo(name: str, kind: str, ok: bool) -> None:
    assert (object_name_problem(name, kind) is None) is ok


@pytest.mark.parametrize(("prefix", "ok"), [("cadencia-etl-", True), ("x-", True),
                                            ("../x-", False), ("a/b-", False)])
def test_generate_name_prefixes_follow_kubernetes(prefix: str, ok: bool) -> None:
    assert (generate_name_problem(prefix) is None) is ok


@pytest.mark.parametrize(("name", "ok"), [("extract-http", True), ("Main2", True),
                                          ("x/../../y", False), ("-a", False),
                                          ("a_b", False), ("a" * 129, False)])
def test_template_and_task_names_follow_argo(name: str, ok: bool) -> None:
    assert (field_name_problem(name, "template") is None) is ok
