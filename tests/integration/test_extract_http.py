"""extract_http as a real process against the sample API on 127.0.0.1.

Every pagination style and auth mode end to end, and for each bad input: the exit code
Argo acts on, exactly one error line that names the cause, and no output file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.fixtures_http import DATE, FAST_RETRIES, serve
from tests.support import ROOT, StepResult, run_step
from tests.support import assert_failed_without_output as assert_fails
from workflows.devservices.sample_api import Faults, SampleApi, api_key, basic, bearer
from workflows.devservices.sample_data import order

TOKEN = "tok-9f8e7d6c5b4a"


@pytest.fixture
def api() -> Iterator[SampleApi]:
    with serve(records=250) as server:
        yield server


def extract(api: SampleApi, out: Path, *args: str, style: str = "page",
            env: dict[str, str] | None = None) -> StepResult:
    return run_step(
        "extract_http", "--url", f"{api.url}/orders/{style}", "--logical-date", DATE,
        "--param", "date={logical_date}", "--out", str(out), *args,
        env={**FAST_RETRIES, **(env or {})}, timeout=60)


def summary(result: StepResult) -> dict[str, object]:
    lines = [r["summary"] for r in result.logs if r["message"] == "extract_http finished"]
    assert result.code == 0 and len(lines) == 1, result
    return lines[0]


@pytest.mark.parametrize(("style", "args"), [
    ("page", ["--page-size", "100"]),
    ("offset", ["--pagination", "offset", "--page-size", "100"]),
    ("cursor", ["--pagination", "cursor", "--page-size", "100"]),
    ("link", ["--pagination", "link", "--page-size", "100", "--next-field", "next"]),
    ("list", ["--pagination", "link", "--page-size", "100", "--records-path", ""]),
])
def test_every_pagination_style_extracts_all_records_in_order(
        api: SampleApi, tmp_path: Path, style: str, args: list[str]) -> None:
    out, rows_out = tmp_path / "orders.parquet", tmp_path / "rows.txt"
    result = extract(api, out, "--rows-out", str(rows_out), *args, style=style)
    s = summary(result)
    assert (s["rows"], s["pages"], s["http_retries"]) == (250, 3, 0)
    assert rows_out.read_text() == "250"
    table = pq.read_table(out)
    assert table.schema.names == ["id", "nome", "valor", "quantidade", "created_at", "categoria"]
    assert table.column("id").to_pylist() == list(range(1, 251))
    assert table.slice(137, 1).to_pylist() == [order(DATE, 137)]
    assert api.requests == 3 and all(f"date={DATE}" in p for p in api.seen)


def test_the_reported_total_alone_ends_the_pages(tmp_path: Path) -> None:
    with serve(records=250, has_more=False) as api:
        s = summary(extract(api, tmp_path / "o.parquet", "--page-size", "100"))
    assert (s["rows"], s["end"]) == (250, "reached the reported total of 250")


def test_an_empty_last_page_ends_only_with_stop_on_empty(tmp_path: Path) -> None:
    with serve(records=200, has_more=False, total=False) as api:
        s = summary(extract(api, tmp_path / "o.parquet", "--page-size", "100",
                            "--stop-on-empty"))
        assert (s["rows"], s["pages"], s["end"]) == (200, 3, "empty page")
        out = tmp_path / "refused.parquet"
        assert_fails(extract(api, out, "--page-size", "100"), 65, "--stop-on-empty", out)


def test_a_short_page_without_end_marker_fails_as_possible_truncation(tmp_path: Path) -> None:
    with serve(records=250, has_more=False, total=False) as api:
        out = tmp_path / "o.parquet"
        result = extract(api, out, "--page-size", "100")
    assert_fails(result, 65, "page 3 has 50 records, fewer than the page size 100", out)


def test_declared_schema_types_the_columns(api: SampleApi, tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    summary(extract(api, out, "--schema", "id:int32,created_at:timestamp,valor:float64"))
    table = pq.read_table(out)
    assert table.schema == pa.schema([("id", pa.int32()), ("created_at", pa.timestamp("us")),
                                      ("valor", pa.float64())])
    assert table.num_rows == 250


@pytest.mark.parametrize(("require", "env"), [
    (bearer(TOKEN), {"CADENCIA_HTTP_AUTH": "bearer", "CADENCIA_HTTP_TOKEN": TOKEN}),
    (basic("etl", TOKEN), {"CADENCIA_HTTP_AUTH": "basic", "CADENCIA_HTTP_USERNAME": "etl",
                           "CADENCIA_HTTP_PASSWORD": TOKEN}),
    (api_key(TOKEN, "X-Orders-Key"), {"CADENCIA_HTTP_AUTH": "api-key",
                                      "CADENCIA_HTTP_API_KEY": TOKEN,
                                      "CADENCIA_HTTP_API_KEY_HEADER": "X-Orders-Key"}),
])
def test_each_auth_mode_from_the_environment(tmp_path: Path, require: tuple[str, str],
                                             env: dict[str, str]) -> None:
    with serve(records=250, auth=require) as api:
        result = extract(api, tmp_path / "o.parquet", env={**env, "CADENCIA_LOG_LEVEL": "DEBUG"})
        assert summary(result)["rows"] == 250
        out = tmp_path / "refused.parquet"
        wrong = {**env, **{k: "wrong" for k in env if k.endswith(("TOKEN", "PASSWORD", "KEY"))}}
        assert_fails(extract(api, out, env=wrong), 76, "authentication refused: HTTP 401", out)
    assert TOKEN not in result.stderr


def test_a_missing_secret_is_a_config_error_before_any_request(api: SampleApi,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    result = extract(api, out, env={"CADENCIA_HTTP_AUTH": "bearer"})
    assert_fails(result, 78, "CADENCIA_HTTP_TOKEN", out)
    assert api.requests == 0


@pytest.mark.parametrize(("faults", "code", "cause"), [
    (Faults(bad_page="html", bad_page_at=2), 65, "HTML page instead of JSON"),
    (Faults(bad_page="notjson"), 65, "not JSON"),
    (Faults(bad_page="truncated", bad_page_at=3), 65, "truncated JSON"),
    (Faults(bad_page="short", bad_page_at=2), 65, "page 2 has 50 records, fewer than"),
    (Faults(bad_page="drop"), 75, "transfer failed"),
    (Faults(fail_first=99, fail_status=502), 75, "HTTP 502 after 3 attempts"),
    (Faults(fail_first=99, fail_status=429, retry_after="3600"), 75, "retry after 3600s"),
])
def test_bad_responses_fail_with_one_clear_error_and_no_output(
        api: SampleApi, tmp_path: Path, faults: Faults, code: int, cause: str) -> None:
    api.faults = faults
    out = tmp_path / "o.parquet"
    assert_fails(extract(api, out, "--page-size", "100"), code, cause, out)


def test_a_hanging_server_times_out_as_transient(api: SampleApi, tmp_path: Path) -> None:
    api.faults = Faults(hang_first=99, hang_s=10)
    out = tmp_path / "o.parquet"
    started = time.monotonic()
    result = extract(api, out, env={"CADENCIA_HTTP_READ_TIMEOUT": "0.3",
                                    "CADENCIA_HTTP_MAX_RETRIES": "1"})
    assert_fails(result, 75, "timed out (ReadTimeout) after 2 attempts", out)
    assert time.monotonic() - started < 8


def test_5xx_and_429_are_retried_inside_the_step(api: SampleApi, tmp_path: Path) -> None:
    api.faults = Faults(fail_first=2, fail_status=429, retry_after="0")
    s = summary(extract(api, tmp_path / "o.parquet"))
    assert (s["rows"], s["http_retries"]) == (250, 2)
    assert s["note"].endswith("pages; 2 requests retried")


@pytest.mark.parametrize(("args", "code", "cause"), [
    (["--records-path", "items"], 65, "records path 'items' not found"),
    (["--records-path", "total"], 65, "records path 'total' holds int, not a list"),
    (["--max-pages", "2"], 65, "more than 2 pages"),
    (["--pagination", "cursor", "--cursor-field", "cursor"], 65, "no field 'cursor'"),
    (["--param", "page=9"], 78, "clashes with a pagination parameter"),
    (["--schema", "id:uuid"], 78, "--schema item"),
    (["--page-size", "0"], 78, "--page-size must be positive"),
])
def test_bad_options_and_mismatched_apis(api: SampleApi, tmp_path: Path, args: list[str],
                                         code: int, cause: str) -> None:
    out = tmp_path / "o.parquet"
    assert_fails(extract(api, out, *args), code, cause, out)


def test_404_is_refused_without_retry(api: SampleApi, tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    assert_fails(extract(api, out, style="nothing"), 76, "HTTP 404", out)
    assert api.requests == 1


def test_query_values_and_secrets_stay_out_of_the_logs(api: SampleApi, tmp_path: Path) -> None:
    api.faults = Faults(fail_first=1)
    result = extract(api, tmp_path / "o.parquet", "--param", "signature=q-s3cr3t",
                     env={"CADENCIA_LOG_LEVEL": "DEBUG"})
    assert summary(result)["rows"] == 250 and "retrying" in result.stderr
    assert "q-s3cr3t" not in result.stderr and "signature" not in result.stderr


def test_help_imports_nothing_heavy() -> None:
    # --help speed itself is measured by `python -m bench startup`, not asserted here.
    code = ("import sys, steps.extract_http; "
            "print(json.dumps(sorted({'pyarrow', 'requests', 'orjson'} & set(sys.modules))))")
    proc = subprocess.run([sys.executable, "-c", "import json; " + code], cwd=ROOT,
                          capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(proc.stdout) == []
    help_run = subprocess.run([sys.executable, "-m", "steps.extract_http", "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=30, check=True)
    assert "--pagination" in help_run.stdout and "CADENCIA_HTTP_AUTH" in help_run.stdout


def test_the_sample_api_runs_as_a_program_for_people() -> None:
    import requests

    cmd = [sys.executable, "-m", "workflows.devservices.sample_api", "--port", "0", "--records",
           "30", "--no-total", "--fail-first", "1", "--warm-page-size", "10"]
    with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
            first = requests.get(f"{url}/orders/page?per_page=10&page=3", timeout=5)
            body = requests.get(f"{url}/orders/page?per_page=10&page=3", timeout=5).json()
        finally:
            proc.terminate()
    assert first.status_code == 500
    assert [r["id"] for r in body["data"]] == list(range(21, 31))
    assert body["has_more"] is False and "total" not in body
