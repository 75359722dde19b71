"""`cadencia new NAME` as a user meets it: the scaffold compiles for every environment,
lints clean, runs at once against the sample API, and its own test passes; a bad or
taken name is refused before anything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_run_pipelines import project_copy

pytestmark = pytest.mark.timeout(300)
ROOT = Path(__file__).resolve().parents[2]


def cadencia(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`cadencia ARGS` typed in the project's folder (no CADENCIA_PROJECT: found there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=project,
                          env={**env, "PYTHONPATH": str(ROOT), "COLUMNS": "100"},
                          capture_output=True, text=True, timeout=240, check=False)


def test_a_new_pipeline_compiles_lints_runs_and_passes_its_own_test(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    made = cadencia(project, "new", "web-orders")
    assert made.returncode == 0, made.stderr
    pipelines = project / "workflows" / "pipelines"
    assert sorted(p.name for p in pipelines.glob("web_orders*")) == [
        "web_orders.dev.yaml", "web_orders.local.yaml", "web_orders.prod.yaml",
        "web_orders.py", "web_orders.staging.yaml", "web_orders.yaml"]
    test_file = project / "tests" / "pipelines" / "test_web_orders.py"
    assert test_file.is_file()
    # it tells the user what to run and what to edit next
    assert "cadencia run --pipeline web-orders" in made.stdout
    assert "workflows/pipelines/web_orders.py" in made.stdout

    compiled = cadencia(project, "compile")
    assert compiled.returncode == 0, compiled.stderr
    for env in ("dev", "local", "prod", "staging"):
        assert sorted(p.name for p in (project / "k8s/workflows" / env / "web-orders")
                      .iterdir()) == ["web-orders-backfill.yaml", "web-orders-daily.yaml",
                                      "web-orders.yaml"]
    linted = cadencia(project, "lint", "k8s/")
    assert linted.returncode == 0, linted.stdout + linted.stderr

    ran = cadencia(project, "run", "--pipeline", "web-orders", "--date", "2026-11-25")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "rows for 2026-11-25 are in table web_orders" in ran.stdout

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(test_file)], cwd=project, capture_output=True, text=True,
                            timeout=240, check=False,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout
    # the scaffold's test fails when the manifests are stale
    settings = pipelines / "web_orders.yaml"
    settings.write_text(settings.read_text().replace("page_size: 500", "page_size: 400"))
    stale = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            str(test_file), "-k", "up_to_date"], cwd=project,
                           capture_output=True, text=True, timeout=120, check=False,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert stale.returncode == 1 and "run `cadencia compile`" in stale.stdout


@pytest.mark.parametrize(("name", "says"), [
    ("orders", "a pipeline named 'orders' exists already"),
    ("customer_payments", "is not a pipeline name"),
    ("9lives", "must start with a letter"),
    ("Shop", "is not a pipeline name"),
    ("a" * 47, "is not a pipeline name"),
])
def test_a_bad_or_taken_name_writes_nothing(tmp_path: Path, name: str, says: str) -> None:
    project = project_copy(tmp_path)
    before = sorted(p.name for p in (project / "workflows" / "pipelines").iterdir())
    made = cadencia(project, "new", name)
    assert made.returncode == 1 and says in made.stderr, made.stderr
    assert "Traceback" not in made.stderr
    assert sorted(p.name for p in (project / "workflows" / "pipelines").iterdir()) == before
    assert not (project / "tests").exists()


def test_an_existing_file_of_the_scaffold_is_never_overwritten(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    mine = project / "tests" / "pipelines" / "test_shop.py"
    mine.parent.mkdir(parents=True)
    mine.write_text("# mine\n")
    made = cadencia(project, "new", "shop")
    assert made.returncode == 1 and "tests/pipelines/test_shop.py" in made.stderr
    assert mine.read_text() == "# mine\n"
    assert not list((project / "workflows" / "pipelines").glob("shop*"))


def test_outside_a_project_it_writes_nothing_and_says_where_to_run_it(tmp_path: Path) -> None:
    made = cadencia(tmp_path, "new", "shop")
    assert made.returncode == 1 and "in your project's folder" in made.stderr, made.stderr
    assert list(tmp_path.iterdir()) == []
    assert not list((ROOT / "workflows" / "pipelines").glob("shop*"))
