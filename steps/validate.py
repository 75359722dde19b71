"""validate: check declarative rules, quarantine rejected rows, report, fail above a threshold.

Inputs:
  ``--input PATH``: Parquet
  ``--rules PATH``: YAML or JSON (``.json``): ``{rules: [...], reject_threshold: 0.0}``.
  Rule kinds (docs/validation.md has every key): row-level ``not_null``, ``unique``,
  ``range``, ``allowed``, ``regex``; dataset-level ``min_rows``, ``max_rows``,
  ``required_columns``, ``max_null_ratio``, ``types``, ``freshness``. Each has
  ``severity: error`` (default) or ``warn``.

Outputs:
  ``--out PATH``: the good rows, Parquet (zstd); not written when the step fails
  ``--quarantine PATH``: rows rejected by error-level row rules, with ``_rejected_by``
  (comma-separated rule names) and ``_reason``; written even when the step fails
  ``--report PATH``: JSON report (per rule and totals); written even when the step fails

Rejection: a row failing an error-level row rule is rejected (quarantined); warn-level
rules only count. ``--reject-threshold F`` (or the file's ``reject_threshold``; default
0.0) is the largest tolerated fraction of rejected rows: 0.0 tolerates none, 0.05 up to
5 %. Above it, or when an error-level dataset rule fails, the step exits 65.

Freshness is measured from the end of ``--logical-date`` (next midnight) when given,
else from now (UTC); naive timestamps are taken as UTC.

Settings: none. Errors: bad rules file 78; validation failed 65.

Public for the pipeline configuration: ``parse_rules`` (a bad rules file fails
``cadencia compile`` with the step's own message).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steps import _spec
from steps._core import runner
from steps._core.errors import DataError
from steps._core.files import write_json
from steps._validate.rules import Rule, parse_rules

if TYPE_CHECKING:
    import polars as pl

logger = logging.getLogger("steps.validate")
SAMPLES = 5


@dataclass(frozen=True)
class Result:
    good: pl.DataFrame
    quarantine: pl.DataFrame
    report: dict[str, Any]
    failures: list[str]  # why the run fails; empty when it passes


def _entry(rule: Rule, problem: str | None, rows_failed: int | None) -> dict[str, Any]:
    failed = bool(problem) or bool(rows_failed)
    status = "passed" if not failed else "failed" if rule.severity == "error" else "warned"
    return {"name": rule.name, "kind": rule.kind, "column": rule.column,
            "columns": list(rule.columns), "severity": rule.severity, "status": status,
            "rows_failed": rows_failed, "message": problem, "sample_values": [],
            "sample_rows": []}


def validate(frame: pl.DataFrame, rules: list[Rule], *, reject_threshold: float = 0.0,
             reference: dt.datetime) -> Result:
    """Evaluate ``rules`` on ``frame``; split good and rejected rows; build the report."""
    import polars as pl

    from steps._validate.checks import NotApplicable, dataset_check, row_check

    entries: list[dict[str, Any]] = []
    masks: list[tuple[Rule, pl.Expr, pl.Expr, dict[str, Any]]] = []
    for rule in rules:
        try:
            if rule.row_level:
                fails, reason = row_check(rule, frame)
                entry = _entry(rule, None, 0)
                masks.append((rule, fails.fill_null(False), reason, entry))
            else:
                entry = _entry(rule, *dataset_check(rule, frame, reference))
        except NotApplicable as exc:
            # zero rows break no row rule, even on a missing column (min_rows and
            # required_columns/types are the rules for that)
            vacuous = rule.row_level and frame.height == 0
            entry = _entry(rule, None if vacuous else str(exc), 0 if vacuous else None)
        entries.append(entry)
    flag = [f"__cadencia_f{i}" for i in range(len(masks))]
    errors = [i for i, (r, _, _, _) in enumerate(masks) if r.severity == "error"]
    warns = [i for i, (r, _, _, _) in enumerate(masks) if r.severity == "warn"]

    def any_of(idx: list[int]) -> pl.Expr:
        return pl.any_horizontal([pl.col(flag[i]) for i in idx]) if idx else pl.lit(False)

    both = frame.with_columns([m.alias(flag[i]) for i, (_, m, _, _) in enumerate(masks)]
                              ).with_columns(any_of(errors).alias("__cadencia_rejected"))
    for i, (rule, _, _, entry) in enumerate(masks):
        hit = both[flag[i]]
        count = int(hit.sum())
        entry.update(_entry(rule, None, count))
        if count:
            entry["sample_rows"] = hit.arg_true().head(SAMPLES).to_list()
            values = frame.filter(hit).select(rule.columns).unique(maintain_order=True)
            entry["sample_values"] = (values.to_series().head(SAMPLES).to_list()
                                      if len(rule.columns) == 1
                                      else values.head(SAMPLES).to_dicts())
    rejected = both["__cadencia_rejected"]
    warned = int(both.select(any_of(warns).sum()).item()) if warns else 0
    none = [pl.lit(None, pl.String)]
    # with_columns, not select: literals must not broadcast to one row on an empty frame
    quarantine = both.filter(rejected).with_columns(
        pl.concat_str([pl.when(pl.col(flag[i])).then(pl.lit(masks[i][0].name))
                       for i in errors] or none, separator=",", ignore_nulls=True
                      ).alias("_rejected_by"),
        pl.concat_str([pl.when(pl.col(flag[i])).then(masks[i][2]) for i in errors] or none,
                      separator="; ", ignore_nulls=True).alias("_reason"),
    ).select(*frame.columns, "_rejected_by", "_reason")
    good = frame.filter(~rejected)
    n_rejected = quarantine.height
    fraction = n_rejected / frame.height if frame.height else 0.0
    failures = [f"{e['name']}: {e['message']}" for e in entries
                if e["message"] and e["severity"] == "error"]
    if fraction > reject_threshold:
        by = ", ".join(f"{e['name']} ({e['rows_failed']})" for e in entries
                       if e["rows_failed"] and e["severity"] == "error")
        failures.insert(0, f"{n_rejected} of {frame.height} rows rejected ({fraction:.2%}, "
                           f"more than the threshold {reject_threshold:.2%}) by {by}")
    report = {
        "status": "failed" if failures else "passed",
        "totals": {"rows": frame.height, "passed": good.height, "rejected": n_rejected,
                   "warned": warned,
                   "rejected_fraction": round(fraction, 6),
                   "reject_threshold": reject_threshold},
        "failed_rules": [e["name"] for e in entries if e["status"] == "failed"],
        "warned_rules": [e["name"] for e in entries if e["status"] == "warned"],
        "errors": failures, "reference_time": reference.isoformat(), "rules": entries,
    }
    return Result(good, quarantine, report, failures)


def note(result: Result) -> str:
    """The summary's one line: rejected and warned rows by rule, when any."""
    def by_rule(status: str) -> str:
        return ", ".join(f"{e['name']} {e['rows_failed']:,}" for e in result.report["rules"]
                         if e["status"] == status and e["rows_failed"])

    totals = result.report["totals"]
    parts = []
    if totals["rejected"]:
        parts.append(f"{totals['rejected']:,} quarantined ({by_rule('failed')})")
    if totals["warned"]:
        parts.append(f"{totals['warned']:,} warned ({by_rule('warned')})")
    return "; ".join(parts)


def reference_time(logical_date: str | None) -> dt.datetime:
    """End of the logical date (the next midnight), or now in UTC; naive."""
    if logical_date:
        return dt.datetime.fromisoformat(logical_date) + dt.timedelta(days=1)
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}")
    return value


def main() -> None:
    p = runner.parser("validate", __doc__)
    p.add_argument("--input", type=Path, required=True, help="input Parquet path")
    p.add_argument("--rules", type=Path, required=True, help="rules file (YAML or JSON)")
    p.add_argument("--out", type=Path, required=True, help="good rows Parquet path")
    p.add_argument("--quarantine", type=Path, help="rejected rows Parquet path")
    p.add_argument("--report", type=Path, help="JSON report path")
    p.add_argument("--reject-threshold", type=_fraction, metavar="F",
                   help="largest tolerated fraction of rejected rows (default 0.0)")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        rules, file_threshold = parse_rules(_spec.load(a.rules, "rules"))
        threshold = a.reject_threshold if a.reject_threshold is not None else (
            file_threshold or 0.0)
        result = validate(_spec.read_frame(a.input), rules, reject_threshold=threshold,
                          reference=reference_time(a.logical_date))
        for entry in result.report["rules"]:
            if entry["status"] == "warned":
                logger.warning("rule %s warned: %s", entry["name"], entry["message"] or
                               f"{entry['rows_failed']} row(s) failed", extra={"rule": entry})
        if a.report:
            write_json(a.report, result.report)
        if a.quarantine:
            _spec.write_frame(a.quarantine, result.quarantine)
        totals = result.report["totals"]
        if result.failures:
            raise DataError("validation failed: " + "; ".join(result.failures),
                            failed_rules=result.report["failed_rules"], totals=totals)
        _spec.write_frame(a.out, result.good)
        return {"rows": result.good.height, "passed": totals["passed"], "note": note(result),
                "rejected": totals["rejected"],
                "warned": totals["warned"], "failed_rules": result.report["failed_rules"],
                "warned_rules": result.report["warned_rules"], "out": str(a.out)}

    runner.run("validate", args, body)


if __name__ == "__main__":
    main()
