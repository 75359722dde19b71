"""clean, join, transform and validate as real processes: exit codes, one error line,
outputs."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support import ROOT, StepResult, run_step


def write(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """extract-http-like (ISO strings), extract-sql-like (timestamps) and an empty input."""
    src = tmp_path / "in"
    src.mkdir()
    http = pa.table({"id": [1, 2, 3], "nome": ["ana", "bob", "cid"],
                     "valor": [10.0, 20.0, 5.0], "quantidade": [1, 2, 3],
                     "created_at": ["2024-01-31T10:00:00", "2024-01-31T11:00:00",
                                    "2024-01-31T12:00:00"],
                     "categoria": ["casa", "moda", "casa"]})
    sql = pa.table({"id": [3, 4, None], "nome": ["cid", "dan", "x"], "valor": [6.0, 1.0, 0.0],
                    "quantidade": [3, 1, 1],
                    "created_at": pa.array([dt.datetime(2024, 1, 31, 13),
                                            dt.datetime(2024, 1, 31, 9),
                                            dt.datetime(2024, 1, 31, 9)], pa.timestamp("us")),
                    "categoria": ["casa", "livros", "casa"]})
    return {"http": write(src / "http.parquet", http), "sql": write(src / "sql.parquet", sql),
            "empty": write(src / "empty.parquet", pa.table({}))}


def assert_failed(result: StepResult, code: int, out_dir: Path, *words: str) -> str:
    """Exit ``code``, exactly one error line containing ``words``, nothing in ``out_dir``."""
    assert result.code == code, result
    assert len(result.errors) == 1, result
    message = result.errors[0]["message"]
    for word in words:
        assert word in message, message
    assert not out_dir.exists() or list(out_dir.iterdir()) == []
    return str(message)


# --- clean -------------------------------------------------------------------------------

def test_clean_unions_dedupes_and_reports(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "clean.parquet"
    summary, rows = tmp_path / "summary.json", tmp_path / "rows.txt"
    result = run_step("clean", "--input", str(inputs["http"]), "--input", str(inputs["sql"]),
                      "--input", str(inputs["empty"]), "--key", "id",
                      "--order-by", "created_at", "--out", str(out),
                      "--summary-out", str(summary), "--rows-out", str(rows))
    assert result.code == 0, result
    table = pq.read_table(out)
    # id 3: the newer SQL row; the null id is passed on for validate's not_null rule
    assert table.column("id").to_pylist() == [1, 2, 3, 4, None]
    assert table.column("valor").to_pylist() == [10.0, 20.0, 6.0, 1.0, 0.0]
    assert table.schema.field("created_at").type == pa.timestamp("us")
    assert table.schema.field("nome").type in (pa.string(), pa.large_string())
    assert pq.ParquetFile(out).metadata.row_group(0).column(0).compression == "ZSTD"
    counts = json.loads(summary.read_text())
    assert counts["inputs"] == [{"path": str(inputs["http"]), "rows": 3},
                                {"path": str(inputs["sql"]), "rows": 3},
                                {"path": str(inputs["empty"]), "rows": 0}]
    assert (counts["null_key_rows"], counts["superseded_dropped"], counts["rows"]) == (1, 1, 5)
    assert rows.read_text() == "5"
    assert result.errors == []
    assert counts["note"] == "1 superseded dropped; 1 null keys passed on"
    (warning,) = [r for r in result.logs if r["level"] == "warning"]
    assert warning["null_key_rows"] == 1 and "1 row(s) with a null key" in warning["message"]


def test_clean_incompatible_types_exit_65(inputs: dict[str, Path], tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.parquet", pa.table({"id": ["one"]}))
    out_dir = tmp_path / "out"
    result = run_step("clean", "--input", str(inputs["http"]), "--input", str(bad),
                      "--key", "id", "--out", str(out_dir / "clean.parquet"))
    assert_failed(result, 65, out_dir, "column 'id' has incompatible types: int64 in",
                  "string in")


def test_clean_missing_input_and_unknown_key_exit_78(inputs: dict[str, Path],
                                                     tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    missing = run_step("clean", "--input", str(tmp_path / "nope.parquet"),
                       "--out", str(out_dir / "c.parquet"))
    assert_failed(missing, 78, out_dir, "input file not found")
    unknown = run_step("clean", "--input", str(inputs["http"]), "--key", "idd",
                       "--out", str(out_dir / "c.parquet"))
    assert_failed(unknown, 78, out_dir, "column 'idd'")


def test_clean_names_inputs_and_refuses_two_entities_exit_65(inputs: dict[str, Path],
                                                             tmp_path: Path) -> None:
    customers = write(tmp_path / "customers.parquet", pa.table({"customer_id": [1],
                                                                "name": ["ana"]}))
    out_dir = tmp_path / "out"
    result = run_step("clean", "--input", f"orders={inputs['http']}",
                      "--input", f"clients={customers}", "--out", str(out_dir / "c.parquet"))
    assert_failed(result, 65, out_dir, "inputs orders and clients share no column",
                  "join them instead of a union")
    no_key = write(tmp_path / "no_key.parquet", pa.table({"nome": ["eva"], "valor": [1.0]}))
    result = run_step("clean", "--input", str(inputs["http"]), "--input", str(no_key),
                      "--key", "id", "--out", str(out_dir / "c.parquet"))
    assert_failed(result, 65, out_dir, "input no_key has no key column 'id'")


# --- join ----------------------------------------------------------------------------------

@pytest.fixture
def sides(tmp_path: Path) -> dict[str, Path]:
    """payments (extract-sql-like, int32 ids, a null and a repeat) and customers (int64)."""
    src = tmp_path / "in"
    src.mkdir()
    payments = pa.table({"payment_id": [10, 11, 12, 13],
                         "customer_id": pa.array([2, 9, None, 2], pa.int32()),
                         "amount": [5.0, 6.0, 7.0, 8.0]})
    customers = pa.table({"customer_id": [1, 2], "name": ["ana", "bob"],
                          "amount": [100.0, 200.0]})
    return {"payments": write(src / "payments.parquet", payments),
            "customers": write(src / "customers.parquet", customers),
            "empty": write(src / "empty.parquet", pa.table({}))}


def join_step(left: Path, right: Path, out: Path, *extra: str) -> StepResult:
    return run_step("join", "--left", str(left), "--right", str(right), "--on", "customer_id",
                    "--out", str(out), *extra)


def test_join_writes_the_rows_and_logs_the_counts(sides: dict[str, Path], tmp_path: Path
                                                  ) -> None:
    out, note = tmp_path / "out" / "join.parquet", tmp_path / "note.txt"
    result = join_step(sides["payments"], sides["customers"], out, "--how", "full",
                       "--right-name", "clients", "--note-out", str(note),
                       "--rows-out", str(tmp_path / "rows.txt"))
    assert result.code == 0, result
    assert result.errors == []
    table = pq.read_table(out)
    assert table.column_names == ["customer_id", "payment_id", "amount", "name",
                                  "amount_right"]
    assert table.schema.field("customer_id").type == pa.int64()
    assert table.column("payment_id").to_pylist() == [10, 11, 12, 13, None]
    assert table.column("name").to_pylist() == ["bob", None, None, "bob", "ana"]
    assert pq.ParquetFile(out).metadata.row_group(0).column(0).compression == "ZSTD"
    (finished,) = [r for r in result.logs if r["message"] == "join finished"]
    summary = finished["summary"]
    assert {k: summary[k] for k in ("matched", "left_only", "right_only", "rows", "how")} == {
        "matched": 2, "left_only": 2, "right_only": 1, "rows": 5, "how": "full"}
    assert (summary["left"]["name"], summary["right"]["name"]) == ("payments", "clients")
    assert note.read_text() == "2 matched, 2 payments only, 1 clients only"
    assert (tmp_path / "rows.txt").read_text() == "5"


def test_join_with_an_empty_input_keeps_the_left_rows(sides: dict[str, Path],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "out" / "join.parquet"
    result = join_step(sides["payments"], sides["empty"], out, "--how", "left")
    assert result.code == 0, result
    assert pq.read_table(out).column("payment_id").to_pylist() == [10, 11, 12, 13]
    assert result.logs[-1]["summary"]["left_only"] == 4


def test_join_key_types_that_do_not_agree_exit_65(sides: dict[str, Path], tmp_path: Path
                                                  ) -> None:
    text_ids = write(tmp_path / "customers.parquet", pa.table({"customer_id": ["2"]}))
    out_dir = tmp_path / "out"
    result = join_step(sides["payments"], text_ids, out_dir / "join.parquet")
    assert_failed(result, 65, out_dir, "key column 'customer_id' has incompatible types: "
                  "int32 in payments and string in customers")


def test_join_configuration_errors_exit_78(sides: dict[str, Path], tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    missing = join_step(sides["payments"], tmp_path / "nope.parquet", out_dir / "j.parquet")
    assert_failed(missing, 78, out_dir, "input file not found")
    clash = join_step(sides["payments"], sides["customers"], out_dir / "j.parquet",
                      "--suffix", "")
    assert_failed(clash, 78, out_dir, "--suffix ''",
                  "clashes with column 'amount' of payments")
    typo = run_step("join", "--left", str(sides["payments"]), "--right",
                    str(sides["customers"]), "--on", "customer", "--out",
                    str(out_dir / "j.parquet"))
    assert_failed(typo, 78, out_dir, "key column 'customer' is in neither input")
    how = join_step(sides["payments"], sides["customers"], out_dir / "j.parquet",
                    "--how", "outer")
    assert_failed(how, 78, out_dir, "--how 'outer' is not one of inner, left, full")


# --- transform -----------------------------------------------------------------------------

SPEC = """
rename: {nome: cliente}
compute:
  total: df["valor"] * df["quantidade"]
filter: [total >= 10]
select: [id, cliente, total]
"""


def transform(tmp_path: Path, source: Path, spec: str, name: str = "spec.yaml"
              ) -> tuple[StepResult, Path]:
    (tmp_path / name).write_text(spec)
    out = tmp_path / "out" / "t.parquet"
    return run_step("transform", "--input", str(source), "--spec", str(tmp_path / name),
                    "--out", str(out)), out


def test_transform_runs_the_seed_expression(inputs: dict[str, Path], tmp_path: Path) -> None:
    result, out = transform(tmp_path, inputs["http"], SPEC)
    assert result.code == 0, result
    table = pq.read_table(out)
    assert table.to_pydict() == {"id": [1, 2, 3], "cliente": ["ana", "bob", "cid"],
                                 "total": [10.0, 40.0, 15.0]}
    summary = result.logs[-1]["summary"]
    assert summary["rows"] == 3 and summary["removed_by_filter"] == {"total >= 10": 0}


@pytest.mark.parametrize("expression", [
    "__import__('os').system('touch MARKER')", "df.__class__", "().__class__",
    "lambda: 1", "[x for x in valor]", "open('MARKER', 'w')", "valor * qty", "valor +",
    "valor" + " + 1" * 400,
])
def test_transform_hostile_or_bad_expression_exits_78(inputs: dict[str, Path], tmp_path: Path,
                                                      expression: str) -> None:
    marker = tmp_path / "MARKER"
    spec = json.dumps({"compute": {"x": expression.replace("MARKER", str(marker))}})
    result, out = transform(tmp_path, inputs["http"], spec, "spec.json")
    message = assert_failed(result, 78, out.parent, "compute 'x': invalid expression")
    assert expression[:40].replace("MARKER", str(marker)) in message
    assert not marker.exists()


def test_transform_unknown_spec_key_exits_78(inputs: dict[str, Path], tmp_path: Path) -> None:
    result, out = transform(tmp_path, inputs["http"], "casts: {id: string}\n")
    assert_failed(result, 78, out.parent, "unknown key 'casts'", "did you mean 'cast'")


def test_transform_strict_cast_failure_exits_65(inputs: dict[str, Path], tmp_path: Path
                                                ) -> None:
    result, out = transform(tmp_path, inputs["http"], "cast: {nome: int64}\n")
    assert_failed(result, 65, out.parent, "cast of column 'nome' to int64 failed for 3 of 3",
                  "'ana'")


# --- validate ------------------------------------------------------------------------------

RULES = """
rules:
  - {kind: min_rows, value: 1}
  - {kind: not_null, column: id}
  - {kind: range, column: valor, min: 1}
  - {kind: freshness, column: created_at, max_age: 36h}
"""


def validate(tmp_path: Path, source: Path, rules: str = RULES, *extra: str
             ) -> tuple[StepResult, dict[str, Path]]:
    (tmp_path / "rules.yaml").write_text(rules)
    out_dir = tmp_path / "out"
    paths = {name: out_dir / name for name in ("good.parquet", "q.parquet", "report.json",
                                               "rows.txt")}
    result = run_step("validate", "--input", str(source), "--rules",
                      str(tmp_path / "rules.yaml"), "--out", str(paths["good.parquet"]),
                      "--quarantine", str(paths["q.parquet"]),
                      "--report", str(paths["report.json"]), "--rows-out",
                      str(paths["rows.txt"]), "--logical-date", "2024-01-31", *extra)
    return result, paths


def test_validate_passes_within_threshold_and_writes_everything(
        inputs: dict[str, Path], tmp_path: Path) -> None:
    result, paths = validate(tmp_path, inputs["sql"], RULES, "--reject-threshold", "0.5")
    assert result.code == 0, result
    assert pq.read_table(paths["good.parquet"]).column("id").to_pylist() == [3, 4]
    quarantine = pq.read_table(paths["q.parquet"]).to_pylist()
    assert [(r["nome"], r["_rejected_by"]) for r in quarantine] == [
        ("x", "not_null:id,range:valor")]
    report = json.loads(paths["report.json"].read_text())
    assert report["status"] == "passed" and report["totals"]["rejected"] == 1
    assert paths["rows.txt"].read_text() == "2"
    assert result.logs[-1]["summary"]["failed_rules"] == ["not_null:id", "range:valor"]
    assert result.logs[-1]["summary"]["note"] == "1 quarantined (not_null:id 1, range:valor 1)"


def test_validate_failure_exits_65_keeps_report_and_quarantine_not_output(
        inputs: dict[str, Path], tmp_path: Path) -> None:
    result, paths = validate(tmp_path, inputs["sql"])
    assert result.code == 65, result
    assert len(result.errors) == 1
    assert result.errors[0]["message"].startswith(
        "validation failed: 1 of 3 rows rejected (33.33%, more than the threshold 0.00%) by "
        "not_null:id (1), range:valor (1)")
    assert sorted(p.name for p in paths["good.parquet"].parent.iterdir()) == [
        "q.parquet", "report.json"]
    assert json.loads(paths["report.json"].read_text())["status"] == "failed"
    assert pq.read_table(paths["q.parquet"]).num_rows == 1


def test_validate_zero_rows_exits_65_saying_zero_rows(inputs: dict[str, Path],
                                                       tmp_path: Path) -> None:
    result, paths = validate(tmp_path, inputs["empty"])
    assert result.code == 65, result
    assert len(result.errors) == 1
    assert "the input has zero rows; at least 1 required" in result.errors[0]["message"]
    assert not paths["good.parquet"].exists()


def test_validate_stale_data_names_rule_and_column(inputs: dict[str, Path],
                                                   tmp_path: Path) -> None:
    result, _ = validate(tmp_path, inputs["http"], RULES, "--logical-date", "2024-02-05")
    assert result.code == 65, result
    assert "freshness:created_at: freshness needs a date or timestamp column, but " \
           "'created_at' is string" in result.errors[0]["message"]


def test_validate_bad_rules_exit_78(inputs: dict[str, Path], tmp_path: Path) -> None:
    result, paths = validate(tmp_path, inputs["http"], "rules: [{kind: not_nul, column: id}]")
    assert_failed(result, 78, paths["good.parquet"].parent, "unknown kind 'not_nul'")
    threshold, paths = validate(tmp_path, inputs["http"], RULES, "--reject-threshold", "5")
    assert threshold.code == 78
    assert "expected a fraction from 0 to 1" in threshold.stderr


# --- all four ------------------------------------------------------------------------------

@pytest.mark.parametrize("step", ["clean", "join", "transform", "validate"])
def test_help_loads_no_data_library_and_usage_errors_are_78(step: str) -> None:
    # --help speed itself is measured by `python -m bench startup`, not asserted here.
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", f"steps.{step}", "--help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "usage:" in proc.stdout
    loaded = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    assert not [m for m in loaded if m.startswith(("polars", "pyarrow", "pandas"))]
    result = run_step(step)
    assert result.code == 78
    assert "required" in result.stderr


