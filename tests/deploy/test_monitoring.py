"""k8s/monitoring: the PrometheusRule and the Grafana dashboard use only the metrics and
labels the compiled workflows emit, and each alert fires on the story it is named after
(``promtool test rules`` on synthetic series)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.manifests import ENVS, K8S, compiled, require_tool, walk

PREFIX = "argo_workflows_"
RULE = K8S / "monitoring" / "prometheusrule.yaml"
DASHBOARD = K8S / "monitoring" / "grafana-dashboard.json"
ALERTS = {"CadenciaWorkflowFailed", "CadenciaSlaMissed", "CadenciaNoSuccessIn26h",
          "CadenciaRetriesSpiking"}
FUNCTIONS = {"sum", "max", "min", "avg", "count", "group", "by", "without", "on", "ignoring",
             "group_left", "group_right", "and", "or", "unless", "offset", "increase", "rate",
             "irate", "max_over_time", "min_over_time", "histogram_quantile", "absent",
             "label_values", "bool"}


def emitted() -> dict[str, set[str]]:
    """Exported series name -> its labels, for every custom metric of every environment."""
    out: dict[str, set[str]] = {}
    for env in ENVS:
        for doc in compiled(env):
            for key, value in walk(doc):
                if key != "prometheus":
                    continue
                for metric in value:
                    labels = {label["key"] for label in metric.get("labels") or []}
                    name = PREFIX + metric["name"]
                    if "histogram" in metric:
                        out.setdefault(name + "_bucket", set()).update(labels | {"le"})
                        for suffix in ("_sum", "_count"):
                            out.setdefault(name + suffix, set()).update(labels)
                    else:
                        out.setdefault(name, set()).update(labels)
    return out


def rule() -> dict[str, Any]:
    return yaml.safe_load(RULE.read_text())


def expressions() -> list[str]:
    exprs = [r["expr"] for g in rule()["spec"]["groups"] for r in g["rules"]]
    dash = json.loads(DASHBOARD.read_text())
    exprs += [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs += [v["definition"] for v in dash["templating"]["list"] if "definition" in v]
    return exprs


def check_expression(expr: str, known: dict[str, set[str]]) -> None:
    # label matchers and grouping clauses name labels of the metric they follow
    for name, matchers in re.findall(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", expr):
        assert name in known, f"{name} is not emitted by the compiled manifests"
        for label in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers):
            assert label in known[name], f"{name} has no label {label}"
    values_of = r"label_values\(\s*([\w:]+)\s*(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)"
    for name, label in re.findall(values_of, expr):
        assert label in known.get(name, set()), f"{name} has no label {label}"
    expr = re.sub(values_of, r"label_values(\1)", expr)
    all_labels = set().union(*known.values())
    for clause in re.findall(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)", expr):
        for label in re.split(r"\s*,\s*", clause.strip()):
            assert label in all_labels, f"unknown label {label}"
    # every other identifier is a function, a keyword or an emitted metric
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\w+", "", bare)
    bare = re.sub(r"\b(by|on|without|ignoring)\s*\([^)]*\)", "", bare)
    for ident in re.findall(r"(?<![\w.])([a-zA-Z_:][\w:]*)", bare):
        assert ident in FUNCTIONS or ident in known, f"unknown identifier {ident!r}"


def test_expressions_use_only_emitted_metrics_and_labels() -> None:
    known = emitted()
    assert f"{PREFIX}cadencia_step_results" in known  # the metric source itself works
    used = set()
    for expr in expressions():
        check_expression(expr, known)
        used |= {m for m in known if re.search(rf"\b{m}\b", expr)}
    # the dashboard and the alerts between them cover every metric the workflows emit
    assert {m.removesuffix("_bucket") for m in used} >= {
        m for m in known if not m.endswith(("_sum", "_count", "_bucket"))}


def test_the_check_catches_a_misspelled_metric_or_label() -> None:
    known = emitted()
    with pytest.raises(AssertionError, match="not emitted"):
        check_expression('rate(argo_workflows_cadencia_step_result{status="x"}[5m])', known)
    with pytest.raises(AssertionError, match="no label"):
        check_expression('argo_workflows_cadencia_sla_misses{step="load"}', known)
    with pytest.raises(AssertionError, match="unknown identifier"):
        check_expression("argo_workflows_cadencia_sla_misses_total > 0", known)


def test_rule_has_the_four_alerts_with_severity_and_summary() -> None:
    doc = rule()
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    rules = {r["alert"]: r for g in doc["spec"]["groups"] for r in g["rules"]}
    assert set(rules) == ALERTS
    for r in rules.values():
        assert r["labels"]["severity"] in ("warning", "critical")
        assert r["annotations"]["summary"] and r["annotations"]["description"]


def test_dashboard_is_importable() -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["panels"]
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "environment", "pipeline"} <= names
    for panel in dash["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]
        for target in panel["targets"]:
            assert 'environment=~"$environment", pipeline=~"$pipeline"' in target["expr"], \
                panel["title"]


# --- promtool ---------------------------------------------------------------------------------

def promtool() -> str:
    return require_tool("promtool", "make setup copies it out of Debian's prometheus package")


def rules_file(tmp: Path) -> Path:
    """The rule groups as a plain Prometheus rule file; annotations dropped so the tests
    assert on firing and labels, not on wording."""
    groups = rule()["spec"]["groups"]
    for group in groups:
        for r in group["rules"]:
            r.pop("annotations", None)
    path = tmp / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}))
    return path


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    proc = subprocess.run([promtool(), "check", "rules", str(rules_file(tmp_path))],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


STEP = ('argo_workflows_cadencia_step_results'
        '{environment="%s", pipeline="%s", step="%s", status="%s"}')
# a load step as compiled: any name, program "load" (how the rule finds every pipeline's)
LOAD = ('argo_workflows_cadencia_step_results'
        '{environment="%s", pipeline="%s", step="%s", program="load", status="%s"}')
SLA = 'argo_workflows_cadencia_sla_misses{environment="%s", pipeline="%s"}'
BUCKET = ('argo_workflows_cadencia_step_duration_seconds_bucket'
          '{environment="prod", pipeline="p", step="extract-http", status="Succeeded", le="%s"}')


def duration_series(fast_hours: int, slow_hours: int) -> list[dict[str, str]]:
    """One run an hour: ``fast_hours`` runs of ~10 s, then ``slow_hours`` runs of ~400 s."""
    out = []
    for le in ("1", "5", "15", "60", "300", "900", "+Inf"):
        fast = le not in ("1", "5")
        slow = le in ("900", "+Inf")
        values, count = [], 0
        for hour in range(fast_hours + slow_hours):
            count += int(fast if hour < fast_hours else slow)
            values.append(str(count))
        out.append({"series": BUCKET % le, "values": " ".join(values)})
    return out


def alerts_at(eval_time: str, name: str, expected: list[dict[str, str]]) -> dict[str, Any]:
    return {"eval_time": eval_time, "alertname": name,
            "exp_alerts": [{"exp_labels": labels} for labels in expected]}


SCENARIOS: dict[str, dict[str, Any]] = {
    "step-failed": {
        "interval": "1m",
        "input_series": [
            # a step's first failure: a new series already at 1
            {"series": STEP % ("prod", "p", "load", "Failed"), "values": "_x40 1x80"},
            {"series": STEP % ("prod", "p", "clean", "Succeeded"), "values": "1+0x120"},
            # a second failure of a step that had failed long before
            {"series": STEP % ("prod", "q", "extract-sql", "Error"), "values": "1x70 2x50"},
            # the same pipeline in staging, on the same controller: its own alert
            {"series": STEP % ("staging", "p", "load", "Failed"), "values": "_x60 1x60"},
        ],
        "alert_rule_test": [
            alerts_at("35m", "CadenciaWorkflowFailed", []),
            alerts_at("45m", "CadenciaWorkflowFailed", [
                {"environment": "prod", "pipeline": "p", "step": "load",
                 "severity": "critical"}]),
            alerts_at("65m", "CadenciaWorkflowFailed", [
                {"environment": "prod", "pipeline": "p", "step": "load",
                 "severity": "critical"},
                {"environment": "staging", "pipeline": "p", "step": "load",
                 "severity": "critical"}]),
            alerts_at("75m", "CadenciaWorkflowFailed", [
                {"environment": "prod", "pipeline": "q", "step": "extract-sql",
                 "severity": "critical"},
                {"environment": "staging", "pipeline": "p", "step": "load",
                 "severity": "critical"}]),
            alerts_at("105m", "CadenciaWorkflowFailed", []),
        ],
    },
    "sla-missed": {
        "interval": "1m",
        # p misses its SLA for the first time at 80m; q missed it long ago, and again at 150m
        "input_series": [{"series": SLA % ("prod", "p"), "values": "_x80 1x120"},
                         {"series": SLA % ("prod", "q"), "values": "3x150 4x50"}],
        "alert_rule_test": [
            alerts_at("75m", "CadenciaSlaMissed", []),
            alerts_at("85m", "CadenciaSlaMissed", [
                {"environment": "prod", "pipeline": "p", "severity": "warning"}]),
            alerts_at("155m", "CadenciaSlaMissed", [
                {"environment": "prod", "pipeline": "q", "severity": "warning"}]),
        ],
    },
    "no-success": {
        "interval": "10m",
        "input_series": [
            # p loaded once at the start, never again; q loads every day, through two load
            # steps named after their tables (a pipeline with two targets)
            {"series": LOAD % ("prod", "p", "load", "Succeeded"), "values": "1x200"},
            {"series": LOAD % ("prod", "q", "load-customers", "Succeeded"),
             "values": "1x140 2x60"},
            {"series": LOAD % ("prod", "q", "load-payments", "Succeeded"),
             "values": "1x140 2x60"},
            # p in staging loads daily: its loads must not hide p's silence in prod
            {"series": LOAD % ("staging", "p", "load", "Succeeded"), "values": "1x140 2x60"},
        ],
        "alert_rule_test": [
            alerts_at("20h", "CadenciaNoSuccessIn26h", []),
            alerts_at("27h", "CadenciaNoSuccessIn26h", [
                {"environment": "prod", "pipeline": "p", "severity": "critical"}]),
        ],
    },
    "retries": {
        "interval": "1h",
        "input_series": duration_series(100, 6),
        "alert_rule_test": [
            alerts_at("99h", "CadenciaRetriesSpiking", []),
            alerts_at("105h", "CadenciaRetriesSpiking", [
                {"environment": "prod", "pipeline": "p", "step": "extract-http",
                 "severity": "warning"}]),
        ],
    },
}


def _minutes(duration: str) -> int:
    return int(duration[:-1]) * {"m": 1, "h": 60}[duration[-1]]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_alert_fires_on_its_story_and_not_otherwise(scenario: str, tmp_path: Path) -> None:
    rules = rules_file(tmp_path)
    # rule evaluation as often as the series have samples: long stories stay fast
    test = SCENARIOS[scenario]
    spec = {"rule_files": [rules.name], "evaluation_interval": min(test["interval"], "10m",
                                                                   key=_minutes),
            "tests": [test]}
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(spec))
    proc = subprocess.run([promtool(), "test", "rules", "test.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
