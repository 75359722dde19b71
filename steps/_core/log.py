"""Structured logging: JSON lines on stderr, or a human format for terminals.

Every record carries ``step``, ``run_id`` and ``logical_date`` (set once by
:func:`setup`) plus any ``extra=`` fields. ``CADENCIA_LOG_FORMAT`` chooses ``json``,
``human`` or ``auto`` (the default: human on a TTY, JSON otherwise, so pods log JSON).

Both formats pass the message, the fields and the traceback through
:func:`steps._core.redact.text`: a secret the step registered never reaches the log, even
when a server or an exception echoes it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from steps._core import redact

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class _Context(logging.Filter):
    def __init__(self, context: dict[str, Any]) -> None:
        super().__init__()
        self.context = context

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.context.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: redact.deep(v) for k, v in vars(record).items() if k not in _RESERVED}


def _text_of(value: object) -> str:
    return redact.text(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context and fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact.text(record.getMessage()),
        }
        payload.update(_fields(record))
        if record.exc_info:
            payload["exception"] = redact.text(self.formatException(record.exc_info))
        return json.dumps(payload, default=_text_of, ensure_ascii=False)


class HumanFormatter(logging.Formatter):
    """``HH:MM:SS level step: message key=value ...`` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        step = fields.pop("step", record.name)
        fields.pop("run_id", None)
        fields.pop("logical_date", None)
        extras = " ".join(f"{k}={_text_of(v)}" for k, v in fields.items())
        line = (
            f"{time.strftime('%H:%M:%S', time.localtime(record.created))} "
            f"{record.levelname.lower():7} {step}: {redact.text(record.getMessage())}"
        )
        if extras:
            line += f"  {extras}"
        if record.exc_info:
            line += "\n" + redact.text(self.formatException(record.exc_info))
        return line


def setup(step: str, run_id: str, logical_date: str | None, level: str | None = None) -> None:
    """Route the root logger to stderr with the chosen format and the step context."""
    fmt = os.environ.get("CADENCIA_LOG_FORMAT", "auto").lower()
    human = fmt == "human" or (fmt == "auto" and sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HumanFormatter() if human else JsonFormatter())
    handler.addFilter(_Context({"step": step, "run_id": run_id, "logical_date": logical_date}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("CADENCIA_LOG_LEVEL", "INFO")).upper())
    # urllib3 logs every retry at WARNING with the full URL; our HTTP helper logs its own.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
