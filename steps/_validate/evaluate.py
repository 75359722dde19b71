"""Rules evaluated batch by batch: the report, quarantine and good rows of the validate step.

:class:`Evaluation` takes the rules and the input's schema and row count, then each batch
of rows in order (:meth:`Evaluation.add`). It hands each batch's rejected rows (with
``_rejected_by`` and ``_reason``) and good rows to the caller as it goes, and keeps only
counts and samples; :meth:`Evaluation.finish` builds the report. One batch holding the
whole input is the in-memory ``steps.validate.validate``.

Row rules are row by row, except ``unique``, which looks at every row of a key: on the
whole input in one batch it is the rule's own expression; in many batches the caller
works it out first (``steps._validate.stream``, by hash partitions) and passes each
batch's verdicts as a column named :func:`verdict_column`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl

from steps._core.frames import FirstValues
from steps._validate.checks import NotApplicable, Profile, dataset_check, row_check
from steps._validate.rules import Rule

SAMPLES = 5
REJECTED = "__cadencia_rejected"


def verdict_column(index: int) -> str:
    """The column carrying rule number ``index``'s precomputed "this row fails"."""
    return f"__cadencia_verdict{index}"


def rule_entry(rule: Rule, problem: str | None, rows_failed: int | None) -> dict[str, Any]:
    failed = bool(problem) or bool(rows_failed)
    status = "passed" if not failed else "failed" if rule.severity == "error" else "warned"
    return {"name": rule.name, "kind": rule.kind, "column": rule.column,
            "columns": list(rule.columns), "severity": rule.severity, "status": status,
            "rows_failed": rows_failed, "message": problem, "sample_values": [],
            "sample_rows": []}


class Evaluation:
    """See the module docstring. ``precomputed``: indexes of rules whose verdicts come
    with each batch (:func:`verdict_column`)."""

    def __init__(self, rules: list[Rule], schema: dict[str, Any], rows: int, *,
                 on_good: Callable[[pl.DataFrame], None],
                 on_quarantine: Callable[[pl.DataFrame], None],
                 precomputed: frozenset[int] = frozenset()) -> None:
        self.rules = rules
        self.rows = rows
        self.on_good, self.on_quarantine = on_good, on_quarantine
        self.profile = Profile(schema, rules)
        self.entries: list[dict[str, Any] | None] = []
        # (rule index, rule, fails, reason)
        self.masks: list[tuple[int, Rule, pl.Expr, pl.Expr]] = []
        empty = pl.DataFrame(schema=schema)
        for index, rule in enumerate(rules):
            if not rule.row_level:
                self.entries.append(None)  # judged on the profile at the end
                continue
            try:
                fails, reason = row_check(rule, empty)
                if index in precomputed:
                    fails = pl.col(verdict_column(index))
                self.masks.append((index, rule, fails.fill_null(False), reason))
                self.entries.append(rule_entry(rule, None, 0))
            except NotApplicable as exc:
                # zero rows break no row rule, even on a missing column (min_rows and
                # required_columns/types are the rules for that)
                vacuous = rows == 0
                self.entries.append(rule_entry(rule, None if vacuous else str(exc),
                                           0 if vacuous else None))
        self.failed = [0] * len(self.masks)
        self.sample_rows: list[list[int]] = [[] for _ in self.masks]
        self.sample_values = [FirstValues(SAMPLES) for _ in self.masks]
        self.seen = self.passed = self.rejected = self.warned = 0

    def add(self, frame: pl.DataFrame, verdicts: list[pl.Series] | None = None) -> None:
        """Judge the next rows (in input order); ``verdicts`` are the precomputed columns."""
        flag = [f"__cadencia_f{i}" for i in range(len(self.masks))]
        errors = [i for i, m in enumerate(self.masks) if m[1].severity == "error"]
        warns = [i for i, m in enumerate(self.masks) if m[1].severity == "warn"]

        def any_of(idx: list[int]) -> pl.Expr:
            return pl.any_horizontal([pl.col(flag[i]) for i in idx]) if idx else pl.lit(False)

        both = frame.with_columns(verdicts or []).with_columns(
            [m[2].alias(flag[i]) for i, m in enumerate(self.masks)]
        ).with_columns(any_of(errors).alias(REJECTED))
        for i, (_, rule, _, _) in enumerate(self.masks):
            hit = both[flag[i]]
            count = int(hit.sum())
            self.failed[i] += count
            if count:
                need = SAMPLES - len(self.sample_rows[i])
                self.sample_rows[i] += [self.seen + r for r in hit.arg_true().head(need)]
                self.sample_values[i].add(frame.filter(hit).select(rule.columns))
        rejected = both[REJECTED]
        if warns:
            self.warned += int(both.select(any_of(warns).sum()).item())
        none = [pl.lit(None, pl.String)]
        # with_columns, not select: literals must not broadcast to one row on an empty frame
        quarantine = both.filter(rejected).with_columns(
            pl.concat_str([pl.when(pl.col(flag[i])).then(pl.lit(self.masks[i][1].name))
                           for i in errors] or none, separator=",", ignore_nulls=True
                          ).alias("_rejected_by"),
            pl.concat_str([pl.when(pl.col(flag[i])).then(self.masks[i][3]) for i in errors]
                          or none, separator="; ", ignore_nulls=True).alias("_reason"),
        ).select(*frame.columns, "_rejected_by", "_reason")
        good = frame.filter(~rejected)
        self.on_quarantine(quarantine)
        self.on_good(good)
        self.rejected += quarantine.height
        self.passed += good.height
        self.profile.add(frame)
        self.seen += frame.height

    def finish(self, reject_threshold: float, reference: dt.datetime, *,
               shard: bool = False) -> tuple[dict[str, Any], list[str]]:
        """The report and why the run fails (empty when it passes).

        ``shard``: this is one shard of a sharded pipeline. The rules that depend on every
        shard's rows (:data:`ACROSS_SHARDS`) and the reject threshold are left to
        ``steps._validate.gather``, over every shard's report; the report carries what
        they need (``profile``)."""
        entries = list(self.entries)
        for i, (index, rule, _, _) in enumerate(self.masks):
            entry = rule_entry(rule, None, self.failed[i])
            if self.failed[i]:
                entry["sample_rows"] = self.sample_rows[i]
                values = self.sample_values[i].frame
                assert values is not None
                entry["sample_values"] = (values.to_series().to_list()
                                          if len(rule.columns) == 1 else values.to_dicts())
            entries[index] = entry
        for index, rule in enumerate(self.rules):
            if entries[index] is None and shard and rule.kind in ACROSS_SHARDS:
                entries[index] = {**rule_entry(rule, None, None), "status": "deferred"}
            elif entries[index] is None:
                entries[index] = judged(rule, self.profile, reference)
        done = [e for e in entries if e is not None]
        report, failures = judge(done, {"rows": self.seen, "passed": self.passed,
                                        "rejected": self.rejected, "warned": self.warned},
                                 None if shard else reject_threshold, reference)
        if shard:
            report["profile"] = self.profile.to_json()
        return report, failures


ACROSS_SHARDS = ("min_rows", "max_rows", "max_null_ratio", "freshness")


def judged(rule: Rule, profile: Profile, reference: dt.datetime) -> dict[str, Any]:
    """A dataset-level rule's report entry, judged on ``profile``."""
    try:
        return rule_entry(rule, *dataset_check(rule, profile, reference))
    except NotApplicable as exc:
        return rule_entry(rule, str(exc), None)


def judge(entries: list[dict[str, Any]], counts: dict[str, int],
          reject_threshold: float | None, reference: dt.datetime
          ) -> tuple[dict[str, Any], list[str]]:
    """The report of judged ``entries`` and ``counts`` (rows, passed, rejected, warned),
    and why the run fails; no threshold (a shard's report) judges no fraction."""
    rows, rejected = counts["rows"], counts["rejected"]
    fraction = rejected / rows if rows else 0.0
    failures = [f"{e['name']}: {e['message']}" for e in entries
                if e["message"] and e["severity"] == "error"]
    if reject_threshold is not None and fraction > reject_threshold:
        by = ", ".join(f"{e['name']} ({e['rows_failed']})" for e in entries
                       if e["rows_failed"] and e["severity"] == "error")
        failures.insert(0, f"{rejected} of {rows} rows rejected ({fraction:.2%}, "
                           f"more than the threshold {reject_threshold:.2%}) by {by}")
    report = {
        "status": "failed" if failures else "passed",
        "totals": {"rows": rows, "passed": counts["passed"], "rejected": rejected,
                   "warned": counts["warned"],
                   "rejected_fraction": round(fraction, 6),
                   "reject_threshold": reject_threshold},
        "failed_rules": [e["name"] for e in entries if e["status"] == "failed"],
        "warned_rules": [e["name"] for e in entries if e["status"] == "warned"],
        "errors": failures, "reference_time": reference.isoformat(), "rules": entries,
    }
    return report, failures
