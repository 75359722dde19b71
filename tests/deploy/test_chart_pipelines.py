"""charts/cadencia ships every pipeline of its environment, and names none of them.

Each environment's pipelines (k8s/workflows/<env>/<pipeline>/, copied to the chart's
files/<env>/<pipeline>/) render as their compiled WorkflowTemplate, CronWorkflow and
backfill, verbatim, passing the vendored Argo schema and `cadencia lint`. In a copy of the
project, renaming a pipeline is its `name:` field and `make compile`'s two commands, and
a second pipeline is two new files: the chart, its NOTES and its alerts follow.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart_support import (
    ARGO_KINDS,
    CHART,
    COMPILED,
    ENVS,
    compile_and_sync,
    docs,
    golden,
    helm,
    namespace,
    notes,
    pipelines,
    project_copy,
    rendered,
    template,
    values_args,
    walk,
)
from tests.deploy.manifests import require_tool
from workflows.lint import lint_paths, schema
from workflows.lint.loader import Document

CRON_ON = ("--set", "cronWorkflow.enabled=true")
SUFFIXES = ("", "-daily", "-backfill")


def _argo(docs_: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, Any]:
    return {d["metadata"]["name"]: d for d in docs_ if d["kind"] in ARGO_KINDS}


def _values(project: Path, env: str, *extra: str) -> list[str]:
    chart = project / "charts" / "cadencia"
    return ["-n", namespace(env), "-f", str(chart / f"values-{env}.yaml"), *CRON_ON, *extra]


@pytest.mark.parametrize("env", ENVS)
def test_each_environment_renders_every_pipelines_three_manifests_verbatim(
        env: str, tmp_path: Path) -> None:
    text, found = rendered(env, *CRON_ON)
    names = pipelines(env)
    assert {"orders", "customer-payments"} <= set(names)
    argo = _argo(found)
    assert set(argo) == {p + s for p in names for s in SUFFIXES}
    for pipeline in names:
        for suffix, kind in zip(SUFFIXES, ("WorkflowTemplate", "CronWorkflow",
                                           "WorkflowTemplate"), strict=True):
            compiled = (COMPILED / env / pipeline / f"{pipeline}{suffix}.yaml").read_text()
            assert compiled in text  # byte for byte: Helm never evaluated it
            doc = argo[pipeline + suffix]
            assert doc == yaml.safe_load(compiled) and doc["kind"] == kind
            assert schema.check(Document(f"{pipeline}{suffix}.yaml", 0, doc)) == []
    for i, doc in enumerate(found):
        (tmp_path / f"{i:02d}-{doc['kind']}.yaml").write_text(yaml.safe_dump(doc))
    assert [f.format() for f in lint_paths([tmp_path])] == []


def test_renaming_a_pipeline_is_one_field_and_the_chart_follows(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    settings = project / "workflows" / "pipelines" / "orders.yaml"
    text = settings.read_text()
    assert text.count("\nname: orders\n") == 1
    settings.write_text(text.replace("\nname: orders\n", "\nname: sales\n"))
    compile_and_sync(project)

    chart = project / "charts" / "cadencia"
    for env in ENVS:
        assert not (chart / "files" / env / "orders").exists(), env  # chart-sync removed it
        found = docs(template(*_values(project, env), chart=chart))
        argo = _argo(found)
        assert {"sales", "sales-daily", "sales-backfill"} <= set(argo), env
        cron = argo["sales-daily"]["spec"]["workflowSpec"]
        assert cron["workflowTemplateRef"] == {"name": "sales"}
        named_orders = [(d["metadata"]["name"], path) for d in found for path, v in walk(d)
                        if isinstance(v, str) and re.fullmatch(r"orders(-.*)?", v)]
        assert named_orders == [], env
        assert set(argo) == {p + s for p in pipelines(env, project / "k8s" / "workflows")
                             for s in SUFFIXES}
    listing = notes(*_values(project, "prod"), chart=chart)
    assert "--from workflowtemplate/sales -p run-date=" in listing
    assert "workflowtemplate/orders" not in listing and "cronwf/orders" not in listing


def test_two_pipelines_both_render_with_their_own_config_maps_and_notes_list_both(
        tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    folder = project / "workflows" / "pipelines"
    (folder / "refunds.py").write_text((folder / "orders.py").read_text())
    settings = (folder / "orders.yaml").read_text()
    assert "\nname: orders\n" in settings and "    table: vendas\n" in settings
    (folder / "refunds.yaml").write_text(
        settings.replace("\nname: orders\n", "\nname: refunds\n")
        .replace("    table: vendas\n", "    table: refunds\n")
        + "\nmemo:\n  config_map: refunds-memo-cache\n"
        + "settings_config_map: refunds-settings\n")
    compile_and_sync(project)

    chart = project / "charts" / "cadencia"
    for env in ENVS:
        found = docs(template(*_values(project, env), chart=chart))
        argo = _argo(found)
        assert argo == golden(env, project / "k8s" / "workflows")
        for pipeline in ("orders", "refunds"):
            assert {pipeline + s for s in SUFFIXES} <= set(argo), env
        load = next(t for t in argo["refunds"]["spec"]["templates"] if t["name"] == "load")
        assert "--table" in load["container"]["args"]
        assert load["container"]["args"][load["container"]["args"].index("--table") + 1] \
            == "refunds"
        have = {(d["kind"], d["metadata"]["name"]) for d in found}
        # the chart creates what each pipeline references, once
        assert {("ConfigMap", n) for n in ("cadencia-memo-cache", "refunds-memo-cache",
                                           "cadencia-settings", "refunds-settings")} <= have
        assert len(have) == len(found)
        for doc in argo.values():
            for path, value in walk(doc["spec"]):
                if path and path[-1] in ("configMapRef", "configMap") and isinstance(value,
                                                                                     dict):
                    assert ("ConfigMap", value["name"]) in have, (path, value)
        role = next(d for d in found if d["kind"] == "Role")
        memo_rule = next(r for r in role["rules"] if "resourceNames" in r)
        assert memo_rule["resourceNames"] == ["cadencia-memo-cache", "refunds-memo-cache"]
        rule = next(d for d in found if d["kind"] == "PrometheusRule") if env != "dev" else None
        if rule is not None:
            assert {g["name"] for g in rule["spec"]["groups"]} >= {
                f"cadencia.{env}.orders", f"cadencia.{env}.refunds"}
    listing = notes(*_values(project, "staging"), chart=chart)
    ns = namespace("staging")
    for pipeline in ("orders", "refunds"):
        assert f"\n   {pipeline}: WorkflowTemplate {pipeline}, " in listing
        assert f"argo submit -n {ns} --from workflowtemplate/{pipeline} -p run-date=" in listing
        assert f"--from workflowtemplate/{pipeline}-backfill -p start-date=" in listing
        assert f"argo cron get -n {ns} {pipeline}-daily" in listing


def test_a_disabled_pipeline_is_left_out_of_every_object_and_the_notes() -> None:
    env = "staging"
    off = ("--set", "pipelines.disabled={customer-payments}")
    _, found = rendered(env, *CRON_ON, *off)
    kept = [p for p in pipelines(env) if p != "customer-payments"]
    assert kept and set(_argo(found)) == {p + s for p in kept for s in SUFFIXES}
    rule = next(d for d in found if d["kind"] == "PrometheusRule")
    assert [g["name"] for g in rule["spec"]["groups"]] == [f"cadencia.{env}.{p}" for p in kept]
    listing = notes(*values_args(env), *off)
    assert "workflowtemplate/customer-payments" not in listing
    assert "customer-payments-db" not in listing  # its own Secret is not asked for
    assert "Left out (pipelines.disabled): customer-payments" in listing


def test_disabling_a_pipeline_the_environment_does_not_have_fails_the_install() -> None:
    proc = helm("template", "cadencia", str(CHART), *values_args("dev"),
                "--set", "pipelines.disabled={cadencia-etl}")
    assert proc.returncode != 0
    assert 'pipelines.disabled names "cadencia-etl", which environment dev does not have' \
        in proc.stderr, proc.stderr


def test_the_chart_alert_rules_of_every_pipeline_pass_promtool(tmp_path: Path) -> None:
    promtool = require_tool("promtool", "bash scripts/tools.sh")
    for env in ("staging", "prod"):
        _, found = rendered(env)
        rule = next(d for d in found if d["kind"] == "PrometheusRule")
        assert len(rule["spec"]["groups"]) == len(pipelines(env))
        rules = tmp_path / f"{env}-rules.yaml"
        rules.write_text(yaml.safe_dump(rule["spec"]))
        proc = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
