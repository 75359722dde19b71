"""``containerSet`` templates: the containers of one pod, each with its own command, started
as their dependencies allow and sharing only the pod's volumes, as Argo v4.1.2 runs them.

The node tree (workflow/controller/container_set_template.go ``executeContainerSet``): the
template's node is a ``Pod`` node; once the pod exists each container gets a ``Container``
node ``<pod node>.<container>`` (display name: the container's), ``boundaryID`` the pod
node, the pod node's template name and flags. A container with no ``dependencies`` is a
child of the pod node, one with dependencies a child of each of them. The next task or
step hangs on the last containers (``getOutboundNodes``: a containerSet pod counts as its
containers; ``dag.outbound_nodes``).

How the containers run (cmd/argoexec/commands/emissary.go ``runEmissary``): every container
starts with the pod, so every Container node is ``Running`` at once, and its emissary waits
for its dependencies one after the other, in order. A dependency that exited non-zero ends
it without running its command: exit code 64 (the emissary's own failures), termination
message ``dependency "<dep>" exited with non-zero code: <code>``, and the dependency's code
becomes its own recorded one (what its dependents read). Its command is the pod's
(``launch.command_line``: an image the engine knows, argosay, gives its entrypoint and CMD);
a program the image lacks is the emissary's ``LookPath`` failure, exit 64 too, and one
only this host lacks says so the same way (``programs``). Each container has a filesystem
of its own (its image's: here a sandbox of its own in a private mount namespace,
``isolation``), with the set's ``volumeMounts`` added to its own
(``ContainerSetTemplate.GetContainers``) and shared between them. Only ``main`` gets the
input artifacts (workflowpod.go mounts them on ``common.MainContainerName``); the outputs
are read from the volumes or from ``main``'s filesystem (executor.go
``SaveParameters``/``isBaseImagePath``), ``outputs.result`` and ``outputs.exitCode`` are
``main``'s (``CaptureScriptResult``, ``HasOutput``; operator.go ``getExitCode``), absent
without one.

Phases (operator.go ``assessNodeStatus``): a Container node is Succeeded at exit 0, Error
at 64 and Failed otherwise, with ``<name>: Error (exit code N): <termination message>``.
Once a container exits non-zero the controller terminates the pod's running containers
(``podHasContainerNeedingTermination``, ``TerminateContainers``: SIGTERM to each): their
dependents have read the failure first (the emissary watches the exit code file; the
controller acts later), the others end as a SIGTERM leaves them (143 for one still
waiting, ``waitForDependencyExitCode``). The pod fails as ``inferFailedReason`` says: the
first container, by name (the kubelet's order of container statuses), that exited non-zero
gives ``<name>: Error (exit code N)`` and, with a termination message, ``: <message>``. A
deadline or a shutdown stops every container and gives the pod the message it gives a
container template's (``pod.stopped_verdict``); a shutdown or the workflow's deadline
also fails the Container nodes still going with that message at once
(exec_control.go ``handleExecutionControlError``).

The set's ``retryStrategy`` reruns a failed command inside its container (``runEmissary``:
``retry.OnError`` over ``GetRetryStrategy``'s backoff): ``retries`` runs in all (the
backoff's ``Steps``), ``duration`` apart, whatever the failure; the container's node stays
Running meanwhile (its container has not ended, so nothing is terminated), its log and
stdout (so ``outputs.result``) accumulate, and its last run's exit code is its own.

The dependency wait is the emissary's, not a DAG's (no ``depends``, no Omitted): each
container is settled here (``_settle``) whenever another ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.engine import executor, images, pod_fs, podspec, programs
from workflows.engine.admit.container_set import retry_attempts
from workflows.engine.artifacts import ArtifactError
from workflows.engine.artifacts.sandbox import Sandbox, place_inputs
from workflows.engine.context import Branch, Run
from workflows.engine.declared import declared_paths
from workflows.engine.inputs import Inputs
from workflows.engine.launch import (
    bwrap_wrap,
    command_line,
    container_env,
    lacking_program,
)
from workflows.engine.nodes import FINISHED, pod_name
from workflows.engine.pod import Attempt, collect_outputs, fail_pod, stopped_verdict
from workflows.engine.podspec import resources
from workflows.engine.scope import SubstitutionError, subst, subst_value
from workflows.engine.secrets import MissingSecret

MAIN = "main"  # common.MainContainerName
EMISSARY_ERROR = 64  # runEmissary's exit code for its own failures
# waitForDependencyExitCode on SIGTERM: the container exits 143, its exit code file still
# holds runEmissary's initial 64
TERMINATED_WAITING = 143
CONTAINER_FAILED = "container-failed"  # why the others are stopped (TerminateContainers)
# a shutdown and the workflow's deadline fail the pod node and its unfinished Container
# nodes with the pod's message as they stop it (exec_control.go applyExecutionControl)
CONTROLLER_STOPS = ("shutdown", "workflow-deadline")


@dataclass
class Member:
    """One container of the set: how to start it, and how it ended."""

    name: str
    spec: dict[str, Any]
    dependencies: list[str]
    node: dict[str, Any]
    root: Path  # its filesystem (main's is the pod's sandbox)
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    wrap: _Bwrap | None = None
    lacks: str | programs.ImageLacks | None = None  # what exec.LookPath would not find
    started: bool = False
    process: executor.Process | None = None
    exit_code: int | None = None  # the container's, once it ended
    recorded: int | None = None  # what its exit code file says (its dependents read it)
    termination: str = ""  # its termination message
    stdout: str | None = None


def containers(tmpl: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``GetContainers``: each container with the set's volumeMounts after its own."""
    cs = tmpl.get("containerSet") or {}
    shared = list(cs.get("volumeMounts") or [])
    return [{**c, "volumeMounts": [*(c.get("volumeMounts") or []), *shared]}
            for c in cs.get("containers") or []]


class ContainerSetPod:
    """The pod of a containerSet template at one node (one attempt)."""

    def __init__(self, run: Run, branch: Branch, node: dict[str, Any], tmpl: dict[str, Any],
                 inputs: Inputs, retries: int) -> None:
        self.run, self.branch, self.node, self.tmpl = run, branch, node, tmpl
        self.inputs, self.retries = inputs, retries
        self.pod = pod_name(run.name, tmpl["name"], node["name"])
        self.members: dict[str, Member] = {}
        self.stop_reason: str | None = None
        self.ended = asyncio.Event()
        self.stopping = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    # -- preparing ----------------------------------------------------------------
    async def prepare(self) -> tuple[Sandbox, dict[str, str]] | Attempt:
        """The pod's sandbox (``main``'s filesystem) and scope, every container ready to
        start; an Attempt when the pod cannot be made (an Error node, as a pod that is
        never created: no Container nodes)."""
        run, node = self.run, self.node
        log = run.status.record.log_path(node["id"])
        try:
            box = Sandbox(run.record_path / "sandbox", self.pod)
        except (ValueError, OSError) as exc:
            return fail_pod(run, node, None, log, f"cannot make the pod's sandbox: {exc}")
        specs = containers(self.tmpl)
        try:
            main = next((c for c in specs if c["name"] == MAIN), None)
            # main's mounts first: the outputs in a volume are read where main sees them
            volumes = pod_fs.mount_volumes({"container": main}, box) if main else {}
            scope = {**run.globals, **self.inputs.scope(), "retries": str(self.retries),
                     "pod.name": self.pod, "node.name": node["name"],
                     **pod_fs.paths(self.tmpl, box, literal=True)}
            unmade = self._unmade(specs, main, scope)
            if unmade:  # Argo never creates the pod: nothing is fetched, nothing runs
                return fail_pod(run, node, box, log, unmade.message, detail=unmade.detail)
            await place_inputs(box, self.inputs.artifacts, run.repo)  # main's only
            for spec in specs:
                self.members[str(spec["name"])] = self._member(spec, box, volumes, scope)
        except ArtifactError as exc:
            return fail_pod(run, node, box, log, exc.message, transient=exc.transient)
        except (MissingSecret, *SubstitutionError, ValueError) as exc:
            return fail_pod(run, node, box, log, str(exc))
        except OSError as exc:
            return fail_pod(run, node, box, log, f"cannot prepare the pod: {exc}")
        return box, scope

    def _unmade(self, specs: list[dict[str, Any]], main: dict[str, Any] | None,
                scope: dict[str, str]) -> podspec.Unmade | None:
        """Why Argo could not make the pod (``podspec.check_pod``: the patches, the pod's
        resources and main's; then the other containers' resources as the API server
        checks them), else None."""
        def substitute(value: Any, where: str) -> Any:
            return subst_value(value, scope, where)

        unmade = podspec.check_pod(self.run.loaded.spec, self.tmpl, main or {}, substitute,
                                   self.pod)
        if unmade:
            return unmade
        found = [problem for c in specs if c is not main for problem in resources.problems(
            substitute(c.get("resources"), "container.resources"),
            f"spec.containers[{c['name']}].resources")]
        return podspec.Unmade(f'Pod "{self.pod}" is invalid: ' + ", ".join(found)) \
            if found else None

    def _member(self, spec: dict[str, Any], box: Sandbox, main_volumes: pod_fs.Targets,
                scope: dict[str, str]) -> Member:
        """A container over its own root (``pod_fs``): main's is the sandbox, with the
        declared paths' folders; another's a root of its own with its volumes, the
        declared folders its image would have too (an init container's way)."""
        run, name = self.run, str(spec["name"])
        image = str(spec.get("image", ""))
        known = images.known(image)
        env = container_env(run, spec, scope, known)
        workdir = (subst(str(spec["workingDir"]), scope, "container.workingDir")
                   if spec.get("workingDir") else None)
        if name == MAIN:
            root = box.root
            targets = pod_fs.targets(self.tmpl, box, main_volumes, workdir, run.config.shared)
        else:
            root = box.set_root(name)
            places = [declared for _, _, declared in declared_paths(self.tmpl)]
            targets = pod_fs.init_targets(root, box, spec, [], workdir, run.config.shared,
                                          places)
        argv, cwd = command_line(run, spec, scope, env, root, None, known)
        targets.update(images.place(known, root))
        return Member(name=name, spec=spec, dependencies=list(spec.get("dependencies") or []),
                      node={}, root=root, argv=argv, env=env, cwd=cwd,
                      wrap=_Bwrap(bwrap_wrap(run, root, targets, argv, workdir), root),
                      lacks=lacking_program(run, image, argv, env, root, targets, known))

    def create_nodes(self) -> None:
        """The Container nodes, Pending, then their edges in the set's order."""
        status, pod_node = self.run.status, self.node
        ref = pod_node.get("templateRef")
        for member in self.members.values():
            member.node = status.create(
                f"{pod_node['name']}.{member.name}", type="Container",
                template=None if ref else {"name": pod_node.get("templateName")},
                template_ref=ref, boundary_id=pod_node["id"], parents=[],
                flags=pod_node.get("nodeFlag"))
        for member in self.members.values():
            parents = [self.members[d].node["id"] for d in member.dependencies] or \
                [pod_node["id"]]
            for parent in parents:
                status.add_child(parent, member.node["id"])
        status.changed(pod_node)

    # -- running ------------------------------------------------------------------
    async def run_all(self, execution_deadline: float | None) -> None:
        """Every container to its end: the template's deadline, a retry's
        ``execution_deadline``, the workflow's deadline or a shutdown stop them all."""
        for member in self.members.values():
            self.run.status.update(member.node, phase="Running")
            # every container runs its emissary, so each has a log (empty if it never
            # got to its command)
            with contextlib.suppress(OSError):
                self.run.status.record.log_path(member.node["id"]).touch()
        if self.run.deadline_message(self.branch):  # it came while the pod was being made
            self.stop("shutdown" if self.run.shutdown else "workflow-deadline")
        loop = asyncio.get_running_loop()
        timers = []
        seconds = self.tmpl.get("activeDeadlineSeconds")
        if seconds not in (None, ""):
            timers.append(loop.call_later(float(str(seconds)), self.stop, "template-deadline"))
        if execution_deadline is not None:
            timers.append(loop.call_later(max(0.0, execution_deadline - time.time()),
                                          self.stop, "execution-deadline"))
        watch = asyncio.ensure_future(self._watch_run())
        try:
            self._settle()
            await self.ended.wait()
            await asyncio.gather(*self.tasks)
        finally:
            for timer in timers:
                timer.cancel()
            watch.cancel()
            for member in self.members.values():
                if member.process is not None and member.exit_code is None:
                    member.process.stop("engine-error")

    async def _watch_run(self) -> None:
        """A workflow deadline or a shutdown stops the pod (running processes are also
        stopped by ``Run`` itself, through ``run.processes``)."""
        while True:
            await self.run.deadline_event.wait()
            message = self.run.deadline_message(self.branch)
            if message:
                self.stop("shutdown" if self.run.shutdown else "workflow-deadline")
                return
            await asyncio.sleep(0.5)  # the exit handler's branch: only a shutdown counts

    def _settle(self) -> None:
        """Each container still waiting reads its dependencies' exit code files in order:
        it starts, ends (a dependency failed), or keeps waiting. Then a failure terminates
        the rest of the pod."""
        changed = True
        while changed:
            changed = False
            for member in self.members.values():
                if member.started or member.exit_code is not None:
                    continue
                verdict = self._waiting_on(member)
                if verdict is None:
                    member.started = True
                    self.tasks.append(asyncio.ensure_future(self._start(member)))
                elif verdict[1] is not None:
                    dep, code = verdict
                    self._end(member, EMISSARY_ERROR, recorded=code,
                              message=f'dependency "{dep}" exited with non-zero code: {code}')
                    changed = True
        if any(m.exit_code not in (None, 0) for m in self.members.values()):
            self.stop(CONTAINER_FAILED)
        self._check_ended()

    def _check_ended(self) -> None:
        if all(m.exit_code is not None for m in self.members.values()):
            self.ended.set()

    def _waiting_on(self, member: Member) -> tuple[str, int | None] | None:
        """None: every dependency exited 0; (dep, None): waiting for dep; (dep, code): dep
        exited non-zero."""
        for dep in member.dependencies:
            code = self.members[dep].recorded
            if code is None:
                return dep, None
            if code != 0:
                return dep, code
        return None

    def stop(self, reason: str) -> None:
        """SIGTERM to every container (``TerminateContainers``); one still waiting for a
        dependency exits 143. The first reason is the pod's."""
        if self.stop_reason is None:
            self.stop_reason = reason
            if reason in CONTROLLER_STOPS:  # handleExecutionControlError: at once
                _, message = stopped_verdict(reason) or ("", "")
                for member in self.members.values():
                    if member.exit_code is None:
                        self.run.status.update(member.node, phase="Failed", message=message)
        self.stopping.set()
        for member in self.members.values():
            if member.process is not None and member.exit_code is None:
                member.process.stop(reason)
            elif not member.started and member.exit_code is None:
                self._end(member, TERMINATED_WAITING, recorded=EMISSARY_ERROR)
        self._check_ended()

    async def _start(self, member: Member) -> None:
        try:
            await self._run_member(member)
        except Exception as exc:  # a bug or an unforeseen input: the pod never hangs on it
            if member.process is not None and member.exit_code is None:
                member.process.stop("engine-error")
            if member.exit_code is None:
                self._end(member, EMISSARY_ERROR,
                          message=f"local engine error: {type(exc).__name__}: {exc}")
        self._settle()

    async def _run_member(self, member: Member) -> None:
        log = self.run.status.record.log_path(member.node["id"])
        if self.stop_reason is not None:  # terminated before its command could start
            self._end(member, TERMINATED_WAITING, recorded=EMISSARY_ERROR)
            return
        # the emissary's exec.LookPath, after the dependencies (``programs``): a program
        # the image lacks is its exit 64; one only this host lacks says so the same way
        if isinstance(member.lacks, programs.ImageLacks):
            self._end(member, member.lacks.exit_code, message=member.lacks.termination_message)
            return
        if isinstance(member.lacks, str):
            self._end(member, EMISSARY_ERROR, message=member.lacks)
            return

        attempts, pause = retry_attempts(
            (self.tmpl.get("containerSet") or {}).get("retryStrategy"))
        stdout, code, message = b"", TERMINATED_WAITING, ""
        for attempt in range(attempts):
            if attempt:  # retry.OnError: every failure is retried, after the pause
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), pause)
                if self.stop_reason is not None:
                    break
                if member.wrap is not None:
                    member.wrap.reset()
            started = await executor.start(member.argv, env=member.env,
                                           cwd=member.cwd or member.root, log=log,
                                           grace=self.run.config.kill_grace, wrap=member.wrap)
            if isinstance(started, executor.Outcome):  # "failed to start command" (logged)
                code, message = EMISSARY_ERROR, started.start_error or ""
                continue
            member.process = started
            nid = member.node["id"]
            self.run.processes[nid] = (started, self.branch.on_exit)
            try:
                if self.stop_reason is not None:
                    started.stop(self.stop_reason)
                outcome = await started.wait()
            finally:
                self.run.processes.pop(nid, None)
            if outcome.log_error is not None:
                self.run.status.write_failed(outcome.log_error)
            # the emissary appends each run's stdout (O_APPEND); its end is what counts
            stdout = (stdout + outcome.raw_stdout)[-2 * executor.RESULT_LIMIT:]
            code, message = int(outcome.exit_code or 0), ""
            if code == 0:
                break
        member.stdout = executor.result_text(stdout)
        self._end(member, code, message=message, logged=True)

    def _end(self, member: Member, code: int, *, recorded: int | None = None,
             message: str = "", logged: bool = False) -> None:
        """The container exited with ``code`` (its exit code file says ``recorded``); its
        node's phase as ``assessNodeStatus`` gives it."""
        member.exit_code = code
        member.recorded = code if recorded is None else recorded
        member.termination = message
        if member.node["phase"] in FINISHED:  # failed by the controller already
            return
        if message and not logged:  # the emissary prints its error
            _append(self.run.status.record.log_path(member.node["id"]), message)
        if code == 0:
            self.run.status.update(member.node, phase="Succeeded")
        else:
            phase = "Error" if code == EMISSARY_ERROR else "Failed"
            self.run.status.update(member.node, phase=phase,
                                   message=f"{member.name}: Error (exit code {code}): {message}")

    # -- the pod's verdict -----------------------------------------------------------
    def verdict(self) -> tuple[str, str]:
        """``inferFailedReason`` over the containers, in name order."""
        stopped = stopped_verdict(self.stop_reason)
        if stopped is not None:
            return stopped
        for name in sorted(self.members):
            member = self.members[name]
            if member.exit_code not in (None, 0):
                text = f"{name}: Error (exit code {member.exit_code})"
                said = member.termination
                return "Failed", f"{text}: {said}" if said else text
        return "Succeeded", ""


class _Bwrap:
    """bwrap's command line for one container, fixed before its first run, its info
    descriptor filled in at each run. ``isolation.bwrap_argv`` reads the root, and a run
    leaves its mount points there (the symbolic links it makes, such as ``/bin``, would
    make the next bwrap fail): a rerun (the set's retryStrategy) uses the same line, once
    ``reset`` has removed those links."""

    def __init__(self, wrap: Callable[[int], list[str]], root: Path) -> None:
        self.args = wrap(-1)
        self.fd_at = self.args.index("--info-fd") + 1
        made = [root / self.args[k + 2].lstrip("/") for k, arg in enumerate(self.args)
                if arg == "--symlink" and k + 2 < len(self.args)]
        self.links = [path for path in made if not os.path.lexists(path)]

    def __call__(self, fd: int) -> list[str]:
        return [*self.args[:self.fd_at], str(fd), *self.args[self.fd_at + 1:]]

    def reset(self) -> None:
        for path in self.links:
            if path.is_symlink():
                path.unlink()


def _append(log: Any, line: str) -> None:
    with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


async def run_container_set(run: Run, branch: Branch, node: dict[str, Any],
                            tmpl: dict[str, Any], inputs: Inputs, *, retries: int,
                            execution_deadline: float | None) -> Attempt:
    """One attempt of a containerSet template at ``node`` (a Pod node)."""
    run.status.update(node, phase="Running", inputs=inputs.record())
    pod = ContainerSetPod(run, branch, node, tmpl, inputs, retries)
    prepared = await pod.prepare()
    if isinstance(prepared, Attempt):
        return prepared
    box, scope = prepared
    pod.create_nodes()
    await pod.run_all(execution_deadline)
    phase, message = pod.verdict()
    main = pod.members.get(MAIN)
    # archiveLogs: every container's log, <container>-logs (executor.go SaveLogs)
    logs = [(f"{m.name}-logs", f"{m.name}.log", run.status.record.log_path(m.node["id"]))
            for m in pod.members.values()]
    return await collect_outputs(
        run, node, tmpl, box, scope, phase=phase, message=message,
        exit_code=main.exit_code if main is not None else None,
        result=main.stdout if main is not None and main.stdout is not None else None,
        logs=logs)
