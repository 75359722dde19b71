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

Memory: the input is read in batches and the quarantine and good rows are written as they
go (the good rows are dropped at the end if the step fails); ``unique`` is judged first
over hash partitions of its key columns on disk (steps._validate.stream).

Shards (a sharded pipeline, docs/workflows.md): ``--shard`` validates one shard of the
day, leaving ``min_rows``, ``max_rows``, ``max_null_ratio``, ``freshness`` and the reject
threshold to ``--gather DIR``, which judges the shards' reports (DIR/*.json) as one day
(steps._validate.gather) and totals the other sharded steps' row counts and notes.

Freshness is measured from the end of ``--logical-date`` (next midnight) when given,
else from now (UTC); naive timestamps are taken as UTC.

Settings: none. Errors: bad rules file 78; validation failed 65.

Public for the pipeline configuration: ``parse_rules`` (a bad rules file fails
``cadencia compile`` with the step's own message).
"""

from __future__ import annotations

import argparse
import contextlib
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


@dataclass(frozen=True)
class Result:
    good: pl.DataFrame
    quarantine: pl.DataFrame
    report: dict[str, Any]
    failures: list[str]  # why the run fails; empty when it passes


def validate(frame: pl.DataFrame, rules: list[Rule], *, reject_threshold: float = 0.0,
             reference: dt.datetime) -> Result:
    """Evaluate ``rules`` on ``frame``; split good and rejected rows; build the report."""

    from steps._validate.evaluate import Evaluation

    good: list[pl.DataFrame] = []
    quarantine: list[pl.DataFrame] = []
    evaluation = Evaluation(rules, dict(frame.schema), frame.height, on_good=good.append,
                            on_quarantine=quarantine.append)
    evaluation.add(frame)
    report, failures = evaluation.finish(reject_threshold, reference)
    return Result(good[0], quarantine[0], report, failures)


def note(result: Result | dict[str, Any]) -> str:
    """The summary's one line: rejected and warned rows by rule, when any."""
    report = result.report if isinstance(result, Result) else result

    def by_rule(status: str) -> str:
        return ", ".join(f"{e['name']} {e['rows_failed']:,}" for e in report["rules"]
                         if e["status"] == status and e["rows_failed"])

    totals = report["totals"]
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
    p.add_argument("--input", type=Path, help="input Parquet path (required but with "
                   "--gather)")
    p.add_argument("--rules", type=Path, required=True, help="rules file (YAML or JSON)")
    p.add_argument("--out", type=Path, help="good rows Parquet path (required but with "
                   "--gather)")
    p.add_argument("--quarantine", type=Path, help="rejected rows Parquet path")
    p.add_argument("--report", type=Path, help="JSON report path")
    p.add_argument("--reject-threshold", type=_fraction, metavar="F",
                   help="largest tolerated fraction of rejected rows (default 0.0)")
    shards = p.add_argument_group("shards (a sharded pipeline, docs/workflows.md)")
    shards.add_argument("--shard", action="store_true",
                        help="this input is one shard of the day: leave the rules that need "
                        "every shard's rows and the reject threshold to --gather")
    shards.add_argument("--gather", type=Path, metavar="DIR",
                        help="judge the shards' reports in DIR (*.json) as one day, instead "
                        "of validating an input")
    shards.add_argument("--shard-rows", action="append", default=[], metavar="STEP=JSON",
                        help="with --gather: another sharded step's row count in each shard "
                        "(a JSON list); the total goes to --step-rows-out")
    shards.add_argument("--shard-notes", action="append", default=[], metavar="STEP=JSON",
                        help="with --gather: that step's note in each shard (a JSON list), "
                        "for --step-note-out")
    shards.add_argument("--step-rows-out", action="append", default=[],
                        metavar="STEP=PATH", help="with --gather: where STEP's total row "
                        "count goes")
    shards.add_argument("--step-note-out", action="append", default=[],
                        metavar="STEP=PATH", help="with --gather: where STEP's note goes")
    args = p.parse_args()
    if args.gather is None and (args.input is None or args.out is None):
        p.error("--input and --out are required (but with --gather)")

    def body(a: Any) -> dict[str, Any]:
        rules, file_threshold = parse_rules(_spec.load(a.rules, "rules"))
        threshold = a.reject_threshold if a.reject_threshold is not None else (
            file_threshold or 0.0)
        if a.gather is not None:
            from steps._validate.gather import gather_step

            report, failures, shards = gather_step(
                a, rules, threshold, reference_time(a.logical_date))
            return outcome(report, failures, shards=shards)
        from steps._core.frames import FrameSink
        from steps._validate.stream import validate_file

        with contextlib.ExitStack() as stack:
            quarantine = stack.enter_context(FrameSink(a.quarantine)) if a.quarantine else None
            good = stack.enter_context(FrameSink(a.out))
            report, failures = validate_file(
                a.input, rules, reject_threshold=threshold,
                reference=reference_time(a.logical_date), on_good=good.write,
                on_quarantine=quarantine.write if quarantine else lambda _: None,
                shard=a.shard)
            for entry in report["rules"]:
                if entry["status"] == "warned":
                    logger.warning("rule %s warned: %s", entry["name"], entry["message"] or
                                   f"{entry['rows_failed']} row(s) failed",
                                   extra={"rule": entry})
            if a.report:
                write_json(a.report, report)
            if failures:
                good.discard()  # the quarantine is kept, the good rows are not
        return outcome(report, failures, out=str(a.out))

    runner.run("validate", args, body)


def outcome(report: dict[str, Any], failures: list[str], **extra: Any) -> dict[str, Any]:
    """The step's summary; DataError (65) when the report failed."""
    totals = report["totals"]
    if failures:
        raise DataError("validation failed: " + "; ".join(failures),
                        failed_rules=report["failed_rules"], totals=totals)
    return {"rows": totals["passed"], "passed": totals["passed"],
            "note": note(report), "rejected": totals["rejected"],
            "warned": totals["warned"], "failed_rules": report["failed_rules"],
            "warned_rules": report["warned_rules"], **extra}


if __name__ == "__main__":
    main()
