"""The dataset-level half of a sharded validate: every shard's report judged as one.

A sharded pipeline (``shards: K``) validates each shard of the key on its own: the row
rules and ``unique`` (a key's rows all meet in one shard) are judged there, and so are
the rules that only read the schema. What needs every shard's rows (:data:`ACROSS_SHARDS`:
``min_rows``, ``max_rows``, ``max_null_ratio``, ``freshness``) and the reject threshold
are judged here, over the shards' reports: their profiles (row count, null counts,
newest values) add up to the day's, and their counts to its totals. The report has the
shape of an unsharded validate's; a row rule's samples are the first ones of the shards
in shard order (its ``sample_rows`` are left empty: a row number means nothing across
shards). :func:`gather_step` is ``validate --gather DIR``: the reports read from DIR, the
verdict, and the other sharded steps' row counts and notes added up for the notification.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from steps._core import runner
from steps._core.errors import ConfigError, DataError
from steps._core.files import shard_order, write_json, write_text
from steps._validate.checks import Profile
from steps._validate.evaluate import ACROSS_SHARDS, SAMPLES, judge, judged, rule_entry
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
        if rule.kind in ACROSS_SHARDS:  # dataset rules the shards left undecided
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
    entry = rule_entry(rule, message, rows_failed)
    samples: list[Any] = []
    for e in shards:
        samples += [v for v in e["sample_values"] if v not in samples]
    entry["sample_values"] = samples[:SAMPLES]
    return entry


def gather_step(a: Any, rules: list[Rule], threshold: float, reference: dt.datetime
                ) -> tuple[dict[str, Any], list[str], int]:
    """``validate --gather DIR``: the shards' reports in DIR judged as one day (written to
    ``--report``), the other sharded steps' counts added up for the notification; the
    report, its failures and the number of shards."""
    paths = sorted(a.gather.glob("*.json"), key=lambda p: shard_order(p.name))
    try:
        reports = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    except (OSError, ValueError) as exc:
        raise DataError(f"a shard report in {a.gather} cannot be read: {exc}") from exc
    report, failures = gather(reports, rules, reject_threshold=threshold,
                              reference=reference)
    if a.report:
        write_json(a.report, report)
    rows_out = dict(_pair(t, "--step-rows-out") for t in a.step_rows_out)
    note_out = dict(_pair(t, "--step-note-out") for t in a.step_note_out)
    for step, rows, notes in _totals(a.shard_rows, a.shard_notes):
        kept = [n for n in notes if n]
        if step in rows_out:
            write_text(rows_out[step], str(sum(rows)))
        if step in note_out:
            write_text(note_out[step], runner.one_line(
                f"{len(rows)} shards" + (": " + " | ".join(kept) if kept else "")))
    return report, failures, len(reports)


def _pair(text: str, flag: str) -> tuple[str, str]:
    step, sep, path = text.partition("=")
    if not sep or not step or not path:
        raise ConfigError(f"{flag} {text!r}: expected STEP=PATH", flag=flag)
    return step, path


def _totals(rows: list[str], notes: list[str]) -> list[tuple[str, list[int], list[str]]]:
    """``--shard-rows STEP=[...]`` and ``--shard-notes STEP=[...]`` (JSON lists, one item
    a shard, as Argo aggregates a fanned-out task's output) as (step, rows, notes)."""
    def parsed(given: list[str], flag: str) -> dict[str, list[Any]]:
        out = {}
        for text in given:
            step, _, value = text.partition("=")
            try:
                items = json.loads(value)
                if not isinstance(items, list):
                    raise ValueError("not a list")
            except ValueError as exc:
                raise ConfigError(f"{flag} {text[:80]!r}: expected STEP=[JSON list] ({exc})",
                                  flag=flag) from exc
            out[step] = items
        return out

    counted, noted = parsed(rows, "--shard-rows"), parsed(notes, "--shard-notes")
    try:
        return [(step, [int(r) for r in values], [str(n) for n in noted.get(step, [])])
                for step, values in counted.items()]
    except ValueError as exc:
        raise DataError(f"--shard-rows: a shard's row count is not a number ({exc}): its "
                        "step did not write it") from exc
