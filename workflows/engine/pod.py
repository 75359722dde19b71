"""One attempt of a container template: a local process standing in for a pod.

Phases and messages as Argo reports them: exit 0 is Succeeded; another exit code is
Failed with ``main: Error (exit code N)`` (``inferFailedReason`` names the container); a
process that cannot start, a Secret that is not there or an input artifact that cannot
be fetched is Error (the pod never ran); the template's ``activeDeadlineSeconds`` kills
the process group and fails the attempt with ``Pod was active on the node longer than
the specified deadline``; the workflow deadline (or a retry's ``maxDuration``) fails it
with ``Step exceeded its deadline``; a shutdown (``Run.terminate``) with ``workflow
shutdown with strategy:  Terminate``. A daemon is marked ``daemoned`` once started and
succeeds when its scope stops it.

How each container becomes a process is ``launch``'s. An image other than this project's
runs in a private mount namespace over its sandbox when the machine allows it
(``isolation``): its command sees the paths its manifest
names (``/tmp``, artifact and parameter paths, emptyDir volumes, ``workingDir``) and the
``{{...path}}`` variables give those paths as written, as in Argo. Otherwise (and always
for this project's image) the variables give the sandbox's paths on the host (what each
container sees where: ``pod_fs``). The template's ``initContainers`` run first, one after
the other (``init_containers``); one that fails fails the pod before the main starts.

An image the engine knows (``images``: Argo's argosay) gets its entrypoint and CMD when
the container gives no command, its ``ENV`` (PATH), and its files placed in the pod's
filesystem. A program the image lacks fails the attempt as Argo's executor does
(exit code 64, ``main: Error (exit code 64): failed to find name in PATH: ...``); a program
only this host lacks is an Error naming it and the image, before anything starts
(``programs``).
A pod Argo could not make is an Error too (``podspec.check_pod``: a podSpecPatch it
cannot apply, or one built at run time that touches what runs here; resources the API
server rejects).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.engine import (
    executor,
    init_containers,
    main_logs,
    pod_fs,
    podspec,
    programs,
    scripts,
)
from workflows.engine.artifacts import ArtifactError
from workflows.engine.artifacts.sandbox import (
    Sandbox,
    place_inputs,
    read_parameter,
    store_outputs,
)
from workflows.engine.context import SHUTDOWN_RUNNING_POD, Branch, Run
from workflows.engine.inputs import Inputs
from workflows.engine.launch import (
    Launch,
    init_launch,
    is_isolated,
    main_launch,
)
from workflows.engine.nodes import pod_name
from workflows.engine.scope import SubstitutionError, subst, subst_value
from workflows.engine.secrets import MissingSecret

TEMPLATE_DEADLINE = "Pod was active on the node longer than the specified deadline"
STEP_DEADLINE = "Step exceeded its deadline"
MAIN_CONTAINER = "main"  # common.MainContainerName: what a failed pod's message names


@dataclass
class Attempt:
    """What the retry logic needs to know about how the attempt ended."""

    transient: bool = False


async def run_pod(run: Run, branch: Branch, node: dict[str, Any], tmpl: dict[str, Any],
                  inputs: Inputs, *, retries: int, execution_deadline: float | None,
                  on_daemoned: Callable[[], None] | None = None) -> Attempt:
    status, nid = run.status, node["id"]
    pod = pod_name(run.name, tmpl["name"], node["name"])
    status.update(node, phase="Running", inputs=inputs.record())
    log = status.record.log_path(nid)
    try:
        box = Sandbox(run.record_path / "sandbox", pod)
    except (ValueError, OSError) as exc:
        return fail_pod(run, node, None, log, f"cannot make the pod's sandbox: {exc}")
    try:
        isolated = is_isolated(run, scripts.main_container(tmpl))
        volumes = pod_fs.mount_volumes(tmpl, box) if isolated else {}
        scope = {**run.globals, **inputs.scope(), "retries": str(retries), "pod.name": pod,
                 "node.name": node["name"], **pod_fs.paths(tmpl, box, literal=isolated),
                 "inputs.parameters": scripts.inputs_json(tmpl, inputs.parameters)}
        unmade = podspec.check_pod(run.loaded.spec, tmpl, scripts.main_container(tmpl),
                                   lambda value, where: subst_value(value, scope, where), pod)
        if unmade:  # Argo never creates the pod: nothing is fetched, nothing runs
            return fail_pod(run, node, box, log, unmade.message, detail=unmade.detail)
        await place_inputs(box, inputs.artifacts, run.repo)
        main = main_launch(run, tmpl, box, scope, volumes, log)
        launches = [init_launch(run, tmpl, box, scope, k, container, inputs.artifacts, log)
                    for k, container in enumerate(init_containers.containers(tmpl))]
    except ArtifactError as exc:
        return fail_pod(run, node, box, log, exc.message, transient=exc.transient)
    except MissingSecret as exc:
        return fail_pod(run, node, box, log, str(exc))
    except (*SubstitutionError, ValueError) as exc:
        return fail_pod(run, node, box, log, str(exc))
    except OSError as exc:
        return fail_pod(run, node, box, log, f"cannot prepare the pod: {exc}")
    for launch in [*launches, main]:
        if isinstance(launch, str):
            return fail_pod(run, node, box, log, launch)
    inits = [launch for launch in launches if not isinstance(launch, str)]
    assert not isinstance(main, str)
    if any(isinstance(launch, programs.ImageLacks) for launch in [*inits, main]):
        # The pod started, as did its siblings of this pass: Argo creates them in one
        # reconciliation and sees this one fail in a later one (a template's failFast
        # must not keep them from starting).
        await asyncio.sleep(0)
    pod_started = time.time()  # the pod's activeDeadlineSeconds counts init containers
    declared = init_containers.containers(tmpl)
    for k, init in enumerate(inits):
        following = _name(inits[k + 1], declared[k + 1]) if k + 1 < len(inits) else "main"
        if isinstance(init, programs.ImageLacks):  # as a main's: exit 64 and its message
            lacked = _lacking(init, log)
            phase, message = init_containers.failure(_name(init, declared[k]),
                                                     int(lacked.exit_code or 64), following)
            status.update(node, phase=phase, message=f"{message}: {init.termination_message}")
            return Attempt()
        assert isinstance(init, Launch)
        outcome = await _run(run, branch, node, tmpl, init, pod_started, execution_deadline)
        if outcome.start_error is not None:
            return _finish(run, node, tmpl, box, scope, outcome)
        if outcome.stopped_for or outcome.exit_code != 0:
            phase, message = (_verdict(outcome) if outcome.stopped_for else
                              init_containers.failure(init.name, int(outcome.exit_code or 0),
                                                      following))
            status.update(node, phase=phase, message=message)  # main never ran: no outputs
            return Attempt()

    def daemoned(proc: executor.Process) -> None:
        run.daemons.setdefault(node.get("boundaryID", ""), []).append((nid, proc))
        status.update(node, daemoned=True)
        if on_daemoned is not None:
            on_daemoned()

    if isinstance(main, programs.ImageLacks):
        return await _collect(run, node, tmpl, box, scope, _lacking(main, log))
    outcome = await _run(run, branch, node, tmpl, main, pod_started, execution_deadline,
                         on_started=daemoned if tmpl.get("daemon") else None)
    if outcome.start_error is not None:
        return _finish(run, node, tmpl, box, scope, outcome)
    return await _collect(run, node, tmpl, box, scope, outcome)


async def _run(run: Run, branch: Branch, node: dict[str, Any], tmpl: dict[str, Any],
               launch: Launch, pod_started: float, execution_deadline: float | None, *,
               on_started: Callable[[executor.Process], None] | None = None
               ) -> executor.Outcome:
    """Start one container and wait for its end, under the pod's deadlines; a shutdown
    (``run.processes``) stops it."""
    nid = node["id"]
    started = await executor.start(launch.argv, env=launch.env, cwd=launch.cwd, log=launch.log,
                                   grace=run.config.kill_grace, wrap=launch.wrap)
    if isinstance(started, executor.Outcome):
        return started
    proc = started
    run.processes[nid] = (proc, branch.on_exit)
    timers: list[asyncio.TimerHandle] = []
    try:
        timers = _timers(run, branch, tmpl, proc, pod_started, execution_deadline)
        if on_started is not None:
            on_started(proc)
        return await proc.wait()
    except Exception:
        proc.stop("engine-error")  # whatever went wrong here, the process does not outlive it
        await proc.wait()  # reaped, and its log closed
        raise
    except BaseException:
        proc.stop("engine-error")
        raise
    finally:
        for timer in timers:
            timer.cancel()
        run.processes.pop(nid, None)


def _timers(run: Run, branch: Branch, tmpl: dict[str, Any], proc: executor.Process,
            pod_started: float, execution_deadline: float | None
            ) -> list[asyncio.TimerHandle]:
    loop = asyncio.get_running_loop()
    timers = []
    if run.deadline_message(branch):  # it came while the process was starting
        proc.stop("shutdown" if run.shutdown else "workflow-deadline")
    if tmpl.get("activeDeadlineSeconds") not in (None, ""):
        seconds = float(str(tmpl["activeDeadlineSeconds"])) - (time.time() - pod_started)
        timers.append(loop.call_later(max(0.0, seconds), proc.stop, "template-deadline"))
    if execution_deadline is not None:
        timers.append(loop.call_later(max(0.0, execution_deadline - time.time()), proc.stop,
                                      "execution-deadline"))
    return timers


def fail_pod(run: Run, node: dict[str, Any], box: Sandbox | None, log: Any, message: str, *,
             transient: bool = False, detail: str = "") -> Attempt:
    with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in (detail, message) if line))
    run.status.update(node, phase="Error", message=message)
    if box is not None and not run.config.keep_sandboxes:
        box.remove()
    return Attempt(transient=transient)


def _name(launch: Launch | programs.ImageLacks, container: Mapping[str, Any] | None = None
          ) -> str:
    if isinstance(launch, Launch):
        return launch.name
    return str((container or {}).get("name", "init"))


def _lacking(lacks: programs.ImageLacks, log: Any) -> executor.Outcome:
    """How Argo's pod ends when its image has no such program: the executor's error on the
    log and as the container's termination message, exit code 64."""
    now = time.time()
    with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as handle:
        handle.write(lacks.termination_message + "\n")
    return executor.Outcome(exit_code=lacks.exit_code, started=now, finished=now, stdout="",
                            termination_message=lacks.termination_message)


def _finish(run: Run, node: dict[str, Any], tmpl: dict[str, Any], box: Sandbox,
            scope: dict[str, str], outcome: executor.Outcome) -> Attempt:
    run.status.update(node, phase="Error", message=outcome.start_error or "failed to start")
    if not run.config.keep_sandboxes:
        box.remove()
    return Attempt()


def stopped_verdict(reason: str | None) -> tuple[str, str] | None:
    """The phase and message of a pod stopped for ``reason`` (a deadline, a shutdown), or
    None when that reason does not decide them."""
    if reason in ("workflow-deadline", "execution-deadline"):
        return "Failed", STEP_DEADLINE
    if reason == "template-deadline":
        return "Failed", TEMPLATE_DEADLINE
    if reason == "shutdown":
        return "Failed", SHUTDOWN_RUNNING_POD
    return None


def _verdict(outcome: executor.Outcome) -> tuple[str, str]:
    reason = outcome.stopped_for
    stopped = stopped_verdict(reason)
    if stopped is not None:
        return stopped
    if reason == "daemon" or outcome.exit_code == 0:
        return "Succeeded", ""
    # inferFailedReason: "<container>: <reason> (exit code N)[: <termination message>]"
    message = f"Error (exit code {outcome.exit_code})"
    if outcome.termination_message:
        message += f": {outcome.termination_message}"
    return "Failed", f"{MAIN_CONTAINER}: {message}"


async def _collect(run: Run, node: dict[str, Any], tmpl: dict[str, Any], box: Sandbox,
                   scope: dict[str, str], outcome: executor.Outcome) -> Attempt:
    phase, message = _verdict(outcome)
    if outcome.log_error is not None:
        run.status.write_failed(outcome.log_error)
    log = run.status.record.log_path(node["id"])
    return await collect_outputs(run, node, tmpl, box, scope, phase=phase, message=message,
                                 exit_code=outcome.exit_code, result=outcome.stdout,
                                 logs=[(main_logs.NAME, main_logs.FILE, log)])


async def collect_outputs(run: Run, node: dict[str, Any], tmpl: dict[str, Any], box: Sandbox,
                          scope: dict[str, str], *, phase: str, message: str,
                          exit_code: int | None, result: str | None,
                          logs: list[tuple[str, str, Path]]) -> Attempt:
    """End ``node`` in ``phase`` with the template's outputs read from ``box`` (an output
    that cannot be read errors a Succeeded node); ``exit_code`` and ``result`` (stdout)
    are the main container's, None when there is none; ``logs`` are the (artifact name,
    file name, log) of the main containers, kept with ``archiveLogs``."""
    outputs: dict[str, Any] = {} if exit_code is None else {"exitCode": str(exit_code)}
    declared = tmpl.get("outputs") or {}
    params = []
    for spec in declared.get("parameters") or []:
        entry = {k: v for k, v in spec.items() if k in ("name", "globalName", "valueFrom")}
        if spec.get("valueFrom", {}).get("path"):
            value, error = read_parameter(box, spec)
            if error and phase == "Succeeded":
                phase, message = "Error", error
        else:
            try:
                value = subst(str(spec.get("value", "")), scope,
                              f"outputs.parameters.{spec['name']}")
            except SubstitutionError as exc:
                value = None
                phase, message = ("Error", str(exc)) if phase == "Succeeded" else (phase, message)
        if value is not None:
            entry["value"] = value
        params.append(entry)
    if params:
        outputs["parameters"] = params
    artifacts, error = await store_outputs(
        box, declared.get("artifacts") or [], run.repo, scope, required=phase == "Succeeded",
        key_of=lambda text: subst(text, scope, "outputs.artifacts.s3.key"))
    if error and phase == "Succeeded":
        phase, message = "Error", error
    for name, file, log in logs if main_logs.archive_logs(run.loaded.spec, tmpl) else []:
        saved, error = await main_logs.save(run.repo, log, scope, name=name, file=file)
        artifacts += [saved] if saved else []
        if error and phase == "Succeeded":
            phase, message = "Error", error
    if artifacts:
        outputs["artifacts"] = artifacts
    if result is not None:
        outputs["result"] = result
    if outputs:
        node["outputs"] = outputs
    run.status.update(node, phase=phase, message=message)
    if phase == "Succeeded":
        discard(run, box)
    return Attempt()


def discard(run: Run, box: Sandbox) -> None:
    """Remove a finished pod's sandbox in a worker thread, off the run's path: on some
    filesystems each rmdir costs milliseconds, and a pod's root holds a mount point for
    every entry of the host's / (the run awaits these as it ends, so none is left)."""
    if not run.config.keep_sandboxes:
        run.cleanups.append(asyncio.get_running_loop().run_in_executor(None, box.remove))
