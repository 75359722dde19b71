"""Executing one template at a node: inputs, memoize, mutexes, retries, outputs, metrics.

``execute`` is Argo's ``executeTemplate`` for the template kinds the engine runs
(container, script, containerSet, dag and steps). In order: the inputs are resolved from
the arguments (an input with no value is an Error node); ``memoize`` is looked up (an
invalid key is an Error node, a hit is a Succeeded node replaying the cached outputs); the
template's mutexes are taken (the node is Pending meanwhile); then the body runs, directly
or as attempts ``name(0)``, ``name(1)``... under a Retry node, as ``retry_policy.decide``
says. When the node ends: global outputs are exported, a Succeeded memoized node is saved,
metrics computed.
An exception inside the body (a bug, an input nothing foresaw) ends the attempt in Error
with its text (``context.fail_node``): a workflow never waits on a node that can no longer end.
DAG and steps templates are run by ``dag.run_dag`` and ``steps.run_steps``, which are
handed ``execute`` for their children (``inputs.Execute``) rather than importing it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from workflows.engine import memo as memo_mod
from workflows.engine import synchronization
from workflows.engine.attempts import run_attempts
from workflows.engine.container_set import run_container_set
from workflows.engine.context import SHUTDOWN_STOPPED, Branch, Run, Templates, fail_node
from workflows.engine.dag import run_dag
from workflows.engine.expr import evaluate_when
from workflows.engine.inputs import Arguments, InputError, Inputs, resolve_inputs
from workflows.engine.locks import Mutex
from workflows.engine.nodes import FAILED
from workflows.engine.pod import run_pod
from workflows.engine.scope import SubstitutionError, subst
from workflows.engine.steps import run_steps


def export_globals(run: Run, node: Mapping[str, Any]) -> None:
    """``addOutputsToGlobalScope``: ``globalName`` outputs become
    ``workflow.outputs.parameters.<globalName>`` (``addParamToGlobalScope``) and
    ``workflow.outputs.artifacts.<globalName>`` (``addArtifactToGlobalScope``: the artifact
    named after its globalName, without path or globalName, replacing one of that name),
    in the run's ``status.outputs``."""
    outputs = node.get("outputs") or {}
    params = run.status.status.setdefault("outputs", {}).setdefault("parameters", [])
    for param in outputs.get("parameters") or []:
        if param.get("globalName") and param.get("value") is not None:
            name = param["globalName"]
            run.globals[f"workflow.outputs.parameters.{name}"] = param["value"]
            params[:] = [p for p in params if p["name"] != name]
            params.append({"name": name, "value": param["value"]})
    for art in outputs.get("artifacts") or []:
        if art.get("globalName"):
            arts = run.status.status.setdefault("outputs", {}).setdefault("artifacts", [])
            entry = {**{k: v for k, v in art.items() if k not in ("globalName", "path")},
                     "name": art["globalName"]}
            arts[:] = [a for a in arts if a["name"] != entry["name"]]
            arts.append(entry)


def _metric_scope(run: Run, node: Mapping[str, Any], inputs: Inputs) -> dict[str, str]:
    outputs = node.get("outputs") or {}
    scope = {**run.globals, **inputs.scope(), "status": node["phase"],
             "duration": f"{run.status.duration(dict(node)):f}",
             "retries": str(max(len(node.get("children") or []) - 1, 0))
             if node["type"] == "Retry" else "0"}
    scope["workflow.duration"] = f"{time.time() - run.started:f}"
    if outputs.get("exitCode") is not None:
        scope["exitCode"] = str(outputs["exitCode"])
    for param in outputs.get("parameters") or []:
        if param.get("value") is not None:
            scope[f"outputs.parameters.{param['name']}"] = str(param["value"])
    if "result" in outputs:
        scope["outputs.result"] = outputs["result"]
    return scope


def observe_metrics(run: Run, metrics: Any, scope: Mapping[str, str], where: str) -> None:
    run.metrics.observe(metrics, scope, where=where,
                        substitute=lambda text, sc, w: subst(text, sc, w), when=evaluate_when)


async def _lock(run: Run, branch: Branch, node: dict[str, Any],
                tmpl: Mapping[str, Any]) -> list[Mutex] | None:
    """The template's locks (the node is Pending meanwhile); None, the node ended, when a
    semaphore cannot be initialized (Error) or the workflow deadline passed or the run was
    stopped while it waited (Failed)."""
    waited: list[str] = []

    def wait(name: str, message: str) -> None:  # markNodeWaitingForLock
        waited.append(name)
        run.status.update(node, phase="Pending", message=message,
                          synchronizationStatus={"waiting": name})

    try:
        wanted = synchronization.locks(tmpl.get("synchronization"), run.loaded.namespace,
                                       run.loaded.config_maps)
    except synchronization.SyncError as exc:  # initializeNodeOrMarkError
        run.status.update(node, phase="Error", message=str(exc))
        return None
    held = await synchronization.hold(run, wanted, wait, bounded=not branch.on_exit)
    if waited:
        node.pop("synchronizationStatus", None)
    if held is None:
        run.status.update(node, phase="Failed", message=(
            SHUTDOWN_STOPPED if run.shutdown else "Step exceeded its deadline"))
    elif waited:  # acquired: no longer waiting, no message; it starts now
        run.status.update(node, message="")
        run.status.restart_clock(node)
    return held


async def execute(run: Run, branch: Branch, *, name: str, holder: Mapping[str, Any],
                  templates: Templates, args: Arguments, boundary_id: str | None,
                  parents: list[str], flags: dict[str, bool] | None = None) -> dict[str, Any]:
    """Run the template ``holder`` designates at node ``name``; returns the node."""
    status = run.status
    reused = _reuse(run, name, parents)
    if reused is not None:
        return reused
    tmpl, scope_templates = templates.resolve(holder, run.loaded.library)
    kind = "DAG" if "dag" in tmpl else "Steps" if "steps" in tmpl else "Pod"
    ref = holder.get("templateRef")

    def new(node_type: str, **fields: Any) -> dict[str, Any]:
        return status.create(name, type=node_type, template=dict(tmpl),
                             boundary_id=boundary_id, parents=parents, template_ref=ref,
                             flags=flags, **fields)

    try:
        inputs = resolve_inputs(run, tmpl, args)
    except (InputError, *SubstitutionError) as exc:
        return new(kind, phase="Error", message=str(exc))
    memo, memo_status = tmpl.get("memoize"), None
    if memo:
        try:
            key = subst(str(memo["key"]), {**run.globals, **inputs.scope()}, "memoize.key")
            cache = memo["cache"]["configMap"]["name"]
            entry = run.memo.load(cache, key, max_age=memo_mod.max_age_seconds(memo["maxAge"]),
                                  now=run.clock())
        except (memo_mod.MemoError, *SubstitutionError) as exc:
            return new(kind, phase="Error", message=str(exc))
        memo_status = {"hit": entry is not None, "key": key, "cacheName": cache}
        if entry is not None:
            node = new(kind, phase="Succeeded", inputs=inputs.record(),
                       outputs=entry.outputs, memoizationStatus=memo_status)
            return _finished(run, node, tmpl, inputs, None)
    retry = tmpl.get("retryStrategy") is not None
    extra = {"memoizationStatus": memo_status} if memo_status else {}
    top = new("Retry" if retry else kind, phase="Pending", inputs=inputs.record(), **extra)
    held = await _lock(run, branch, top, tmpl)
    if held is None:
        return _finished(run, top, tmpl, inputs, None)

    def daemoned() -> None:
        if retry:
            status.update(top, daemoned=True, phase="Running")

    async def body(node: dict[str, Any], retries: int, execution_deadline: float | None) -> Any:
        try:
            return await _body(node, retries, execution_deadline)
        except Exception as exc:  # a bug or an unforeseen input: the node ends, never hangs
            fail_node(run, node, exc)
            return None

    async def _body(node: dict[str, Any], retries: int, execution_deadline: float | None
                    ) -> Any:
        stop = run.deadline_message(branch)
        if stop:
            status.update(node, phase="Failed", message=stop)
            return None
        if kind == "DAG":
            return await run_dag(run, branch, node, tmpl, scope_templates, inputs,
                                 execute=execute)
        if kind == "Steps":
            return await run_steps(run, branch, node, tmpl, scope_templates, inputs,
                                   execute=execute)
        slots = run.pod_slots
        if slots is not None:
            await slots.acquire()
            status.restart_clock(node)  # it waited for spec.parallelism; it starts now
        try:
            if "containerSet" in tmpl:
                return await run_container_set(run, branch, node, tmpl, inputs, retries=retries,
                                               execution_deadline=execution_deadline)
            return await run_pod(run, branch, node, tmpl, inputs, retries=retries,
                                 execution_deadline=execution_deadline, on_daemoned=daemoned)
        finally:
            if slots is not None:
                slots.release()

    try:
        if retry:
            status.update(top, phase="Running")
            await run_attempts(run, branch, top, tmpl, boundary_id, body, kind)
        else:
            await body(top, 0, None)
    finally:
        synchronization.release(held)
    return _finished(run, top, tmpl, inputs, memo_status)


def _reuse(run: Run, name: str, parents: list[str]) -> dict[str, Any] | None:
    """The previous run's Succeeded node of this name, copied in (``cadencia retry``)."""
    if run.previous is None:
        return None
    old = run.previous.succeeded(run.name, name)
    if old is None:
        return None
    subtree = run.previous.subtree(old)
    keep = {n["id"] for n in subtree}
    top: dict[str, Any] = {}
    for node in subtree:
        copied = run.previous.translate(run.name, node, keep)
        run.status.nodes[copied["id"]] = copied
        run.status.track_failing(copied)
        top = top or copied
        export_globals(run, copied)
    for parent in parents:
        children = run.status.nodes[parent].setdefault("children", [])
        if top["id"] not in children:
            children.append(top["id"])
    run.status.changed(top)
    return top


def _finished(run: Run, node: dict[str, Any], tmpl: Mapping[str, Any], inputs: Inputs,
              memo_status: Mapping[str, Any] | None) -> dict[str, Any]:
    export_globals(run, node)
    if memo_status and not memo_status["hit"] and node["phase"] == "Succeeded":
        try:
            run.memo.save(memo_status["cacheName"], memo_status["key"], node["id"],
                          node.get("outputs") or {}, now=run.clock())
        except memo_mod.MemoError as exc:
            run.status.update(node, phase="Error", message=str(exc))
    if tmpl.get("metrics"):
        observe_metrics(run, tmpl["metrics"], _metric_scope(run, node, inputs),
                        f"template {tmpl.get('name')}")
    return node


def failed(node: Mapping[str, Any]) -> bool:
    return node["phase"] in FAILED
