"""``cadencia run --env``, repeated: which manifest files a run reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.local_run import PipelineChoiceError, manifest_paths


def test_several_paths_give_their_files_in_order_each_once(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.yaml"
    support = tmp_path / "support"
    support.mkdir()
    for path in (workflow, support / "b.yaml", support / "a.yaml"):
        path.write_text("kind: ConfigMap\n")
    files, pipeline = manifest_paths((str(workflow), str(support), str(workflow)), None)
    assert files == [workflow, support / "a.yaml", support / "b.yaml"]
    assert pipeline is None


def test_a_compiled_environment_is_not_combined_with_other_paths(tmp_path: Path) -> None:
    workflow = tmp_path / "wf.yaml"
    workflow.write_text("kind: Workflow\n")
    with pytest.raises(PipelineChoiceError, match="local is none"):
        manifest_paths((str(workflow), "local"), None)
