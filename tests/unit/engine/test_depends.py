"""DAG ``depends`` and ``dependencies`` as Argo's controller evaluates them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from workflows.engine.expr import (
    TaskState,
    UnsupportedExpression,
    dependencies_to_depends,
    depends_tasks,
    evaluate_depends,
)

PHASES = ["Succeeded", "Failed", "Error", "Skipped", "Omitted"]

# A bare name is (task.Succeeded || task.Skipped || task.Daemoned).
BARE = {"Succeeded": True, "Skipped": True, "Failed": False, "Error": False, "Omitted": False}


@pytest.mark.parametrize("phase", PHASES)
def test_a_bare_task_name_accepts_succeeded_and_skipped_only(phase: str) -> None:
    assert evaluate_depends("a", {"a": phase}) is BARE[phase]


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize(
    ("result", "true_for"),
    [("Succeeded", "Succeeded"), ("Failed", "Failed"), ("Errored", "Error"),
     ("Skipped", "Skipped"), ("Omitted", "Omitted")],
)  # fmt: skip
def test_each_result_matches_its_phase(phase: str, result: str, true_for: str) -> None:
    assert evaluate_depends(f"a.{result}", {"a": phase}) is (phase == true_for)


CASES: list[tuple[str, Mapping[str, Any], bool]] = [
    ("a && b", {"a": "Succeeded", "b": "Skipped"}, True),
    ("a && b", {"a": "Succeeded", "b": "Failed"}, False),
    ("a || b.Failed", {"a": "Omitted", "b": "Failed"}, True),
    ("(a-1.Succeeded || a-1.Skipped) && !b_2.Failed", {"a-1": "Skipped", "b_2": "Error"}, True),
    ("(a-1.Succeeded || a-1.Skipped) && !b_2.Failed", {"a-1": "Skipped", "b_2": "Failed"}, False),
    ("!a", {"a": "Failed"}, True),
    ("!!a", {"a": "Failed"}, False),
    ("a && b || c", {"a": "Failed", "b": "Succeeded", "c": "Succeeded"}, True),  # && binds first
    ("a && (b || c)", {"a": "Failed", "b": "Succeeded", "c": "Succeeded"}, False),
    ("  a&&b  ", {"a": "Succeeded", "b": "Succeeded"}, True),
    ("extract-http && x-sql", {"extract-http": "Succeeded", "x-sql": "Succeeded"}, True),
    # Daemoned: a daemon past Pending; it counts as finished while still Running
    ("watch", {"watch": TaskState("Running", daemoned=True)}, True),
    ("watch.Daemoned", {"watch": TaskState("Running", daemoned=True)}, True),
    ("watch.Daemoned && watch.Succeeded", {"watch": TaskState("Succeeded", daemoned=True)}, True),
    ("watch.Succeeded", {"watch": TaskState("Running", daemoned=True)}, False),
    ("a.Daemoned", {"a": "Succeeded"}, False),
    # fanned-out tasks: the group's phase, and its items' phases for AnySucceeded / AllFailed
    ("fan.AnySucceeded", {"fan": TaskState("Failed", children=("Failed", "Succeeded"))}, True),
    ("fan.AnySucceeded", {"fan": TaskState("Failed", children=("Failed", "Error"))}, False),
    ("fan.AllFailed", {"fan": TaskState("Failed", children=("Failed", "Failed"))}, True),
    ("fan.AllFailed", {"fan": TaskState("Failed", children=("Failed", "Error"))}, False),
    ("fan.AllFailed", {"fan": TaskState("Succeeded", children=())}, False),  # no items
    ("fan.AnySucceeded", {"fan": "Succeeded"}, False),  # not a task group
    ("fan", {"fan": TaskState("Succeeded", children=("Succeeded", "Skipped"))}, True),
    ("", {}, True),  # no dependencies: ready
]


@pytest.mark.parametrize(("expr", "results", "expected"), CASES)
def test_depends(expr: str, results: Mapping[str, Any], expected: bool) -> None:
    assert evaluate_depends(expr, results) is expected


@pytest.mark.parametrize(
    ("expr", "results"),
    [
        ("a", {}),  # not started
        ("a", {"a": "Pending"}),
        ("a.Failed", {"a": "Running"}),
        ("a || b", {"a": "Succeeded", "b": "Running"}),  # waits for every task it names
        ("a && b", {"a": "Failed"}),
        ("d.Daemoned", {"d": TaskState("Pending", daemoned=True)}),
    ],
)
def test_nothing_is_decided_before_every_named_task_is_fulfilled(
    expr: str, results: Mapping[str, Any]
) -> None:
    assert evaluate_depends(expr, results) is None


@pytest.mark.parametrize(
    ("continue_on", "phase", "expected"),
    [({"failed": True}, "Failed", True), ({"failed": True}, "Error", False),
     ({"error": True}, "Error", True), ({"error": True}, "Failed", False),
     ({"error": True, "failed": True}, "Error", True), ({}, "Failed", False)],
)  # fmt: skip
def test_continue_on_widens_a_bare_name(
    continue_on: dict[str, bool], phase: str, expected: bool
) -> None:
    assert evaluate_depends("a", {"a": phase}, continue_on={"a": continue_on}) is expected
    # an explicit result is not widened
    assert evaluate_depends("a.Succeeded", {"a": phase}, continue_on={"a": continue_on}) is False


def test_dependencies_are_a_conjunction_of_bare_names() -> None:
    depends = dependencies_to_depends(["extract-http", "extract-sql"])
    assert depends == "extract-http && extract-sql"
    both = {"extract-http": "Succeeded", "extract-sql": "Skipped"}
    assert evaluate_depends(depends, both) is True
    assert evaluate_depends(depends, both | {"extract-sql": "Failed"}) is False
    assert evaluate_depends(dependencies_to_depends([]), {}) is True


def test_depends_tasks_lists_every_named_task() -> None:
    assert depends_tasks("(a.Succeeded || b-2) && !c.AllFailed || a") == {"a", "b-2", "c"}
    assert depends_tasks("") == frozenset()


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("a.Completed", "task result 'Completed' for task 'a' is invalid"),
        ("a.succeeded", "task result 'succeeded' for task 'a' is invalid"),
        ("a.Any", "task result 'Any' for task 'a' is invalid"),
        ("a &&", "depends ends where a task was expected"),
        ("a b", "unexpected 'b'"),
        ("(a || b", "a '(' is not closed"),
        ("a )", "unexpected ')'"),
        ("a & b", "unexpected '&'"),
        ("a == b", "unexpected '='"),
        ("(" * 40 + "a" + ")" * 40, "nested deeper than 32"),
        ("a || " * 1000 + "a", "longer than 4096"),
    ],
)
def test_invalid_depends_is_refused_before_anything_runs(expr: str, message: str) -> None:
    with pytest.raises(UnsupportedExpression) as caught:
        depends_tasks(expr)
    assert message in str(caught.value)
    with pytest.raises(UnsupportedExpression):
        evaluate_depends(expr, {"a": "Succeeded", "b": "Succeeded"})


def test_an_unknown_phase_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown phase 'Done'"):
        evaluate_depends("a", {"a": "Done"})
