"""`cadencia show NAME`: a pipeline's DAG as compiled, and every resolved setting with the
file it came from, as a user reads them in the terminal."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from workflows.cli import main

ROOT = Path(__file__).resolve().parents[2]


def show(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["show", *args], catch_exceptions=False)
    return result.exit_code, result.output


def setting(out: str, key: str) -> tuple[str, str]:
    """``(value, origin)`` of the settings row ``key``."""
    (row,) = [line for line in out.splitlines() if line.startswith(f"  {key} ")]
    value, origin = re.split(r"\s{2,}", row.strip())[1:]
    return value, origin


@pytest.fixture(autouse=True)
def _this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CADENCIA_PROJECT", raising=False)


def test_each_value_names_the_file_that_set_it() -> None:
    code, out = show("orders", "--env", "prod")
    assert code == 0, out
    assert setting(out, "notify.channels") == ("[log, slack, email]", "environments/prod.yaml")
    assert setting(out, "sla.soft") == ("1h", "environments/defaults.yaml")
    assert setting(out, "resources.validate.requests.cpu") == ("1", "environments/prod.yaml")
    assert setting(out, "resources.validate.limits.memory") == ("1Gi",
                                                                "environments/defaults.yaml")
    assert setting(out, "schedule.suspend") == ("false", "default")
    assert setting(out, "steps.load.table") == ("vendas", "pipelines/orders.yaml")
    assert setting(out, "steps.extract-http.url")[1] == "pipelines/orders.yaml"
    # a pipeline overlay beats the shared files, a step function's keyword is its .py's
    code, out = show("customer-payments", "--env", "local")
    assert setting(out, "steps.customers.url") == ("http://127.0.0.1:18080/customers",
                                                   "pipelines/customer_payments.local.yaml")
    assert setting(out, "steps.load-payments.table") == ("payments_daily",
                                                         "pipelines/customer_payments.py")
    assert setting(out, "steps.join.how") == ("left", "pipelines/customer_payments.py")


def test_a_deleted_key_falls_back_to_the_default(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    for part in ("environments", "pipelines"):
        shutil.copytree(ROOT / "workflows" / part, project / "workflows" / part)
    overlay = project / "workflows" / "pipelines" / "orders.prod.yaml"
    overlay.write_text("notify: {channels: null}\n")
    monkeypatch.setenv("CADENCIA_PROJECT", str(project))
    code, out = show("orders", "--env", "prod")
    assert code == 0, out
    assert setting(out, "notify.channels") == ("[log]", "default")


def test_the_dag_is_the_compiled_one_in_the_order_it_runs() -> None:
    code, out = show("customer-payments")
    assert code == 0, out
    dag = out.split("DAG main: ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert dag[0] == "10 tasks"
    rows = {line.split()[0]: line for line in dag[1:] if not line.startswith("  onExit")}
    assert re.search(r"join\s+join\s+after payments, customers\s+\[memoized\]", rows["join"])
    assert "after validate-payments  [-> table payments_daily]" in rows["load-payments"]
    assert "[daemon; never fails the run]" in rows["sla-watch"]
    assert dag[-1].startswith("  onExit: notify")


def test_mermaid_and_dot_draw_every_edge() -> None:
    code, mermaid = show("orders", "--format", "mermaid")
    assert code == 0 and mermaid.startswith("flowchart LR\n")
    ids = dict(re.findall(r'^\s+(t\d+)\["([^<"]+)', mermaid, re.M))
    edges = {(ids[a], ids[b]) for a, b in re.findall(r"(t\d+) --> (t\d+)", mermaid)}
    assert edges == {("source-fingerprint", "extract-http"), ("source-fingerprint", "extract-sql"),
                     ("extract-http", "clean"), ("extract-sql", "clean"),
                     ("clean", "transform"), ("transform", "validate"), ("validate", "load")}
    code, dot = show("orders", "--format", "dot")
    assert code == 0 and dot.startswith('digraph "orders (local)" {')
    assert set(re.findall(r'"([^"]+)" -> "([^"]+)";', dot)) == edges


def test_an_unknown_pipeline_or_environment_is_one_clear_error() -> None:
    code, out = show("nope")
    assert code == 1 and "no pipeline 'nope'" in out and "known: customer-payments, orders" in out
    code, out = show("orders", "--env", "moon")
    assert code == 1 and "no environment 'moon'" in out


@pytest.mark.parametrize(("task", "compiled_as"), [("transform", "spec"), ("validate", "rules")])
def test_spec_prints_the_file_a_task_reads_exactly_as_compiled(task: str,
                                                                compiled_as: str) -> None:
    """What `python -m steps.<task> --spec/--rules FILE` needs to run by hand: the raw
    artifact of the compiled template, so the file and the cluster's cannot differ."""
    code, out = show("orders", "--spec", task)
    assert code == 0, out
    manifest = yaml.safe_load((ROOT / "k8s/workflows/local/orders/orders.yaml").read_text())
    (template,) = [t for t in manifest["spec"]["templates"] if t["name"] == task]
    (raw,) = [a["raw"]["data"] for a in template["inputs"]["artifacts"] if "raw" in a]
    assert f"--{compiled_as}" in template["container"]["args"]
    assert out == raw if raw.endswith("\n") else out == raw + "\n"


def test_spec_of_a_task_without_one_names_those_that_have_one() -> None:
    code, out = show("orders", "--spec", "load")
    assert code == 2
    assert "task 'load' reads no spec file; tasks that do: transform, validate" in out
