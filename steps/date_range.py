"""date-range: list the logical dates of a backfill, for Argo's ``withParam``.

Inputs:
  ``--start YYYY-MM-DD`` and ``--end YYYY-MM-DD``: the first and last date, both included
  ``--max-days N``: the longest range accepted (default 366), so a typo in a year cannot
  fan out into thousands of runs

Outputs:
  the dates as a JSON list (``["2026-11-01", "2026-11-02"]``) on stdout, and in
  ``--out PATH`` when given (an Argo output parameter); summary: rows (the number of
  dates), start, end

Settings: none.

Errors: a malformed date, an end before the start, or more than ``--max-days`` days 78.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from steps._core import runner
from steps._core.errors import ConfigError
from steps._core.files import write_text


def dates(start: dt.date, end: dt.date, *, max_days: int) -> list[str]:
    """Every date from ``start`` to ``end`` inclusive, as ISO strings."""
    if end < start:
        raise ConfigError(f"the end {end} is before the start {start}", start=str(start),
                          end=str(end))
    days = (end - start).days + 1
    if days > max_days:
        raise ConfigError(f"{start}..{end} is {days} days; the limit is {max_days} "
                          "(--max-days)", days=days, max_days=max_days)
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(runner.logical_date(value))


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}")
    return int(value)


def main() -> None:
    p = runner.parser("date_range", __doc__)
    p.add_argument("--start", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="first date (included)")
    p.add_argument("--end", type=_date, required=True, metavar="YYYY-MM-DD",
                   help="last date (included)")
    p.add_argument("--max-days", type=_positive, default=366, help="longest range (366)")
    p.add_argument("--out", metavar="PATH", help="also write the JSON list to PATH")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        found = dates(a.start, a.end, max_days=a.max_days)
        text = json.dumps(found)
        if a.out:
            write_text(a.out, text)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return {"rows": len(found), "start": found[0], "end": found[-1]}

    runner.run("date_range", args, body)


if __name__ == "__main__":
    main()
