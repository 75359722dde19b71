"""The phase of a finished DAG, as Argo's ``assessDAGPhase`` decides it.

The target tasks (``dag.target``, default: the tasks nothing depends on) each give a
branch phase: their own, or for an Omitted task the phase of its dependencies, a failure
preferred (a task omitted because its parent failed carries that failure). A Failed or
Error branch fails the DAG unless the target's ``continueOn`` allows that phase; with
``dag.failFast`` (default true) the first such failure decides, else the last. A target
that never started (the workflow deadline or the template's ``failFast`` stopped it)
fails the DAG: in Argo it would hold the DAG Running, and no pass would start it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workflows.engine.nodes import FAILED

NodeOf = Callable[[str], "dict[str, Any] | None"]
DepsOf = Callable[[str], list[str]]


def targets(dag: Mapping[str, Any], names: list[str], deps: DepsOf) -> list[str]:
    if dag.get("target"):
        return str(dag["target"]).split()
    used = {d for name in names for d in deps(name)}
    return sorted(n for n in names if n not in used)


def branch_phase(name: str, node_of: NodeOf, deps: DepsOf,
                 seen: frozenset[str] = frozenset()) -> str | None:
    node = node_of(name)
    if node is None:
        return None
    if node["phase"] != "Omitted":
        return str(node["phase"])
    phases = [branch_phase(d, node_of, deps, seen | {name}) for d in deps(name)
              if d not in seen]
    bad = [p for p in phases if p in FAILED]
    return bad[0] if bad else "Succeeded"


def assess(target_names: list[str], node_of: NodeOf, deps: DepsOf,
           continue_on: Mapping[str, Mapping[str, Any]], fail_fast: bool) -> str:
    result = "Succeeded"
    for name in target_names:
        phase = branch_phase(name, node_of, deps)
        if phase is None:
            return "Failed"
        if phase in FAILED:
            if (continue_on.get(name) or {}).get("failed" if phase == "Failed" else "error"):
                continue
            result = phase
            if fail_fast:
                break
    return result
