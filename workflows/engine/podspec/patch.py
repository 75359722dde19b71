"""``podSpecPatch``, read as Argo reads it and limited to what a local run can honour.

Argo (workflow/controller/workflowpod.go ``processPodSpecPatch``, workflow/util/util.go
``ApplyPodSpecPatch``) substitutes the workflow's patch, then the template's, with the
template's variables and ``{{pod.name}}``; reads each as JSON when it starts with ``{``,
else as YAML (``ConvertYAMLToJSON``); unmarshals it into a ``PodSpec`` (so a field of the
wrong type, or a quantity Go cannot parse, fails); and applies it as a strategic merge
patch (containers merged by ``name``, maps key by key, ``null`` deleting a key). Any of
these failing fails the pod's creation: the node is an Error, ``Error applying
PodSpecPatch`` (``Unreadable`` here).

The engine runs only the main container and models none of the pod's scheduling, so a
patch is accepted only where it touches what a local run has no use for: the main
container's ``resources`` (``containers: [{name: main, resources: ...}]``), the pod's
``resources`` and its ``nodeSelector``. Any other field (``command``, ``env``,
``image``, ``volumes``, another container, which the patch would add) is refused by its
path within the patch (``Reading.refused``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from workflows.engine.podspec import labels, quantity

NOT_LOCAL = "is not implemented by the local engine"
PLACEHOLDER = "ARGO_LOCAL_PLACEHOLDER"
_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)
CONTAINER_NAMES = ("cpu", "memory", "ephemeral-storage")  # what a local run has no use for
POD_NAMES = ("cpu", "memory")


class Unreadable(ValueError):
    """Argo's ApplyPodSpecPatch fails on it: the pod is never created."""


@dataclass
class Reading:
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path in the patch, why)
    main: list[Any] = field(default_factory=list)  # patches of the main container's resources
    pod: list[Any] = field(default_factory=list)  # patches of the pod's resources
    node_selector: dict[str, Any] = field(default_factory=dict)


def parse(text: str) -> Any:
    """``ConvertYAMLToJSON`` and the JSON decoding: the patch as a value."""
    if text.strip().startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise Unreadable(f"invalid podSpecPatch {text!r}: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Unreadable(f"Failed to convert the PodSpecPatch yaml to json: {exc}") from None


def read(text: str) -> Reading:
    """What the patch ``text`` (substituted) does; raises Unreadable as Argo would fail."""
    return _walk(parse(text))


def read_unsubstituted(text: str) -> Reading | None:
    """Before the run: the patch with each ``{{...}}`` as a placeholder, so that the fields
    it touches are known when its shape is literal; None when it is not (it is checked
    once substituted, when the pod is made)."""
    try:
        reading = _walk(parse(_TAG.sub(PLACEHOLDER, text)), lenient=True)
    except Unreadable:
        return None
    if any(PLACEHOLDER in where + why for where, why in reading.refused):
        return None  # a key or a container's name is a variable: known only once substituted
    return reading


def _type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "bool"}.get(
        type(value), "number")


def _walk(patch: Any, *, lenient: bool = False) -> Reading:
    out = Reading()
    if patch is None:
        out.refused.append(("", f"an empty podSpecPatch {NOT_LOCAL}"))
        return out
    if not isinstance(patch, Mapping):
        raise Unreadable(f"json: cannot unmarshal {_type(patch)} into Go value of type "
                         "v1.PodSpec")
    for key, value in patch.items():
        if key == "containers":
            _containers(value, out, lenient)
        elif key == "resources":
            _requirements(value, "resources", POD_NAMES, lenient, out)
            out.pod.append(value)
        elif key == "nodeSelector":
            out.node_selector = _string_map(value, "nodeSelector", lenient)
        else:
            out.refused.append((str(key), f"podSpecPatch {key} {NOT_LOCAL} (only the main "
                                          "container's resources, the pod's resources and "
                                          "nodeSelector)"))
    return out


def _containers(value: Any, out: Reading, lenient: bool) -> None:
    if value is None:
        out.refused.append(("containers", "a null containers list would delete the pod's "
                                          f"containers: {NOT_LOCAL}"))
        return
    if not isinstance(value, list):
        raise Unreadable(f"json: cannot unmarshal {_type(value)} into Go struct field "
                         "PodSpec.containers of type []v1.Container")
    for i, item in enumerate(value):
        where = f"containers[{i}]"
        if not isinstance(item, Mapping):
            raise Unreadable(f"json: cannot unmarshal {_type(item)} into Go struct field "
                             "PodSpec.containers of type v1.Container")
        name = item.get("name")
        if name is not None and not isinstance(name, str):
            raise Unreadable(f"json: cannot unmarshal {_type(name)} into Go struct field "
                             "Container.containers.name of type string")
        if name != "main":
            out.refused.append((where, f"a container other than main ({name!r}) {NOT_LOCAL}: "
                                       "the patch would add or change a container the local "
                                       "engine does not run"))
            continue
        for key, sub in item.items():
            if key == "resources":
                _requirements(sub, f"{where}.resources", CONTAINER_NAMES, lenient, out)
                out.main.append(sub)
            elif key != "name":
                out.refused.append((f"{where}.{key}", f"podSpecPatch containers[main].{key} "
                                                      f"{NOT_LOCAL} (only resources)"))


def _requirements(value: Any, where: str, names: tuple[str, ...], lenient: bool,
                  out: Reading) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise Unreadable(f"json: cannot unmarshal {_type(value)} into Go value of type "
                         f"v1.ResourceRequirements ({where})")
    for key, amounts in value.items():
        if key not in ("limits", "requests"):
            out.refused.append((f"{where}.{key}", f"{key} {NOT_LOCAL} (only limits and "
                                                  "requests)"))
            continue
        if amounts is None:
            continue
        if not isinstance(amounts, Mapping):
            raise Unreadable(f"json: cannot unmarshal {_type(amounts)} into Go value of type "
                             f"v1.ResourceList ({where}.{key})")
        for name, amount in amounts.items():
            if name not in names:
                out.refused.append((f"{where}.{key}.{name}", f"the resource {name!r} {NOT_LOCAL}"
                                                             f" (only {', '.join(names)})"))
            elif amount is not None and not (lenient and PLACEHOLDER in str(amount)):
                try:
                    quantity.parse(amount)
                except quantity.QuantityError as exc:
                    raise Unreadable(f"{where}.{key}.{name}: {exc}") from None


def _string_map(value: Any, where: str, lenient: bool) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Unreadable(f"json: cannot unmarshal {_type(value)} into Go struct field "
                         f"PodSpec.{where} of type map[string]string")
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise Unreadable(f"json: cannot unmarshal {_type(item)} into Go struct field "
                             f"PodSpec.{where} of type string ({key})")
    return dict(value)


def merge(base: Any, patch: Any) -> Any:
    """A strategic merge patch of maps: key by key, ``null`` deleting the key."""
    if not isinstance(patch, Mapping) or not isinstance(base, Mapping):
        return patch
    merged = dict(base)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge(merged.get(key), value)
    return merged


def label_problems(selector: Mapping[str, Any]) -> list[str]:
    """The API server's check of a nodeSelector: each key and value a label's."""
    found = []
    for key, value in selector.items():
        found += [f"spec.nodeSelector: Invalid value: {key!r}: {p}"
                  for p in labels.key_problems(str(key))]
        if value is not None:
            found += [f"spec.nodeSelector: Invalid value: {value!r}: {p}"
                      for p in labels.value_problems(str(value))]
    return found
