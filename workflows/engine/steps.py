"""Steps templates: groups run one after the other, the steps of a group in parallel.

Argo v4.1.2's ``executeSteps``/``executeStepGroup`` (workflow/controller/steps.go):

- The template's node is of type ``Steps``; group ``i`` is a ``StepGroup`` node named
  ``<node>[i]`` (shown as ``[i]``), its steps ``<node>[i].<step>`` (shown as ``<step>``)
  and the items of a fanned-out step ``<node>[i].<step>(<k>:<item>)``, children of the
  group itself (no TaskGroup). Group 0 is a child of the Steps node; group ``i`` a child
  of the outbound nodes of group ``i-1``'s children (of group ``i-1`` if it has none).
- A group is one scope of parallel tasks with no dependencies, run by the DAG runner
  (``StepGroup`` is a ``Dag``): expansions, ``when`` (``Skipped``: ``when '<when>'
  evaluated false``), retries, deadlines, memoize, ``parallelism`` and daemons behave as
  for tasks. A group ends when its steps did (a daemoned one counts as done); it fails
  (``child '<id>' failed``) when a step Failed or Errored and its ``continueOn`` does not
  allow it. A failed group fails the Steps node with the group's message and no later
  group runs.
- ``steps.X.*`` (``id``, ``status``, ``startedAt``, ``finishedAt``, ``exitCode``,
  ``outputs.result``, ``outputs.parameters.Y``) of every step of the groups before are in
  scope; a fanned-out X gives the JSON lists of its items' outputs
  (``processAggregateNodeOutputs``) and the group's id and status.
- The template's ``failFast: true`` stops new steps once a child failed, and fails the
  group and the Steps node with ``template has failed or errored children and failFast
  enabled`` (``checkParallelism``).
- The template's outputs are read from that scope by ``outputs.template_outputs``
  (``getTemplateOutputsFromScope``). Daemons of the template are
  stopped when the Steps node ends.
- A step's ``hooks.exit`` (or ``onExit``) runs as ``<step node>.onExit`` once the step
  ended, before its group ends (``runOnExitNode``).

Where Argo differs in the message only: a step whose references or items cannot be
resolved is an Error node of its own here (as a DAG task is); Argo marks the group Error
with the reason. Either way the group, the Steps node and the workflow fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from workflows.engine.context import Branch, Run, Templates
from workflows.engine.dag import FAIL_FAST, Dag, outbound_nodes
from workflows.engine.expand import describe, item_scope
from workflows.engine.expr import template_tags
from workflows.engine.inputs import Execute, Inputs
from workflows.engine.nodes import FAILED, FINISHED
from workflows.engine.outputs import OutputError, artifact_scope, template_outputs
from workflows.engine.scope import SubstitutionError, node_scope
from workflows.engine.task_args import task_arguments


class StepGroup(Dag):
    """One group of a steps template: the DAG runner over tasks with no dependencies.

    ``self.node`` is the Steps node (the boundary of every step), ``self.group`` the
    StepGroup node, parent of the steps and of their items."""

    ref = "steps"

    def __init__(self, steps: Steps, group: dict[str, Any], tasks: list[Any]) -> None:
        tmpl = {**steps.tmpl, "dag": {"tasks": tasks}}
        super().__init__(steps.run, steps.branch, steps.node, tmpl, steps.templates,
                         steps.inputs, execute=steps.execute)
        self.group = group
        self.steps = steps
        self.slots = steps.slots  # the template's parallelism, across its groups
        self.absent = dict(steps.absent)
        self.ids = dict(steps.ids)  # `from` names the steps of the groups before

    def base(self, name: str) -> str:
        return f"{self.group['name']}.{name}"

    def parents(self, name: str) -> list[str]:
        return [self.group["id"]]

    def scope(self) -> dict[str, str]:
        # steps of the same group do not see each other: only the groups before
        return {**self.run.globals, **self.inputs.scope(), **self.steps.scope}

    async def fan_out(self, name: str, base: str, scope: dict[str, str], items: list[Any]
                      ) -> None:
        """The items are children of the group itself, ``<step>(<k>:<item>)``."""
        await asyncio.gather(*(
            self.run_one(name, f"{base}({i}:{describe(item)})", {**scope, **item_scope(item)},
                         [self.group["id"]], i) for i, item in enumerate(items)))

    async def run_one(self, name: str, node_name: str, scope: dict[str, str],
                      parents: list[str], index: int | None) -> dict[str, Any] | None:
        node = await super().run_one(name, node_name, scope, parents, index)
        hook = exit_hook(self.tasks[name])
        if (node is not None and hook is not None and node["type"] != "Skipped"
                and node["phase"] in FINISHED and not self.run.shutdown):
            await self.run_exit_hook(name, node, hook, scope)
        return node

    async def run_exit_hook(self, name: str, node: dict[str, Any], hook: Mapping[str, Any],
                            scope: dict[str, str]) -> None:
        """``runOnExitNode``: ``<step node>.onExit``, a child of the step, flagged hooked,
        run as exit handlers are; its arguments see the step's own ``steps.X.*`` and leave
        a reference that does not resolve as written (``resolveExitTmplArgument``)."""
        hook_name = f"{node['name']}.onExit"
        holder = {k: hook[k] for k in ("template", "templateRef") if k in hook}
        spec = {"arguments": hook.get("arguments") or {}}
        known = {**scope, **node_scope(f"steps.{name}", node, [])}
        texts = [str(p.get("value", "")) for p in spec["arguments"].get("parameters") or []]
        known.update({tag.body: tag.text for text in texts for tag in template_tags(text)
                      if not tag.expression and tag.body not in known})
        try:
            args = task_arguments(self.run, spec, known, name, self.ids, self.inputs.artifacts,
                                  absent=self.absent, ref=self.ref)
        except (*SubstitutionError, KeyError) as exc:
            self.run.status.create(hook_name, type="Skipped", template=dict(holder),
                                   boundary_id=self.node["id"], parents=[node["id"]],
                                   phase="Error", message=str(exc), flags={"hooked": True})
            return
        await self.execute(self.run, Branch(on_exit=True), name=hook_name, holder=holder,
                      templates=self.templates, args=args, boundary_id=self.node["id"],
                      parents=[node["id"]], flags={"hooked": True})

    def close_scope(self) -> None:
        """Daemons live until the whole Steps node ends (``killDaemonedChildren``)."""

    async def settle(self, started: list[asyncio.Task[None]]) -> None:
        """The steps still running are daemons: the Steps node waits for them once it has
        stopped them."""
        self.steps.background += [f for f in started if not f.done()]
        await asyncio.gather(*(f for f in started if f.done()))

    def conclude(self) -> None:
        """``executeStepGroup``'s verdict: a failed child without ``continueOn`` fails it."""
        status, nodes = self.run.status, self.run.status.nodes
        phase, message = "Succeeded", ""
        if self.template_fail_fast and self.unsuccessful_children():
            phase, message = "Failed", FAIL_FAST
        else:
            for cid in self.group.get("children") or []:
                child = nodes[cid]
                if child["phase"] in FAILED and not self.continues(child):
                    phase, message = "Failed", f"child '{cid}' failed"
                    break
            else:
                if self.unstarted():  # the workflow deadline (or a shutdown) came first
                    phase = "Failed"
                    message = (self.run.deadline_message(self.branch)
                               or "Step exceeded its deadline")
        status.update(self.group, phase=phase, message=message)

    def unstarted(self) -> bool:
        """A step that never started (no node of its own or of its items)."""
        made = {self.run.status.nodes[c]["name"] for c in self.group.get("children") or []}
        return any(not any(m == self.base(n) or m.startswith(self.base(n) + "(")
                           for m in made) for n in self.tasks)

    def continues(self, child: Mapping[str, Any]) -> bool:
        name = child["name"][len(self.group["name"]) + 1:].split("(", 1)[0]
        allowed = self.continue_on.get(name) or {}
        return bool(allowed.get("failed" if child["phase"] == "Failed" else "error"))


class Steps:
    """A Steps node running its groups in order."""

    def __init__(self, run: Run, branch: Branch, node: dict[str, Any], tmpl: Mapping[str, Any],
                 templates: Templates, inputs: Inputs, *, execute: Execute) -> None:
        self.run, self.branch, self.node, self.tmpl = run, branch, node, tmpl
        self.templates, self.inputs = templates, inputs
        self.execute = execute  # template.execute, which runs these steps: passed, not imported
        limit = tmpl.get("parallelism")
        self.slots = asyncio.Semaphore(int(str(limit))) if limit not in (None, "") else None
        self.scope: dict[str, str] = {}  # steps.X.* of the groups that ended
        self.absent: dict[str, str] = {}  # steps.X.outputs.parameters.Y absent optionals
        self.ids: dict[str, str] = {}  # step name -> its node id (artifact `from`)
        self.groups: list[dict[str, Any]] = []
        self.background: list[asyncio.Task[None]] = []  # daemon steps still running

    async def run_groups(self) -> None:
        status = self.run.status
        try:
            for i, tasks in enumerate(self.tmpl.get("steps") or []):
                group = status.create(f"{self.node['name']}[{i}]", type="StepGroup",
                                      template=None, boundary_id=self.node["id"],
                                      parents=self.group_parents(), phase="Running")
                self.groups.append(group)
                runner = StepGroup(self, group, list(tasks or []))
                await runner.run_dag()
                if group["phase"] in FAILED:
                    self.conclude("Failed", group.get("message", ""))
                    return
                self.add_to_scope(runner)
            try:
                artifacts = artifact_scope("steps", self.ids, self.run.status.nodes,
                                           self.inputs.artifacts)
                # createScope + the steps' outputs: no globals (getTemplateOutputsFromScope)
                outputs = template_outputs(self.tmpl, {**self.inputs.scope(), **self.scope},
                                           artifacts, self.absent)
            except OutputError as exc:
                self.conclude("Error", str(exc))
                return
            self.conclude("Succeeded", "", outputs)
        finally:
            self.run.closed_scopes.add(self.node["id"])
            for _, proc in self.run.daemons.pop(self.node["id"], []):
                proc.stop("daemon")
            await asyncio.gather(*self.background)

    def group_parents(self) -> list[str]:
        if not self.groups:
            return [self.node["id"]]
        last = self.groups[-1]
        found = [o for c in last.get("children") or [] for o in self.outbound(c)]
        return found or [last["id"]]

    def outbound(self, nid: str) -> list[str]:
        return outbound_nodes(self.run.status.nodes, nid)

    def conclude(self, phase: str, message: str, outputs: dict[str, Any] | None = None) -> None:
        """``updateOutboundNodes`` (the outbound nodes of the last group's children), then
        the phase."""
        last = self.groups[-1] if self.groups else None
        outbound = [o for c in (last or {}).get("children") or [] for o in self.outbound(c)]
        fields: dict[str, Any] = {"outboundNodes": outbound}
        if outputs:
            fields["outputs"] = outputs
        self.run.status.update(self.node, phase=phase, message=message, **fields)

    def add_to_scope(self, group: StepGroup) -> None:
        """``steps.X.*`` of every step of a group that ended (executeSteps, after the group)."""
        nodes = self.run.status.nodes
        sg = group.group
        kids = [nodes[c] for c in sg.get("children") or []]
        group.absent = {}  # filled by skipped_outputs: step names are unique in a template
        for name in group.tasks:
            base = group.base(name)
            own = next((k for k in kids if k["name"] == base), None)
            if own is not None:
                part = node_scope(f"steps.{name}", own, [])
                self.ids[name] = own["id"]
                part.update(group.skipped_outputs(name, own))
            else:  # fanned out: the items' outputs as JSON lists, the group's id and status
                items = [k for k in kids if k["name"].startswith(base + "(")
                         and k["type"] != "Skipped"
                         and not (k.get("nodeFlag") or {}).get("hooked")]
                part = node_scope(f"steps.{name}", {**sg, "type": "TaskGroup"}, items)
                if not items:
                    part = {key: value for key, value in part.items() if ".outputs." not in key}
            self.scope.update(part)
        self.absent.update(group.absent)


def exit_hook(step: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A step's ``hooks.exit``, or its ``onExit`` (a template name), or None."""
    hook = (step.get("hooks") or {}).get("exit")
    if hook:
        return dict(hook)
    return {"template": step["onExit"]} if step.get("onExit") else None


async def run_steps(run: Run, branch: Branch, node: dict[str, Any], tmpl: Mapping[str, Any],
                    templates: Templates, inputs: Inputs, *, execute: Execute) -> None:
    run.status.update(node, phase="Running")
    await Steps(run, branch, node, tmpl, templates, inputs, execute=execute).run_groups()
