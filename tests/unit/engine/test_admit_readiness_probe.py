"""A readinessProbe changes nothing of a non-daemon's node (accepted, cluster-only); on a
daemon it decides when the steps after it start, which the engine does not probe."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine import check

PROBE = {"tcpSocket": {"port": 9999}, "initialDelaySeconds": 1, "timeoutSeconds": 1}


def workflow(probe: Any, **template: Any) -> dict[str, Any]:
    main = {"name": "main", "container": {"image": "alpine:3.20", "command": ["true"],
                                          "readinessProbe": probe}, **template}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w"},
            "spec": {"entrypoint": "main", "templates": [main]}}


def test_a_readiness_probe_of_a_non_daemon_is_accepted_and_listed():
    found = check([workflow(PROBE)], "w")
    assert found.problems == []
    assert found.cluster_only == ["Workflow/w: spec.templates[0].container.readinessProbe"]


def test_a_readiness_probe_of_a_daemon_is_refused():
    assert check([workflow(PROBE, daemon=True)], "w").problems == [
        "Workflow/w: spec.templates[0].container.readinessProbe: a daemon's readinessProbe "
        "decides when the steps after it start; probes are not implemented by the local "
        "engine"]


@pytest.mark.parametrize("probe", [
    {"initialDelaySeconds": 1}, {"tcpSocket": {"port": 1}, "exec": {"command": ["true"]}},
    {"tcpSocket": {"port": 1}, "periodSeconds": "10"}, {"tcpSocket": {"port": 1}, "bogus": 1},
    "tcp",
])
def test_a_probe_the_api_server_would_not_take_is_refused(probe):
    problems = check([workflow(probe)], "w").problems
    assert problems and all(p.startswith("Workflow/w: spec.templates[0].container.readinessProbe")
                            for p in problems)


@pytest.mark.parametrize("kind", ["livenessProbe", "startupProbe"])
def test_liveness_and_startup_probes_stay_refused(kind):
    doc = workflow(PROBE)
    doc["spec"]["templates"][0]["container"][kind] = doc["spec"]["templates"][0]["container"].pop(
        "readinessProbe")
    assert check([doc], "w").problems
