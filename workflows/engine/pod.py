"""One attempt of a container template: a local process standing in for a pod.

Phases and messages as Argo reports them: exit 0 is Succeeded; another exit code is
Failed with ``Error (exit code N)``; a process that cannot start, a Secret that is not
there or an input artifact that cannot be fetched is Error (the pod never ran); the
template's ``activeDeadlineSeconds`` kills the process group and fails the attempt with
``Pod was active on the node longer than the specified deadline``; the workflow deadline
(or a retry's ``maxDuration``) fails it with ``Step exceeded its deadline``; a shutdown
(``Run.terminate``) with ``workflow shutdown with strategy:  Terminate``. A daemon is
marked ``daemoned`` once started and succeeds when its scope stops it.

An image other than this project's runs in a private mount namespace over its sandbox
when the machine allows it (``isolation``): its command sees the paths its manifest
names (``/tmp``, artifact and parameter paths, emptyDir volumes, ``workingDir``) and the
``{{...path}}`` variables give those paths as written, as in Argo. Otherwise (and always
for this project's image) the variables give the sandbox's paths on the host.

An image the engine knows (``images``: Argo's argosay) gets its entrypoint and CMD when
the container gives no command, its ``ENV`` (PATH), and its files placed in the pod's
filesystem. A program the image lacks fails the attempt as Argo's executor does
(exit code 64, ``Error (exit code 64): failed to find name in PATH: ...``); a program
only this host lacks is an Error naming it and the image, before anything starts
(``programs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows.engine import executor, images, isolation, programs, scripts
from workflows.engine.artifacts import ArtifactError
from workflows.engine.artifacts.sandbox import (
    Sandbox,
    normal,
    place_inputs,
    read_parameter,
    store_outputs,
)
from workflows.engine.context import SHUTDOWN_RUNNING_POD, Branch, Run
from workflows.engine.declared import declared_paths, image_repository
from workflows.engine.inputs import Inputs
from workflows.engine.nodes import pod_name
from workflows.engine.scope import SubstitutionError, subst, subst_value
from workflows.engine.secrets import MissingSecret

TEMPLATE_DEADLINE = "Pod was active on the node longer than the specified deadline"
STEP_DEADLINE = "Step exceeded its deadline"


@dataclass
class Attempt:
    """What the retry logic needs to know about how the attempt ended."""

    transient: bool = False


def path_variables(tmpl: dict[str, Any], box: Sandbox, *, literal: bool) -> dict[str, str]:
    """The path variables: as written when the pod has its own filesystem, else remapped
    into the sandbox; the folders of outputs exist, as the image or volumes would give."""
    scope: dict[str, str] = {}
    for variable, _, declared in declared_paths(tmpl):
        path = box.path(declared)
        scope[variable] = declared if literal else str(path)
        if not variable.startswith("inputs."):
            path.parent.mkdir(parents=True, exist_ok=True)
    return scope


def mount_volumes(tmpl: dict[str, Any], box: Sandbox) -> dict[str, isolation.Bind]:
    """Each volumeMounts entry: its emptyDir folder, a fresh one per pod, as in Argo."""
    targets: dict[str, isolation.Bind] = {}
    for mount in scripts.main_container(tmpl).get("volumeMounts") or []:
        folder = box.mount(str(mount["name"]), str(mount["mountPath"]))
        targets[normal(str(mount["mountPath"]))] = isolation.Bind(
            folder, read_only=bool(mount.get("readOnly")))
    return targets


def pod_targets(tmpl: dict[str, Any], box: Sandbox, volumes: dict[str, isolation.Bind],
                workdir: str | None, shared: tuple[Any, ...]) -> dict[str, isolation.Bind]:
    """What the isolated pod sees where: /tmp, the folders of the declared paths and the
    working directory (the sandbox's), its volumes, the shared host folders."""
    folders = {isolation.TMP}
    for _, _, declared in declared_paths(tmpl):
        path = normal(declared)
        parent = os.path.dirname(path)
        folders.add(parent if parent != "/" else path)
    if workdir and normal(workdir) != "/":
        folders.add(normal(workdir))
    if "script" in tmpl:
        folders.add(scripts.STAGING)
    targets = dict(volumes)
    for folder in sorted(folders):
        covered = any(folder.startswith(other.rstrip("/") + "/")
                      for other in [*folders, *volumes] if other != folder)
        if folder in volumes or covered:
            continue
        source = box.path(folder)
        if not source.exists():
            source.mkdir(parents=True, exist_ok=True)
        targets[folder] = isolation.Bind(source, merge=folder != isolation.TMP)
    for path in shared:
        targets[str(path)] = isolation.Bind(path)
    return targets


def command_line(run: Run, container: dict[str, Any], scope: dict[str, str], box: Sandbox,
                 env: dict[str, str], staged: list[str], known: images.KnownImage | None, *,
                 isolated: bool = False) -> tuple[list[str], Any]:
    """The pod's argv (``staged``: a script's source path, appended to its args) and the
    folder it starts in when it sees the host's filesystem."""
    command = [str(a) for a in subst_value(list(container.get("command") or []), scope,
                                           "container.command")]
    args = [str(a) for a in subst_value(list(container.get("args") or []), scope,
                                        "container.args")] + staged
    argv = images.command_line(known, command, args)
    if argv is None:
        raise ValueError(f"container of image {container.get('image')!r} has no command: the "
                         "local engine cannot know the image's entrypoint")
    cwd = box.root
    if container.get("workingDir") and not isolated:
        cwd = box.path(subst(str(container["workingDir"]), scope, "container.workingDir"))
        cwd.mkdir(parents=True, exist_ok=True)
    if image_repository(str(container.get("image", ""))) in run.config.our_images:
        if argv[0] in ("python", "python3"):
            argv[0] = run.config.python
        cwd = run.config.project_root
        env["PYTHONPATH"] = str(run.config.project_root)
    return argv, cwd


async def run_pod(run: Run, branch: Branch, node: dict[str, Any], tmpl: dict[str, Any],
                  inputs: Inputs, *, retries: int, execution_deadline: float | None,
                  on_daemoned: Callable[[], None] | None = None) -> Attempt:
    status, nid = run.status, node["id"]
    pod = pod_name(run.name, tmpl["name"], node["name"])
    container = scripts.main_container(tmpl)
    status.update(node, phase="Running", inputs=inputs.record())
    log = status.record.log_path(nid)
    try:
        box = Sandbox(run.record_path / "sandbox", pod)
    except (ValueError, OSError) as exc:
        return fail_pod(run, node, None, log, f"cannot make the pod's sandbox: {exc}")
    image = str(container.get("image", ""))
    known = images.known(image)
    isolated = run.isolation.ok and image_repository(image) not in run.config.our_images
    wrap = None
    try:
        volumes = mount_volumes(tmpl, box) if isolated else {}
        scope = {**run.globals, **inputs.scope(), "retries": str(retries), "pod.name": pod,
                 "node.name": node["name"], **path_variables(tmpl, box, literal=isolated),
                 "inputs.parameters": scripts.inputs_json(tmpl, inputs.parameters)}
        await place_inputs(box, inputs.artifacts, run.repo)
        env = run.secrets.container_env(
            container, substitute=lambda text, where: subst(text, scope, where),
            image_env=known.env if known else None)
        staged = scripts.stage(tmpl, box, subst(str(container.get("source") or ""), scope,
                                                "script.source"), literal=isolated)
        argv, cwd = command_line(run, container, scope, box, env, staged, known,
                                 isolated=isolated)
        ours = image_repository(image) in run.config.our_images
        workdir = (subst(str(container["workingDir"]), scope, "container.workingDir")
                   if isolated and container.get("workingDir") else None)
        targets = pod_targets(tmpl, box, volumes, workdir, run.config.shared) if isolated else {}
        if isolated:
            targets.update(images.place(known, box))
        missing = None if ours else programs.missing(argv, env, list(targets), image, known)
        if isinstance(missing, programs.HostLacks):
            return fail_pod(run, node, box, log, missing.message)
        if isinstance(missing, programs.ImageLacks):
            # The pod started, as did its siblings of this pass: Argo creates them in one
            # reconciliation and sees this one fail in a later one (a template's failFast
            # must not keep them from starting).
            await asyncio.sleep(0)
            return await _collect(run, node, tmpl, box, scope, _lacking(missing, log))
        if isolated:
            chdir = normal(workdir) if workdir else "/"

            def wrap(fd: int) -> list[str]:
                return isolation.bwrap_argv(run.isolation.how, targets, argv, chdir, fd)
        elif any(m.get("mountPath") == "/tmp"  # noqa: S108 - the container's path, remapped
                 for m in container.get("volumeMounts") or []):
            (box.root / "tmp").mkdir(exist_ok=True)
            env["TMPDIR"] = str(box.root / "tmp")
    except ArtifactError as exc:
        return fail_pod(run, node, box, log, exc.message, transient=exc.transient)
    except MissingSecret as exc:
        return fail_pod(run, node, box, log, str(exc))
    except (*SubstitutionError, ValueError) as exc:
        return fail_pod(run, node, box, log, str(exc))
    except OSError as exc:
        return fail_pod(run, node, box, log, f"cannot prepare the pod: {exc}")
    started = await executor.start(argv, env=env, cwd=cwd, log=log, grace=run.config.kill_grace,
                                   wrap=wrap)
    if isinstance(started, executor.Outcome):
        return _finish(run, node, tmpl, box, scope, started)
    proc = started
    run.processes[nid] = (proc, branch.on_exit)
    timers: list[asyncio.TimerHandle] = []
    try:
        timers = _timers(run, branch, tmpl, proc, execution_deadline)
        if tmpl.get("daemon"):
            run.daemons.setdefault(node.get("boundaryID", ""), []).append((nid, proc))
            status.update(node, daemoned=True)
            if on_daemoned is not None:
                on_daemoned()
        outcome = await proc.wait()
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
    return await _collect(run, node, tmpl, box, scope, outcome)


def _timers(run: Run, branch: Branch, tmpl: dict[str, Any], proc: executor.Process,
            execution_deadline: float | None) -> list[asyncio.TimerHandle]:
    loop = asyncio.get_running_loop()
    timers = []
    if run.deadline_message(branch):  # it came while the process was starting
        proc.stop("shutdown" if run.shutdown else "workflow-deadline")
    if tmpl.get("activeDeadlineSeconds") not in (None, ""):
        seconds = float(str(tmpl["activeDeadlineSeconds"]))
        timers.append(loop.call_later(seconds, proc.stop, "template-deadline"))
    if execution_deadline is not None:
        timers.append(loop.call_later(max(0.0, execution_deadline - time.time()), proc.stop,
                                      "execution-deadline"))
    return timers


def fail_pod(run: Run, node: dict[str, Any], box: Sandbox | None, log: Any, message: str, *,
             transient: bool = False) -> Attempt:
    with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as handle:
        handle.write(message + "\n")
    run.status.update(node, phase="Error", message=message)
    if box is not None and not run.config.keep_sandboxes:
        box.remove()
    return Attempt(transient=transient)


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
    message = f"Error (exit code {outcome.exit_code})"
    if outcome.termination_message:  # appended as inferFailedReason does
        message += f": {outcome.termination_message}"
    return "Failed", message


async def _collect(run: Run, node: dict[str, Any], tmpl: dict[str, Any], box: Sandbox,
                   scope: dict[str, str], outcome: executor.Outcome) -> Attempt:
    phase, message = _verdict(outcome)
    if outcome.log_error is not None:
        run.status.write_failed(outcome.log_error)
    return await collect_outputs(run, node, tmpl, box, scope, phase=phase, message=message,
                                 exit_code=outcome.exit_code, result=outcome.stdout)


async def collect_outputs(run: Run, node: dict[str, Any], tmpl: dict[str, Any], box: Sandbox,
                          scope: dict[str, str], *, phase: str, message: str,
                          exit_code: int | None, result: str | None) -> Attempt:
    """End ``node`` in ``phase`` with the template's outputs read from ``box`` (an output
    that cannot be read errors a Succeeded node); ``exit_code`` and ``result`` (stdout)
    are the main container's, None when there is none."""
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
    if artifacts:
        outputs["artifacts"] = artifacts
    if result is not None:
        outputs["result"] = result
    if outputs:
        node["outputs"] = outputs
    run.status.update(node, phase=phase, message=message)
    if phase == "Succeeded" and not run.config.keep_sandboxes:
        box.remove()
    return Attempt()
