"""``jsonpath(json, path)`` as Argo v4.1.2 runs it: github.com/evilmonkeyinc/jsonpath
v0.8.1 over Go's ``json.Unmarshal`` (util/expr/env/env.go). The expected values are what
that library returns (checked against it, built from its v0.8.1 source), written as
``expressionReplaceCore`` writes them: a string as is, anything else as its JSON."""

from __future__ import annotations

import re

import pytest
import yaml

from workflows.engine.admit.refuse import check
from workflows.engine.expr import EvaluationError, UnsupportedExpression, substitute
from workflows.engine.outputs import OutputError, template_outputs

STAFF = ('{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42}, '
         '{"name": "Jai", "age" :44}]}')
DOC = ('{"a": {"b": [1, 2.5, "3", null, true], "length": 7}, "m": {"z": 1, "a": 2, "k": "x"}, '
       '"s": "h\u00e9llo", "list": [{"x": 1, "y": "a"}, {"x": "1", "y": "b"}, {"y": "c"}, '
       '{"x": 2.0, "y": null}, {"x": true}, 5], "q": [[1,2],[3,4]], '
       '"big": 12345678901234567890, "e": 1e-7, "f": 1.5e21, '
       '"k": {"a-b": 1, "a.b": 2, "x y": 3, "0": 4}}')


def jsonpath(document: str, path: str) -> str:
    return substitute("{{=jsonpath(doc, path)}}", {"doc": document, "path": path}, where="t")


@pytest.mark.parametrize(("path", "expected"), [
    # Argo's own cases (util/template/template_test.go) and the corpus examples
    ("$.employees[*].name", '["Baris","Mo","Jai"]'),
    ("$.employees[0]", '{"age":43,"name":"Baris"}'),
    ('$.employees[?(@.name=="Baris")].age', "[43]"),  # a filter is a list, one match too
    ("$.employees[?(@.age>42 && @.age<44)].age", "[43]"),
    ("$.employees[0:1]", '[{"age":43,"name":"Baris"}]'),
    ('$.employees[?(@.name=="Baris")][0].age', "43"),  # [i] right after indexes the list
    ("$.employees[0].age", "43"),  # float64 43, printed as JSON does
])
def test_argo_and_corpus_paths(path: str, expected: str) -> None:
    assert jsonpath(STAFF, path) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("$.a.b", '[1,2.5,"3",null,true]'),
    ("$.a.b[-1]", "true"),
    ("$['a']['b'][1]", "2.5"),
    ('$["m"]["k"]', "x"),
    ("$.a.length", "7"),  # an object's own 'length' member wins
    ("$.m.length", "3"),
    ("$.s.length", "6"),  # UTF-8 bytes
    ("$.m.*", "[2,\"x\",1]"),  # values by sorted key
    ("$.m[*]", "[2,\"x\",1]"),
    ("$.a.b[1:3]", '[2.5,"3"]'),
    ("$.a.b[:2]", "[1,2.5]"),
    ("$.a.b[-2:]", "[null,true]"),
    ("$.a.b[0:5:2]", '[1,"3",true]'),
    ("$.a.b[0:5:-1]", '[true,null,"3",2.5,1]'),  # [start:end) first, then backwards
    ("$.a.b[4:0:-1]", "[]"),
    ("$.a.b[0:0]", "[]"),
    ("$.list[*].x", '[1,"1",2,true]'),  # a missing key drops the element
    ("$.list[*].y", '["a","b","c"]'),  # so does a null result
    ("$.q[*][0]", "[1,3]"),
    ("$.q[*][*]", "[[1,2],[3,4]]"),  # not flattened
    ("$.q[0:2][1]", "[3,4]"),
    ("$.big", "12345678901234567000"),  # float64
    ("$.e", "1e-7"),
    ("$.f", "1.5e+21"),
    ("$.k.a-b", "1"),
    ("$.k['a.b']", "2"),
    ("$.k['x y']", "3"),
    ("$.k.0", "4"),
])
def test_keys_indexes_slices_and_wildcards(path: str, expected: str) -> None:
    assert jsonpath(DOC, path) == expected


@pytest.mark.parametrize(("path", "expected"), [
    ("$.list[?(@.x == 1)].y", '["a"]'),  # a JSON string "1" is not the number 1
    ('$.list[?(@.x == "1")].y', '["b"]'),
    ("$.list[?(@.x == '1')].y", '["b"]'),
    ("$.list[?(@.x != 1)].y", '["b"]'),  # an element without x is dropped by != too
    ("$.list[?(@.x > 0)].y", '["a"]'),  # order needs numbers: "1" and true fail
    ("$.list[?(@.x >= 1)].y", '["a"]'),
    ("$.list[?(@.x <= 2)].y", '["a"]'),
    ("$.list[?(@.x == true)].y", "[]"),
    ("$.list[?(@.y == null)].x", "[2]"),
    ('$.list[?(@.y == "a" || @.y == "c")].y', '["a","c"]'),
    ('$.list[?(@.y == "a" || @.x == 2)].y', '["a"]'),  # an error in any part drops it
    ('$.list[?(@.x == 1 && @.y == "a")].y', '["a"]'),
    ("$.list[?(@.x == -1)]", "[]"),
    ("$.list[?(@.x == 1.0)].y", '["a"]'),
    ("$.a.b[?(@ > 1)]", "[2.5]"),
    ('$.a.b[?(@ == "3")]', '["3"]'),
    ("$.m[?(@ == 1)]", "[1]"),
])
def test_filters_compare_as_the_library_does(path: str, expected: str) -> None:
    assert jsonpath(DOC, path) == expected


@pytest.mark.parametrize(("path", "document", "message"), [
    ("$.missing", DOC, "key: invalid token key 'missing' not found"),
    ("$.a.b.c", DOC, "invalid token target"),
    ("$.a.b[5]", DOC, "out of range"),
    ("$.a[0]", DOC, "invalid token target"),  # no index on an object
    ("$.s[0]", DOC, "invalid token target"),  # nor on a string
    ("$.a", '{"a": NaN}', "invalid character 'N'"),
    ("$.a", '{"a": 1e400}', "cannot unmarshal number 1e400"),
    ("$.a", "x", "invalid JSON"),
])
def test_what_the_library_rejects_fails_the_expression(path: str, document: str,
                                                       message: str) -> None:
    with pytest.raises(EvaluationError, match=message):
        jsonpath(document, path)


def test_a_null_result_fails_like_any_nil() -> None:
    with pytest.raises(EvaluationError, match="nil"):
        jsonpath('{"n": null}', "$.n")


@pytest.mark.parametrize(("path", "why"), [
    ("$..name", "recursive descent"),
    ("$.list[0,1]", "the subscript [0,1]"),
    ("$.list[(@.length-1)]", "the subscript [(@.length-1)]"),
    ("$.list[?(@.name)]", "must be a comparison"),
    ("$.list[?(@.name =~ /a/)]", "only comparisons"),
    ("$.list[?(@.info == 1)]", "reads 'in' in it"),  # the library cannot compile this one
    ("$.list[?((@.x == 1))]", "only comparisons"),
    ("$.k[ 0 ]", "the subscript [ 0 ]"),
    ("a.b", "must start with '$'"),
    ("$.", "a key after '.'"),
    ("$.k['it\\'s']", "an unclosed '['"),  # no escapes in keys
])
def test_paths_outside_the_subset_are_refused(path: str, why: str) -> None:
    with pytest.raises(UnsupportedExpression, match=re.escape(why)) as caught:
        jsonpath(DOC, path)
    assert not isinstance(caught.value, EvaluationError)


def test_a_literal_path_outside_the_subset_is_refused_before_the_run() -> None:
    manifest = yaml.safe_load("""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: jp}
spec:
  entrypoint: main
  arguments: {parameters: [{name: config, value: '{"a": [1]}'}]}
  templates:
  - name: main
    inputs:
      parameters:
      - {name: ok, value: "{{=jsonpath(workflow.parameters.config, '$.a[0]')}}"}
      - {name: bad, value: "{{=jsonpath(workflow.parameters.config, '$..a')}}"}
    container: {image: alpine:3.20, command: [sh, -c, "true"]}
""")
    problems = check([manifest], "jp").problems
    assert len(problems) == 1
    assert "spec.templates[0].inputs.parameters[1].value" in problems[0]
    assert "recursive descent '..'" in problems[0]


def test_a_path_computed_at_run_time_is_checked_then_and_never_defaulted() -> None:
    """An output's default stands for Argo's failures only: a path outside the subset,
    known only at run time, errors the node naming it instead."""
    tmpl = {"outputs": {"parameters": [{"name": "p", "valueFrom": {
        "expression": "jsonpath(inputs.parameters.doc, inputs.parameters.path)",
        "default": "d"}}]}}

    def output(path: str) -> str:
        scope = {"inputs.parameters.doc": '{"a": 1}', "inputs.parameters.path": path}
        return str(template_outputs(tmpl, scope)["parameters"][0]["value"])

    assert output("$.a") == "1"
    assert output("$.b") == "d"  # the library's error: Argo takes the default too
    with pytest.raises(OutputError, match="recursive descent"):
        output("$..a")


def test_a_document_nested_deeper_than_the_engine_reads_is_refused() -> None:
    with pytest.raises(UnsupportedExpression, match="nested deeper than 200 levels"):
        jsonpath("[" * 300 + "]" * 300, "$")
    assert jsonpath('{"a": "[[[[{{"}', "$.a") == "[[[[{{"  # brackets in strings do not count
