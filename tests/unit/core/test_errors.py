"""The error tree: each class carries the exit code Argo's retry expression relies on."""

from __future__ import annotations

import pytest

from steps._core.errors import (
    EXIT_BUG,
    EXIT_CODES,
    EXIT_OK,
    ConfigError,
    DataError,
    PipelineError,
    TransientError,
    UpstreamError,
)


@pytest.mark.parametrize(("cls", "code", "kind"), [
    (TransientError, 75, "transient"),
    (DataError, 65, "bad_data"),
    (UpstreamError, 76, "upstream_refused"),
    (ConfigError, 78, "configuration"),
])
def test_each_class_has_its_exit_code_and_kind(cls: type[PipelineError], code: int,
                                               kind: str) -> None:
    err = cls("boom", table="t")
    assert isinstance(err, PipelineError)
    assert (err.exit_code, err.kind) == (code, kind)
    assert EXIT_CODES[kind] == code


def test_only_transient_is_retryable_by_the_75_rule() -> None:
    codes = {cls.exit_code for cls in (DataError, UpstreamError, ConfigError)}
    assert TransientError.exit_code == 75 and 75 not in codes
    assert len(codes | {75}) == 4  # all distinct
    assert {EXIT_OK, EXIT_BUG} == {0, 1} and not codes & {0, 1}


def test_message_and_fields_are_kept_for_the_log_line() -> None:
    err = DataError("column x has nulls", column="x", rows=3)
    assert err.message == str(err) == "column x has nulls"
    assert err.fields == {"column": "x", "rows": 3}


def test_raise_from_keeps_the_library_cause() -> None:
    cause = ConnectionRefusedError("refused")
    with pytest.raises(TransientError) as info:
        try:
            raise cause
        except OSError as exc:
            raise TransientError("db unavailable") from exc
    assert info.value.__cause__ is cause
