"""Issue 6, case 13: hostile input is refused with a clear error and nothing is executed.

Parameters and specs come from people (the Argo UI, a values file), so each payload
below would do harm if it were evaluated, interpolated into SQL or handed to a shell.
Each test proves the refusal (exit 78, one error line) AND the absence of the effect: a
marker file the payload would create does not exist, the database is as it was.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.pipeline_support import MANIFEST, table_exists
from tests.faults.support import (
    Case,
    attempts,
    errors,
    notices,
    raw_artifact,
    set_flag,
)

pytestmark = pytest.mark.timeout(120)
COMPUTE = 'valor_total: df["valor"] * df["quantidade"]'


@pytest.mark.parametrize("payload", [
    '__import__("os").system("touch {marker}")',
    'open("{marker}", "w")',
    '().__class__.__base__.__subclasses__()[0]("touch {marker}")',
])
def test_transform_expression_attempting_code_execution_is_refused_78(
        case: Case, tmp_path: Path, payload: str) -> None:
    case.seed()
    marker = tmp_path / "pwned"
    spec = raw_artifact(case.docs, "transform", "spec")
    assert COMPUTE in spec["data"]
    spec["data"] = spec["data"].replace(
        COMPUTE, "valor_total: " + payload.format(marker=marker).replace('"', "'"))

    run = case.run().run

    (pod,) = attempts(run, "transform")
    assert pod["outputs"]["exitCode"] == "78", run.describe()
    (error,) = errors(run, pod)
    assert error["message"].startswith("transform spec: compute 'valor_total': invalid "
                                       "expression"), error["message"]
    assert not marker.exists()
    assert run.node("load")["phase"] == "Omitted"
    assert not table_exists(case.pg_url, "vendas")


def test_table_name_carrying_sql_is_refused_78_and_the_database_is_untouched(
        case: Case) -> None:
    case.seed()
    set_flag(case.docs, "load", "--table", "vendas; DROP TABLE pedidos; --")
    before = case.sql("SELECT count(*) FROM pedidos")

    run = case.run().run

    (pod,) = attempts(run, "load")
    assert pod["outputs"]["exitCode"] == "78", run.describe()
    (error,) = errors(run, pod)
    assert error["message"].startswith("invalid table name 'vendas; DROP TABLE pedidos; --'")
    assert case.sql("SELECT count(*) FROM pedidos") == before  # not dropped
    assert case.sql("SELECT relname FROM pg_class WHERE relkind = 'r' AND "
                    "relnamespace = 'public'::regnamespace") == [("pedidos",)]


@pytest.mark.parametrize("shape", ["{date}; touch {marker}", "{date}$(touch {marker})",
                                   "{date}`touch {marker}`"])
def test_run_date_carrying_shell_metacharacters_is_never_executed_and_refused_78(
        case: Case, tmp_path: Path, shape: str) -> None:
    case.seed()
    marker = tmp_path / "x"
    hostile = shape.format(date="2026-11-25", marker=marker)

    run = case.run(date=hostile).run

    assert run.phase == "Failed", run.describe()
    for step in ("extract-http", "extract-sql"):
        (pod,) = attempts(run, step)
        assert pod["outputs"]["exitCode"] == "78"
        assert f"not a YYYY-MM-DD date: {hostile!r}" in run.log(pod)
    assert not marker.exists()
    assert not table_exists(case.pg_url, "vendas")
    (notice,) = notices(run)  # notify got the same text, as one argv item: inert
    assert notice["status"] == "Failed"
    assert not marker.exists()


def test_secret_passed_as_a_parameter_is_rejected_by_lint_without_echoing_it(
        tmp_path: Path) -> None:
    submit = tmp_path / "submit.yaml"
    submit.write_text(yaml.safe_dump({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "orders-", "namespace": "cadencia-local"},
        "spec": {"workflowTemplateRef": {"name": "orders"}, "arguments": {
            "parameters": [
                {"name": "run-date", "value": "2026-11-25"},
                {"name": "db-password", "value": "hunter2-Xq9"},
                {"name": "source", "value": "postgresql://etl:s3cret-Xq9@db.internal/dw"},
            ]}}}), encoding="utf-8")

    def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "workflows.cli", "lint", *map(str, paths)],
                              capture_output=True, text=True, timeout=60, check=False)

    clean = lint(MANIFEST.parent)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    found = lint(submit, MANIFEST.parent)

    assert found.returncode == 1
    lines = [ln for ln in found.stdout.splitlines() if "secret-parameter" in ln]
    assert len(lines) == 2, found.stdout
    assert "parameter 'db-password'" in lines[0] and "parameter 'source'" in lines[1]
    assert "Xq9" not in found.stdout + found.stderr  # the secret is not repeated
