"""Typed settings from CADENCIA_* variables: types, required names, masked secrets."""

from __future__ import annotations

import dataclasses

import pytest

from steps._core.errors import ConfigError
from steps._core.settings import Secret, Settings


@dataclasses.dataclass(frozen=True)
class Demo(Settings):
    prefix = "CADENCIA_DEMO_"
    db_url: Secret
    table: str
    chunk: int = 100
    ratio: float = 0.5
    strict: bool = False
    tags: tuple[str, ...] = ()
    token: Secret | None = None
    label: str | None = None


REQUIRED = {"CADENCIA_DEMO_DB_URL": "postgresql://u:hunter2@h/db",
            "CADENCIA_DEMO_TABLE": "sales"}


def test_defaults_apply_when_only_required_are_set() -> None:
    s = Demo.from_env(REQUIRED)
    assert (s.table, s.chunk, s.ratio, s.strict, s.tags, s.token, s.label) == (
        "sales", 100, 0.5, False, (), None, None)
    assert s.db_url.reveal() == "postgresql://u:hunter2@h/db"


def test_values_are_converted_to_the_declared_types() -> None:
    s = Demo.from_env({**REQUIRED, "CADENCIA_DEMO_CHUNK": "5000", "CADENCIA_DEMO_RATIO": "0.25",
                       "CADENCIA_DEMO_STRICT": "Yes", "CADENCIA_DEMO_TAGS": "a, b,,c ",
                       "CADENCIA_DEMO_TOKEN": "t0k", "CADENCIA_DEMO_LABEL": "x"})
    assert (s.chunk, s.ratio, s.strict, s.tags, s.label) == (5000, 0.25, True, ("a", "b", "c"),
                                                              "x")
    assert isinstance(s.token, Secret) and s.token.reveal() == "t0k"


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("on", True), ("TRUE", True),
                                            ("0", False), ("no", False), ("", False)])
def test_booleans(raw: str, value: bool) -> None:
    assert Demo.from_env({**REQUIRED, "CADENCIA_DEMO_STRICT": raw}).strict is value


def test_missing_required_names_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as info:
        Demo.from_env({})
    assert "CADENCIA_DEMO_DB_URL" in info.value.message
    assert "CADENCIA_DEMO_TABLE" in info.value.message
    assert info.value.exit_code == 78


def test_an_empty_secret_counts_as_missing() -> None:
    with pytest.raises(ConfigError, match="CADENCIA_DEMO_DB_URL"):
        Demo.from_env({**REQUIRED, "CADENCIA_DEMO_DB_URL": ""})


def test_an_empty_optional_secret_counts_as_unset() -> None:
    # A Kubernetes Secret key that exists but is empty must not become an empty password.
    assert Demo.from_env({**REQUIRED, "CADENCIA_DEMO_TOKEN": ""}).token is None


@pytest.mark.parametrize(("name", "raw"), [("CADENCIA_DEMO_CHUNK", "ten"),
                                           ("CADENCIA_DEMO_RATIO", "half"),
                                           ("CADENCIA_DEMO_STRICT", "maybe")])
def test_a_bad_value_names_its_variable(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Demo.from_env({**REQUIRED, name: raw})


def test_secret_is_masked_in_repr_of_the_settings() -> None:
    s = Demo.from_env({**REQUIRED, "CADENCIA_DEMO_TOKEN": "t0k3n-xyz"})
    text = repr(s) + str(s) + repr([s.db_url]) + f"{s!r}"
    assert "hunter2" not in text and "t0k3n-xyz" not in text
    assert "Secret('***')" in repr(s)


def test_settings_are_frozen() -> None:
    s = Demo.from_env(REQUIRED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.chunk = 1  # type: ignore[misc]


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in REQUIRED.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CADENCIA_DEMO_CHUNK", "7")
    assert Demo.from_env().chunk == 7
