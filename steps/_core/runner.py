"""The one place that turns a step's outcome into a log line and an exit code.

Each step builds its parser with :func:`parser` (common options: ``--run-id``,
``--logical-date``, ``--summary-out``, ``--rows-out``, ``--note-out``, ``--checksum-out``)
and hands its body to :func:`run`.
A :class:`PipelineError` is logged once as an error line and exits with its code (the log
formatter masks every secret the step registered with :mod:`steps._core.redact`);
anything else is a bug: logged with its traceback, exit 1. A usage error is a
configuration error (78), not argparse's 2, so Argo never retries it. SIGTERM (a
deadline) unwinds the stack so temporary outputs are removed, then exits 143.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from steps._core import log as logsetup
from steps._core import redact
from steps._core.errors import EXIT_BUG, ConfigError, PipelineError
from steps._core.files import write_json, write_text

logger = logging.getLogger("steps")
EXIT_TERMINATED = 143
NOTE_MAX = 300  # characters of a --note-out line


class _Terminated(BaseException):
    pass


class StepArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: configuration error: {message}", file=sys.stderr)  # noqa: T201
        sys.exit(ConfigError.exit_code)


def logical_date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from None


def parser(step: str, doc: str | None, *, needs_date: bool = False, strict_date: bool = True
           ) -> StepArgumentParser:
    """A parser whose description is the step module's docstring.

    ``strict_date=False`` takes ``--logical-date`` as given: notify must still report a run
    whose date parameter was malformed.
    """
    p = StepArgumentParser(
        prog=f"python -m steps.{step}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = p.add_argument_group("common options")
    common.add_argument("--run-id", default=os.environ.get("CADENCIA_RUN_ID", "local"),
                        help="run identifier for logs and the load ledger (env CADENCIA_RUN_ID)")
    common.add_argument("--logical-date", type=logical_date if strict_date else str,
                        required=needs_date,
                        default=os.environ.get("CADENCIA_LOGICAL_DATE"),
                        help="the run's logical date, YYYY-MM-DD (env CADENCIA_LOGICAL_DATE)")
    common.add_argument("--summary-out", metavar="PATH",
                        help="write the step summary as JSON to PATH")
    common.add_argument("--rows-out", metavar="PATH",
                        help="write the output row count to PATH (an Argo output parameter)")
    common.add_argument("--note-out", metavar="PATH",
                        help="write a one-line note on what the step did beyond its row "
                             "count to PATH (an Argo output parameter; may be empty)")
    common.add_argument("--checksum-out", metavar="PATH",
                        help="write the SHA-256 of the step's output file to PATH (feeds the "
                             "memoize keys of the steps downstream)")
    return p


def one_line(text: str, limit: int = NOTE_MAX) -> str:
    """``text`` safe to travel as an Argo parameter into other templates' args: one line,
    no double quotes, no ``{{``/``}}`` (Argo would read a tag), at most ``limit`` chars."""
    text = " ".join(text.split()).replace('"', "'").replace("{{", "{ {").replace("}}", "} }")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (``ru_maxrss`` is KiB on
    Linux), plus the largest peak of the children it has waited for (extract-http's
    converter runs beside it): what a container's memory limit is measured against,
    logged so a step's memory shows in ``cadencia logs`` and a bench can read it."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round((own + children) / 1024, 1)


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def run(step: str, args: argparse.Namespace, body: Callable[[argparse.Namespace], dict[str, Any]]
        ) -> NoReturn:
    """Run ``body(args)`` and exit with the code its outcome maps to."""
    logsetup.setup(step, args.run_id, args.logical_date)
    signal.signal(signal.SIGTERM, _on_sigterm)
    started = time.perf_counter()
    try:
        summary = body(args)
    except PipelineError as exc:
        logger.error("%s", exc.message, extra={
            "error_kind": exc.kind, "exit_code": exc.exit_code, **exc.fields,
            "peak_rss_mib": peak_rss_mib()})
        sys.exit(exc.exit_code)
    except _Terminated:
        logger.error("terminated by SIGTERM (deadline or cancel)", extra={
            "error_kind": "terminated", "exit_code": EXIT_TERMINATED,
            "peak_rss_mib": peak_rss_mib()})
        sys.exit(EXIT_TERMINATED)
    except Exception as exc:
        logger.exception("unexpected error (a bug): %s: %s", type(exc).__name__, exc,
                         extra={"error_kind": "bug", "exit_code": EXIT_BUG,
                                "peak_rss_mib": peak_rss_mib()})
        sys.exit(EXIT_BUG)
    summary["duration_s"] = round(time.perf_counter() - started, 3)
    if args.checksum_out is not None and summary.get("out"):
        summary["sha256"] = file_sha256(summary["out"])
        write_text(args.checksum_out, summary["sha256"])
    summary["peak_rss_mib"] = peak_rss_mib()
    if args.summary_out:
        write_json(args.summary_out, summary)
    if args.rows_out is not None and "rows" in summary:
        write_text(args.rows_out, str(summary["rows"]))
    if args.note_out is not None:
        # The note travels on to the notification: no registered secret goes with it.
        write_text(args.note_out, one_line(redact.text(str(summary.get("note", "")))))
    logger.info("%s finished", step, extra={"summary": summary})
    sys.exit(0)
