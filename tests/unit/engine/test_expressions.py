"""Argo substitution and the safe expression evaluator, on tables and on the compiled manifests."""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from workflows.engine import expr as ex
from workflows.engine.expr import (
    EvaluationError,
    UnresolvedReference,
    UnsupportedExpression,
    evaluate,
    evaluate_bool,
    evaluate_when,
    substitute,
    template_tags,
    validate_expression,
)

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = sorted((ROOT / "k8s" / "workflows").glob("*/*/*.yaml"))  # <env>/<pipeline>/
MEMO_KEY = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
VARS: dict[str, Any] = {
    "inputs": {"parameters": {"run-date": "2026-11-25", "n": "7"}},
    "lastRetry": {"status": "Failed", "exitCode": "75"},
    "items": ["a", "b", 3],
    "flag": True,
}

EVALUATE = [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 / 2", 3.5),
    ("4 / 2", 2.0),
    ("7 % 3", 1),
    ("-7 % 3", -1),  # Go keeps the dividend's sign
    ("10 - 2 - 3", 5),
    ("-(2 + 3)", -5),
    ("1.5 + 1", 2.5),
    ("2e3", 2000.0),
    ("'a' + \"b\"", "ab"),
    ("'it\\'s' + \"\\n\"", "it's\n"),
    ("'\\u00e9'", "é"),
    ("1 == 1.0", True),
    ("true == 1", False),
    ("'1' == 1", False),
    ("nil == nil", True),
    ("'b' > 'a'", True),
    ("3 >= 3 && 2 < 3", True),
    ("true && false || true", True),
    ("true and not false", True),
    ("false or !true", False),
    ("!flag", False),
    ("flag ? 'y' : 'n'", "y"),
    ("false ? 1 : true ? 2 : 3", 2),
    ("'b' in items", True),
    ("4 not in [1, 2, 3]", True),
    ("'parameters' in inputs", True),
    ("[1, 'x'] == [1, 'x']", True),
    ("items[2]", 3),
    ("items[-1]", 3),
    ("inputs.parameters['run-date']", "2026-11-25"),
    ("inputs['parameters'].n", "7"),
    ("asInt(inputs.parameters.n) + 1", 8),
    ("int('-12')", -12),
    ("asInt(7.9)", 7),
    ("asFloat('2.5') * 2", 5.0),
    ("float(3)", 3.0),
    ("string(12) + string(true) + string(0.5)", "12true0.5"),
    ("len('héllo') + len(items) + len(inputs.parameters)", 10),
    ("sprig.trunc(4, 'abcdef')", "abcd"),
    ("sprig.trunc(-2, 'abcdef')", "ef"),
    ("sprig.trunc(99, 'abc')", "abc"),
    ("sprig.substr(1, 3, 'abcdef')", "bc"),
    ("sprig.substr(2, 99, 'abcdef')", "cdef"),
    ("sprig.lower('AbC') + sprig.upper('x')", "abcX"),
    ("sprig.trim('  a b \\n')", "a b"),
    ("sprig.replace('-', '', inputs.parameters['run-date'])", "20261125"),
    ("sprig.sha256sum('abc')", hashlib.sha256(b"abc").hexdigest()),
    ("toJson(items)", '["a","b",3]'),
    ("sprig.toJson(inputs)", '{"parameters":{"n":"7","run-date":"2026-11-25"}}'),
    ("toJson(['<&>', 1.0, 1e-7, nil])", '["\\u003c\\u0026\\u003e",1,1e-7,null]'),
    ("9223372036854775807 + 1", -9223372036854775808),  # int64 wraps as in Go
    ("1 / 0 > 1e308", True),
    # govaluate-style bare words: `when: "{{status}} == Succeeded"` after substitution
    ("Succeeded == Succeeded", True),
    ("Failed != Succeeded", True),
    ("workflow.status == 'workflow.status'", True),
]


@pytest.mark.parametrize(("expr", "expected"), EVALUATE)
def test_evaluate(expr: str, expected: Any) -> None:
    result = evaluate(expr, VARS)
    assert result == expected and type(result) is type(expected)


FORMATTED = [  # Argo v4.1.2's expressionReplaceCore: a string as is, else json.Marshal
    ("7 / 2", "3.5"),
    ("4 / 2", "2"),
    ("1000000 * 1.0", "1000000"),
    ("123456 * 1.0", "123456"),
    ("0.0001", "0.0001"),
    ("0.00001", "0.00001"),
    ("1e-7", "1e-7"),
    ("1e21 * 1.0", "1e+21"),
    ("-1.5e300", "-1.5e+300"),
    ("true", "true"),
    ("[1, 'a', false]", '[1,"a",false]'),
    ("{b: 1, a: '<&>'} ", '{"a":"\\u003c\\u0026\\u003e","b":1}'),  # escapes stay; ' ' before }}
    ("'<&>'", "<&>"),
    ("75", "75"),
    ("sprig.toDate('2006-01-02', '2024-03-05')", "2024-03-05T00:00:00Z"),  # JSON string
    ("[sprig.toDate('2006-01-02', '2024-03-05')]", '["2024-03-05T00:00:00Z"]'),
]


@pytest.mark.parametrize(("expr", "expected"), FORMATTED)
def test_expression_results_print_as_argo_writes_them(expr: str, expected: str) -> None:
    assert substitute(f"{{{{={expr}}}}}", {}, where="t") == expected


@pytest.mark.parametrize("expr", ["1 / 0", "-1 / 0", "[1 / 0]"])
def test_a_result_json_cannot_write_fails(expr: str) -> None:
    """json.Marshal fails on ±Inf: "failed to marshal evaluated expression"."""
    with pytest.raises(EvaluationError, match="json: unsupported value"):
        substitute(f"{{{{={expr}}}}}", {}, where="t")


def test_a_simple_tag_of_an_absent_optional_fails() -> None:
    """simpleReplaceStrict: a present-but-nil value (a skipped task's output without a
    default) is an error, while an expression sees nil and may fall back."""
    scope = {"tasks.p.outputs.parameters.msg": None}
    with pytest.raises(EvaluationError, match="absent optional"):
        substitute("x-{{tasks.p.outputs.parameters.msg}}", scope, where="t")
    assert substitute("{{=tasks.p.outputs.parameters.msg ?? 'fb'}}", scope, where="t") == "fb"


REFUSED = [
    ("__import__('os')", "names starting with '__'"),
    ("().__class__", "names starting with '__'"),
    ("''.__class__.__mro__", "names starting with '__'"),
    ("()", "unexpected ')'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("inputs.parameters('x')", "unknown function 'inputs.parameters'"),
    ("items[0]('x')", "calls are only allowed on function names"),
    ("sprig.env('HOME')", "unknown function 'sprig.env'"),
    ("sprig.trunc(1)", "sprig.trunc takes 2 argument(s), got 1"),
    ("2 ** 8", "the power operator '**'"),
    ("a ?? b + 1", "Operator (+) and coalesce expressions (??) cannot be mixed"),
    ("a?.b", "optional chaining"),
    ("1..3", "ranges"),
    ("x =~ 'a.*'", "regular expression"),
    ("x | upper()", "pipes"),
    ("{(1): 1}", "a map key must be"),
    ("`raw`", "backticks"),
    ("x = 1", "assignment"),
    ("'unterminated", "unterminated string"),
    ("'bad \\q escape'", "unknown escape"),
    ("12abc", "malformed number"),
    ("99999999999999999999", "integer literal out of range"),
    ("1 +", "unexpected end of expression"),
    ("(1 + 2", "expected ')', found end of expression"),
    ("a b", "unexpected 'b'"),
    ("in == 1", "unexpected keyword 'in'"),
    ("not", "unexpected end of expression"),
    ("x.1", "expected a name after '.'"),
    ("a @ b", "unexpected character '@'"),
    ("1 + " * 1100 + "1", "longer than 4096 characters"),
    ("(" * 40 + "1" + ")" * 40, "nested deeper than 32 levels"),
    ("!" * 40 + "true", "nested deeper than 32 levels"),
    ("-" * 40 + "1", "nested deeper than 32 levels"),
    ("a[" * 40 + "0" + "]" * 40, "nested deeper than 32 levels"),
    ("f(" * 40, "unknown function 'f'"),
]


@pytest.mark.parametrize(("expr", "construct"), REFUSED)
def test_unsupported_constructs_are_refused_naming_them(expr: str, construct: str) -> None:
    with pytest.raises(UnsupportedExpression) as caught:
        evaluate(expr, VARS)
    assert construct in str(caught.value)
    assert len(str(caught.value)) < 400  # a huge expression is not echoed whole


EVALUATION_ERRORS = [
    ("asInt('7.5')", 'int("7.5")'),
    ("asInt(' 7')", 'int(" 7")'),
    ("asInt(true)", "int(bool)"),
    ("asFloat('x')", 'float("x")'),
    ("'a' - 1", "string - int"),
    ("'a' * 3", "string * int"),  # no string repetition: no memory blow-up either
    ("'a' + 1", "string + int"),
    ("1 < 'a'", "int < string"),
    ("1 && true", "'&&' needs a bool"),
    ("!'x'", "'!' needs a bool"),
    ("1 ? 2 : 3", "'?:' needs a bool"),
    ("-'x'", "'-' needs a number"),
    ("5 % 0", "integer divide by zero"),
    ("5.0 % 2", "float % int"),
    ("items[7]", "index out of range"),
    ("items['a']", "must be an integer"),
    ("inputs[0]", "must be a string"),
    ("flag.x", "cannot read a member of a bool"),
    ("'abc'.x", "cannot read a member of a string"),
    ("1 in 'abc'", "'in' needs an array or a map"),
    ("sprig.trunc('2', 'abc')", "sprig.trunc: cannot use string as int"),
    ("sprig.sha256sum(1)", "sprig.sha256sum: cannot use int as string"),
    ("sprig.substr(4, 2, 'abcdef')", "slice bounds out of range"),
    ("len(1)", "invalid argument for len"),
    ("toJson(1 / 0)", "json: unsupported value: +Inf"),
]


@pytest.mark.parametrize(("expr", "message"), EVALUATION_ERRORS)
def test_values_that_do_not_fit_fail_evaluation(expr: str, message: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate(expr, VARS)
    assert message in str(caught.value)


def test_long_flat_chains_and_repeated_evaluation_stay_cheap() -> None:
    assert evaluate("+".join(["1"] * 2000), {}) == 2000  # no recursion per operand
    assert evaluate(" && ".join(["flag"] * 500), VARS) is True


@pytest.mark.parametrize(
    ("expr", "reference"),
    [
        ("missing == 'x'", "missing"),
        ("inputs.parameters.nope", "inputs.parameters.nope"),
        ("inputs.parameters['nope']", "inputs.parameters['nope']"),
        ("lastRetry.statu == 'Error'", "lastRetry.statu"),
    ],
)
def test_strict_names_must_resolve(expr: str, reference: str) -> None:
    with pytest.raises(UnresolvedReference) as caught:
        evaluate(expr, VARS, strict=True)
    assert caught.value.reference == reference


def test_a_missing_key_of_a_known_variable_is_unresolved_even_when_not_strict() -> None:
    with pytest.raises(UnresolvedReference):
        evaluate("lastRetry.statu == 'Error'", VARS)


def test_variables_may_be_given_as_dotted_keys() -> None:
    flat = {"lastRetry.status": "Error", "lastRetry.exitCode": "-1"}
    assert evaluate("lastRetry.status + lastRetry.exitCode", flat, strict=True) == "Error-1"


@pytest.mark.parametrize(
    ("status", "exit_code", "retried"),
    [("Error", "-1", True), ("Failed", "75", True), ("Failed", "65", False),
     ("Failed", "1", False), ("Failed", "-1", False), ("Error", "78", True)],
)  # fmt: skip
def test_retry_expression_of_the_manifests(status: str, exit_code: str, retried: bool) -> None:
    expr = 'lastRetry.status == "Error" || asInt(lastRetry.exitCode) == 75'
    variables = {"lastRetry": {"status": status, "exitCode": exit_code, "duration": "3"}}
    assert evaluate_bool(expr, variables) is retried


def test_evaluate_bool_and_when_want_a_boolean() -> None:
    with pytest.raises(EvaluationError, match="expected a boolean result, got '3'"):
        evaluate_bool("1 + 2", {})
    with pytest.raises(UnresolvedReference):
        evaluate_bool("lastRetry.status == 'Error'", {})
    with pytest.raises(EvaluationError, match="expected a boolean"):
        evaluate_when("Succeeded")


WHEN = [
    ("{{status}} == Succeeded", {"status": "Succeeded"}, True),
    ("{{status}} == Succeeded", {"status": "Failed"}, False),
    ("{{workflow.duration}} > 900", {"workflow.duration": "912.407"}, True),
    ("{{workflow.duration}} > 900", {"workflow.duration": "12"}, False),
    ("{{ item }} != skip", {"item": "run"}, True),
]


@pytest.mark.parametrize(("when", "scope", "expected"), WHEN)
def test_when_after_substitution(when: str, scope: dict[str, str], expected: bool) -> None:
    assert evaluate_when(substitute(when, scope, where="when")) is expected


SCOPE = {
    "inputs.parameters.run-date": "2026-11-25",
    "workflow.name": "cadencia-etl-x7k2p",
    "item": '{"date": "2026-11-01", "n": 2}',
    "outputs.parameters.rows": "120",
    "outputs.parameters.rows.path": "/tmp/cadencia/out/rows",
    "tasks.dates.outputs.parameters.dates": '["2026-11-01"]',
    "retries": "2",
    "payload": "{{workflow.name}}",
}

SUBSTITUTE = [
    ("--logical-date={{inputs.parameters.run-date}}", "--logical-date=2026-11-25"),
    ("{{ workflow.name }}/{{workflow.name}}", "cadencia-etl-x7k2p/cadencia-etl-x7k2p"),
    ("{{item}}", '{"date": "2026-11-01", "n": 2}'),  # JSON stays the string it was
    ("{{outputs.parameters.rows}} rows in {{outputs.parameters.rows.path}}",
     "120 rows in /tmp/cadencia/out/rows"),
    ("{{=outputs.parameters.rows}} {{=outputs.parameters.rows.path}}",
     "120 /tmp/cadencia/out/rows"),
    ("{{= asInt(retries) + 1 }}", "3"),
    ("{{=sprig.trunc(4, inputs.parameters['run-date'])}}-x", "2026-x"),
    ("{{payload}}", "{{workflow.name}}"),  # values are never scanned again
    ("no tags, {single} braces, {{ unclosed", "no tags, {single} braces, {{ unclosed"),
    ("{{=toJson(item)}}", '"{\\"date\\": \\"2026-11-01\\", \\"n\\": 2}"'),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), SUBSTITUTE)
def test_substitute(text: str, expected: str) -> None:
    assert substitute(text, SCOPE, where="spec.templates[0].container.args[1]") == expected


@pytest.mark.parametrize(
    "text", ["{{inputs.parameters.nope}}", "{{=inputs.parameters['nope']}}", "{{}}"]
)
def test_unknown_references_name_the_field_and_the_reference(text: str) -> None:
    with pytest.raises(UnresolvedReference) as caught:
        substitute(text, SCOPE, where="spec.templates[2].container.args[4]")
    message = str(caught.value)
    assert message.startswith("spec.templates[2].container.args[4]: failed to resolve {{")
    assert "nope" in message or text == "{{}}"


def test_unresolved_tags_may_stay_as_written() -> None:
    text = "--count load={{workflow.outputs.parameters.rows-load}} {{=asInt(missing.x)}}"
    assert substitute(text, {}, where="onExit", allow_unresolved=True) == text


def test_unsupported_expressions_name_the_field() -> None:
    with pytest.raises(UnsupportedExpression, match=r"^metadata\.name: unsupported expression"):
        substitute("{{=__import__('os').system('id')}}", {}, where="metadata.name")
    with pytest.raises(EvaluationError, match=r"^x: failed to evaluate expression 'nil'"):
        substitute("{{=nil}}", {}, where="x")


def test_the_evaluator_never_reaches_python_eval_or_attributes() -> None:
    forbidden = {"eval", "exec", "compile", "__import__", "getattr", "setattr", "vars", "globals"}
    modules = sorted((ROOT / "workflows" / "engine" / "expr").glob("*.py"))
    assert {m.stem for m in modules} >= {"expressions", "lexer", "parser", "evaluator",
                                         "functions", "depends", "errors"}  # fmt: skip
    for module in modules:
        tree = ast.parse(module.read_text())
        called = {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
        assert not called & forbidden, module


# --- the compiled manifests ------------------------------------------------------------


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, f"{path}[{index}]")
    elif isinstance(node, str):
        yield path, node


@functools.cache
def _docs() -> list[tuple[str, dict[str, Any]]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when built, for speed
    return [
        (f"{manifest.parent.parent.name}/{manifest.parent.name}/{manifest.name}", doc)
        for manifest in MANIFESTS
        for doc in yaml.load_all(manifest.read_text(), Loader=loader)
    ]


# The simple tags the engine provides (the contract of workflows/engine); anything else
# showing up in a manifest would be a tag the engine cannot resolve.
SIMPLE_TAGS = re.compile(
    r"inputs\.parameters\.[-\w]+|(inputs|outputs)\.artifacts\.[-\w]+\.path"
    r"|outputs\.parameters\.[-\w]+(\.path)?|tasks\.[-\w]+\.outputs\.(parameters|artifacts)\.[-\w]+"
    r"|tasks\.[-\w]+\.outputs\.result|item(\.[-\w]+)?|retries|pod\.name|status|duration|exitCode"
    r"|workflow\.(name|namespace|uid|status|duration|failures|scheduledTime|creationTimestamp)"
    r"|workflow\.(parameters|outputs\.parameters)\.[-\w]+"
)


def test_manifests_are_there() -> None:
    assert len(MANIFESTS) >= 3 and any(m.parent.parent.name == "local" for m in MANIFESTS)


def test_every_tag_of_every_compiled_manifest_parses_and_substitutes() -> None:
    seen_expressions = 0
    for name, doc in _docs():
        spec = doc["spec"].get("workflowSpec", doc["spec"])
        declared = {p["name"] for template in spec.get("templates", [])
                    for p in (template.get("inputs") or {}).get("parameters") or []}
        for path, text in _strings(doc):
            tags = template_tags(text)
            scope: dict[str, str] = {}
            for tag in tags:
                if tag.expression:
                    validate_expression(tag.body)
                    seen_expressions += 1
                else:
                    assert SIMPLE_TAGS.fullmatch(tag.body), f"{name}{path}: {tag.text}"
                    scope[tag.body] = "x"
            scope.update(
                {"workflow.scheduledTime": "2026-11-25T02:00:00-03:00"}
                | {f"inputs.parameters.{p}": "2026-11-25" for p in declared | {"run-date"}}
            )  # fmt: skip
            result = substitute(text, scope, where=f"{name}{path}")
            assert "{{" not in result, f"{name}{path}"
    assert seen_expressions >= 4 * len({m.parent for m in MANIFESTS})


def _memoized_templates() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, doc in _docs():
        spec = doc["spec"].get("workflowSpec", doc["spec"])
        for template in spec.get("templates", []):
            if "memoize" in template:
                yield f"{name}:{template['name']}", template


@pytest.mark.parametrize(
    "value", ["2026-11-25", "2026-11-25T02:00:00-03:00", "a/b c:d_e.f", "", "çé ✔", "{{x}}"]
)
def test_memoize_keys_are_valid_whatever_the_inputs_hold(value: str) -> None:
    found = 0
    for where, template in _memoized_templates():
        params = [p["name"] for p in template["inputs"]["parameters"]]
        scope = {f"inputs.parameters.{p}": value for p in params}
        key = substitute(template["memoize"]["key"], scope, where=where)
        assert MEMO_KEY.fullmatch(key), (where, key)
        assert key.startswith(template["name"] + "-") and len(key) == len(template["name"]) + 65
        other = substitute(template["memoize"]["key"], scope | {
            "inputs.parameters.run-date": value + "1"}, where=where)  # fmt: skip
        assert other != key
        found += 1
    assert found >= 4


def test_memoize_key_is_the_sha256_of_the_digest_the_date_and_the_source() -> None:
    where, template = next(t for t in _memoized_templates() if t[0].endswith(":extract-http"))
    digest = re.search(r"'([0-9a-f]{64})'", template["memoize"]["key"])
    assert digest, where
    key = substitute(
        template["memoize"]["key"], {"inputs.parameters.run-date": "2026-11-25",
                                     "inputs.parameters.source-fingerprint": "f" * 64},
        where=where
    )
    expected = hashlib.sha256(f"{digest.group(1)}|2026-11-25|{'f' * 64}".encode()).hexdigest()
    assert key == f"extract-http-{expected}"


def test_cron_run_date_is_the_day_before_the_scheduled_time_in_its_zone() -> None:
    crons = [d for _, d in _docs() if d["kind"] == "CronWorkflow"]
    assert crons
    for cron in crons:
        (param,) = cron["spec"]["workflowSpec"]["arguments"]["parameters"]
        for tick in ("2026-11-25T02:00:00-03:00", "2026-11-25T05:00:00Z"):
            scope = {"workflow.scheduledTime": tick}
            assert substitute(param["value"], scope, where="run-date") == "2026-11-24"


def test_retry_expressions_and_metric_conditions_of_the_manifests_evaluate() -> None:
    retry, when = set(), set()
    for _, doc in _docs():
        for path, text in _strings(doc):
            if path.endswith(".retryStrategy.expression"):
                retry.add(text)
            elif path.endswith(".when"):
                when.add(text)
    assert retry and when
    for expr in retry:
        assert evaluate_bool(expr, {"lastRetry": {"status": "Failed", "exitCode": "75"}})
        assert not evaluate_bool(expr, {"lastRetry": {"status": "Failed", "exitCode": "65"}})
    scope = {"status": "Succeeded", "workflow.duration": "5000.5"}
    for condition in when:
        assert evaluate_when(substitute(condition, scope, where="when")) is True


def test_the_public_names_of_the_contract_exist() -> None:
    for name in ("substitute", "evaluate", "evaluate_depends", "UnresolvedReference",
                 "UnsupportedExpression"):  # fmt: skip
        assert name in ex.__all__ and hasattr(ex, name)
    assert issubclass(UnresolvedReference, Exception)
    assert issubclass(UnsupportedExpression, Exception)
