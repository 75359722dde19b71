"""Logins refused at connect time, by a real PostgreSQL that asks for passwords.

A wrong password or an unknown role is refused (76) and an unknown database is a
configuration error (78), for ``load`` and ``extract_sql`` alike: Argo retries only 75,
so a bad secret makes one attempt, not three. The server's log counts the attempts.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.fixtures_pg_auth import AppLogin, log_count
from tests.support import StepResult, run_step
from workflows.devservices.postgres import TempPostgres

STEPS = ("load", "extract_sql")


def run(step: str, url: str, tmp_path: Path) -> StepResult:
    """``step`` as a real process against ``url`` (each step reads its own variable)."""
    if step == "load":
        path = tmp_path / "in.parquet"
        pq.write_table(pa.table({"id": [1, 2], "nome": ["a", "b"]}), path)
        return run_step("load", "--input", str(path), "--table", "orders",
                        "--logical-date", "2026-11-25", "--run-id", "r1",
                        env={"CADENCIA_TARGET_DB_URL": url})
    return run_step("extract_sql", "--query", "SELECT 1 AS id", "--out",
                    str(tmp_path / "out.parquet"), env={"CADENCIA_SOURCE_DB_URL": url})


def one_error(result: StepResult, code: int) -> str:
    assert result.code == code, result
    assert len(result.errors) == 1, result
    error = result.errors[0]
    assert error["exit_code"] == code
    return str(error["message"])


@pytest.mark.parametrize("step", STEPS)
def test_wrong_password_is_76_with_one_attempt_and_the_password_never_logged(
        step: str, password_login: AppLogin, tmp_path: Path) -> None:
    wrong = "Wr0ng-" + uuid.uuid4().hex
    refused = f'password authentication failed for user "{password_login.role}"'
    before = log_count(password_login.server, refused)
    result = run(step, password_login.url(password=wrong), tmp_path)
    message = one_error(result, 76)
    assert refused in message
    assert wrong not in result.stderr and wrong not in result.stdout
    assert password_login.password not in result.stderr
    assert log_count(password_login.server, refused) - before == 1  # one login, no retry
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize("step", STEPS)
def test_unknown_role_is_76_with_one_attempt(step: str, password_login: AppLogin,
                                             tmp_path: Path) -> None:
    # A server that asks for passwords does not say whether the role exists
    ghost = "ghost_" + uuid.uuid4().hex[:8]
    result = run(step, password_login.url(role=ghost), tmp_path)
    assert f'password authentication failed for user "{ghost}"' in one_error(result, 76)
    assert log_count(password_login.server, f'user "{ghost}"') == 1


@pytest.mark.parametrize("step", STEPS)
def test_unknown_role_on_a_server_that_names_it_is_76_with_one_attempt(
        step: str, postgres: TempPostgres, tmp_path: Path) -> None:
    # ...while one that trusts the host (or uses peer/cert auth) says so: 28000
    ghost = "ghost_" + uuid.uuid4().hex[:8]
    url = f"postgresql+psycopg://{ghost}@127.0.0.1:{postgres.port}/postgres"
    result = run(step, url, tmp_path)
    assert f'role "{ghost}" does not exist' in one_error(result, 76)
    assert log_count(postgres, f'role "{ghost}" does not exist') == 1


@pytest.mark.parametrize("step", STEPS)
def test_unknown_database_is_78_with_one_attempt(step: str, password_login: AppLogin,
                                                 tmp_path: Path) -> None:
    missing = "nodb_" + uuid.uuid4().hex[:8]
    result = run(step, password_login.url(database=missing), tmp_path)
    assert f'database "{missing}" does not exist' in one_error(result, 78)
    assert password_login.password not in result.stderr
    assert log_count(password_login.server, f'database "{missing}" does not exist') == 1


def test_the_right_password_loads(password_login: AppLogin, tmp_path: Path) -> None:
    """The refusals above are about the credentials, not the cluster."""
    result = run("load", password_login.url(), tmp_path)
    assert result.code == 0, result
    result = run("extract_sql", password_login.url(), tmp_path)
    assert result.code == 0, result
    assert pq.read_table(tmp_path / "out.parquet").to_pylist() == [{"id": 1}]


@pytest.mark.parametrize("step", STEPS)
def test_sqlite_database_in_a_missing_folder_is_78_not_retried(step: str,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "folder" / "target.db"
    result = run(step, f"sqlite:///{path}", tmp_path)
    message = one_error(result, 78)
    assert "does not exist" in message and str(path.parent) in message
    assert not path.parent.exists()
