"""Structural check of Argo documents against the vendored Argo v4.1.2 JSON schema.

The schema (``argo-workflows-v4.1.2.schema.json`` beside this module, a verbatim copy of
the published one) is a floor, not a linter: it types IntOrString and Quantity as plain
strings and accepts unknown fields. So, when loaded, those definitions are widened to what
the Go types accept (``limit: 3``, ``cpu: 1``, ``value: 5`` for AnyString parameters), and
the walk rejects unknown fields the way ``argo lint`` (strict decoding) does. Only the
keywords the schema uses are needed: $ref, type, const, properties, additionalProperties,
items, required.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from workflows.lint.findings import Finding, Path_
from workflows.lint.loader import Document

SCHEMA_FILE = "argo-workflows-v4.1.2.schema.json"
_PREFIX = "io.argoproj.workflow.v1alpha1."
ARGO_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
              "WorkflowEventBinding")
_ANY_STRING = {"type": ["string", "integer", "number", "boolean"]}
# Go structs without fields: nothing may be set inside them.
_EMPTY_STRUCTS = {"NoneStrategy", "ZipStrategy", "RetryNodeAntiAffinity", "SuppliedValueFrom"}
_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
               "array": (list,), "object": (dict,)}


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """The schema's definitions, widened where the Go types accept more than it says."""
    text = resources.files("workflows.lint").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    defs: dict[str, Any] = json.loads(text)["definitions"]
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": ["string", "integer",
                                                                     "number"]}
    param = defs[_PREFIX + "Parameter"]["properties"]
    param["value"] = param["default"] = _ANY_STRING
    param["enum"] = {"type": "array", "items": _ANY_STRING}
    defs[_PREFIX + "ValueFrom"]["properties"]["default"] = _ANY_STRING
    for name in _EMPTY_STRUCTS:
        defs[_PREFIX + name] = {**defs[_PREFIX + name], "properties": {}}
    return defs


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    for name in ("integer", "number", "string", "array", "object"):
        if isinstance(value, _JSON_TYPES[name]):
            return name
    return type(value).__name__


def _matches(value: Any, expected: str) -> bool:
    if isinstance(value, bool):
        return expected == "boolean"
    return isinstance(value, _JSON_TYPES.get(expected, ()))


class _Walker:
    def __init__(self, doc: Document) -> None:
        self.defs = definitions()
        self.doc = doc
        self.out: list[Finding] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        for _ in range(20):
            ref = schema.get("$ref")
            if not ref:
                break
            schema = self.defs[ref.rsplit("/", 1)[-1]]
        return schema

    def walk(self, value: Any, schema: dict[str, Any], path: Path_) -> None:
        schema = self.resolve(schema)
        if value is None:  # JSON null decodes to the zero value in Go
            return
        if "const" in schema and value != schema["const"]:
            self.out.append(self.doc.finding(path, "schema-type",
                                             f"must be {schema['const']!r}, not {value!r}"))
            return
        expected = schema.get("type")
        if expected:
            types = [expected] if isinstance(expected, str) else expected
            if not any(_matches(value, t) for t in types):
                shown = json.dumps(value, default=str)[:60]
                # YAML reads `cap: 5` as a number, which Go will not decode into a string
                hint = (f" (quote it: '{shown}')" if types == ["string"]
                        and isinstance(value, int | float) and not isinstance(value, bool)
                        else "")
                self.out.append(self.doc.finding(
                    path, "schema-type", f"expected {' or '.join(types)}, got "
                    f"{_type_name(value)} {shown}{hint}"))
                return
        if isinstance(value, dict):
            self._object(value, schema, path)
        elif isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                self.walk(item, schema["items"], (*path, i))

    def _object(self, value: dict[str, Any], schema: dict[str, Any], path: Path_) -> None:
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for required in schema.get("required", ()):
            if required not in value:
                self.out.append(self.doc.finding(path, "schema-required",
                                                 f"required field {required!r} is missing"))
        for key, item in value.items():
            if props is not None and key in props:
                self.walk(item, props[key], (*path, key))
            elif isinstance(extra, dict):
                self.walk(item, extra, (*path, key))
            elif props is not None and extra is not True:
                close = difflib.get_close_matches(str(key), list(props), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.out.append(self.doc.finding((*path, key), "schema-unknown-field",
                                                 f"unknown field {key!r}{hint}"))


def check(doc: Document) -> list[Finding]:
    """Schema findings for one Argo document (other kinds are not checked here)."""
    kind = doc.data.get("kind")
    if kind not in ARGO_KINDS:
        return []
    walker = _Walker(doc)
    walker.walk(doc.data, {"$ref": f"#/definitions/{_PREFIX}{kind}"}, ())
    return walker.out
