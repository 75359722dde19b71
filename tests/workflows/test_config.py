"""The typed pipeline configuration: shipped values, defaults, overlays, and errors that
name the field path and the file at fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from workflows.argo.durations import parse_go_duration
from workflows.config import (
    CONFIG_DIR,
    ConfigError,
    environment_names,
    load_config,
    load_environment,
    merge,
)

MINIMAL = {
    "pipeline": {
        "sources": {"http": {"url": "http://127.0.0.1:8080/orders"},
                    "sql": {"query": "SELECT 1"}},
        "transform": {"rename": {"a": "b"}},
        "validation": {"reject_threshold": 0.0, "rules": [{"kind": "min_rows", "value": 1}]},
        "target": {"table": "vendas"},
    },
    "image": {"repository": "ghcr.io/org/cadencia", "tag": "1.2.3"},
    "secrets": {"source_db_url": {"name": "src", "key": "url"},
                "target_db_url": {"name": "dst", "key": "url"}},
}


def write(folder: Path, name: str, data: object) -> None:
    (folder / name).write_text(yaml.safe_dump(data), encoding="utf-8")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the shipped configuration that a test may break."""
    shutil.copytree(CONFIG_DIR, tmp_path / "pipeline")
    return tmp_path / "pipeline"


def overlay(config_dir: Path, env: str, extra: str) -> None:
    """Set the values of the YAML text ``extra`` in ``<env>.yaml``."""
    path = config_dir / f"{env}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    write(config_dir, path.name, merge(data, yaml.safe_load(extra)))


def problems(config_dir: Path, envs: list[str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(envs, config_dir)
    return info.value.problems


def test_the_shipped_configuration_has_four_environments_and_the_issue_defaults() -> None:
    assert environment_names() == ["dev", "local", "prod", "staging"]
    prod = load_config().environments["prod"]
    assert prod.schedule.schedules == ["0 2 * * *"]
    assert prod.schedule.timezone == "America/Sao_Paulo"
    assert prod.schedule.concurrency_policy == "Forbid"
    assert prod.sla.soft == "1h" and prod.memo.max_age == "1h"
    assert prod.namespace == "cadencia" and prod.image.tag != "latest"
    assert prod.notify.channels == ["log", "slack", "email"]


def test_defaults_fill_what_a_minimal_config_leaves_out(tmp_path: Path) -> None:
    write(tmp_path, "pipeline.yaml", MINIMAL)
    write(tmp_path, "qa.yaml", {"namespace": "cadencia-qa"})
    env = load_environment("qa", tmp_path)
    assert env.schedule.schedules == ["0 2 * * *"]
    assert env.schedule.timezone == "America/Sao_Paulo"
    assert env.sla.soft == "1h" and env.memo.max_age == "1h"
    assert env.retry.limit == 3 and env.notify.channels == ["log"]
    assert env.pipeline.target.mode == "replace-partition"


def test_an_overlay_merges_mappings_and_replaces_lists(config_dir: Path) -> None:
    local = load_environment("local", config_dir)
    # params: the base's date stays, the overlay adds records
    assert local.pipeline.sources.http.params == {"date": "{logical_date}", "records": "2000"}
    assert local.pipeline.sources.http.pagination.page_size == 500
    overlay(config_dir, "local", "notify:\n  channels: [email]\n")
    assert load_environment("local", config_dir).notify.channels == ["email"]


@pytest.mark.parametrize(("extra", "path", "says"), [
    ("retry:\n  limit: 50\n", "environments.prod.retry.limit", "less than or equal to 10"),
    ("retry:\n  limt: 3\n", "environments.prod.retry.limt", "unknown field"),
    ("retry:\n  backoff: {max_duration: 1d}\n", "environments.prod.retry.backoff.max_duration",
     "not a Go duration"),
    ("memo:\n  max_age: '3600'\n", "environments.prod.memo.max_age", "not a Go duration"),
    ("schedule:\n  schedules: ['0 25 * * *']\n", "environments.prod.schedule.schedules[0]",
     "hour: 25 is outside 0-23"),
    ("schedule:\n  schedules: ['0 2 * *']\n", "environments.prod.schedule.schedules[0]",
     "has 4 fields"),
    ("schedule:\n  timezone: Mars/Olympus_Mons\n", "environments.prod.schedule.timezone",
     "not an IANA time zone"),
    ("schedule:\n  concurrency_policy: Sometimes\n",
     "environments.prod.schedule.concurrency_policy", "'Forbid'"),
    ("namespace: Cadencia_Prod\n", "environments.prod.namespace", "DNS-1123"),
    ("image:\n  tag: latest\n", "environments.prod.image.tag", "pinned image tag"),
    ("resources:\n  load:\n    requests: {memory: 512MB}\n",
     "environments.prod.resources.load.requests.memory", "memory quantity"),
    ("secrets:\n  target_db_url: {name: Bad_Name, key: url}\n",
     "environments.prod.secrets.target_db_url.name", "DNS-1123"),
    ("pipeline:\n  target: {table: 'vendas; drop table x'}\n",
     "environments.prod.pipeline.target.table", "not a table name"),
    ("pipeline:\n  target: {mode: upsert}\n", "environments.prod.pipeline.target",
     "needs 'keys'"),
    ("pipeline:\n  clean: {key: [id-x]}\n", "environments.prod.pipeline.clean.key[0]",
     "not an identifier"),
    (f"pipeline:\n  target: {{partition_column: {'d' * 64}}}\n",
     "environments.prod.pipeline.target.partition_column", "at most 63"),
    ("pipeline:\n  sources: {http: {url: 'http://x/{{workflow.name}}'}}\n",
     "environments.prod.pipeline.sources.http.url", "Argo would substitute it"),
    ("pipeline:\n  sources: {http: {schema: {id: integer64}}}\n",
     "environments.prod.pipeline.sources.http.schema.id", "'int64'"),
    ("pipeline:\n  transform: {compute: {x: 'valor +* 2'}}\n",
     "environments.prod.pipeline.transform", "compute"),
    ("pipeline:\n  validation: {rules: [{kind: uniq, column: id}]}\n",
     "environments.prod.pipeline.validation", "did you mean 'unique'"),
    ("notify:\n  channels: [log, webhook]\n", "environments.prod.notify.channels[1]",
     "needs secrets.notify_webhook_url"),
    ("retry:\n  backoff: {max_duration: 20m}\ndeadlines:\n  load: 10m\n",
     "environments.prod.retry.backoff.max_duration",
     "20m does not fit inside the deadline of load (10m)"),
    ("deadlines:\n  load: 3h\n", "environments.prod.deadlines.load",
     "longer than the hard deadline"),
    ("sla:\n  soft: 3h\n", "environments.prod.sla.soft", "shorter than sla.hard"),
    ("pipeline:\n  clean: {key: [id, categoria]}\n", "environments.prod.pipeline.clean.key",
     "needs error-level rules not_null on 'categoria' and unique on ['id', 'categoria']"),
    ("pipeline:\n  clean: {key: [nome]}\n", "environments.prod.pipeline.clean.key",
     "not_null on 'cliente' and unique on ['cliente']"),
])
def test_a_wrong_value_is_an_error_naming_its_field_path(config_dir: Path, extra: str,
                                                        path: str, says: str) -> None:
    overlay(config_dir, "prod", extra)
    (problem,) = problems(config_dir, ["prod"])
    assert problem.startswith(path + ": "), problem
    assert says in problem
    assert problem.endswith("(prod.yaml)")


def test_accented_identifiers_are_accepted_and_past_63_bytes_refused_as_the_load_refuses(
        config_dir: Path) -> None:
    from steps._core.db import check_identifier
    from steps._core.errors import ConfigError as StepConfigError

    overlay(config_dir, "prod", "pipeline:\n  target: {table: 'vendas_preço', "
                                "partition_column: 'data_referência'}\n")
    target = load_environment("prod", config_dir).pipeline.target
    assert (target.table, target.partition_column) == ("vendas_preço", "data_referência")
    too_long = "ç" * 32  # 64 bytes of UTF-8
    overlay(config_dir, "prod", f"pipeline:\n  target: {{partition_column: '{too_long}', "
                                f"table: 'public.{too_long}'}}\n")
    found = problems(config_dir, ["prod"])
    assert [p.split(":")[0] for p in found] == ["environments.prod.pipeline.target.table",
                                                "environments.prod.pipeline.target"
                                                ".partition_column"]
    with pytest.raises(StepConfigError) as step:
        check_identifier(too_long, "partition column")
    for problem in found:  # one rule, one wording
        assert "it is 64 bytes in UTF-8; use letters of any script" in problem
        assert step.value.message.split(": ", 1)[1] in problem


def test_an_error_in_the_base_file_names_it_for_every_environment(config_dir: Path) -> None:
    base = config_dir / "pipeline.yaml"
    base.write_text(base.read_text(encoding="utf-8").replace("America/Sao_Paulo",
                                                             "America/Sao_Paolo"),
                    encoding="utf-8")
    found = problems(config_dir)
    assert sorted(p.split(":")[0] for p in found) == [
        f"environments.{e}.schedule.timezone" for e in ("dev", "local", "prod", "staging")]
    assert all(p.endswith("(pipeline.yaml)") for p in found)


def test_every_problem_is_reported_at_once(config_dir: Path) -> None:
    overlay(config_dir, "prod", "retry:\n  limit: -1\nmemo:\n  max_age: 1d\n")
    overlay(config_dir, "dev", "namespace: DEV\n")
    found = problems(config_dir)
    assert [p.split(":")[0] for p in found] == [
        "environments.dev.namespace", "environments.prod.retry.limit",
        "environments.prod.memo.max_age"]


def test_a_key_given_twice_is_refused_not_silently_overwritten(config_dir: Path) -> None:
    path = config_dir / "prod.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "namespace: cadencia-two\n",
                    encoding="utf-8")
    (problem,) = problems(config_dir, ["prod"])
    assert "prod.yaml" in problem and "'namespace' is given twice" in problem


def test_an_unknown_environment_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"environments\.qa: no such environment .*prod"):
        load_environment("qa")


@pytest.mark.parametrize("cron", ["0 2 * * *", "*/15 * * * *", "0 2 * * MON-FRI",
                                  "0 0 1 jan *", "30 1-5/2 1,15 * 0", "@daily", "0 2 ? * 7"])
def test_cron_lines_the_controller_accepts_are_accepted(config_dir: Path, cron: str) -> None:
    overlay(config_dir, "prod", f"schedule:\n  schedules: ['{cron}']\n")
    assert load_environment("prod", config_dir).schedule.schedules == [cron]


def test_go_durations_convert_to_seconds() -> None:
    assert parse_go_duration("1h30m") == 5400
    assert parse_go_duration("90s") == 90
    assert parse_go_duration("1.5h") == 5400
    assert parse_go_duration("250ms") == 0.25
