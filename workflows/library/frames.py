"""Steps over Parquet data: ``union``, ``join``, ``transform`` and ``validate``.

union, join and transform are pure: memoized, with a key over their settings, the image
and their inputs' checksums (when every input has one). validate writes a report and a
quarantine of the rows it rejects, and is never memoized.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hera.workflows import Parameter, Task

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import ConfigError
from workflows.definitions import defaults as d
from workflows.definitions.memo import memoize
from workflows.definitions.metrics import step_metrics
from workflows.definitions.ports import (
    OUT_ARGS,
    SHA_ARGS,
    parquet_out,
    raw_in,
    reported,
    sha_out,
)
from workflows.library.args import Join, StepArgs, Transform, Union, Validate, memo_config
from workflows.library.build import Build, current
from workflows.library.data import Data, wire


def _input_path(name: str) -> str:
    return f"{{{{inputs.artifacts.{name}.path}}}}"


def _pure_step(b: Build, name: str, kind: str, args: StepArgs, inputs: dict[str, Data],
               step_args: list[str], *, raw: Sequence[Any] = ()) -> Task:
    """The template and task of a pure frame step (union, join, transform)."""
    env = b.env
    w = wire(inputs, Parameter(name=RUN_DATE, value=RUN_DATE_INPUT))
    template = d.step_container(
        env, name, kind=kind, args=[*d.common_args(), *step_args, *OUT_ARGS, *SHA_ARGS],
        deadline=env.seconds(args.deadline) if args.deadline else None,
        step_resources=args.resources,
        inputs=[*w.template_inputs, *raw],
        outputs=[parquet_out("data"), *reported(name), sha_out()],
        memoize=memoize(env, name, memo_config(args), w.params) if w.memoizable else None,
        metrics=step_metrics(env, name, kind))
    b.counted.append(name)
    b.frame_steps[name] = kind
    return Task(name=name, template=template, dependencies=w.dependencies,
                arguments=w.arguments)


def _problem(b: Build, name: str, field: str, message: str) -> ConfigError:
    return ConfigError([b.problem(name, (field,), message, b.resolved.steps.sub(name))])


def union(inputs: Sequence[Data], *, name: str = "union", **settings: Any) -> Data:
    """Add a union task (``steps.clean``): the inputs' rows, matched by column name,
    deduplicated on ``key`` (the greatest ``order_by`` wins).

    Settings: ``key``, ``order_by``, ``parse_timestamps``, ``deadline``, ``resources``.
    Refused when two inputs whose columns are known share none, or one lacks a key column.
    """
    b = current()
    b.claim(name, "step")
    args = b.settings(name, Union, settings)
    if len(inputs) < 1:
        raise _problem(b, name, "inputs", "a union needs at least one input")
    known = [i for i in inputs if i.columns is not None]
    for n, left in enumerate(known):
        for right in known[n + 1:]:
            if not set(left.columns or ()) & set(right.columns or ()):
                raise _problem(b, name, "inputs", f"inputs {left.step!r} and {right.step!r} "
                               "share no column: they are not the same entity (join them)")
        missing = [k for k in args.key if k not in (left.columns or ())]
        if missing:
            raise _problem(b, name, "key", f"input {left.step!r} has no key column "
                           f"{', '.join(missing)}")
    step_args: list[str] = []
    for i in inputs:
        step_args += ["--input", _input_path(i.step)]
    for key in args.key:
        step_args += ["--key", key]
    if args.order_by:
        step_args += ["--order-by", args.order_by]
    for column in args.parse_timestamps:
        step_args += ["--parse-timestamps", column]
    task = _pure_step(b, name, "clean", args, {i.step: i for i in inputs}, step_args)
    columns = (tuple(dict.fromkeys(c for i in inputs for c in i.columns or ()))
               if len(known) == len(inputs) else None)
    return Data(name, "union", task, columns=columns, key=tuple(args.key), checksum=True)


def join(left: Data, right: Data, *, name: str = "join", **settings: Any) -> Data:
    """Add a join task (``steps.join``): ``left`` and ``right`` joined on ``on``.

    Settings: ``on`` (key columns, the same name on both sides), ``how``
    (inner|left|full), ``suffix`` (for right columns whose name the left has),
    ``deadline``, ``resources``. Its note counts the matched and unmatched rows per side.
    """
    b = current()
    b.claim(name, "step")
    args = b.settings(name, Join, settings)
    if left.step == right.step:
        raise _problem(b, name, "inputs", "a join needs two different inputs")
    for side in (left, right):
        missing = [k for k in args.on if side.columns is not None and k not in side.columns]
        if missing:
            raise _problem(b, name, "on", f"input {side.step!r} has no column "
                           f"{', '.join(missing)}")
    step_args = ["--left", _input_path(left.step), "--right", _input_path(right.step),
                 "--left-name", left.step, "--right-name", right.step, "--how", args.how,
                 "--suffix", args.suffix]
    for key in args.on:
        step_args += ["--on", key]
    task = _pure_step(b, name, "join", args, {left.step: left, right.step: right}, step_args)
    columns = None
    if left.columns is not None and right.columns is not None:
        rest_left = [c for c in left.columns if c not in args.on]
        rest_right = [c + args.suffix if c in rest_left else c
                      for c in right.columns if c not in args.on]
        columns = (*args.on, *rest_left, *rest_right)
    return Data(name, "join", task, columns=columns, checksum=True)


def transform(data: Data, *, name: str = "transform", **settings: Any) -> Data:
    """Add a transform task: ``rename``, ``cast``, ``compute`` (the safe expression
    language), ``filter``, ``select``, ``drop`` (docs/expressions.md); also ``deadline``,
    ``resources``. The spec travels in the manifest as a raw input artifact."""
    b = current()
    b.claim(name, "step")
    args = b.settings(name, Transform, settings)
    spec = args.spec()
    task = _pure_step(b, name, "transform", args, {data.step: data},
                      ["--input", _input_path(data.step),
                       "--spec", "{{inputs.artifacts.spec.path}}"],
                      raw=[raw_in("spec", spec)])
    key = tuple(args.rename.get(k, k) for k in data.key)
    return Data(name, "transform", task, columns=tuple(args.select) or None, key=key,
                checksum=True)


def _key_problem(args: Validate, key: tuple[str, ...]) -> str | None:
    """A union's key reaches validate: without error-level not_null and unique rules on it,
    rows with a null or conflicting key would reach the target."""
    from steps.validate import parse_rules

    rules = [r for r in parse_rules(args.document())[0] if r.severity == "error"]
    missing = [f"not_null on {col!r}" for col in key
               if not any(r.kind == "not_null" and r.column == col for r in rules)]
    if not any(r.kind == "unique" and set(r.columns) == set(key) for r in rules):
        missing.append(f"unique on {list(key)!r}")
    if not missing:
        return None
    return (f"the union key {list(key)!r} needs error-level rules {' and '.join(missing)}: "
            "union passes rows with a null or conflicting key on for validate to quarantine")


def _shard_problem(args: Validate, key: tuple[str, ...]) -> str | None:
    """In a sharded pipeline each shard judges ``unique`` on its own rows: right only when
    rows equal on the rule's columns always share a shard, i.e. the columns hold the key."""
    from steps.validate import parse_rules

    if not key:
        return ("shards: a sharded pipeline validates the output of a union (with its key), "
                "through transforms: the rows are spread over the shards by that key")
    for rule in parse_rules(args.document())[0]:
        if rule.kind == "unique" and not set(key) <= set(rule.columns):
            return (f"shards: rule {rule.name!r} is unique on {list(rule.columns)!r}, which "
                    f"does not hold the shard key {list(key)!r}: rows equal on it could be "
                    "in two shards, and no shard would see both")
    return None


def validate(data: Data, *, name: str = "validate", **settings: Any) -> Data:
    """Add a validate task: ``rules`` (docs/validation.md) and ``reject_threshold``; also
    ``deadline``, ``resources``. Outputs the valid rows, a quarantine and a JSON report."""
    b = current()
    b.claim(name, "step")
    args = b.settings(name, Validate, settings)
    if data.key:
        problem = _key_problem(args, data.key)
        if problem:
            raise _problem(b, name, "rules", problem)
    if b.env.shards.count > 1:
        problem = _shard_problem(args, data.key)
        if problem:
            raise _problem(b, name, "rules", problem)
    env = b.env
    template = d.step_container(
        env, name, kind="validate",
        args=[*d.common_args(), "--input", _input_path(data.step),
              "--rules", "{{inputs.artifacts.rules.path}}", *OUT_ARGS,
              "--quarantine", "{{outputs.artifacts.quarantine.path}}",
              "--report", "{{outputs.artifacts.report.path}}"],
        deadline=env.seconds(args.deadline) if args.deadline else None,
        step_resources=args.resources,
        inputs=[Parameter(name=RUN_DATE), *wire({data.step: data}, Parameter(name=RUN_DATE))
                .template_inputs[-1:], raw_in("rules", args.document())],
        # quarantine and report are written even when validation fails; optional so that a
        # step failing before them keeps its own error message
        outputs=[parquet_out("data"), parquet_out("quarantine", optional=True),
                 parquet_out("report", optional=True, suffix=".json"), *reported(name)],
        metrics=step_metrics(env, name, "validate"))
    task = Task(name=name, template=template, dependencies=[data.step],
                arguments=[Parameter(name=RUN_DATE, value=RUN_DATE_INPUT),
                           *wire({data.step: data}, Parameter(name=RUN_DATE)).arguments[-1:]])
    b.counted.append(name)
    b.frame_steps[name] = "validate"
    return Data(name, "validate", task, columns=data.columns)
