"""``cadencia lint``: the corpus of broken manifests, the CLI contract, and the rules' edges.

Every ``lint_corpus/<rule-id>[--variant].yaml`` is ``lint_corpus/valid/pipeline.yaml`` with
one change; lint must report exactly that rule id for it, and nothing for the valid base.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from workflows.argo.durations import is_go_duration
from workflows.lint import POLICY, RULES, lint_paths, main
from workflows.lint.cron import schedule_error, timezone_error
from workflows.lint.expressions import expression_variables
from workflows.lint.findings import format_path
from workflows.lint.images import image_problem
from workflows.lint.secrets import secret_reason

CORPUS = Path(__file__).parent / "lint_corpus"
VALID = CORPUS / "valid" / "pipeline.yaml"
BROKEN = sorted(CORPUS.glob("*.yaml"))
COMPILED = Path(__file__).parents[2] / "k8s" / "workflows"


def rule_of(path: Path) -> str:
    return path.stem.split("--")[0]


def test_the_valid_base_lints_clean() -> None:
    assert lint_paths([VALID]) == []


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_broken_manifest_reports_exactly_its_rule(path: Path) -> None:
    findings = lint_paths([path])
    assert findings, f"{path.name}: no finding"
    assert {f.rule for f in findings} == {rule_of(path)}, [f.format() for f in findings]


def test_every_rule_has_a_broken_manifest_and_every_manifest_a_rule() -> None:
    covered = {rule_of(p) for p in BROKEN}
    assert covered == set(RULES)


def _body(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if not line.startswith("#")]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_each_broken_manifest_changes_the_valid_base_in_one_place(path: Path) -> None:
    opcodes = difflib.SequenceMatcher(None, _body(VALID), _body(path)).get_opcodes()
    assert len([op for op in opcodes if op[0] != "equal"]) == 1


def test_main_prints_one_line_per_finding_and_returns_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / "retry-policy.yaml"
    assert main([str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    where, severity, yaml_path, rule, message = lines[0].split(" ", 4)
    file, line = where.rsplit(":", 1)
    assert Path(file).resolve() == path.resolve()
    assert path.read_text().splitlines()[int(line) - 1].strip() == "retryPolicy: OnErrors"
    assert yaml_path == "spec.templates[2].retryStrategy.retryPolicy"
    assert (severity, rule) == ("error", "retry-policy")
    assert "'OnErrors'" in message


def test_house_policy_is_a_warning_that_no_policy_leaves_out_and_argo_faults_stay_errors(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's own workflow without our retries/resources/security context: warnings, which
    ``--no-policy`` drops; an Argo fault in the same folder is still an error."""
    shutil.copy(CORPUS / "container-resources.yaml", tmp_path / "mine.yaml")
    shutil.copy(CORPUS / "security-context.yaml", tmp_path / "theirs.yaml")
    assert main([str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert [line.split(" ")[1] for line in out.splitlines()] == ["warning", "warning"]
    assert "2 files, 0 errors, 2 warnings" in err
    assert main([str(tmp_path)], fail_on="error") == 0  # printed, not failing
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main([str(tmp_path)], policy=False) == 0
    out, err = capsys.readouterr()
    assert out == "" and "clean (house policy off)" in err
    shutil.copy(CORPUS / "retry-policy.yaml", tmp_path / "broken.yaml")
    assert main([str(tmp_path)], policy=False, fail_on="error") == 1
    out, err = capsys.readouterr()
    assert [line.split(" ")[1:4:2] for line in out.splitlines()] == [["error", "retry-policy"]]
    assert "1 error, 0 warnings (house policy off)" in err


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_has_the_severity_its_kind_says(rule: str) -> None:
    """Policy rules are the ones Argo accepts: their corpus manifest passes the schema and
    every Argo rule, and only the policy finding remains."""
    broken = next(p for p in BROKEN if rule_of(p) == rule)
    findings = lint_paths([broken])
    assert {f.severity for f in findings} == {"warning" if rule in POLICY else "error"}


@pytest.mark.parametrize(("cap", "rules"), [('"5"', []), ('"30s"', []),
                                            ("5", ["schema-type"]),
                                            ('"5 s"', ["backoff-duration"]),
                                            ('"1d"', ["backoff-duration"])])
def test_a_numeric_backoff_cap_is_seconds_as_argo_parses_it(
        tmp_path: Path, cap: str, rules: list[str]) -> None:
    """operator.go parses cap with ParseStringToDuration: a bare integer is seconds. Cap is
    a Go string, so an unquoted YAML number does not decode (the schema's type error,
    which says to quote it)."""
    text = VALID.read_text()
    assert text.count("cap: 2m\n") == 1
    path = tmp_path / "wf.yaml"
    path.write_text(text.replace("cap: 2m\n", f"cap: {cap}\n"))
    findings = lint_paths([path])
    assert [f.rule for f in findings] == rules
    if rules == ["schema-type"]:
        assert "quote it: '5'" in findings[0].message


def test_main_returns_0_on_a_clean_folder(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(VALID, tmp_path / "a.yml")
    (tmp_path / "sub").mkdir()
    shutil.copy(VALID, tmp_path / "sub" / "b.yaml")
    (tmp_path / "notes.txt").write_text("not yaml: [")
    assert main([str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "2 files" in captured.err


def test_yaml_paths_print_like_their_source() -> None:
    path = ("metadata", "labels", "workflows.argoproj.io/configmap-type")
    assert format_path(path) == 'metadata.labels["workflows.argoproj.io/configmap-type"]'
    assert format_path(("spec", "templates", 3, "retryStrategy")) == \
        "spec.templates[3].retryStrategy"


def test_main_returns_2_for_a_missing_path(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope")]) == 2


def test_templateref_targets_resolve_across_the_files_linted_together(tmp_path: Path) -> None:
    docs = VALID.read_text().split("\n---\n")
    (tmp_path / "etl.yaml").write_text(docs[0])
    (tmp_path / "cron.yaml").write_text(docs[1])
    alone = lint_paths([tmp_path / "cron.yaml"])
    assert [f.rule for f in alone] == ["unknown-workflow-template"]
    assert lint_paths([tmp_path]) == []


def test_other_kinds_must_only_parse(tmp_path: Path) -> None:
    path = tmp_path / "rbac.yaml"
    path.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\n"
                    "stringData: {password: hunter2}\n---\n"
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n"
                    "rules: [{apiGroups: [argoproj.io], resources: [workflowtaskresults], "
                    "verbs: [create, patch]}]\n")
    assert lint_paths([path]) == []
    path.write_text("apiVersion: v1\nkind: ConfigMap\ndata: {a: [1}\n")
    assert [f.rule for f in lint_paths([path])] == ["yaml-parse"]


@pytest.mark.skipif(not COMPILED.is_dir(), reason="no compiled manifests yet")
def test_the_compiled_manifests_lint_clean() -> None:
    findings = lint_paths([COMPILED])
    assert findings == [], "\n".join(f.format() for f in findings)


@pytest.mark.parametrize("schedule", ["0 2 * * *", "*/15 * * * *", "0 2 * * MON-FRI",
                                      "0 0 1 JAN,jul ?", "5-10/2 0 1-31 1-12 0-6", "@daily",
                                      "@every 1h30m", "CRON_TZ=UTC 0 2 * * *"])
def test_cron_schedules_robfig_accepts(schedule: str) -> None:
    assert schedule_error(schedule) is None


@pytest.mark.parametrize("schedule", ["0 2 * *", "0 0 2 * * *", "60 * * * *", "0 2 * * 7",
                                      "*/0 * * * *", "5-1 * * * *", "0 2 * * FUN", "@nightly",
                                      "@every 1d", ""])
def test_cron_schedules_robfig_rejects(schedule: str) -> None:
    assert schedule_error(schedule) is not None


def test_timezones_are_iana_names() -> None:
    assert timezone_error("America/Sao_Paulo") is None
    assert timezone_error("UTC") is None
    assert timezone_error("BRT") is not None
    assert timezone_error("../etc/passwd") is not None


@pytest.mark.parametrize(("value", "ok"), [("30s", True), ("1h30m", True), ("1.5h", True),
                                           ("0", True), ("1d", False), ("30", False),
                                           ("10 s", False), ("", False)])
def test_go_durations(value: str, ok: bool) -> None:
    assert is_go_duration(value) is ok


@pytest.mark.parametrize(("image", "ok"), [
    ("ghcr.io/a/b:1.2.3", True), ("localhost:5000/b:1", True), ("b@sha256:" + "0" * 64, True),
    ("ghcr.io/a/b:{{workflow.parameters.tag}}", True), ("{{inputs.parameters.image}}", True),
    ("ghcr.io/a/b:latest", False), ("localhost:5000/b", False), ("python", False),
    ("{{inputs.parameters.repo}}:latest", False)])
def test_images_must_be_pinned(image: str, ok: bool) -> None:
    assert (image_problem(image) is None) is ok


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("db-password", "hunter2", True), ("API_KEY", "abc", True),
    ("dsn", "postgresql://u@h/db", True), ("url", "https://u:p@example.com/x", True),
    ("header", "Bearer abcdefghijkl", True), ("key", "AKIAABCDEFGHIJKLMNOP", True),
    ("db-password", "{{inputs.parameters.p}}", False), ("db-secret-name", "cadencia-db", False),
    ("token-path", "/var/run/token", False), ("run-date", "2024-01-01", False),
    ("url", "https://example.com/orders?page=1", False), ("url", "postgresql://db/x", False)])
def test_secret_heuristics(name: str, value: str, secret: bool) -> None:
    assert (secret_reason(name, value) is not None) is secret


def test_expression_variables_skip_functions_strings_and_members() -> None:
    expr = ("sprig.trunc(10, workflow.scheduledTime) + inputs.parameters['run-date'] + "
            "'tasks.x.not.a.variable' + jsonpath(tasks.a.outputs.result, '$.n').x ?? 0")
    assert expression_variables(expr) == ["workflow.scheduledTime", "inputs.parameters.run-date",
                                          "tasks.a.outputs.result"]
