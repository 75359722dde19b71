"""The compiled manifests under k8s/workflows/: fresh (golden), loadable by Hera, and
carrying what issue 3 requires (a test reads the YAML, not the Python objects)."""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hera.workflows import CronWorkflow, WorkflowTemplate

from workflows.argo.durations import parse_go_duration
from workflows.compile import check_stale, compile_all
from workflows.config import ConfigError, Environment, Project, resolve
from workflows.definitions.cron import run_date_expression
from workflows.engine.expr import substitute
from workflows.lint.crossref import strings

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENVS = ("dev", "local", "prod", "staging")
PROJECT = Project.default()
OUT_DIR = PROJECT.out_dir
FILES = ("orders/orders.yaml", "orders/orders-daily.yaml", "orders/orders-backfill.yaml")
MEMOIZED = {"extract-http", "extract-sql", "clean", "transform"}
STEPS = {"extract-http", "extract-sql", "clean", "transform", "validate", "load"}
KEY_PATTERN = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
RETRY = 'lastRetry.status == "Error" || asInt(lastRetry.exitCode) == 75'
# The only Argo expressions ({{=...}}) the manifests may use: the local engine implements
# exactly these (docs/workflows.md lists them).
_TICK = (r"sprig\.dateInZone\('2006-01-02', sprig\.mustToDate\('2006-01-02T15:04:05Z07:00', "
         r"workflow\.scheduledTime\), '[A-Za-z0-9_/+-]+'\)")
EXPRESSION_FORMS = (
    re.compile(rf"^{_TICK}$"),  # run_date_offset_days: 0
    re.compile(r"^sprig\.dateInZone\('2006-01-02', sprig\.dateModify\('-[0-9]+h', "
               rf"sprig\.mustToDate\('2006-01-02T15:04:05Z07:00', {_TICK} \+ 'T12:00:00Z'\)\), "
               r"'UTC'\)$"),
    re.compile(r"^sprig\.sha256sum\('[0-9a-f]{64}'"
               r"( \+ '\|' \+ inputs\.parameters\['[-a-z0-9]+'\])+\)$"),
)


@functools.cache
def load(env: str, name: str) -> dict[str, Any]:
    """A committed manifest, parsed once (tests only read it)."""
    data = yaml.load((OUT_DIR / env / name).read_text(encoding="utf-8"), Loader=SafeLoader)
    assert isinstance(data, dict)
    return data


def copy_project(tmp_path: Path) -> Project:
    """A copy of the shipped environments and pipelines that a test may change."""
    for part in ("environments", "pipelines"):
        shutil.copytree(PROJECT.root / "workflows" / part, tmp_path / "workflows" / part)
    return Project(tmp_path)


@functools.cache
def config(env: str) -> Environment:
    return resolve(PROJECT, PROJECT.pipeline("orders"), env).env


def templates(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in doc["spec"]["templates"]}


def containers(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (t for t in doc["spec"].get("templates", []) if "container" in t)


def evaluate_memo_key(key: str, inputs: dict[str, str]) -> str:
    """Argo's substitution of a memoize key of the one form cadencia emits."""
    prefix, sep, rest = key.partition("{{=")
    assert sep and rest.endswith("}}"), key
    expression = rest[:-2]
    assert any(f.match(expression) for f in EXPRESSION_FORMS), expression
    terms = expression.removeprefix("sprig.sha256sum(").removesuffix(")").split(" + ")
    text = ""
    for term in terms:
        literal = re.fullmatch(r"'([^']*)'", term)
        ref = re.fullmatch(r"inputs\.parameters\['([-a-z0-9]+)'\]", term)
        assert literal or ref, term
        text += literal.group(1) if literal else inputs[ref.group(1)]  # type: ignore[union-attr]
    return prefix + hashlib.sha256(text.encode()).hexdigest()


# --- golden files ------------------------------------------------------------------------

def test_a_fresh_compile_equals_the_committed_manifests_byte_for_byte(tmp_path: Path) -> None:
    written = compile_all(PROJECT, tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {
        f"{env}/{name}" for env in ENVS for name in FILES}
    assert {p.relative_to(tmp_path).as_posix() for p in written} == {
        p.relative_to(OUT_DIR).as_posix() for p in OUT_DIR.rglob("*.yaml")}
    for path in written:
        committed = OUT_DIR / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed} is stale: run `cadencia compile`")
    assert check_stale(PROJECT) == []


def test_check_stale_names_an_edited_a_missing_and_a_foreign_file(tmp_path: Path) -> None:
    out = tmp_path / "workflows"
    shutil.copytree(OUT_DIR, out)
    edited = out / "prod" / "orders" / "orders.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("limit: 3", "limit: 4"),
                      encoding="utf-8")
    (out / "dev" / "orders" / "orders-daily.yaml").unlink()
    (out / "dev" / "orders" / "old.yaml").write_text("kind: Old\n", encoding="utf-8")
    (out / "dev" / "gone").mkdir()
    (out / "dev" / "gone" / "gone.yaml").write_text("kind: Old\n", encoding="utf-8")
    assert check_stale(PROJECT, out) == [
        f"{out}/dev/orders/orders-daily.yaml: missing (run `cadencia compile`)",
        f"{out}/dev/gone/gone.yaml: not produced by `cadencia compile` any more",
        f"{out}/dev/orders/old.yaml: not produced by `cadencia compile` any more",
        f"{out}/prod/orders/orders.yaml: stale (run `cadencia compile`)",
    ]
    compile_all(PROJECT, out)
    assert check_stale(PROJECT, out) == []
    assert not (out / "dev" / "gone").exists()  # a removed pipeline's folder goes too


def test_compile_of_one_environment_leaves_the_others_alone(tmp_path: Path) -> None:
    written = compile_all(PROJECT, tmp_path, ["prod"])
    assert {p.parent.parent.name for p in written} == {"prod"} and len(written) % 3 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prod"]


def test_a_bad_configuration_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    prod = project.environments_dir / "prod.yaml"
    prod.write_text(prod.read_text(encoding="utf-8").replace("namespace: cadencia",
                                                             "namespace: Cadencia"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match=r"environments/prod\.yaml: namespace: "):
        compile_all(project, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("env", ENVS)
def test_every_file_says_it_is_generated_and_how_to_regenerate_it(env: str) -> None:
    for name in FILES:
        head = (OUT_DIR / env / name).read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith(f"# Generated by `cadencia compile --env {env}`")


@pytest.mark.parametrize("env", ENVS)
def test_hera_loads_every_manifest_back_unchanged(env: str) -> None:
    for name in FILES:
        text = (OUT_DIR / env / name).read_text(encoding="utf-8")
        kind = CronWorkflow if yaml.safe_load(text)["kind"] == "CronWorkflow" else WorkflowTemplate
        assert kind.from_yaml(text).to_dict() == yaml.safe_load(text)


# --- what issue 3 must show ----------------------------------------------------------------

def test_prod_cron_runs_the_template_daily_at_2_in_sao_paulo() -> None:
    cron = load("prod", FILES[1])
    assert cron["kind"] == "CronWorkflow"
    name = cron["metadata"]["name"]
    assert name == "orders-daily" and len(name) <= 52
    spec = cron["spec"]
    assert spec["timezone"] == "America/Sao_Paulo"
    assert spec["schedules"] == ["0 2 * * *"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    assert "schedule" not in spec
    assert spec["workflowSpec"]["workflowTemplateRef"] == {"name": "orders"}
    (param,) = spec["workflowSpec"]["arguments"]["parameters"]
    assert param == {"name": "run-date",
                     "value": run_date_expression("America/Sao_Paulo", -1)}
    assert config("prod").schedule.run_date_offset_days == -1


@pytest.mark.parametrize(("offset", "loads"), [(0, "2026-11-26"), (-2, "2026-11-24")])
def test_the_run_date_offset_setting_is_compiled_into_the_cron_run_date(
        tmp_path: Path, offset: int, loads: str) -> None:
    project = copy_project(tmp_path)
    prod = project.environments_dir / "prod.yaml"
    text = prod.read_text(encoding="utf-8")
    assert "\nschedule:\n" in text
    prod.write_text(text.replace("\nschedule:\n",
                                 f"\nschedule:\n  run_date_offset_days: {offset}\n"),
                    encoding="utf-8")
    compile_all(project, tmp_path / "out", ["prod"])
    cron = yaml.safe_load((tmp_path / "out" / "prod" / "orders" / "orders-daily.yaml")
                          .read_text())
    (param,) = cron["spec"]["workflowSpec"]["arguments"]["parameters"]
    assert param["value"] == run_date_expression("America/Sao_Paulo", offset)
    tick = {"workflow.scheduledTime": "2026-11-26T05:00:00Z"}  # 02:00 in Sao Paulo
    assert substitute(param["value"], tick, where="run-date") == loads
    assert substitute(compiled_cron_run_date(), tick, where="run-date") == "2026-11-25"


def compiled_cron_run_date() -> str:
    (param,) = load("prod", FILES[1])["spec"]["workflowSpec"]["arguments"][
        "parameters"]
    return str(param["value"])


def test_prod_template_has_a_hard_deadline_and_the_sla_daemon() -> None:
    etl = load("prod", FILES[0])
    env = config("prod")
    spec = etl["spec"]
    assert spec["activeDeadlineSeconds"] == parse_go_duration(env.sla.hard) == 7200
    main = templates(etl)[spec["entrypoint"]]
    watch = next(t for t in main["dag"]["tasks"] if t["name"] == "sla-watch")
    assert "dependencies" not in watch and watch["continueOn"] == {"error": True,
                                                                   "failed": True}
    daemon = templates(etl)[watch["template"]]
    assert daemon["daemon"] is True
    args = daemon["container"]["args"]
    assert daemon["container"]["command"] == ["python", "-m", "steps.notify"]
    assert args[args.index("--event") + 1] == "sla-at-risk"
    assert args[args.index("--delay-seconds") + 1] == "3600"


def test_the_dag_runs_both_extracts_in_parallel_then_the_chain() -> None:
    tasks = {t["name"]: t for t in templates(load("prod", FILES[0]))["main"]["dag"][
        "tasks"]}
    assert {n: t.get("dependencies", []) for n, t in tasks.items()} == {
        "sla-watch": [], "source-fingerprint": [],
        "extract-http": ["source-fingerprint"], "extract-sql": ["source-fingerprint"],
        "clean": ["extract-http", "extract-sql"], "transform": ["clean"],
        "validate": ["transform"], "load": ["validate"]}


@pytest.mark.parametrize("env", ENVS)
def test_every_step_template_has_retry_deadline_resources_and_security(env: str) -> None:
    cfg = config(env)
    for name in FILES:
        for t in containers(load(env, name)):
            retry = t["retryStrategy"]
            assert retry["retryPolicy"] == "Always" and retry["expression"] == RETRY
            assert retry["limit"] == cfg.retry.limit
            backoff = retry["backoff"]
            assert set(backoff) == {"duration", "factor", "cap", "maxDuration"}
            max_duration = parse_go_duration(backoff["maxDuration"])
            assert 0 < max_duration <= t["activeDeadlineSeconds"], t["name"]
            assert t["container"]["resources"]["requests"]["memory"]
            assert t["securityContext"] == {
                "runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
            assert t["container"]["securityContext"] == {
                "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
            assert t["container"]["volumeMounts"] == [{"name": "scratch", "mountPath": "/tmp"}]
            assert [v["name"] for v in t["volumes"]] == ["scratch"]
            assert ":" in t["container"]["image"] and not t["container"]["image"].endswith(
                ":latest")


@pytest.mark.parametrize("env", ENVS)
def test_templates_are_named_after_their_step_module(env: str) -> None:
    for name in FILES:
        for t in containers(load(env, name)):
            python, dash_m, module = t["container"]["command"]
            assert (python, dash_m) == ("python", "-m")
            expected = "notify" if t["name"] == "sla-watch" else t["name"]
            assert module == "steps." + expected.replace("-", "_")


@pytest.mark.parametrize("env", ENVS)
def test_memoize_is_on_the_pure_steps_only_with_a_valid_key(env: str) -> None:
    cfg = config(env)
    etl = load(env, FILES[0])
    memoized = {t["name"] for t in containers(etl) if "memoize" in t}
    assert memoized == MEMOIZED
    backfill = load(env, FILES[2])
    assert not [t["name"] for t in containers(backfill) if "memoize" in t]
    # nasty inputs: the key must still match Argo's pattern
    inputs = {"run-date": "2026-11-25T02:00:00-03:00", "source-fingerprint": "s:/ ",
              "extract-http-sha256": "a/b.c_d",
              "extract-sql-sha256": "x" * 64, "clean-sha256": ""}
    for name in sorted(MEMOIZED):
        memo = templates(etl)[name]["memoize"]
        assert memo["maxAge"] == cfg.memo.max_age
        assert memo["cache"] == {"configMap": {"name": cfg.memo.config_map}}
        declared = {p["name"] for p in templates(etl)[name]["inputs"]["parameters"]}
        key = evaluate_memo_key(memo["key"], {k: v for k, v in inputs.items() if k in declared})
        assert KEY_PATTERN.match(key) and key.startswith(f"{name}-"), key


def test_a_memo_key_changes_with_each_input() -> None:
    memo = templates(load("prod", FILES[0]))["clean"]["memoize"]
    base = {"run-date": "2026-11-25", "extract-http-sha256": "1" * 64,
            "extract-sql-sha256": "2" * 64}
    keys = {evaluate_memo_key(memo["key"], base)}
    for name, value in (("run-date", "2026-11-26"), ("extract-http-sha256", "3" * 64),
                        ("extract-sql-sha256", "4" * 64)):
        keys.add(evaluate_memo_key(memo["key"], {**base, name: value}))
    assert len(keys) == 4


@pytest.mark.parametrize("env", ENVS)
def test_extract_memo_keys_cover_the_source_fingerprint_which_never_sees_a_secret(
        env: str) -> None:
    etl = load(env, FILES[0])
    tasks = {t["name"]: t for t in templates(etl)["main"]["dag"]["tasks"]}
    for step in ("extract-http", "extract-sql"):
        args = {p["name"]: p["value"] for p in tasks[step]["arguments"]["parameters"]}
        assert args["source-fingerprint"] == (
            f"{{{{tasks.source-fingerprint.outputs.parameters.{step}}}}}")
        memo = templates(etl)[step]["memoize"]
        base = {"run-date": "2026-11-25", "source-fingerprint": "a" * 64}
        assert evaluate_memo_key(memo["key"], base) != evaluate_memo_key(
            memo["key"], {**base, "source-fingerprint": "b" * 64})
    fingerprint = templates(etl)["source-fingerprint"]
    assert "memoize" not in fingerprint  # it must look at the sources every run
    assert fingerprint["container"]["command"] == ["python", "-m", "steps.source_fingerprint"]
    args = fingerprint["container"]["args"]
    http_args = templates(etl)["extract-http"]["container"]["args"]
    assert args[args.index("--http") + 1] == (
        "extract-http=" + http_args[http_args.index("--url") + 1])
    assert args[args.index("--sql") + 1] == "extract-sql"
    refs = {e["name"] for e in fingerprint["container"]["env"] if "valueFrom" in e}
    assert refs == {"CADENCIA_SOURCE_DB_URL__EXTRACT_SQL"} | (
        {"CADENCIA_HTTP_USERNAME__EXTRACT_HTTP"} if config(env).secrets.http_username
        else set())
    assert not refs & {"CADENCIA_HTTP_TOKEN", "CADENCIA_HTTP_PASSWORD", "CADENCIA_HTTP_API_KEY"}


def test_a_memo_key_changes_with_the_step_config_and_image() -> None:
    prod, staging = (templates(load(e, FILES[0])) for e in ("prod", "staging"))
    # staging reads another API URL: a different extract-http config, the same clean
    assert prod["extract-http"]["memoize"]["key"] != staging["extract-http"]["memoize"]["key"]
    assert prod["clean"]["memoize"]["key"] == staging["clean"]["memoize"]["key"]
    local = templates(load("local", FILES[0]))
    assert local["clean"]["memoize"]["key"] != prod["clean"]["memoize"]["key"]  # image


@pytest.mark.parametrize("env", ENVS)
def test_artifacts_are_unarchived_and_paths_appear_only_as_placeholders(env: str) -> None:
    for name in FILES:
        for t in containers(load(env, name)):
            for artifact in t.get("outputs", {}).get("artifacts", []):
                assert artifact["archive"] == {"none": {}}
            for arg in t["container"]["args"]:
                assert "/tmp" not in arg, (t["name"], arg)
            for artifact in t.get("inputs", {}).get("artifacts", []):
                assert f"{{{{inputs.artifacts.{artifact['name']}.path}}}}" in t["container"][
                    "args"]
    spec_file = templates(load(env, FILES[0]))["transform"]["inputs"]["artifacts"][1]
    assert spec_file["name"] == "spec" and "compute" in yaml.safe_load(spec_file["raw"]["data"])


@pytest.mark.parametrize("env", ENVS)
def test_secrets_come_from_secret_key_refs_never_parameters(env: str) -> None:
    etl = templates(load(env, FILES[0]))
    refs = {t: {e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
                for e in etl[t]["container"]["env"] if "valueFrom" in e}
            for t in ("extract-http", "extract-sql", "clean", "load")}
    assert refs["extract-sql"] == {"CADENCIA_SOURCE_DB_URL": "cadencia-source-db"}
    assert refs["load"] == {"CADENCIA_TARGET_DB_URL": "cadencia-target-db"}
    assert refs["extract-http"] == {"CADENCIA_HTTP_TOKEN": "cadencia-http"}
    assert refs["clean"] == {}
    for t in etl.values():
        if "container" in t:
            assert t["container"]["envFrom"] == [
                {"configMapRef": {"name": "cadencia-settings", "optional": True}}]
            plain = [e for e in t["container"]["env"] if "value" in e]
            assert plain == [{"name": "CADENCIA_LOG_FORMAT", "value": "json"}]
    for name in FILES:
        spec = load(env, name)["spec"]
        params = spec.get("workflowSpec", spec)["arguments"]["parameters"]
        assert {p["name"] for p in params} <= {"run-date", "start-date", "end-date"}


def test_the_exit_handler_reports_status_failures_duration_sla_counts_and_notes() -> None:
    etl = load("prod", FILES[0])
    notify = templates(etl)[etl["spec"]["onExit"]]
    args = notify["container"]["args"]
    assert notify["container"]["command"] == ["python", "-m", "steps.notify"]
    for flag, value in (("--status", "{{workflow.status}}"),
                        ("--failures", "{{workflow.failures}}"),
                        ("--duration", "{{workflow.duration}}"), ("--sla-seconds", "3600")):
        assert args[args.index(flag) + 1] == value
    exported = {p["globalName"]: p for t in containers(etl)
                for p in t.get("outputs", {}).get("parameters", []) if "globalName" in p}
    for flag, name in (("--count", "rows"), ("--note", "note")):
        given = [args[i + 1] for i, a in enumerate(args) if a == flag]
        assert given == [f"{s}={{{{workflow.outputs.parameters.{name}-{s}}}}}" for s in
                         ("extract-http", "extract-sql", "clean", "transform", "validate",
                          "load")]
    assert set(exported) == {f"{name}-{s}" for s in STEPS for name in ("rows", "note")}
    assert all(p["valueFrom"]["default"] == "unknown" for n, p in exported.items()
               if n.startswith("rows-"))
    assert all(p["valueFrom"]["default"] == "" for n, p in exported.items()
               if n.startswith("note-"))
    assert "memoize" not in notify
    assert "memoize" not in templates(etl)["load"]


def test_metrics_cover_steps_rows_and_the_workflow() -> None:
    etl = load("prod", FILES[0])
    for t in containers(etl):
        for metric in t.get("metrics", {}).get("prometheus", []):
            assert NAME_PATTERN.match(metric["name"]) and metric["help"]
            assert all(NAME_PATTERN.match(label["key"]) for label in metric.get("labels", []))
        if t["name"] in STEPS:
            kinds = {m["name"]: {"histogram", "counter", "gauge"} & set(m) for m in
                     t["metrics"]["prometheus"]}
            assert kinds["cadencia_step_duration_seconds"] == {"histogram"}
            assert kinds["cadencia_step_results"] == {"counter"}
            labels = {lb["key"]: lb["value"] for lb in t["metrics"]["prometheus"][1]["labels"]}
            assert labels["step"] == t["name"] and labels["status"] == "{{status}}"
    rows = templates(etl)["load"]["metrics"]["prometheus"][2]
    assert rows["name"] == "cadencia_rows_loaded"
    assert rows["gauge"]["value"] == "{{outputs.parameters.rows}}"
    duration, misses = etl["spec"]["metrics"]["prometheus"]
    assert duration["gauge"] == {"realtime": True, "value": "{{workflow.duration}}"}
    assert misses["counter"] == {"value": "1"}
    assert misses["when"] == "{{workflow.duration}} > 3600"


def test_gc_ttl_mutex_and_service_accounts() -> None:
    spec = load("prod", FILES[0])["spec"]
    assert spec["podGC"]["strategy"] == "OnPodSuccess"
    assert spec["ttlStrategy"] == {"secondsAfterSuccess": 86400, "secondsAfterFailure": 604800}
    assert spec["serviceAccountName"] == "cadencia-workflow"
    assert spec["automountServiceAccountToken"] is False
    assert spec["executor"] == {"serviceAccountName": "cadencia-executor"}
    assert spec["artifactRepositoryRef"] == {"configMap": "artifact-repositories",
                                             "key": "cadencia"}
    load_template = templates(load("prod", FILES[0]))["load"]
    assert load_template["synchronization"] == {"mutexes": [{"name": "orders-load-vendas"}]}


def test_the_backfill_fans_out_over_dates_into_the_main_template() -> None:
    backfill = load("prod", FILES[2])
    main = templates(backfill)[backfill["spec"]["entrypoint"]]
    assert main["parallelism"] == 3 and main["dag"]["failFast"] is False
    dates, run = main["dag"]["tasks"]
    assert templates(backfill)[dates["template"]]["container"]["command"][-1] == (
        "steps.date_range")
    assert run["templateRef"] == {"name": "orders", "template": "main"}
    assert run["withParam"] == "{{tasks.dates.outputs.parameters.dates}}"
    assert run["arguments"]["parameters"] == [{"name": "run-date", "value": "{{item}}"}]
    etl = templates(load("prod", FILES[0]))
    assert etl["main"]["inputs"]["parameters"] == [{"name": "run-date"}]


@pytest.mark.parametrize("env", ENVS)
def test_names_fit_and_expressions_stay_in_the_documented_subset(env: str) -> None:
    for name in FILES:
        doc = load(env, name)
        limit = 52 if doc["kind"] == "CronWorkflow" else 63
        assert len(doc["metadata"]["name"]) <= limit
        assert doc["metadata"]["namespace"] == config(env).namespace
        for text in strings(doc):
            for expression in re.findall(r"\{\{=(.*?)\}\}", text):
                assert any(f.match(expression) for f in EXPRESSION_FORMS), expression
