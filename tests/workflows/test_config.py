"""The typed settings of every pipeline: shipped values, defaults, layers, deletion, and
errors that name the file and the field at fault."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.argo.durations import parse_go_duration
from workflows.compile import render
from workflows.config import ConfigError, Environment, Project, resolve
from workflows.library.build import build

REPO = Project.default()
ORDERS_PY = (REPO.pipelines_dir / "orders.py").read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A copy of the shipped environments and pipelines that a test may break."""
    for part in ("environments", "pipelines"):
        shutil.copytree(REPO.root / "workflows" / part, tmp_path / "workflows" / part)
    return Project(tmp_path)


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both else value  # a null stays a null
    return out


def edit(project: Project, rel: str, extra: str) -> None:
    """Merge the YAML text ``extra`` into ``workflows/<rel>`` (created when absent)."""
    path = project.root / "workflows" / rel
    old = yaml.safe_load(path.read_text(encoding="utf-8")) or {} if path.exists() else {}
    path.write_text(yaml.safe_dump(_merged(old, yaml.safe_load(extra)), sort_keys=False,
                                   allow_unicode=True), encoding="utf-8")


def env_of(project: Project, env: str, pipeline: str = "orders") -> Environment:
    return resolve(project, project.pipeline(pipeline), env).env


def problems(project: Project, envs: list[str] | None = None,
             pipeline: str | None = "orders") -> list[str]:
    """The compile's problems (those of ``pipeline`` only, unless None)."""
    with pytest.raises(ConfigError) as info:
        render(project, envs)
    return [p for p in info.value.problems
            if pipeline is None or f"(pipeline {pipeline}," in p]


def compiled_spec(project: Project, env: str, pipeline: str = "orders",
                  step: str = "transform") -> dict[str, Any]:
    """The raw spec (or rules) artifact the compiled template of ``step`` carries."""
    w = build(resolve(project, project.pipeline(pipeline), env)).build()
    (template,) = [t for t in w.spec.templates if t.name == step]
    (raw,) = [a for a in template.inputs.artifacts if a.raw is not None]
    data = yaml.safe_load(raw.raw.data)
    assert isinstance(data, dict)
    return data


def add_pipeline(project: Project, stem: str, source: str, settings: str) -> None:
    (project.pipelines_dir / f"{stem}.py").write_text(source, encoding="utf-8")
    (project.pipelines_dir / f"{stem}.yaml").write_text(settings, encoding="utf-8")


SHOP_PY = '''
from workflows.library import extract_http, load, transform, validate


def pipeline() -> None:
    load(validate(transform(extract_http("customers"))), table="customers")
'''
SHOP_YAML = '''
steps:
  customers:
    url: https://shop.example.com/customers
    schema: {id: int64, name: string}
  transform:
    rename: {name: nome}
  validate:
    reject_threshold: 0.0
    rules: [{kind: not_null, column: id}]
'''


def test_the_shipped_settings_have_four_environments_and_the_issue_defaults() -> None:
    assert REPO.environment_names() == ["dev", "local", "prod", "staging"]
    assert "orders" in [p.name for p in REPO.pipelines()]
    prod = env_of(REPO, "prod")
    assert prod.pipeline.name == "orders"
    assert prod.schedule.schedules == ["0 2 * * *"]
    assert prod.schedule.timezone == "America/Sao_Paulo"
    assert prod.schedule.concurrency_policy == "Forbid"
    assert prod.sla.soft == "1h" and prod.memo.max_age == "1h"
    assert prod.namespace == "cadencia" and prod.image.tag != "latest"
    assert prod.notify.channels == ["log", "slack", "email"]


def test_defaults_fill_what_minimal_settings_leave_out(tmp_path: Path) -> None:
    envs = tmp_path / "workflows" / "environments"
    envs.mkdir(parents=True)
    (envs / "defaults.yaml").write_text(
        "image: {repository: ghcr.io/org/cadencia, tag: 1.2.3}\n"
        "secrets: {target_db_url: {name: dst, key: url}}\n", encoding="utf-8")
    (envs / "qa.yaml").write_text("namespace: cadencia-qa\n", encoding="utf-8")
    (tmp_path / "workflows" / "pipelines").mkdir()
    project = Project(tmp_path)
    add_pipeline(project, "shop", SHOP_PY, SHOP_YAML)
    env = env_of(project, "qa", "shop")
    assert env.pipeline.name == "shop"
    assert env.schedule.schedules == ["0 2 * * *"]
    assert env.schedule.timezone == "America/Sao_Paulo"
    assert env.sla.soft == "1h" and env.memo.max_age == "1h"
    assert env.retry.limit == 3 and env.notify.channels == ["log"]
    files = render(project)[("qa", "shop")]
    assert sorted(files) == ["shop-backfill.yaml", "shop-daily.yaml", "shop.yaml"]


def test_layers_merge_mappings_replace_lists_and_the_pipeline_overrides_the_shared(
        project: Project) -> None:
    stack = resolve(project, project.pipeline("orders"), "local").stack
    # params: orders.yaml's date stays, orders.local.yaml adds records
    assert stack.data["steps"]["extract-http"]["params"] == {"date": "{logical_date}",
                                                             "records": "2000"}
    assert stack.origin(("steps", "extract-http", "params", "records")) == \
        "pipelines/orders.local.yaml"
    assert stack.origin(("steps", "extract-http", "params", "date")) == "pipelines/orders.yaml"
    edit(project, "environments/local.yaml", "notify:\n  channels: [email]\n")
    assert env_of(project, "local").notify.channels == ["email"]
    edit(project, "pipelines/orders.yaml", "retry:\n  limit: 5\n")
    edit(project, "pipelines/orders.prod.yaml", "retry:\n  limit: 1\n")
    assert env_of(project, "local").retry.limit == 5  # over environments/local.yaml's 2
    assert env_of(project, "prod").retry.limit == 1
    origin = resolve(project, project.pipeline("orders"), "prod").stack.origin(
        ("retry", "limit"))
    assert origin == "pipelines/orders.prod.yaml"


@pytest.mark.parametrize(("rel", "extra", "path", "says"), [
    ("environments/prod.yaml", "retry:\n  limit: 50\n", "retry.limit",
     "less than or equal to 10"),
    ("environments/prod.yaml", "retry:\n  limt: 3\n", "retry.limt", "unknown field"),
    ("environments/prod.yaml", "retry:\n  backoff: {max_duration: 1d}\n",
     "retry.backoff.max_duration", "not a Go duration"),
    ("environments/prod.yaml", "memo:\n  max_age: '3600'\n", "memo.max_age",
     "not a Go duration"),
    ("environments/prod.yaml", "schedule:\n  schedules: ['0 25 * * *']\n",
     "schedule.schedules[0]", "hour: 25 is outside 0-23"),
    ("environments/prod.yaml", "schedule:\n  schedules: ['0 2 * *']\n",
     "schedule.schedules[0]", "has 4 fields"),
    ("environments/prod.yaml", "schedule:\n  timezone: Mars/Olympus_Mons\n",
     "schedule.timezone", "not an IANA time zone"),
    ("environments/prod.yaml", "schedule:\n  concurrency_policy: Sometimes\n",
     "schedule.concurrency_policy", "'Forbid'"),
    ("environments/prod.yaml", "namespace: Cadencia_Prod\n", "namespace", "DNS-1123"),
    ("environments/prod.yaml", "image:\n  tag: latest\n", "image.tag", "pinned image tag"),
    ("environments/prod.yaml", "resources:\n  load:\n    requests: {memory: 512MB}\n",
     "resources.load.requests.memory", "memory quantity"),
    ("environments/prod.yaml", "secrets:\n  target_db_url: {name: Bad_Name, key: url}\n",
     "secrets.target_db_url.name", "DNS-1123"),
    ("environments/prod.yaml", "notify:\n  channels: [log, webhook]\n",
     "notify.channels[1]", "needs secrets.notify_webhook_url"),
    ("environments/prod.yaml",
     "retry:\n  backoff: {max_duration: 20m}\ndeadlines:\n  load: 10m\n",
     "retry.backoff.max_duration", "20m does not fit inside the deadline of load (10m)"),
    ("environments/prod.yaml", "deadlines:\n  load: 3h\n", "deadlines.load",
     "longer than the hard deadline"),
    ("environments/prod.yaml", "sla:\n  soft: 3h\n", "sla.soft", "shorter than sla.hard"),
    ("pipelines/orders.prod.yaml", "sla:\n  soft: 3h\n", "sla.soft", "shorter than sla.hard"),
    ("pipelines/orders.prod.yaml", "steps:\n  load: {table: 'vendas; drop table x'}\n",
     "steps.load.table", "not a table name"),
    ("pipelines/orders.prod.yaml", "steps:\n  load: {mode: upsert}\n", "steps.load",
     "needs 'keys'"),
    ("pipelines/orders.prod.yaml", "steps:\n  clean: {key: [id-x]}\n", "steps.clean.key[0]",
     "not an identifier"),
    ("pipelines/orders.prod.yaml", f"steps:\n  load: {{partition_column: {'d' * 64}}}\n",
     "steps.load.partition_column", "at most 63"),
    ("pipelines/orders.prod.yaml",
     "steps:\n  extract-http: {url: 'http://x/{{workflow.name}}'}\n",
     "steps.extract-http.url", "Argo would substitute it"),
    ("pipelines/orders.prod.yaml", "steps:\n  extract-http: {schema: {id: integer64}}\n",
     "steps.extract-http.schema.id", "'int64'"),
    ("pipelines/orders.prod.yaml", "steps:\n  transform: {compute: {x: 'valor +* 2'}}\n",
     "steps.transform", "compute"),
    ("pipelines/orders.prod.yaml",
     "steps:\n  validate: {rules: [{kind: uniq, column: id}]}\n", "steps.validate",
     "did you mean 'unique'"),
    ("pipelines/orders.prod.yaml", "steps:\n  clean: {key: [id, categoria]}\n",
     "steps.validate.rules",
     "needs error-level rules not_null on 'categoria' and unique on ['id', 'categoria']"),
    ("pipelines/orders.prod.yaml", "steps:\n  clean: {key: [nome]}\n", "steps.validate.rules",
     "not_null on 'cliente' and unique on ['cliente']"),
])
def test_a_wrong_value_is_an_error_naming_its_file_and_field(
        project: Project, rel: str, extra: str, path: str, says: str) -> None:
    edit(project, rel, extra)
    (problem,) = problems(project, ["prod"])
    assert problem.startswith(f"{rel}: {path}: ") or (
        # a cross-step rule is reported where the rule to add lives
        path.startswith("steps.validate") and problem.startswith(
            f"pipelines/orders.yaml: {path}: ")), problem
    assert says in problem
    assert problem.endswith("(pipeline orders, environment prod)")


def test_accented_identifiers_are_accepted_and_past_63_bytes_refused_as_the_load_refuses(
        project: Project) -> None:
    from steps._core.db import check_identifier
    from steps._core.errors import ConfigError as StepConfigError

    edit(project, "pipelines/orders.prod.yaml",
         "steps:\n  load: {table: 'vendas_preço', partition_column: 'data_referência'}\n")
    load = next(t for t in yaml.safe_load(render(project, ["prod"])[("prod", "orders")]
                                      ["orders.yaml"])["spec"]["templates"]
            if t["name"] == "load")
    args = load["container"]["args"]
    assert [args[args.index(f) + 1] for f in ("--table", "--partition-column")] == [
        "vendas_preço", "data_referência"]
    too_long = "ç" * 32  # 64 bytes of UTF-8
    edit(project, "pipelines/orders.prod.yaml",
         f"steps:\n  load: {{partition_column: '{too_long}', table: 'public.{too_long}'}}\n")
    found = problems(project, ["prod"])
    assert [p.split(": ")[1] for p in found] == ["steps.load.table",
                                                 "steps.load.partition_column"]
    with pytest.raises(StepConfigError) as step:
        check_identifier(too_long, "partition column")
    for problem in found:  # one rule, one wording
        assert "it is 64 bytes in UTF-8; use letters of any script" in problem
        assert step.value.message.split(": ", 1)[1] in problem


def test_an_error_in_the_shared_defaults_names_that_file_for_every_environment(
        project: Project) -> None:
    base = project.environments_dir / "defaults.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace("America/Sao_Paulo",
                                                             "America/Sao_Paolo"),
                    encoding="utf-8")
    found = problems(project)
    assert [p.split(": ")[:2] for p in found] == [
        ["environments/defaults.yaml", "schedule.timezone"]] * 4
    assert sorted(p.rsplit("environment ", 1)[1] for p in found) == [
        "dev)", "local)", "prod)", "staging)"]


def test_every_problem_is_reported_at_once(project: Project) -> None:
    edit(project, "environments/prod.yaml", "retry:\n  limit: -1\nmemo:\n  max_age: 1d\n")
    edit(project, "environments/dev.yaml", "namespace: DEV\n")
    found = problems(project)
    assert [p.split(": ")[:2] for p in found] == [
        ["environments/dev.yaml", "namespace"], ["environments/prod.yaml", "retry.limit"],
        ["environments/prod.yaml", "memo.max_age"]]


def test_an_overlay_never_inherits_another_pipelines_keys(project: Project) -> None:
    """The issue's case: a second pipeline failed on orders' `compute 'dia'`, which its
    author never wrote. Now each pipeline reads only its own files."""
    add_pipeline(project, "shop", SHOP_PY, SHOP_YAML)
    edit(project, "pipelines/orders.prod.yaml",
         "steps:\n  transform: {compute: {dia_util: 'date(created_at)'}}\n")
    assert compiled_spec(project, "prod", "shop") == {"rename": {"name": "nome"}}
    orders = compiled_spec(project, "prod", "orders")
    assert set(orders["compute"]) == {"valor_total", "dia", "dia_util"}
    shop = resolve(project, project.pipeline("shop"), "prod")
    assert not any(origin.startswith("pipelines/orders") for _, _, origin in
                   shop.stack.leaves())


def test_an_overlay_deletes_an_inherited_key_with_null(project: Project) -> None:
    edit(project, "pipelines/orders.prod.yaml", "steps:\n  transform:\n    compute: {dia: null}\n"
         "    select: [id, cliente, categoria, valor, quantidade, valor_total, created_at]\n")
    prod = compiled_spec(project, "prod")
    assert set(prod["compute"]) == {"valor_total"} and "dia" not in prod["select"]
    assert "dia" in compiled_spec(project, "staging")["compute"]  # the other envs keep it
    stack = resolve(project, project.pipeline("orders"), "prod").stack
    assert stack.deleted_by(("steps", "transform", "compute", "dia")) == \
        "pipelines/orders.prod.yaml"
    # deleting a required value: the error says which file removed it
    edit(project, "pipelines/orders.prod.yaml", "steps:\n  load: {table: null}\n")
    (problem,) = problems(project, ["prod"])
    assert problem == ("pipelines/orders.prod.yaml: steps.load.table: required field is "
                       "missing (pipeline orders, environment prod)")


def test_a_shared_value_deleted_by_a_pipeline_falls_back_to_the_default(
        project: Project) -> None:
    assert env_of(project, "prod").backfill.parallelism == 3  # environments/prod.yaml
    edit(project, "pipelines/orders.prod.yaml", "backfill:\n  parallelism: null\n")
    assert env_of(project, "prod").backfill.parallelism == 2  # defaults.yaml's value


@pytest.mark.parametrize(("rel", "text", "says"), [
    ("environments/prod.yaml", "steps:\n  load: {table: x}\n",
     "environments/prod.yaml: steps: belongs in a pipeline's own settings"),
    ("pipelines/orders.qa.yaml", "retry: {limit: 1}\n",
     "pipelines/orders.qa.yaml: no environment 'qa'"),
    ("pipelines/refunds.yaml", "steps: {}\n",
     "pipelines/refunds.yaml: belongs to no pipeline (no refunds.py beside it)"),
    ("pipelines/orders.prod.yaml", "steps:\n  lod: {table: x}\n",
     "pipelines/orders.prod.yaml: steps.lod: no step named 'lod' in pipelines/orders.py"),
    ("pipelines/orders.prod.yaml", "name: sales\n",
     "pipelines/orders.prod.yaml: name: a pipeline is renamed in pipelines/orders.yaml only"),
])
def test_a_setting_in_the_wrong_place_is_named_by_its_file(
        project: Project, rel: str, text: str, says: str) -> None:
    path = project.root / "workflows" / rel
    path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + text,
                    encoding="utf-8")
    found = problems(project, ["prod"], pipeline=None)
    assert any(p.startswith(says) for p in found), found


def test_renaming_a_pipeline_is_one_field(project: Project) -> None:
    edit(project, "pipelines/orders.yaml", "name: sales\n")
    assert [p.name for p in project.pipelines() if p.stem == "orders"] == ["sales"]
    files = render(project, ["prod"])[("prod", "sales")]
    assert sorted(files) == ["sales-backfill.yaml", "sales-daily.yaml", "sales.yaml"]
    assert "orders" not in files["sales-daily.yaml"].split("Generated", 1)[1].split("\n", 4)[4]


def test_a_key_given_twice_is_refused_not_silently_overwritten(project: Project) -> None:
    path = project.environments_dir / "prod.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "namespace: cadencia-two\n",
                    encoding="utf-8")
    found = problems(project, ["prod"], pipeline=None)
    assert all("environments/prod.yaml" in p and "'namespace' is given twice" in p
               for p in found) and found


def test_an_unknown_environment_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"no environment 'qa' \(known: dev, local, prod"):
        resolve(REPO, REPO.pipeline("orders"), "qa")


@pytest.mark.parametrize("cron", ["0 2 * * *", "*/15 * * * *", "0 2 * * MON-FRI",
                                  "0 0 1 jan *", "30 1-5/2 1,15 * 0", "@daily", "0 2 ? * 7"])
def test_cron_lines_the_controller_accepts_are_accepted(project: Project, cron: str) -> None:
    edit(project, "environments/prod.yaml", f"schedule:\n  schedules: ['{cron}']\n")
    assert env_of(project, "prod").schedule.schedules == [cron]


def test_go_durations_convert_to_seconds() -> None:
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("90s") == 90
    assert parse_go_duration("1.5h") == 5400
    assert parse_go_duration("250ms") == 0.25
