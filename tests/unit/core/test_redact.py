"""Registered secrets never reach a log line, in any form a server or library may echo."""

from __future__ import annotations

import base64
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from steps._core import redact
from steps._core.log import HumanFormatter, JsonFormatter

SECRET = "tok-s3cr/et+9f8e"


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    redact.clear()
    yield
    redact.clear()


def record(message: str, *args: object, exc: bool = False, **fields: object
           ) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError(f"login failed for {SECRET}")
        except ValueError:
            info = sys.exc_info()
    rec = logging.LogRecord("steps", logging.ERROR, __file__, 1, message, args, info)
    for key, value in fields.items():
        setattr(rec, key, value)
    return rec


def test_a_registered_secret_is_masked_raw_and_url_quoted() -> None:
    redact.register(SECRET)
    text = redact.text(f"a {SECRET} b tok-s3cr%2Fet%2B9f8e c tok-s3cr/et%2B9f8e")
    assert text == "a *** b *** c ***"


def test_basic_auth_is_masked_as_the_base64_its_header_carries() -> None:
    redact.register_basic("etl", SECRET)
    header = base64.b64encode(f"etl:{SECRET}".encode()).decode()
    assert redact.text(f"invalid credential 'Basic {header}' for etl") == \
        "invalid credential 'Basic ***' for etl"


def test_values_too_short_to_be_secrets_are_left_alone() -> None:
    redact.register("ab", None, "")
    assert redact.text("a tab") == "a tab"


def test_a_snippet_is_redacted_before_it_is_cut() -> None:
    redact.register(SECRET)
    cut = redact.snippet("x" * 195 + " " + SECRET + " tail", 200)
    assert SECRET[:4] not in cut and cut.endswith("...")


def test_a_snippet_of_a_truncated_body_drops_its_last_word() -> None:
    redact.register(SECRET)
    assert redact.snippet("refused: " + SECRET[:7], 200, cut=True) == "refused:..."


def test_the_json_formatter_masks_message_fields_and_traceback() -> None:
    redact.register(SECRET)
    line = JsonFormatter().format(record("GET refused: %s", SECRET, exc=True,
                                         body=f"echo {SECRET}", nested={"k": [SECRET]}))
    assert SECRET not in line
    payload = json.loads(line)
    assert payload["message"] == "GET refused: ***"
    assert payload["body"] == "echo ***" and payload["nested"] == {"k": ["***"]}
    assert "login failed for ***" in payload["exception"]


def test_the_human_formatter_masks_too() -> None:
    redact.register(SECRET)
    line = HumanFormatter().format(record("refused: %s", SECRET, exc=True, body=SECRET))
    assert SECRET not in line and "refused: ***" in line


def test_a_database_password_is_masked_once_its_url_is_read() -> None:
    from steps._core import db

    db.parse_url("postgresql+psycopg://etl:pw-9Xq%40l@db.internal:5432/shop")
    line = JsonFormatter().format(record("connect failed: password 'pw-9Xq@l' for etl"))
    assert "pw-9Xq" not in line and "***" in json.loads(line)["message"]
