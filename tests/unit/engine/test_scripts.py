"""The pure parts of script templates: outputs.result from stdout, {{inputs.parameters}},
where the source is staged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.engine.artifacts.sandbox import Sandbox
from workflows.engine.executor import RESULT_LIMIT, result_text
from workflows.engine.scripts import inputs_json, main_container, stage


@pytest.mark.parametrize(("stdout", "result"), [
    (b"", ""), (b"\n", ""), (b"a\n", "a"), (b"a\n\n", "a\n"), (b"a\r\n", "a\r"),
    (b"no newline", "no newline")])
def test_result_trims_one_trailing_newline(stdout: bytes, result: str) -> None:
    assert result_text(stdout) == result


def test_result_keeps_the_last_256_kb_after_trimming() -> None:
    text = result_text(b"x" + b"y" * RESULT_LIMIT + b"\n")
    assert len(text) == RESULT_LIMIT and set(text) == {"y"}


def test_inputs_parameters_follow_the_go_struct() -> None:
    tmpl = {"inputs": {"parameters": [
        {"name": "a", "enum": ["1", 2], "description": "first", "globalName": "g"},
        {"name": "b", "default": 3},
        {"name": "c", "value": "fixed"}]}}
    text = inputs_json(tmpl, {"a": "1", "b": "3", "c": "fixed"})
    assert text == ('[{"name":"a","value":"1","globalName":"g","enum":["1","2"],'
                    '"description":"first"},{"name":"b","default":"3","value":"3"},'
                    '{"name":"c","value":"fixed"}]')
    assert inputs_json({}, {}) == "null"  # Go marshals the nil slice so
    assert json.loads(inputs_json({"inputs": {"parameters": [{"name": "h"}]}},
                                  {"h": "<a&b>"}))[0]["value"] == "<a&b>"


def test_the_source_is_staged_executable_and_named_as_the_pod_sees_it(tmp_path: Path) -> None:
    box = Sandbox(tmp_path, "pod-1")
    tmpl = {"script": {"image": "alpine", "command": ["sh"], "source": "echo hi"}}
    assert main_container(tmpl)["command"] == ["sh"]
    assert stage(tmpl, box, "echo hi", literal=True) == ["/argo/staging/script"]
    staged = box.root / "argo" / "staging" / "script"
    assert staged.read_text() == "echo hi" and staged.stat().st_mode & 0o777 == 0o755
    assert stage(tmpl, box, "echo hi", literal=False) == [str(staged)]
    assert stage(tmpl, box, "", literal=True) == []  # no source, no argument (as Argo)
    assert stage({"container": {}}, box, "x", literal=True) == []
