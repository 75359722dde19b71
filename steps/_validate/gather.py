"""The dataset-level half of a sharded validate: every shard's report judged as one.

A sharded pipeline (``shards: K``) validates each shard of the key on its own: the row
rules and ``unique`` (a key's rows all meet in one shard) are judged there, and so are
the rules that only read the schema. What needs every shard's rows (:data:`ACROSS_SHARDS`:
``min_rows``, ``max_rows``, ``max_null_ratio``, ``freshness``) and the reject threshold
are judged here, over the shards' reports: their profiles (row count, null counts,
newest values) add up to the day's, and their counts to its totals. The report has the
shape of an unsharded validate's; a row rule's samples are the first ones of the shards
in shard order (its ``sample_rows`` are left empty: a row number means nothing across
shards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from steps._core.errors import DataError
from steps._validate.checks import Profile
from steps._validate.evaluate import ACROSS_SHARDS, SAMPLES, _entry, judge, judged
from steps._validate.rules import Rule


def gather(reports: Sequence[dict[str, Any]], rules: list[Rule], *, reject_threshold: float,
           reference: dt.datetime) -> tuple[dict[str, Any], list[str]]:
    """The report and failures of the day, from its shards' ``reports`` (in shard order)."""
    if not reports:
        raise DataError("no shard report to gather: the shards wrote none")
    for n, report in enumerate(reports):
        names = [e["name"] for e in report.get("rules", [])]
        if "profile" not in report or names != [r.name for r in rules]:
            raise DataError(f"shard report {n} was not written by a shard's validate with "
                            "these rules", shard=n)
    profile = Profile.from_json(reports[0]["profile"])
    for report in reports[1:]:
        profile.merge(Profile.from_json(report["profile"]))
    entries = []
    for index, rule in enumerate(rules):
        if not rule.row_level and rule.kind in ACROSS_SHARDS:
            entries.append(judged(rule, profile, reference))
        else:
            entries.append(_merged(rule, [r["rules"][index] for r in reports]))
    counts = {k: sum(int(r["totals"][k]) for r in reports)
              for k in ("rows", "passed", "rejected", "warned")}
    return judge(entries, counts, reject_threshold, reference)


def _merged(rule: Rule, shards: list[dict[str, Any]]) -> dict[str, Any]:
    """One rule's entry over the shards: its failed rows added up, its first samples."""
    counted = [e["rows_failed"] for e in shards]
    rows_failed = None if any(c is None for c in counted) else sum(counted)
    message = next((e["message"] for e in shards if e["message"]), None)
    entry = _entry(rule, message, rows_failed)
    samples: list[Any] = []
    for e in shards:
        samples += [v for v in e["sample_values"] if v not in samples]
    entry["sample_values"] = samples[:SAMPLES]
    return entry
