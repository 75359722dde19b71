"""scripts/cluster-e2e.sh cannot run here (no Docker, no cluster), so everything local it
applies is rendered offline with `--render` (same helm arguments as the real run) and
checked: kubernetes-validate, cadencia lint, the chart goldens, and Secrets that cover
every secretKeyRef of the dev manifests. docs/deploy.md must give the same commands.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart_support import ROOT, golden, helm_path, pipelines, rendered, walk
from workflows.lint import lint_paths

SCRIPT = ROOT / "scripts" / "cluster-e2e.sh"
INSTALL = "cadencia charts/cadencia -n cadencia-dev -f charts/cadencia/values-dev.yaml"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("cluster-e2e")
    tools = str(Path(helm_path()).parent)
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "KUBECONFIG": os.devnull}
    proc = subprocess.run(["bash", str(SCRIPT), "--render", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {p.name: [d for d in yaml.safe_load_all(p.read_text()) if d]
            for p in sorted(out.glob("*.yaml"))}


def test_renders_each_stage(plan: dict[str, list[dict[str, Any]]]) -> None:
    assert list(plan) == ["00-namespace.yaml", "01-secrets.yaml", "02-postgres.yaml",
                          "02-sample-api.yaml", "03-chart.yaml", "04-submit.yaml",
                          "05-chart-with-cron.yaml"]


def test_core_kinds_pass_kubernetes_validate(plan: dict[str, list[dict[str, Any]]]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    core = [d for docs in plan.values() for d in docs if "argoproj.io" not in d["apiVersion"]]
    assert {d["kind"] for d in core} >= {"Namespace", "Secret", "Deployment", "Service",
                                         "ConfigMap", "ServiceAccount", "Role", "RoleBinding"}
    for doc in core:
        kubernetes_validate.validate(doc, "1.32.0", strict=True)


def test_everything_applied_passes_cadencia_lint(
        plan: dict[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    for name in ("00-namespace.yaml", "02-postgres.yaml", "02-sample-api.yaml",
                 "04-submit.yaml", "05-chart-with-cron.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump_all(plan[name]))
    assert [f.format() for f in lint_paths([tmp_path])] == []


def test_chart_stages_are_the_documented_install(plan: dict[str, list[dict[str, Any]]]) -> None:
    assert tuple(plan["03-chart.yaml"]) == rendered("dev")[1]
    assert "CronWorkflow" not in {d["kind"] for d in plan["03-chart.yaml"]}
    cron = [d for d in plan["05-chart-with-cron.yaml"] if d["kind"] == "CronWorkflow"]
    assert cron == [golden("dev")[f"{p}-daily"] for p in pipelines("dev")]  # every pipeline's
    submit = plan["04-submit.yaml"][0]
    assert submit["spec"]["workflowTemplateRef"] == {"name": "orders"}
    assert submit["metadata"]["namespace"] == "cadencia-dev"


def test_secrets_cover_every_reference(plan: dict[str, list[dict[str, Any]]]) -> None:
    have = {(s["metadata"]["name"], key) for s in plan["01-secrets.yaml"] for key in s["data"]}
    wanted = set()
    for name in ("02-postgres.yaml", "02-sample-api.yaml", "03-chart.yaml"):
        for _, value in walk(plan[name]):
            if isinstance(value, dict) and "secretKeyRef" in value:
                ref = value["secretKeyRef"]
                if not ref.get("optional"):
                    wanted.add((ref["name"], ref["key"]))
    chart = plan["03-chart.yaml"]
    repo = next(d for d in chart if d["metadata"]["name"] == "artifact-repositories")
    s3 = yaml.safe_load(repo["data"]["cadencia"])["s3"]
    wanted |= {(s3[k]["name"], s3[k]["key"]) for k in ("accessKeySecret", "secretKeySecret")}
    assert ("cadencia-source-db", "url") in wanted
    assert wanted <= have


def test_deploy_guide_gives_the_same_commands() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    script = SCRIPT.read_text()
    assert f"helm upgrade --install {INSTALL}" in guide
    assert f"helm upgrade {INSTALL} --set cronWorkflow.enabled=true" in guide
    assert 'CHART_ARGS=(cadencia charts/cadencia -n "$NS" -f charts/cadencia/values-dev.yaml)' \
        in script
    for line in ("argo submit -n cadencia-dev --from workflowtemplate/orders -p run-date=",
                 "argo cron list -n cadencia-dev",
                 "kubectl -n argo port-forward svc/argo-workflows-server 2746:2746",
                 "make cluster-e2e", "cannot run"):
        assert line in guide, line
