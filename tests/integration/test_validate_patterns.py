"""validate as a real process with patterns and column names full of braces.

A CEP rule ``^\\d{5}-\\d{3}$`` is the everyday case: before, validate exited 1 with
"cannot switch from automatic field numbering" (the pattern went into a format string).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.support import run_step

RULES = r"""
rules:
  - kind: regex
    column: cep
    pattern: '^\d{5}-\d{3}$'
  - kind: regex
    column: "código{uf}"
    pattern: '^[{}A-Z]{2}$'
reject_threshold: 0.5
"""


def test_regex_rules_with_braces_quarantine_rows_naming_the_pattern(tmp_path: Path) -> None:
    pq.write_table(pa.table({
        "id": [1, 2, 3, 4],
        "cep": ["01310-100", "1310-100", "04538-133", "04538-133"],
        "código{uf}": ["SP", "SP", "{}", "s{p"],
    }), tmp_path / "in.parquet")
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    out, quarantine, report = (tmp_path / n for n in ("out.parquet", "q.parquet", "r.json"))
    result = run_step("validate", "--input", str(tmp_path / "in.parquet"), "--rules",
                      str(tmp_path / "rules.yaml"), "--out", str(out), "--quarantine",
                      str(quarantine), "--report", str(report))
    assert result.code == 0, result
    assert pq.read_table(out).column("id").to_pylist() == [1, 3]
    assert [(r["id"], r["_rejected_by"], r["_reason"])
            for r in pq.read_table(quarantine).to_pylist()] == [
        (2, "regex:cep", r"cep=1310-100 does not match ^\d{5}-\d{3}$"),
        (4, "regex:código{uf}", "código{uf}=s{p does not match ^[{}A-Z]{2}$"),
    ]
    rules = {r["name"]: r for r in json.loads(report.read_text())["rules"]}
    assert rules["regex:cep"]["sample_values"] == ["1310-100"]
    assert result.logs[-1]["summary"]["note"] == (
        "2 quarantined (regex:cep 1, regex:código{uf} 1)")
