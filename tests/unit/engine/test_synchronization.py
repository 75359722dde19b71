"""``synchronization``: Argo's lock names and limits, and what is refused before the run."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine import check
from workflows.engine.config_maps import ConfigMaps
from workflows.engine.synchronization import Lock, SyncError, lock_names, locks


def _cm(name: str, data: dict[str, str], namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_locks_are_named_in_their_namespace_else_the_workflows_semaphores_first():
    sync = {"mutexes": [{"name": "b"}, {"name": "a", "namespace": "etl"}], "mutex": {"name": "c"},
            "semaphore": {"configMapKeyRef": {"name": "limits", "key": "k"}}}
    assert lock_names(sync, "default") == [
        "default/ConfigMap/limits/k", "default/Mutex/b", "etl/Mutex/a", "default/Mutex/c"]
    assert lock_names(None, "default") == []


def test_a_semaphore_takes_its_limit_from_its_config_map_no_label_needed():
    maps = ConfigMaps.from_docs([_cm("limits", {"k": "3"}), _cm("limits", {"k": "5"}, "etl")],
                                "default")
    sync = {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}},
                           {"configMapKeyRef": {"name": "limits", "key": "k"},
                            "namespace": "etl"}]}
    assert locks(sync, "default", maps) == [Lock("default/ConfigMap/limits/k", 3),
                                            Lock("etl/ConfigMap/limits/k", 5)]
    assert Lock("default/ConfigMap/limits/k", 3).waiting_message() == (
        "Waiting for default/ConfigMap/limits/k lock. Lock status: 0/3")


@pytest.mark.parametrize("data", [{}, {"k": "0"}, {"k": "three"}, {"k": " 3"}])
def test_a_semaphore_without_a_usable_limit_cannot_be_initialized(data):
    maps = ConfigMaps.from_docs([_cm("limits", data)], "default")
    sync = {"semaphores": [{"configMapKeyRef": {"name": "limits", "key": "k"}}]}
    with pytest.raises(SyncError) as caught:
        locks(sync, "default", maps)
    assert str(caught.value) == (
        "failed to initialize semaphore default/ConfigMap/limits/k with limit")


def _workflow(sync: dict[str, Any], where: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    main: dict[str, Any] = {"name": "main", "container": {"image": "alpine", "command": ["true"]}}
    spec: dict[str, Any] = {"entrypoint": "main", "templates": [main]}
    (spec if where == "spec" else main)["synchronization"] = sync
    return [{"kind": "Workflow", "metadata": {"name": "wf"}, "spec": spec}, *extra]


LEVELS = (("spec", "spec.synchronization"), ("template", "spec.templates[0].synchronization"))


@pytest.mark.parametrize("where, path", LEVELS)
def test_a_lock_given_twice_is_refused_where_argo_fails_it(where, path):
    for sync in ({"mutexes": [{"name": "x"}], "mutex": {"name": "x"}},
                 {"semaphores": [{"configMapKeyRef": {"name": "c", "key": "k"}}] * 2}):
        assert check(_workflow(sync, where, _cm("c", {"k": "1"})), "wf").problems == [
            f"Workflow/wf: {path}: a lock given twice (Argo's sync manager fails it: "
            "duplicate synchronization item found)"]


@pytest.mark.parametrize("where, path", LEVELS)
def test_semaphores_without_a_key_or_with_a_negative_limit_or_a_database_are_refused(
        where, path):
    sync = {"semaphores": [{"configMapKeyRef": {"name": "c"}},
                           {"configMapKeyRef": {"name": "c", "key": "k"}},
                           {"database": {"key": "d"}}]}
    assert check(_workflow(sync, where, _cm("c", {"k": "-1"})), "wf").problems == [
        f"Workflow/wf: {path}.semaphores[2].database: database semaphores are not "
        "implemented by the local engine",
        f"Workflow/wf: {path}.semaphores[0].configMapKeyRef: a semaphore needs a ConfigMap "
        "name and key",
        f"Workflow/wf: {path}.semaphores[1].configMapKeyRef: ConfigMap 'c' gives the "
        "semaphore a negative limit (-1)"]
