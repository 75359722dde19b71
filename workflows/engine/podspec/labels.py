"""Kubernetes label keys and values, checked as apimachinery's validation does.

``value_problems`` is ``validation.IsValidLabelValue`` (what Argo's
``updateWorkflowMetadata`` checks for ``workflowMetadata.labels`` and ``labelsFrom``, and
the API server for a pod's ``nodeSelector``); ``key_problems`` is
``IsQualifiedName``. Each returns Go's messages, empty when valid.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
NAME_FORMAT = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character")
VALUE_FORMAT = ("a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character")


def value_problems(value: str) -> list[str]:
    found = []
    if len(value) > 63:
        found.append("must be no more than 63 characters")
    if value and not _NAME.fullmatch(value):
        found.append(VALUE_FORMAT + " (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                     "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    return found


def key_problems(key: str) -> list[str]:
    prefix, _, name = key.rpartition("/")
    found = []
    if "/" in key and (not prefix or len(prefix) > 253
                       or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        found.append("prefix part must be a lowercase RFC 1123 subdomain")
    if not name:
        found.append("name part must be non-empty")
    elif len(name) > 63:
        found.append("name part must be no more than 63 characters")
    elif not _NAME.fullmatch(name):
        found.append(NAME_FORMAT)
    return found
