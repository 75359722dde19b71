"""The sample API's ``/customers`` against extract_http as the local pipeline runs it.

The extract's flags are read from the compiled local manifest of ``customer-payments``,
so the pipeline's pagination settings and the endpoint cannot drift apart unnoticed: the
pages end on ``"next_cursor": null`` alone, with every record once and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests
import yaml

from tests.fixtures_http import DATE, FAST_RETRIES, serve
from tests.support import ROOT, StepResult, run_step
from workflows.devservices.sample_api import Faults, SampleApi, bearer
from workflows.devservices.sample_data import FIRST_CUSTOMER_ID, customer

TOKEN = "crm-5e4d3c2b1a"
MANIFEST = ROOT / "k8s/workflows/local/customer-payments/customer-payments.yaml"


@pytest.fixture
def api() -> Iterator[SampleApi]:
    with serve(records=1000) as server:
        yield server


def pipeline_args(url: str, tmp_path: Path) -> list[str]:
    """The ``customers`` template's container args, with its Argo placeholders filled in
    and its URL pointed at ``url``."""
    (workflow,) = [d for d in yaml.safe_load_all(MANIFEST.read_text())
                   if d["kind"] == "WorkflowTemplate"]
    (template,) = [t for t in workflow["spec"]["templates"] if t["name"] == "customers"]
    args: list[str] = template["container"]["args"]
    filled = {"{{workflow.name}}": "test", "{{inputs.parameters.run-date}}": DATE,
              "{{outputs.artifacts.data.path}}": str(tmp_path / "customers.parquet")}
    out = []
    for arg in args:
        if arg.startswith("http://127.0.0.1:18080/"):
            arg = url + arg.removeprefix("http://127.0.0.1:18080")
        elif arg.startswith("{{outputs.parameters."):
            arg = str(tmp_path / arg.split(".")[2])
        out.append(filled.get(arg, arg))
    assert not [a for a in out if "{{" in a], out
    return out


def extract(api: SampleApi, tmp_path: Path, env: dict[str, str] | None = None) -> StepResult:
    return run_step("extract_http", *pipeline_args(api.url, tmp_path),
                    env={**FAST_RETRIES, **(env or {})}, timeout=60)


def summary(result: StepResult) -> dict[str, object]:
    (line,) = [r["summary"] for r in result.logs if r["message"] == "extract_http finished"]
    assert result.code == 0, result
    return line


def test_the_pipelines_extract_reads_every_customer_once_and_stops_on_a_null_cursor(
        api: SampleApi, tmp_path: Path) -> None:
    """customer_payments.local.yaml asks for 500 customers in pages of 200: 3 pages."""
    s = summary(extract(api, tmp_path))
    assert (s["rows"], s["pages"], s["end"]) == (500, 3, "no next cursor")
    table = pq.read_table(tmp_path / "customers.parquet")
    assert table.column("customer_id").to_pylist() == list(
        range(FIRST_CUSTOMER_ID, FIRST_CUSTOMER_ID + 500))
    assert table.slice(137, 1).to_pylist() == [customer(DATE, 137)]
    assert api.requests == 3
    assert all(f"date={DATE}" in p and "records=500" in p and "limit=200" in p for p in api.seen)
    assert "cursor=" not in api.seen[0] and all("cursor=" in p for p in api.seen[1:])


def test_the_envelope_is_data_and_next_cursor_only(api: SampleApi) -> None:
    url = f"{api.url}/customers"
    first = requests.get(url, params={"records": "5", "limit": "2"}, timeout=5).json()
    assert set(first) == {"data", "next_cursor"}
    seen, body = first["data"], first
    while body["next_cursor"] is not None:
        body = requests.get(url, params={"records": "5", "limit": "2",
                                         "cursor": body["next_cursor"]}, timeout=5).json()
        seen += body["data"]
    assert [c["customer_id"] for c in seen] == [1001, 1002, 1003, 1004, 1005]
    assert len(requests.get(url, timeout=5).json()["data"]) == 100  # limit defaults to 100


def test_the_date_moves_updated_at_only(api: SampleApi) -> None:
    url = f"{api.url}/customers"
    day = requests.get(url, params={"limit": "3"}, timeout=5).json()["data"]
    other = requests.get(url, params={"limit": "3", "date": "2026-11-25"}, timeout=5).json()["data"]
    assert [c["updated_at"][:10] for c in day] == [DATE] * 3
    assert [c["updated_at"][:10] for c in other] == ["2026-11-25"] * 3
    assert [{**c, "updated_at": None} for c in day] == [{**c, "updated_at": None} for c in other]


def test_a_cursor_that_does_not_decode_is_a_400(api: SampleApi) -> None:
    resp = requests.get(f"{api.url}/customers", params={"cursor": "not a cursor"}, timeout=5)
    assert resp.status_code == 400


def test_auth_is_required_when_the_api_asks_for_it(tmp_path: Path) -> None:
    with serve(records=1000, auth=bearer(TOKEN)) as api:
        refused = extract(api, tmp_path / "refused")
        ok = extract(api, tmp_path, env={"CADENCIA_HTTP_AUTH": "bearer",
                                         "CADENCIA_HTTP_TOKEN": TOKEN})
    assert refused.code == 76, refused
    assert "authentication refused: HTTP 401" in refused.errors[0]["message"]
    assert not (tmp_path / "refused" / "customers.parquet").exists()
    assert summary(ok)["rows"] == 500
    assert TOKEN not in ok.stderr


@pytest.mark.parametrize(("faults", "code", "cause"), [
    (Faults(bad_page="html", bad_page_at=2), 65, "HTML page instead of JSON"),
    (Faults(bad_page="truncated", bad_page_at=3), 65, "truncated JSON"),
    (Faults(fail_first=99, fail_status=503), 75, "HTTP 503 after 3 attempts"),
])
def test_faults_fail_the_extract_with_one_clear_error(
        api: SampleApi, tmp_path: Path, faults: Faults, code: int, cause: str) -> None:
    api.faults = faults
    result = extract(api, tmp_path)
    assert result.code == code, result
    assert len(result.errors) == 1 and cause in result.errors[0]["message"], result.errors
    assert not (tmp_path / "customers.parquet").exists()


def test_a_failure_is_retried_inside_the_step(api: SampleApi, tmp_path: Path) -> None:
    api.faults = Faults(fail_first=2, fail_status=500)
    s = summary(extract(api, tmp_path))
    assert (s["rows"], s["http_retries"]) == (500, 2)
