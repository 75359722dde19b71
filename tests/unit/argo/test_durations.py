"""Durations as Argo reads them (workflows.argo.durations), and the config's plain form on top."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from workflows.argo.durations import (
    humanize,
    is_go_duration,
    parse_argo_duration,
    parse_go_duration,
)
from workflows.config.types import GoDuration


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("5m", 300), ("1h30m", 5400), ("300ms", 0.3), ("0", 0), ("1.5s", 1.5),
    ("+30s", 30), ("-1.5h", -5400), (".5s", 0.5), ("1.s", 1), ("2µs", 2e-6), ("2μs", 2e-6)])
def test_go_durations_read_as_time_parse_duration_does(text, seconds):
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["1d", "5", "", "m", "10 s", ".", "--5s", "+", "30s\n", " 30s"])
def test_go_durations_refuse_what_go_refuses(text):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_go_duration(text)
    assert not is_go_duration(text)


def test_argo_durations_read_a_whole_number_as_seconds_as_atoi_does():
    assert parse_argo_duration("30") == 30 and parse_argo_duration(2) == 2
    assert parse_argo_duration("+5") == 5 and parse_argo_duration("-5") == -5
    assert parse_argo_duration("2m") == 120
    with pytest.raises(ValueError):
        parse_argo_duration(True)


@pytest.mark.parametrize(("seconds", "text"), [
    (2, "2 seconds"), (59.9, "59 seconds"), (64, "1 minutes 4 seconds"),
    (3725, "1 hours 2 minutes 5 seconds"), (90061, "1 days 1 hours 1 minutes 1 seconds")])
def test_humanize_like_argo_messages(seconds, text):
    assert humanize(seconds) == text


@pytest.mark.parametrize("text", ["30s", "1h30m", "1.5h", "250ms", "2µs"])
def test_the_config_takes_a_plain_positive_go_duration(text):
    assert TypeAdapter(GoDuration).validate_python(text) == text


@pytest.mark.parametrize(("text", "why"), [
    ("+30s", "not a Go duration"), (".5h", "not a Go duration"), ("1.h", "not a Go duration"),
    ("2μs", "not a Go duration"), ("30", "not a Go duration"), ("1d", "not a Go duration"),
    ("0s", "longer than zero")])
def test_the_config_refuses_what_argo_would_take_but_is_not_plain_or_positive(text, why):
    with pytest.raises(ValidationError, match=why):
        TypeAdapter(GoDuration).validate_python(text)
