"""DAG templates: tasks started as soon as their dependencies allow, like Argo's DAG.

- A task runs when its ``depends`` (or ``dependencies``, which means ``a && b``, with
  ``continueOn`` widening what counts as success) is true; false makes it ``Omitted``
  (``omitted: depends condition not met``); a false ``when`` makes it ``Skipped``
  (``when '<when>' evaluated false``).
- Every task whose ``depends`` holds is started, whatever failed elsewhere: in Argo
  v4.1.2 ``dag.failFast`` stops no scheduling (``executeDAG`` runs ``executeDAGTask`` for
  every target each pass and nothing there reads it); it is read only by
  ``assessDAGPhase`` (below). So a failure handled by a dependent
  (``depends: "C.Succeeded || C.Failed"``) leaves the DAG as its targets end.
- The template-level ``failFast: true`` (``Template.IsFailFast``, default false) is what
  stops new tasks: ``checkParallelism`` refuses to start a child once a Pod, Steps or DAG
  node of this DAG failed or errored (``getUnsuccessfulChildren``), and the DAG fails
  with ``template has failed or errored children and failFast enabled`` once the running
  ones end. The workflow deadline stops new tasks.
- ``dag.target`` (space-separated task names, substituted with the workflow's and the
  DAG's inputs, as ``ProcessArgs`` substitutes the template before ``executeDAG``): only
  the targets and their ancestors run (``executeDAGTask`` walks up from each target),
  and the DAG is judged by the targets (``assessDAGPhase``). A name that is no task is
  an Error of the DAG (Argo's ``validateDAGTargets`` message).
- ``parallelism`` bounds the tasks (and fanned-out items) running at once.
- Daemon tasks count as done for their dependents once started and are stopped when the
  rest of the DAG has finished.
- A task that raises (a bug, an input nothing foresaw) ends in Error with the exception's
  text, and the DAG goes on as after any Error: it never waits on it.
- The DAG's phase is Argo's ``assessDAGPhase``: each target task (default: the leaves)
  gives its phase, an Omitted one its dependencies' (a failure preferred); a failure of
  a target without a matching ``continueOn`` fails the DAG.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from workflows.argo.nodes import node_id
from workflows.engine.context import Branch, Run, Templates, fail_node
from workflows.engine.dag_phase import assess, targets
from workflows.engine.expand import ExpandError, describe, item_scope, items_of
from workflows.engine.expr import (
    TaskState,
    UnsupportedExpression,
    dependencies_to_depends,
    depends_tasks,
    evaluate_depends,
    evaluate_when,
)
from workflows.engine.inputs import Execute, Inputs
from workflows.engine.nodes import FAILED, FINISHED
from workflows.engine.outputs import OutputError, artifact_scope, template_outputs
from workflows.engine.scope import (
    SubstitutionError,
    node_scope,
    parameter_text,
    subst,
    subst_value,
)
from workflows.engine.task_args import task_arguments

OMITTED = "omitted: depends condition not met"
FAIL_FAST = "template has failed or errored children and failFast enabled"  # checkParallelism


def outbound_nodes(nodes: Mapping[str, Mapping[str, Any]], nid: str) -> list[str]:
    """Argo's ``getOutboundNodes``: the nodes that follow ``nid`` hangs its successors on."""
    node = nodes.get(nid)
    if node is None:
        return []
    kids = node.get("children") or []
    if node["type"] == "Retry" and kids:
        return outbound_nodes(nodes, kids[-1])
    if node["type"] == "TaskGroup" and kids:
        return [o for k in kids for o in outbound_nodes(nodes, k)]
    if node["type"] in ("DAG", "Steps"):
        return list(node.get("outboundNodes") or [nid])
    container = node["type"] == "Container"
    if kids and (container or (node["type"] == "Pod" and any(
            (nodes.get(k) or {}).get("type") == "Container" for k in kids))):
        # a containerSet's pod counts as its containers; a container whose child is out of
        # the pod (a task hung on it) is the deepest outbound node
        return [o for k in kids for o in (
            [nid] if container and (nodes.get(k) or {}).get("boundaryID")
            != node.get("boundaryID") else outbound_nodes(nodes, k))]
    return [nid]


class Dag:
    ref = "tasks"  # how the template's children are referenced: tasks.X.* (steps.X.*)

    def __init__(self, run: Run, branch: Branch, node: dict[str, Any], tmpl: Mapping[str, Any],
                 templates: Templates, inputs: Inputs, *, execute: Execute) -> None:
        self.run, self.branch, self.node, self.tmpl = run, branch, node, tmpl
        self.templates, self.inputs = templates, inputs
        self.execute = execute  # template.execute, which runs this DAG: passed, not imported
        self.tasks = {t["name"]: t for t in tmpl["dag"].get("tasks") or []}
        self.depends = {n: t.get("depends") or dependencies_to_depends(t.get("dependencies")
                                                                       or [])
                        for n, t in self.tasks.items()}
        self.continue_on = {n: t.get("continueOn") or {} for n, t in self.tasks.items()}
        # dag.failFast (default true) is assessDAGPhase's; the template's failFast
        # (default false) is checkParallelism's: they are two different rules
        self.fail_fast = tmpl["dag"].get("failFast") in (None, True)
        self.template_fail_fast = tmpl.get("failFast") is True
        limit = tmpl.get("parallelism")
        self.slots = asyncio.Semaphore(int(str(limit))) if limit not in (None, "") else None
        self.ids: dict[str, str] = {}  # task name -> id of its node
        self.names: dict[str, str] = {}  # id of a task's node -> the task's name
        self.task_scope: dict[str, str] = {}  # tasks.X.* of finished or daemoned tasks
        self.task_keys: dict[str, list[str]] = {}  # task -> its keys in task_scope
        # tasks.X.outputs.parameters.Y of a skipped or omitted X declaring no default: an
        # absent optional (addSkippedNodeOutputsToScope), never in task_scope
        self.absent: dict[str, str] = {}  # key -> its task
        self.log_seen = 0  # how much of Status.change_log task_scope reflects
        self.target_names: list[str] | None = None  # dag.target, substituted (resolve_target)

    # -- state of tasks -------------------------------------------------------------
    def base(self, name: str) -> str:
        """The node name of task ``name`` (before any expansion)."""
        return f"{self.node['name']}.{name}"

    def task_node(self, name: str) -> dict[str, Any] | None:
        nid = self.ids.get(name)
        return self.run.status.nodes.get(nid) if nid else None

    def state(self, name: str) -> TaskState | None:
        node = self.task_node(name)
        if node is None:
            return None
        children = None
        if node["type"] == "TaskGroup":
            children = tuple(self.run.status.nodes[c]["phase"] for c in node.get("children", []))
        return TaskState(node["phase"], bool(node.get("daemoned")), children)

    def deps(self, name: str) -> list[str]:
        try:
            return sorted(depends_tasks(self.depends[name])) if self.depends[name] else []
        except UnsupportedExpression:
            return []

    def outbound(self, nid: str) -> list[str]:
        return outbound_nodes(self.run.status.nodes, nid)

    def parents(self, name: str) -> list[str]:
        found = [o for d in self.deps(name) if d in self.ids for o in self.outbound(self.ids[d])]
        return found or [self.node["id"]]

    def scope(self) -> dict[str, str]:
        """The variables a task sees: globals, the DAG's inputs, and ``tasks.X.*`` of every
        task that finished or is daemoned. ``self.task_scope`` holds the latter, brought
        up to date from the nodes changed since the last call (``Status.change_log``):
        rebuilding it from every task at every start made a DAG of n tasks cost n^2."""
        log = self.run.status.change_log
        for i in range(self.log_seen, len(log)):
            name = self.names.get(log[i])
            node = self.run.status.nodes.get(log[i]) if name is not None else None
            if name is None or node is None:
                continue
            for key in self.task_keys.pop(name, ()):
                del self.task_scope[key]
            self.absent = {k: t for k, t in self.absent.items() if t != name}
            if node["phase"] in FINISHED or node.get("daemoned"):
                kids = [self.run.status.nodes[c] for c in node.get("children") or []]
                part = node_scope(f"tasks.{name}", node, kids)
                part.update(self.skipped_outputs(name, node))
                self.task_scope.update(part)
                self.task_keys[name] = list(part)
        self.log_seen = len(log)
        return {**self.run.globals, **self.inputs.scope(), **self.task_scope}

    def skipped_outputs(self, name: str, node: Mapping[str, Any]) -> dict[str, str]:
        """Argo's ``addSkippedNodeOutputsToScope``: a Skipped or Omitted task that produced
        no outputs gives each output parameter its template declares its
        ``valueFrom.default``; one without a default is an absent optional, recorded in
        ``self.absent`` (a pure reference to it leaves the argument unsupplied:
        ``markAbsentOptionalArgs``)."""
        if node["phase"] not in ("Skipped", "Omitted") or node.get("outputs"):
            return {}
        task = self.tasks[name]
        holder = {k: task[k] for k in ("template", "templateRef", "inline") if k in task}
        try:
            tmpl, _ = self.templates.resolve(holder, self.run.loaded.library)
        except KeyError:
            return {}
        found: dict[str, str] = {}
        for param in (tmpl.get("outputs") or {}).get("parameters") or []:
            key = f"{self.ref}.{name}.outputs.parameters.{param['name']}"
            default = (param.get("valueFrom") or {}).get("default")
            if default is not None:
                found[key] = parameter_text(default)
            else:
                self.absent[key] = name
        return found

    def named(self, name: str, nid: str) -> None:
        """Task ``name``'s node is ``nid`` (made now, or about to be)."""
        self.ids[name] = nid
        self.names[nid] = name

    def create(self, name: str, node_name: str, **fields: Any) -> dict[str, Any]:
        task = self.tasks[name]
        node = self.run.status.create(node_name, template={"name": task.get("template", "")},
                                      boundary_id=self.node["id"], parents=self.parents(name),
                                      template_ref=task.get("templateRef"), **fields)
        self.named(name, node["id"])
        return node

    # -- running ------------------------------------------------------------------
    async def run_dag(self) -> None:
        status = self.run.status
        wake = asyncio.Event()
        status.listeners.add(wake)
        wanted = self.needed(self.targets())
        pending = [name for name in self.tasks if name in wanted]
        running: dict[str, asyncio.Task[None]] = {}  # started and not yet seen to end
        started: list[asyncio.Task[None]] = []
        ended: list[str] = []
        stopped = False
        try:
            while True:
                # checkParallelism refuses a child once one failed: before starting any
                stopped = stopped or (self.template_fail_fast
                                      and self.unsuccessful_children())
                for name in list(pending):
                    verdict = self.ready(name)
                    if verdict is None:
                        continue
                    if verdict and (self.run.deadline_message(self.branch) or stopped):
                        continue
                    pending.remove(name)
                    if verdict:
                        future = asyncio.ensure_future(self.guarded(name))
                        running[name] = future
                        started.append(future)

                        def on_end(_: object, name: str = name) -> None:
                            ended.append(name)  # however a task ends, the loop looks again
                            wake.set()
                        future.add_done_callback(on_end)
                # a task that ended leaves `running`: looking at every task ever started,
                # at every wake, made a DAG of n tasks cost n^2
                while ended:
                    running.pop(ended.pop(), None)
                busy = any(not (self.task_node(n) or {}).get("daemoned") for n in running)
                if not busy:
                    break
                await wake.wait()
                wake.clear()
            self.close_scope()
            await self.settle(started)
        finally:
            status.listeners.discard(wake)
        self.conclude()

    async def settle(self, started: list[asyncio.Task[None]]) -> None:
        """Wait for every task started (the daemons were stopped by ``close_scope``)."""
        await asyncio.gather(*started)

    def close_scope(self) -> None:
        """The DAG's tasks are done: stop its daemons."""
        self.run.closed_scopes.add(self.node["id"])
        for _, proc in self.run.daemons.pop(self.node["id"], []):
            proc.stop("daemon")

    def conclude(self) -> None:
        """The DAG's phase (``assessDAGPhase``), outbound nodes and outputs."""
        status = self.run.status
        phase, message = self.assess(), None
        if self.template_fail_fast and self.unsuccessful_children():
            phase, message = "Failed", FAIL_FAST
        targets = self.targets()
        outbound = [o for t in targets if t in self.ids for o in self.outbound(self.ids[t])]
        fields: dict[str, Any] = {"outboundNodes": outbound}
        if phase == "Succeeded" and (self.tmpl.get("outputs") or {}):
            # executeDAG, once Succeeded: getTemplateOutputsFromScope over the tasks' scope
            # (skipped ones with their defaults); an output that does not resolve is an Error
            try:
                self.scope()  # brings task_scope up to date
                # createScope + buildLocalScope: the inputs and the tasks, no globals
                local = {**self.inputs.scope(), **self.task_scope}
                outputs = template_outputs(self.tmpl, local, artifact_scope(
                    self.ref, self.ids, status.nodes, self.inputs.artifacts), self.absent)
            except OutputError as exc:
                phase, message = "Error", str(exc)
            else:
                if outputs:
                    fields["outputs"] = outputs
        status.update(self.node, phase=phase, message=message, **fields)

    def ready(self, name: str) -> bool | None:
        """True to start, False once omitted (its node made here), None to wait."""
        expr = self.depends[name]
        if not expr:
            return True
        try:
            results = {t: s for t in depends_tasks(expr) if (s := self.state(t)) is not None}
            verdict = evaluate_depends(expr, results, continue_on=self.continue_on)
        except UnsupportedExpression as exc:
            self.create(name, self.base(name), type="Skipped", phase="Error",
                        message=str(exc))
            return False
        if verdict is False:
            self.create(name, self.base(name), type="Skipped", phase="Omitted",
                        message=OMITTED)
        return verdict

    def unsuccessful_children(self) -> bool:
        """Argo's ``getUnsuccessfulChildren(boundaryID) > 0``: a Pod, Steps or DAG node of
        this DAG (an attempt under a Retry too) ended Failed or Error. Only the run's
        failing nodes are looked at (``Status.failing``): a DAG of n tasks asks this at
        every wake."""
        nodes = self.run.status.nodes
        return any(nodes[nid].get("boundaryID") == self.node["id"]
                   and nodes[nid]["type"] in ("Pod", "Steps", "DAG")
                   for nid in self.run.status.failing)

    def resolve_target(self) -> str | None:
        """Substitute ``dag.target``; the error that stops the DAG, else None."""
        raw = self.tmpl["dag"].get("target")
        if raw in (None, ""):
            return None
        where = "dag.target"
        try:
            names = subst(str(raw), {**self.run.globals, **self.inputs.scope()}, where).split()
        except SubstitutionError as exc:
            return str(exc)
        for name in names:
            if name not in self.tasks:
                return (f"templates.{self.tmpl.get('name')}.targets: target '{name}' is not "
                        "defined")
        self.target_names = names or None
        return None

    def targets(self) -> list[str]:
        if self.target_names is not None:
            return self.target_names
        return targets({}, list(self.tasks), self.deps)

    def needed(self, names: list[str]) -> set[str]:
        """The tasks ``names`` and their ancestors: what ``executeDAGTask`` reaches."""
        found: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in found:
                found.add(name)
                stack.extend(d for d in self.deps(name) if d in self.tasks)
        return found

    def assess(self) -> str:
        return assess(self.targets(), self.task_node, self.deps, self.continue_on,
                      self.fail_fast)

    async def guarded(self, name: str) -> None:
        """``run_task``; an exception in it ends the task's node in Error with its text."""
        try:
            await self.run_task(name)
        except Exception as exc:  # a bug or an unforeseen input: fail the task, never hang
            node = self.task_node(name)
            if node is None:
                node = self.create(name, self.base(name), type="Skipped", phase="Running")
            fail_node(self.run, node, exc)

    async def run_task(self, name: str) -> None:
        task, base = self.tasks[name], self.base(name)
        scope = self.scope()
        try:
            expanded = {k: subst_value(task[k], scope, f"{self.ref}.{name}.{k}")
                        for k in ("withItems", "withParam", "withSequence") if k in task}
            items = items_of(expanded)
        except (*SubstitutionError, ExpandError) as exc:
            self.create(name, base, type="Skipped", phase="Error", message=str(exc))
            return
        if items is None:
            await self.run_one(name, base, scope, [], None)
            return
        if not items:
            self.create(name, base, type="Skipped", phase="Skipped",
                        message="Skipped, empty params")
            return
        await self.fan_out(name, base, scope, items)

    async def fan_out(self, name: str, base: str, scope: dict[str, str], items: list[Any]
                      ) -> None:
        """Run task ``name`` once per item, its items the children of a TaskGroup node."""
        group = self.create(name, base, type="TaskGroup", phase="Running")
        children = await asyncio.gather(*(
            self.run_one(name, f"{base}({i}:{describe(item)})", {**scope, **item_scope(item)},
                         [group["id"]], i) for i, item in enumerate(items)))
        phase = "Succeeded"
        for child in children:
            if child is not None and child["phase"] in FAILED:
                phase = child["phase"]
        self.run.status.update(group, phase=phase)

    async def run_one(self, name: str, node_name: str, scope: dict[str, str],
                      parents: list[str], index: int | None) -> dict[str, Any] | None:
        task = self.tasks[name]
        if self.slots is not None:
            await self.slots.acquire()
        try:
            if self.template_fail_fast and self.unsuccessful_children():
                return None  # checkParallelism: no new child once one failed, slot or not
            return await self._run_one(name, node_name, scope, parents, index, task)
        finally:
            if self.slots is not None:
                self.slots.release()

    async def _run_one(self, name: str, node_name: str, scope: dict[str, str],
                       parents: list[str], index: int | None,
                       task: Mapping[str, Any]) -> dict[str, Any]:
        if index is None:
            self.named(name, node_id(self.run.name, node_name))

        def fail(message: str, node_type: str = "Skipped", phase: str = "Error") -> dict[str, Any]:
            return self.run.status.create(
                node_name, type=node_type, template={"name": task.get("template", "")},
                boundary_id=self.node["id"], parents=parents or self.parents(name),
                phase=phase, message=message, template_ref=task.get("templateRef"))

        try:
            args = task_arguments(self.run, task, scope, name, self.ids,
                                  self.inputs.artifacts, absent=self.absent, ref=self.ref)
            when = (subst(str(task["when"]), scope, f"{self.ref}.{name}.when")
                    if "when" in task else "")
            if when and not evaluate_when(when):
                return fail(f"when '{when}' evaluated false", phase="Skipped")
        except (*SubstitutionError, KeyError) as exc:
            return fail(str(exc))
        stop = self.run.deadline_message(self.branch)
        if stop:
            return fail(stop, phase="Failed")
        holder = {k: task[k] for k in ("template", "templateRef", "inline") if k in task}
        return await self.execute(
            self.run, self.branch, name=node_name, holder=holder, templates=self.templates,
            args=args, boundary_id=self.node["id"], parents=parents or self.parents(name))

async def run_dag(run: Run, branch: Branch, node: dict[str, Any], tmpl: Mapping[str, Any],
                  templates: Templates, inputs: Inputs, *, execute: Execute) -> None:
    run.status.update(node, phase="Running")
    dag = Dag(run, branch, node, tmpl, templates, inputs, execute=execute)
    error = dag.resolve_target()
    if error is not None:
        run.status.update(node, phase="Error", message=error)
        return
    await dag.run_dag()
