"""charts/cadencia with the real helm binary: lint, render, goldens, validation, schema.

Each environment is rendered with the values file docs/deploy.md installs it with; the
Argo kinds must equal the compiled manifests of every pipeline (so Argo's {{...}} never
went through Helm), core kinds must pass kubernetes-validate, Argo kinds `cadencia lint`.
tests/deploy/test_chart_pipelines.py covers the pipelines themselves (one per folder,
renamed, added, left out).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart_support import (
    ARGO_KINDS,
    CHART,
    COMPILED,
    CREDENTIAL_URL,
    ENVS,
    ROOT,
    SECRET_NAME,
    golden,
    helm,
    namespace,
    pipelines,
    rendered,
    template,
    values_args,
    walk,
)
from workflows.lint import lint_paths

CRON_ON = ("--set", "cronWorkflow.enabled=true")
SCENARIOS = sorted(p.name for p in (CHART / "ci").glob("*-values.yaml"))
K8S_VERSION = "1.32.0"


def _kinds(docs: tuple[dict[str, Any], ...]) -> list[str]:
    return sorted(d["kind"] for d in docs)


def test_chart_version_is_the_package_and_image_version() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    found = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found
    version = found.group(1)
    assert chart["version"] == chart["appVersion"] == version
    for env in ENVS:
        images = {v for _, v in walk(golden(env)) if isinstance(v, str)
                  and v.startswith("ghcr.io/cadencia/cadencia:")}
        assert images == {f"ghcr.io/cadencia/cadencia:{version}"}, env


def test_chart_copies_of_the_compiled_manifests_are_fresh() -> None:
    for env in ENVS:
        compiled = {str(p.relative_to(COMPILED / env)): p.read_bytes()
                    for p in (COMPILED / env).rglob("*.yaml")}
        copies = {str(p.relative_to(CHART / "files" / env)): p.read_bytes()
                  for p in (CHART / "files" / env).rglob("*.yaml")}
        assert compiled, env
        stale = sorted(n for n in compiled.keys() | copies.keys()
                       if compiled.get(n) != copies.get(n))
        assert not stale, f"charts/cadencia/files/{env} stale: {stale}; run scripts/chart-sync.sh"


@pytest.mark.parametrize("values", [f"values-{e}.yaml" for e in ENVS]
                         + [f"ci/{s}" for s in SCENARIOS])
def test_helm_lint_strict_passes(values: str) -> None:
    env = yaml.safe_load((CHART / values).read_text())["environment"]
    proc = helm("lint", "--strict", str(CHART), "-n", namespace(env), "-f", str(CHART / values))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize("env", ENVS)
def test_rendered_argo_kinds_equal_the_compiled_goldens(env: str) -> None:
    text, docs = rendered(env, *CRON_ON)
    argo = {d["metadata"]["name"]: d for d in docs if d["kind"] in ARGO_KINDS}
    assert argo == golden(env)
    assert "'{{workflow.name}}'" in text and "{{=sprig.dateInZone(" in text
    assert "workflow.scheduledTime), ''America/Sao_Paulo'')" in text  # Helm left it alone


@pytest.mark.parametrize("env", ENVS)
def test_every_object_lands_in_the_compiled_namespace(env: str) -> None:
    _, docs = rendered(env, *CRON_ON)
    assert {d["metadata"]["namespace"] for d in docs} == {namespace(env)}
    count = len(pipelines(env))
    assert count >= 2  # orders and customer-payments
    assert _kinds(docs) == sorted(
        ["ConfigMap"] * 3 + ["CronWorkflow"] * count + ["Role", "RoleBinding"]
        + ["ServiceAccount"] * 2 + ["WorkflowTemplate"] * 2 * count
        + (["PrometheusRule"] if env != "dev" else []))


@pytest.mark.parametrize("env", ENVS)
def test_rendered_core_kinds_pass_kubernetes_validate(env: str) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    _, docs = rendered(env, *CRON_ON)
    core = [d for d in docs if d["apiVersion"] in ("v1", "rbac.authorization.k8s.io/v1")]
    assert len(core) == 7
    for doc in core:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("env", ENVS)
def test_rendered_argo_kinds_pass_cadencia_lint(env: str, tmp_path: Path) -> None:
    _, docs = rendered(env, *CRON_ON)
    for i, doc in enumerate(docs):
        (tmp_path / f"{i:02d}-{doc['kind']}.yaml").write_text(yaml.safe_dump(doc))
    assert [f.format() for f in lint_paths([tmp_path])] == []


@pytest.mark.parametrize("env", ENVS)
def test_chart_objects_are_the_ones_the_manifests_reference(env: str) -> None:
    _, docs = rendered(env, *CRON_ON)
    have = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for doc in (d for d in docs if d["kind"] == "WorkflowTemplate"):
        spec = doc["spec"]
        assert ("ServiceAccount", spec["serviceAccountName"]) in have
        assert ("ServiceAccount", spec["executor"]["serviceAccountName"]) in have
        ref = spec["artifactRepositoryRef"]
        repo = next(d for d in docs if d["metadata"]["name"] == ref["configMap"])
        s3 = yaml.safe_load(repo["data"][ref["key"]])["s3"]
        assert s3["keyFormat"] == (
            "cadencia/{{inputs.parameters.run-date}}/{{workflow.name}}/{{pod.name}}")
        for path, value in walk(spec):
            if path and path[-1] in ("configMapRef", "configMap") and isinstance(value, dict):
                assert ("ConfigMap", value["name"]) in have, (path, value)
    memo = [d for d in docs if d["metadata"]["name"] == "cadencia-memo-cache"]
    assert memo[0]["metadata"]["labels"]["workflows.argoproj.io/configmap-type"] == "Cache"
    binding = next(d for d in docs if d["kind"] == "RoleBinding")
    assert {("ServiceAccount", s["name"]) for s in binding["subjects"]} <= have


@pytest.mark.parametrize("env", ENVS)
def test_every_pod_template_runs_restricted(env: str) -> None:
    _, docs = rendered(env, *CRON_ON)
    pods = 0
    for doc in (d for d in docs if d["kind"] == "WorkflowTemplate"):
        for tmpl in doc["spec"]["templates"]:
            container = tmpl.get("container") or tmpl.get("script")
            if container is None:
                continue
            pods += 1
            pod = {**doc["spec"].get("securityContext", {}), **tmpl.get("securityContext", {})}
            assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, tmpl["name"]
            assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, tmpl["name"]
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False, tmpl["name"]
            assert ctx["capabilities"]["drop"] == ["ALL"], tmpl["name"]
            assert ctx["readOnlyRootFilesystem"] is True, tmpl["name"]
        assert doc["spec"]["automountServiceAccountToken"] is False
    assert pods >= 9


@pytest.mark.parametrize("values", [f"values-{e}.yaml" for e in ENVS] + ["ci/full-values.yaml"])
def test_no_rendered_object_holds_a_secret_value(values: str) -> None:
    env = yaml.safe_load((CHART / values).read_text())["environment"]
    text = template("-n", namespace(env), "-f", str(CHART / values), *CRON_ON)
    docs = [d for d in yaml.safe_load_all(text) if d]
    assert "Secret" not in _kinds(tuple(docs))
    for doc in docs:
        for path, value in walk(doc):
            if isinstance(value, dict) and "name" in value and SECRET_NAME.search(
                    str(value["name"])):
                assert "value" not in value, (doc["metadata"]["name"], path)
            if doc["kind"] == "ConfigMap" and len(path) == 2 and path[0] == "data":
                assert not SECRET_NAME.search(str(path[1])), (doc["metadata"]["name"], path)
            if isinstance(value, str):
                assert not CREDENTIAL_URL.search(value), (doc["metadata"]["name"], path)


@pytest.mark.parametrize("bad", [
    "prometheusRule:\n  enabled: 'yes'\n",
    "schedule: 5\n",
    "cronWorkflow:\n  enabled: 'true'\n",
    "argoServer:\n  port: '2746'\n",
    "settings:\n  CADENCIA_NOTIFY_SMTP_PORT: 587\n",
    "settings:\n  CADENCIA_NOTIFY_SMTP_PASSWORD: hunter2\n",
    "environment: qa\n",
])
def test_values_of_the_wrong_type_fail_helm_lint(bad: str, tmp_path: Path) -> None:
    values = tmp_path / "bad-values.yaml"
    values.write_text(bad if bad.startswith("environment") else "environment: dev\n" + bad)
    proc = helm("lint", "--strict", str(CHART), "-n", "cadencia-dev", "-f", str(values))
    assert proc.returncode != 0
    assert "values don't meet the specifications of the schema" in proc.stdout, proc.stdout


@pytest.mark.parametrize("env", ENVS)
def test_notes_give_the_argo_commands_and_every_secret(env: str) -> None:
    proc = helm("install", "--dry-run=client", "cadencia", str(CHART), *values_args(env))
    assert proc.returncode == 0, proc.stderr
    notes = proc.stdout.split("NOTES:", 1)[1]
    ns = namespace(env)
    for pipeline in pipelines(env):
        assert f"argo submit -n {ns} --from workflowtemplate/{pipeline} -p run-date=" in notes
    assert f"argo cron list -n {ns}" in notes
    assert "kubectl -n argo port-forward svc/argo-workflows-server 2746:2746" in notes
    refs = {(v["secretKeyRef"]["name"], v["secretKeyRef"]["key"])
            for _, v in walk(golden(env)) if isinstance(v, dict) and "secretKeyRef" in v}
    assert refs
    for name, key in refs:
        assert f"create secret generic {name} " in notes and f"--from-literal={key}=..." in notes


def test_prometheus_rule_alerts_on_the_compiled_metrics_of_every_pipeline() -> None:
    _, docs = rendered("staging")
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    groups = {g["name"]: g["rules"] for g in rule["spec"]["groups"]}
    assert set(groups) == {f"cadencia.staging.{p}" for p in pipelines("staging")}
    metrics = {v["name"] for _, v in walk(golden("staging"))
               if isinstance(v, dict) and "help" in v and "name" in v}
    for pipeline in pipelines("staging"):
        alerts = {r["alert"]: r for r in groups[f"cadencia.staging.{pipeline}"]}
        assert set(alerts) == {"CadenciaWorkflowFailed", "CadenciaSLAMissed",
                               "CadenciaNoSuccess", "CadenciaRetriesSpiking"}
        for alert in alerts.values():
            used = set(re.findall(r"argo_workflows_(\w+)\{", alert["expr"]))
            assert used and used <= metrics, alert["alert"]
            # never prod's runs, nor another pipeline's
            assert f'environment="staging", pipeline="{pipeline}"' in alert["expr"]
            assert alert["labels"]["pipeline"] == pipeline
        assert "{{ $labels.step }}" in alerts["CadenciaWorkflowFailed"]["annotations"]["summary"]
        assert "[26h]" in alerts["CadenciaNoSuccess"]["expr"]
    # each pipeline's own load steps, whatever they are called
    assert 'step=~"load"' in next(r["expr"] for r in groups["cadencia.staging.orders"]
                                   if r["alert"] == "CadenciaNoSuccess")
    assert 'step=~"load-customers|load-payments"' in next(
        r["expr"] for r in groups["cadencia.staging.customer-payments"]
        if r["alert"] == "CadenciaNoSuccess")


def test_minimal_scenario_installs_only_the_manifests_and_settings() -> None:
    text = template("-n", "cadencia-staging", "-f", str(CHART / "ci" / "minimal-values.yaml"))
    docs = tuple(d for d in yaml.safe_load_all(text) if d)
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("ConfigMap", "cadencia-settings")] + [
        ("WorkflowTemplate", p) for p in pipelines("staging")]


def test_every_values_key_is_documented() -> None:
    lines = (CHART / "values.yaml").read_text().splitlines()
    undocumented = []
    for i, line in enumerate(lines):
        found = re.match(r"^(\s*)([A-Za-z][\w-]*):\s*(\S.*)?$", line)
        if not found or found.group(3) is None:
            continue  # a parent key: its leaves carry the documentation
        j = i - 1
        while j >= 0 and lines[j].strip().startswith("#") and "# --" not in lines[j]:
            j -= 1
        if j < 0 or "# --" not in lines[j]:
            undocumented.append(found.group(2))
    assert undocumented == []
