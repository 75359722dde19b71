"""``synchronization``: Argo's lock names, and what is refused before the run."""

from __future__ import annotations

from typing import Any

from workflows.engine import check
from workflows.engine.synchronization import mutex_names


def test_a_mutex_is_named_in_its_namespace_else_the_workflows():
    sync = {"mutexes": [{"name": "b"}, {"name": "a", "namespace": "etl"}], "mutex": {"name": "c"}}
    assert mutex_names(sync, "default") == ["default/Mutex/b", "etl/Mutex/a", "default/Mutex/c"]
    assert mutex_names(None, "default") == []


def _workflow(sync: dict[str, Any], where: str) -> list[dict[str, Any]]:
    main: dict[str, Any] = {"name": "main", "container": {"image": "alpine", "command": ["true"]}}
    spec: dict[str, Any] = {"entrypoint": "main", "templates": [main]}
    (spec if where == "spec" else main)["synchronization"] = sync
    return [{"kind": "Workflow", "metadata": {"name": "wf"}, "spec": spec}]


def test_a_mutex_given_twice_is_refused_where_argo_fails_it():
    sync = {"mutexes": [{"name": "x"}], "mutex": {"name": "x"}}
    for where, path in (("spec", "spec.synchronization"),
                        ("template", "spec.templates[0].synchronization")):
        assert check(_workflow(sync, where), "wf").problems == [
            f"Workflow/wf: {path}: a mutex given twice (Argo's sync manager fails it: "
            "duplicate synchronization item found)"]


def test_semaphores_stay_refused_at_both_levels():
    sync = {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}]}
    for where, path in (("spec", "spec.synchronization"),
                        ("template", "spec.templates[0].synchronization")):
        assert check(_workflow(sync, where), "wf").problems == [
            f"Workflow/wf: {path}.semaphores: semaphores are not implemented by the local "
            "engine"]
