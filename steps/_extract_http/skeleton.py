"""Decode only what the fetch side needs from a page: its end markers and its records' count.

The fetch side must parse each page before it can ask for the next one, and the converter
parses it again to build columns. Building every record's dict twice is waste: here the
page is decoded against a type made from the configured field paths, so the markers come
back as values, each record as an unparsed ``msgspec.Raw`` slice (counted, never built)
and every other field is skipped. That takes ~80 us for a page of 500 orders, where
orjson takes ~290 us. The result is a skeleton of the body (a dict with only those
paths), which :mod:`pagination` and :func:`records_at` read as they read the whole body.

A page the typed decode refuses (malformed JSON, HTML), or whose records path holds no
list, is decoded whole by :func:`decode_body`, so the error names the fault as before. A
body msgspec accepts but orjson refuses (an infinite number, bad UTF-8 inside a record)
is refused by the converter, as bad data too.
"""

from __future__ import annotations

from typing import Any

import msgspec

from steps._extract_http.decode import decode_body
from steps._extract_http.pagination import PagingSpec, lookup

_RECORDS = "records"
_VALUE = "value"
Tree = dict[str, Any]  # key -> Tree, or one of the two leaf kinds


class PageSkeleton:
    """``decode(content, content_type, where)``: the page's skeleton, or decode_body's error."""

    def __init__(self, spec: PagingSpec) -> None:
        kind: Any = _RECORDS  # records_path "": the body is the list, no marker is in it
        if spec.records_path:
            kind = {}
            for path, leaf in [(spec.records_path, _RECORDS),
                               *((p, _VALUE) for p in _marker_paths(spec))]:
                _add(kind, path.split("."), leaf)
        self._decoder = msgspec.json.Decoder(_type_of(kind))
        self._records_path = spec.records_path

    def decode(self, content: bytes | bytearray, content_type: str, where: str) -> Any:
        try:
            skeleton = _plain(self._decoder.decode(content))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return decode_body(content, content_type, where)
        if not isinstance(lookup(skeleton, self._records_path), list):
            return decode_body(content, content_type, where)  # records_at names what is there
        return skeleton


def _marker_paths(spec: PagingSpec) -> list[str]:
    paths = [spec.has_more_field, spec.total_field]
    if spec.style == "cursor":
        paths.append(spec.cursor_field)
    elif spec.style == "link":
        paths.append(spec.next_field)
    return [p for p in paths if p]


def _add(tree: Tree, keys: list[str], leaf: str) -> None:
    """Put ``leaf`` at ``keys``; a node that is both a leaf and a parent is decoded whole."""
    head, rest = keys[0], keys[1:]
    node = tree.get(head)
    if not rest:
        tree[head] = leaf if node is None else _VALUE
    elif node is None:
        tree[head] = {}
        _add(tree[head], rest, leaf)
    elif isinstance(node, dict):
        _add(node, rest, leaf)
    # else: a leaf already takes this node whole, and lookup finds the deeper path in it


def _type_of(node: Tree | str) -> Any:
    if node == _RECORDS:
        return list[msgspec.Raw] | None  # anything else: decode_body and records_at say why
    if node == _VALUE:
        return Any
    assert isinstance(node, dict)
    names = [f"f{i}" for i in range(len(node))]  # JSON keys need not be identifiers
    fields = [(name, _type_of(child) | msgspec.UnsetType, msgspec.UNSET)
              for name, child in zip(names, node.values(), strict=True)]
    return msgspec.defstruct("Skeleton", fields, rename=dict(zip(names, node, strict=True)))


def _plain(value: Any) -> Any:
    """Structs back to dicts holding only the keys the page had."""
    if not isinstance(value, msgspec.Struct):
        return value
    return {key: _plain(field)
            for name, key in zip(value.__struct_fields__, value.__struct_encode_fields__,
                                 strict=True)
            if (field := getattr(value, name)) is not msgspec.UNSET}
