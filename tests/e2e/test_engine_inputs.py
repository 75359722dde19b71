"""Which value an input parameter gets: the argument passed, else its own value, else its
default, as Argo's ProcessArgs decides."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_engine_conformance import Ran, docs_of
from workflows.engine import run_workflow
from workflows.runs.store import RunStore


def test_a_passed_argument_takes_precedence_over_the_inputs_own_value(tmp_path: Path):
    ran = Ran(run_workflow(docs_of("input_precedence.yaml"),
                           store=RunStore(tmp_path / "runs")))
    assert ran.phase == "Succeeded"
    assert ran.result("passed") == "from-workflow"
    assert ran.result("own") == "own-value"
    assert ran.result("defaulted") == "the-default"
