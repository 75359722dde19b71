"""The `cadencia` command line as a user meets it: help, compile --check, lint, and which
pipeline `cadencia run` picks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from workflows.cli import main

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "lint_corpus"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no k8s/ of its own: `cadencia run` reads this checkout's."""
    monkeypatch.delenv("CADENCIA_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, command in main.commands.items():
        assert command.help, f"cadencia {name} has no help text"
        assert f"cadencia {name}" in readme, f"README.md never shows `cadencia {name}`"
        code, out = invoke(name, "--help")
        assert code == 0 and "Example" in out


def test_compile_check_says_the_committed_manifests_are_current() -> None:
    code, _ = invoke("compile", "--check", "--out", str(ROOT / "k8s" / "workflows"))
    assert code == 0


def test_compile_check_fails_on_a_hand_edited_manifest(tmp_path: Path) -> None:
    out = tmp_path / "workflows"
    assert invoke("compile", "--out", str(out))[0] == 0
    daily = out / "prod" / "orders" / "orders-daily.yaml"
    daily.write_text(daily.read_text().replace("0 2 * * *", "0 3 * * *"))
    code, output = invoke("compile", "--check", "--out", str(out))
    assert code == 1 and "prod/orders/orders-daily.yaml" in output


def test_lint_is_clean_on_the_compiled_manifests() -> None:
    assert invoke("lint", str(ROOT / "k8s" / "workflows"))[0] == 0


def test_lint_no_policy_and_fail_on_error_let_a_users_own_workflow_pass() -> None:
    policy_only = str(CORPUS / "container-retry.yaml")
    code, out = invoke("lint", policy_only)
    assert code == 1 and " warning " in out and "container-retry" in out
    assert invoke("lint", "--fail-on", "error", policy_only)[0] == 0
    code, out = invoke("lint", "--no-policy", policy_only)
    assert code == 0 and "container-retry" not in out
    assert invoke("lint", "--no-policy", str(CORPUS / "retry-policy.yaml"))[0] == 1


@pytest.mark.parametrize("broken", ["retry-policy.yaml", "memoize-key.yaml"])
def test_lint_exits_1_and_names_the_rule(broken: str) -> None:
    code, out = invoke("lint", str(CORPUS / broken))
    assert code == 1 and broken.removesuffix(".yaml") in out


def test_run_with_several_compiled_pipelines_and_none_named_exits_2_listing_them(
        elsewhere: Path) -> None:
    code, out = invoke("run", "--date", "2026-11-25", "--home", str(elsewhere / "home"))
    assert code == 2
    assert "k8s/workflows/local holds 2 pipelines; pick one with --pipeline NAME" in out
    assert "  customer-payments  loads customers, payments_daily\n" in out
    assert "  orders             loads vendas\n" in out
    assert "e.g. cadencia run --pipeline customer-payments" in out
    assert not (elsewhere / "home").exists()  # nothing seeded, nothing run


def test_run_of_a_pipeline_that_is_not_compiled_exits_2_listing_the_compiled_ones(
        elsewhere: Path) -> None:
    code, out = invoke("run", "--env", "prod", "--pipeline", "order",
                       "--home", str(elsewhere / "home"))
    assert code == 2
    assert "no pipeline 'order' is compiled in" in out and "k8s/workflows/prod" in out
    assert "  orders             loads vendas" in out
    assert "e.g. cadencia run --env prod --pipeline orders" in out  # the closest name


def test_run_pipeline_with_a_manifest_path_exits_2_and_points_at_entry(elsewhere: Path) -> None:
    manifest = ROOT / "k8s" / "workflows" / "local" / "orders" / "orders.yaml"
    code, out = invoke("run", "--env", str(manifest), "--pipeline", "orders")
    assert code == 2 and "is a manifest path: name the workflow to run with --entry" in out


def test_every_command_turns_the_known_errors_into_messages_and_exit_codes() -> None:
    """cli/errors.py names each exception by module and class (importing them would slow
    every start): a renamed or moved one would print a traceback instead of its message."""
    import importlib

    from workflows.cli.errors import EXIT_CODES, Command

    assert [n for n, c in main.commands.items() if not isinstance(c, Command)] == []
    for name in EXIT_CODES:
        module, _, cls = name.rpartition(".")
        found = getattr(importlib.import_module(module), cls, None)
        assert isinstance(found, type) and issubclass(found, Exception), name


def test_an_unknown_run_is_one_error_line_and_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["get", "nope", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no run 'nope' in {tmp_path / 'runs'} (runs, " \
                                    "newest first: none yet)"
