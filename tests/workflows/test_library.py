"""The step library as a pipeline author meets it: what a pipeline file compiles to, and
the definition-time errors that name the file, the step and the field."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.compile import render
from workflows.config import ConfigError, Project

REPO = Project.default()
HEAD = "from workflows.library import *  # noqa: F403\n\n\ndef pipeline() -> None:\n"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    shutil.copytree(REPO.root / "workflows" / "environments",
                    tmp_path / "workflows" / "environments")
    (tmp_path / "workflows" / "pipelines").mkdir()
    return Project(tmp_path)


def write(project: Project, body: str, settings: str = "") -> None:
    (project.pipelines_dir / "shop.py").write_text(HEAD + body, encoding="utf-8")
    (project.pipelines_dir / "shop.yaml").write_text(settings, encoding="utf-8")


def compiled(project: Project, env: str = "prod") -> dict[str, Any]:
    doc = yaml.safe_load(render(project, [env])[(env, "shop")]["shop.yaml"])
    assert isinstance(doc, dict)
    return doc


def problem(project: Project) -> str:
    with pytest.raises(ConfigError) as info:
        render(project, ["prod"])
    first = info.value.problems[0]
    assert first.endswith("(pipeline shop, environment prod)"), first
    return first


def templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in doc["spec"]["templates"]}


API = 'extract_http("{name}", url="https://{name}.example.com/", schema={schema})'
RULES = 'rules=[{"kind": "not_null", "column": "id"}, {"kind": "unique", "column": "id"}]'


def test_three_sources_a_join_and_two_targets_compile_with_a_secret_each(
        project: Project) -> None:
    write(project, f"""
    accounts = {API.format(name="accounts", schema='{"id": "int64", "plan": "string"}')}
    people = {API.format(name="people", schema='{"id": "int64", "name": "string"}')}
    orders = extract_sql("orders", query="SELECT id, total FROM o WHERE d = :logical_date",
                         columns=["id", "total"])
    both = join(people, accounts, on=["id"], how="full")
    load(validate(both, reject_threshold=0.0, {RULES}), name="load-people", table="people")
    load(validate(orders, name="v-orders", reject_threshold=0.0, {RULES}),
         name="load-orders", table="orders", mode="upsert", keys=["id"])
""", """
steps:
  accounts: {secrets: {token: {name: accounts-api, key: token}}, auth: bearer}
  people: {secrets: {api_key: {name: people-api, key: key}}, auth: api-key}
  orders: {secret: {name: orders-db, key: url}}
  load-orders: {secret: {name: other-warehouse, key: url}}
""")
    doc = compiled(project)
    t = templates(doc)

    def secrets(name: str) -> dict[str, str]:
        return {e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
                for e in t[name]["container"]["env"] if "valueFrom" in e}

    assert secrets("accounts") == {"CADENCIA_HTTP_TOKEN": "accounts-api"}
    # its own Secret only: never the shared token of another API
    assert secrets("people") == {"CADENCIA_HTTP_API_KEY": "people-api"}
    assert secrets("orders") == {"CADENCIA_SOURCE_DB_URL": "orders-db"}
    assert secrets("load-people") == {"CADENCIA_TARGET_DB_URL": "cadencia-target-db"}
    assert secrets("load-orders") == {"CADENCIA_TARGET_DB_URL": "other-warehouse"}
    assert secrets("source-fingerprint") == {"CADENCIA_SOURCE_DB_URL__ORDERS": "orders-db"}
    plain = {e["name"]: e["value"] for e in t["people"]["container"]["env"] if "value" in e}
    assert plain["CADENCIA_HTTP_AUTH"] == "api-key"
    # each target: its own lock, and the exit handler reports both
    assert [t[n]["synchronization"]["mutexes"][0]["name"] for n in ("load-people",
                                                                     "load-orders")] == [
        "shop-load-people", "shop-load-orders"]
    notify = t[doc["spec"]["onExit"]]["container"]["args"]
    counts = [notify[i + 1].split("=")[0] for i, a in enumerate(notify) if a == "--count"]
    assert {"load-people", "load-orders", "join", "accounts", "people", "orders"} <= set(counts)
    join_args = t["join"]["container"]["args"]
    assert join_args[join_args.index("--how") + 1] == "full"
    assert "memoize" in t["join"] and "people-sha256" in t["join"]["memoize"]["key"]
    assert "memoize" not in t["load-people"]


@pytest.mark.parametrize(("body", "says"), [
    (f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    b = {API.format(name="b", schema='{"customer": "string"}')}
    union([a, b])
""", "steps.union.inputs: inputs 'a' and 'b' share no column: they are not the same entity"),
    (f"""
    a = {API.format(name="a", schema='{"id": "int64", "x": "string"}')}
    b = {API.format(name="b", schema='{"x": "string"}')}
    union([a, b], key=["id"])
""", "steps.union.key: input 'b' has no key column id"),
    (f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    load(union([a], key=["id"]), table="t")
""", "steps.load: its input 'union' carries the union key ['id'] unchecked"),
    (f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    b = {API.format(name="a", schema='{"id": "int64"}')}
""", "two steps are named 'a'; give one of them name=..."),
    (f"""
    {API.format(name="notify", schema='{"id": "int64"}')}
""", "'notify' is reserved for cadencia's own tasks"),
    (f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    join(a, transform(a, rename={{"id": "x"}}), on=["nope"])
""", "steps.join.on: input 'a' has no column nope"),
    (f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    load(a, table="t", mode="upsert")
""", "steps.load: mode 'upsert' needs 'keys'"),
])
def test_a_wrong_pipeline_is_refused_when_it_is_defined(project: Project, body: str,
                                                        says: str) -> None:
    write(project, body)
    found = problem(project)
    assert found.startswith("pipelines/shop.py: ") and says in found, found


def test_a_setting_from_the_settings_file_is_named_by_that_file(project: Project) -> None:
    write(project, "    " + API.format(name="a", schema='{"id": "int64"}') + "\n",
          "steps:\n  a:\n    pagination: {style: pages}\n")
    found = problem(project)
    assert found.startswith("pipelines/shop.yaml: steps.a.pagination.style: "), found


def test_a_sql_source_without_a_secret_anywhere_is_refused(project: Project) -> None:
    defaults = project.environments_dir / "defaults.yaml"
    defaults.write_text(defaults.read_text(encoding="utf-8").replace(
        "  source_db_url: {name: cadencia-source-db, key: url}\n", ""), encoding="utf-8")
    write(project, '    extract_sql("db", query="SELECT 1")\n')
    assert "steps.db.secret: a SQL source needs the Secret of its database URL" in problem(
        project)


def test_a_custom_container_takes_the_defaults_and_feeds_a_library_step(
        project: Project) -> None:
    write(project, f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    mine = container("enrich", image="ghcr.io/acme/enrich:1.0", command=["enrich"],
                     args=["{{{{inputs.artifacts.a.path}}}}",
                           "{{{{outputs.artifacts.data.path}}}}"], inputs=[a])
    load(validate(mine, reject_threshold=0.0, {RULES}), table="t")
""")
    t = templates(compiled(project))
    enrich = t["enrich"]
    assert enrich["container"]["image"] == "ghcr.io/acme/enrich:1.0"
    assert enrich["retryStrategy"] == t["a"]["retryStrategy"]
    assert enrich["securityContext"] == t["a"]["securityContext"]
    assert enrich["container"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert enrich["activeDeadlineSeconds"] > 0 and "memoize" not in enrich
    tasks = {x["name"]: x for x in t["main"]["dag"]["tasks"]}
    assert tasks["enrich"]["dependencies"] == ["a"]
    assert tasks["validate"]["dependencies"] == ["enrich"]


def test_a_hera_script_step_takes_the_defaults_and_joins_the_dag(project: Project) -> None:
    (project.pipelines_dir / "shop.py").write_text(f'''
from workflows.library import *  # noqa: F403


@script()
def report(rows: int) -> None:
    print(rows)


def pipeline() -> None:
    a = {API.format(name="a", schema='{"id": "int64"}')}
    a.task >> report(name="report", arguments={{"rows": 1}})
''', encoding="utf-8")
    (project.pipelines_dir / "shop.yaml").write_text("", encoding="utf-8")
    doc = compiled(project)
    t = templates(doc)
    report = t["report"]
    assert "print(rows)" in report["script"]["source"]
    assert report["script"]["image"] == t["a"]["container"]["image"]
    assert report["retryStrategy"] == t["a"]["retryStrategy"]
    assert report["securityContext"] == t["a"]["securityContext"]
    assert report["script"]["securityContext"] == t["a"]["container"]["securityContext"]
    assert report["activeDeadlineSeconds"] == t["a"]["activeDeadlineSeconds"]
    tasks = {x["name"]: x for x in t["main"]["dag"]["tasks"]}
    # Hera's >> writes depends; one DAG may not mix it with the library's dependencies
    assert tasks["report"]["dependencies"] == ["a"] and "depends" not in tasks["report"]


def test_a_compiled_pipeline_with_a_script_step_lints_clean(project: Project,
                                                           tmp_path: Path) -> None:
    from workflows.compile import compile_all
    from workflows.lint import main as lint

    (project.pipelines_dir / "shop.py").write_text(f'''
from workflows.library import *  # noqa: F403


@script()
def report(rows: int) -> None:
    print(rows)


def pipeline() -> None:
    a = {API.format(name="a", schema='{"id": "int64"}')}
    a.task >> report(name="report", arguments={{"rows": 1}})
''', encoding="utf-8")
    compile_all(project, tmp_path / "out", ["prod"])
    assert lint([tmp_path / "out"]) == 0


def test_a_depends_expression_the_dag_cannot_keep_is_refused_by_name(
        project: Project) -> None:
    write(project, f"""
    a = {API.format(name="a", schema='{"id": "int64"}')}
    mine = container("after-failure", image="busybox:1.36", command=["true"],
                     outputs_data=False)
    mine.task.depends = "a.Failed"
""")
    assert "task 'after-failure': depends 'a.Failed' is not a plain 'a && b'" in problem(
        project)
