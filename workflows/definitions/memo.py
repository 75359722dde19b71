"""Memoize keys of the pure steps: a hash of everything that decides their output.

The key is ``<template>-<sha256 hex>``, so it always matches Argo's
``^[a-zA-Z0-9][-a-zA-Z0-9]*$`` whatever the inputs hold (a ``:`` from a timestamp, a
``/``). The hash covers a compile-time digest of the step's configuration and image (a
new spec or release misses the cache) and, at run time, the step's input parameters:
the logical date; for the extracts, ``source-fingerprint`` (the hash of the source's
resolved settings: database, API URL, auth kind; see ``steps.source_fingerprint``); for
clean and transform, the upstream steps' ``--checksum-out`` digests of their Parquet
output (another source's rows are another digest). It is one Argo expression:
``sprig.sha256sum`` over ``+``-joined strings.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hera.workflows import models as m

from workflows.config import Environment


def config_digest(env: Environment, step: str, config: Any) -> str:
    """sha256 of the step's configuration as canonical JSON, with the image it runs in."""
    payload = {"step": step, "image": env.image.ref, "config": config}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def key_expression(digest: str, params: list[str]) -> str:
    """``sprig.sha256sum('<digest>' + '|' + inputs.parameters['p'] ...)``."""
    parts = [f"'{digest}'"]
    for p in params:
        parts += ["'|'", f"inputs.parameters['{p}']"]
    return f"sprig.sha256sum({' + '.join(parts)})"


def memoize(env: Environment, step: str, config: Any, params: list[str]) -> m.Memoize:
    expression = key_expression(config_digest(env, step, config), params)
    return m.Memoize(key=f"{step}-{{{{={expression}}}}}", max_age=env.memo.max_age,
                     cache=m.Cache(config_map=m.LocalObjectReference(name=env.memo.config_map)))
