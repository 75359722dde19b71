"""`shards: 4` as a user sets it: the orders pipeline compiles into Argo's fan-out (a
`shards` DAG of four `shard` branches under a parallelism bound, then a gather), lints
clean against Argo's schema, runs on the local engine from the same manifests, and lands
exactly the rows the unsharded pipeline lands, with one ledger row and the notification's
counts added up over the shards. What cannot be sharded is refused by name at compile."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.e2e.test_new_pipeline import cadencia
from tests.e2e.test_run_pipelines import project_copy

pytestmark = pytest.mark.timeout(300)
DATE = "2026-11-25"


def table(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "warehouse.db") as conn:
        return conn.execute(sql).fetchall()


def run(project: Path, home: Path) -> dict[str, str]:
    ran = cadencia(project, "run", "--pipeline", "orders", "--date", DATE, "--home", str(home))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (record,) = (home / "runs").glob("*/workflow.json")
    wf = json.loads(record.read_text())
    return {p["name"]: p.get("value") for p in wf["status"]["outputs"]["parameters"]}


def test_four_shards_land_the_rows_one_pipeline_lands(tmp_path: Path) -> None:
    plain = project_copy(tmp_path / "plain")
    sharded = project_copy(tmp_path / "sharded")
    with (sharded / "workflows/pipelines/orders.local.yaml").open("a") as f:
        f.write("\nshards: {count: 4, parallelism: 2}\n")
    compiled = cadencia(sharded, "compile")
    assert compiled.returncode == 0, compiled.stderr
    linted = cadencia(sharded, "lint", "k8s/workflows/local/orders/")
    assert linted.returncode == 0, linted.stdout + linted.stderr

    manifest = yaml.safe_load((sharded / "k8s/workflows/local/orders/orders.yaml").read_text())
    templates = {t["name"]: t for t in manifest["spec"]["templates"]}
    assert templates["shards"]["parallelism"] == 2
    fan = templates["shards"]["dag"]["tasks"][0]
    assert (fan["template"], fan["withSequence"]) == ("shard", {"count": "4"})
    assert [t["name"] for t in templates["shard"]["dag"]["tasks"]] == [
        "clean", "transform", "validate"]
    assert "--shards" in templates["clean"]["container"]["args"]
    main = [t["name"] for t in templates["main"]["dag"]["tasks"]]
    assert "shards" in main and "clean" not in main and "load" in main

    shown = cadencia(sharded, "show", "orders")
    assert "[4 x clean -> transform -> validate, then gather; 2 at once]" in shown.stdout
    spec = cadencia(sharded, "show", "orders", "--spec", "validate")
    assert spec.returncode == 0 and "kind: unique" in spec.stdout, spec.stderr

    counts = {}
    for project, home in ((plain, tmp_path / "h1"), (sharded, tmp_path / "h2")):
        counts[project] = run(project, home)
    rows = "SELECT * FROM vendas ORDER BY id"
    assert table(tmp_path / "h2", rows) == table(tmp_path / "h1", rows)
    assert int(str(table(tmp_path / "h2", "SELECT count(*) FROM vendas")[0][0])) > 2000
    assert table(tmp_path / "h2", "SELECT count(*) FROM cadencia_load_ledger") == [(1,)]
    for step in ("rows-clean", "rows-transform", "rows-validate", "rows-load"):
        assert counts[sharded][step] == counts[plain][step], step
    assert counts[sharded]["note-clean"].startswith("4 shards: ")
    assert counts[sharded]["note-validate"] == counts[plain]["note-validate"]


def test_what_cannot_run_in_shards_is_refused_at_compile(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    settings = project / "workflows/pipelines/customer_payments.local.yaml"
    settings.write_text(settings.read_text() + "\nshards: 2\n")
    compiled = cadencia(project, "compile")
    assert compiled.returncode != 0
    # its validates check a join's and a source's rows, not a union's: no key to shard by
    assert "steps.validate-customers.rules: shards: a sharded pipeline validates the " \
        "output of a union" in compiled.stderr, compiled.stderr
    settings.write_text(settings.read_text().replace("\nshards: 2\n", "\n"))
    local = project / "workflows/pipelines/orders.local.yaml"
    local.write_text(local.read_text() + "\nshards: 2\n")
    orders = project / "workflows/pipelines/orders.yaml"
    unique = "      - kind: unique\n        column: id\n"
    assert unique in orders.read_text()
    orders.write_text(orders.read_text().replace(
        unique, unique + "      - kind: unique\n        column: cliente\n"))
    compiled = cadencia(project, "compile")
    assert compiled.returncode != 0
    assert "does not hold the shard key ['id']" in compiled.stderr, compiled.stderr

    orders.write_text(orders.read_text().replace(
        "      - kind: unique\n        column: cliente\n", ""))
    program = project / "workflows/pipelines/orders.py"
    program.write_text(program.read_text().replace(
        "from workflows.library import ", "from workflows.library import container, ").replace(
        "    load(validate(transform(orders)))",
        "    container('audit', image='alpine:3.20', command=['true'], inputs=[orders],\n"
        "              outputs_data=False)\n    load(validate(transform(orders)))"))
    compiled = cadencia(project, "compile")
    assert compiled.returncode != 0
    assert "shards: step 'audit' is not a union, transform or validate" in compiled.stderr, \
        compiled.stderr
