"""Issue 6, case 12: the workflow deadline passes while a step is still running.

The compiled times are scaled down in the test's copy of the manifests, keeping their
order (SLA-watch warning < SLA < deadline): the workflow's ``activeDeadlineSeconds``
1800 -> 4, the soft SLA 900 s -> 2 s (notify's ``--sla-seconds`` and the
``cadencia_sla_misses`` metric's ``when``), the SLA watcher's delay 900 s -> 1 s. The API
hangs, so extract-http is still running when the deadline comes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.support import (
    Case,
    attempts,
    metrics,
    notices,
    set_flag,
    template,
)
from workflows.devservices.sample_api import Faults

pytestmark = pytest.mark.timeout(120)
DEADLINE, SLA, WARN_AFTER = 4, 2, 1


def scale_times(docs: list[dict[str, Any]]) -> None:
    (spec,) = [d["spec"] for d in docs if d.get("kind") == "WorkflowTemplate"]
    assert spec["activeDeadlineSeconds"] == 1800
    spec["activeDeadlineSeconds"] = DEADLINE
    (miss,) = [m for m in spec["metrics"]["prometheus"] if m["name"] == "cadencia_sla_misses"]
    assert miss["when"] == "{{workflow.duration}} > 900"
    miss["when"] = f"{{{{workflow.duration}}}} > {SLA}"
    set_flag(docs, "notify", "--sla-seconds", str(SLA))
    set_flag(docs, "sla-watch", "--delay-seconds", str(WARN_AFTER))
    assert template(docs, "sla-watch")["daemon"] is True


def test_deadline_stops_the_running_step_notify_still_runs_and_the_sla_miss_is_counted(
        case: Case) -> None:
    case.seed()
    scale_times(case.docs)
    case.settings["CADENCIA_HTTP_READ_TIMEOUT"] = "60"  # the step itself would wait on

    out = case.run(faults=Faults(hang_first=10**6, hang_s=30.0))

    run = out.run
    assert run.phase == "Failed", run.describe()
    assert DEADLINE <= run.seconds < DEADLINE + 15
    (pod,) = attempts(run, "extract-http")
    assert (pod["phase"], pod["message"]) == ("Failed", "Step exceeded its deadline")
    assert run.node("extract-http")["message"].startswith("retry exceeded workflow deadline")
    assert run.node("extract-sql")["phase"] == "Succeeded"  # done before the deadline
    for step in ("clean", "transform", "validate", "load"):
        assert run.node(step)["phase"] in ("Omitted", "Failed"), run.describe()
    assert case.sql("SELECT to_regclass('vendas')") == [(None,)]

    exit_handler = run.node(f"{run.name}.onExit")  # the deadline does not touch it
    assert exit_handler["phase"] == "Succeeded", run.describe()
    (notice,) = notices(run)
    assert notice["status"] == "Failed" and notice["sla_verdict"] == "missed", notice
    assert "extract-http" in {f["template"] for f in notice["failures"]}
    (watch,) = attempts(run, "sla-watch")
    warned = [r["notification"] for r in run.json_log(watch) if "notification" in r]
    assert [w["sla_verdict"] for w in warned] == ["at-risk"]  # the soft SLA warned first
    assert 'argo_workflows_cadencia_sla_misses{environment="local",pipeline="orders"} 1' in \
        metrics(run).splitlines()
