"""``run_workflow``: run compiled Argo manifests on this machine with Argo's semantics.

Before anything runs, the manifests are checked (``refuse.check``: every unsupported
field with its YAML path, all at once) and loaded (``load.load``). Then the run is a
record in the ``RunStore`` (saved within half a second of each change, and when it ends):
the workflow's own ``synchronization`` mutexes are taken (it is Pending meanwhile), the
entrypoint runs at the root node (named after the run), the workflow deadline stops
what is running, the exit handler runs with ``workflow.status``, ``workflow.failures``
and ``workflow.duration``, and the workflow's phase is decided as Argo's ``operate`` does
(a failing exit handler turns a Succeeded run into Failed). ``on_event`` gets every node
change as it happens.

SIGINT, SIGTERM and SIGHUP stop a run as ``argo terminate`` does (``Run.terminate``):
every step's process group gets SIGTERM, then SIGKILL after the grace period, nothing
more starts, the exit handler does not run, and the record ends Failed with
``Stopped with strategy 'Terminate'``; then ``run_workflow`` raises ``RunStopped``. The
engine returns only once every step's process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from workflows.engine import isolation, synchronization, workflow_metadata
from workflows.engine.admit import literal_paths
from workflows.engine.admit.load import Loaded, load
from workflows.engine.admit.refuse import check
from workflows.engine.artifacts import ArtifactError, open_repository
from workflows.engine.context import (
    SHUTDOWN_STOPPED,
    Branch,
    EngineConfig,
    Run,
    Templates,
)
from workflows.engine.declared import image_repository
from workflows.engine.errors import LoadError, ManifestRefused
from workflows.engine.inputs import Arguments
from workflows.engine.locks import Mutex
from workflows.engine.memo import MemoCache
from workflows.engine.metrics import Registry
from workflows.engine.nodes import FAILED, FINISHED, Status
from workflows.engine.reuse import Previous, set_aside
from workflows.engine.scope import SubstitutionError, parameter_text, subst
from workflows.engine.secrets import MissingSecret, SecretSource
from workflows.engine.template import execute, observe_metrics
from workflows.engine.variables import GlobalParameterError, failures, workflow_variables
from workflows.runs.record import RunRecord, describe_os_error
from workflows.runs.store import RunStore
from workflows.runs.times import timestamp

WORKFLOW_PHASE = {"Succeeded": "Succeeded", "Skipped": "Succeeded", "Omitted": "Succeeded",
                  "Failed": "Failed", "Error": "Error"}
CLUSTER_ONLY_NOTE = ("accepted and recorded; these fields only matter on a cluster and have "
                     "no effect on a local run")
TERMINATED = SHUTDOWN_STOPPED
TEMPLATE_LABEL = {"WorkflowTemplate": "workflows.argoproj.io/workflow-template",
                  "ClusterWorkflowTemplate": "workflows.argoproj.io/cluster-workflow-template"}
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
logger = logging.getLogger(__name__)


class RunStopped(Exception):
    """A signal stopped the run; ``workflow`` is its final object (saved, Failed)."""

    def __init__(self, workflow: dict[str, Any], signal_number: int) -> None:
        self.workflow = workflow
        self.signal_number = signal_number
        self.signal_name = signal.Signals(signal_number).name
        super().__init__(f"{workflow['metadata']['name']} was stopped by {self.signal_name}")


def run_workflow(docs: list[dict[str, Any]], *, entry: str | None = None,
                 parameters: Mapping[str, str] | None = None, store: RunStore,
                 repository_spec: Mapping[str, Any] | None = None,
                 secrets_file: Path | None = None,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 now: Callable[[], datetime] | None = None,
                 scheduled_time: datetime | date | None = None,
                 config: EngineConfig | None = None,
                 previous: Mapping[str, Any] | None = None,
                 on_start: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Run the workflow ``entry`` names among ``docs``; returns the final Workflow object.

    ``previous`` (a finished run's workflow object) makes this run a retry of it, as
    ``argo retry``: the same workflow (name, record, uid, creation time) goes on, its
    Succeeded nodes are reused, not run again, the others run again (``reuse``), and its
    parameters are the defaults. Raises ManifestRefused or LoadError before running
    anything; once a run starts it always ends with a saved workflow object, whatever
    happens inside it.
    ``on_start`` gets the run's folder once its record exists, before anything runs.
    Raises ``RunStopped`` (after saving the record) when a signal stopped the run.
    """
    findings = check(docs, entry)
    if findings.problems:
        raise ManifestRefused(findings.problems)
    clock = now or (lambda: datetime.now(timezone.utc))
    if previous is not None:
        before = {p["name"]: str(p["value"]) for p in  # a valueFrom is read again
                  ((previous.get("spec") or {}).get("arguments") or {}).get("parameters") or []
                  if "value" in p}
        parameters = {**before, **(parameters or {})}
        annotation = (previous.get("metadata") or {}).get("annotations") or {}
        scheduled_time = scheduled_time or _scheduled(annotation)
    loaded = load(docs, entry=entry, parameters=parameters or {}, now=clock(),
                  scheduled=scheduled_time)
    config = config or EngineConfig()
    pods = _pod_filesystems(loaded, config)
    try:
        secrets = SecretSource(secrets_file)
        secrets.add_config_maps(loaded.config_maps.by_name)
    except MissingSecret as exc:
        raise LoadError(str(exc)) from exc
    try:
        repo = open_repository(repository_spec, root=store.root.parent, secrets=secrets.secret)
    except ArtifactError as exc:
        raise LoadError(f"artifact repository: {exc.message}") from exc
    if previous is None:
        record = store.new_run(loaded.base_name, created=clock())
        workflow = _workflow_object(loaded, record, clock(), findings.cluster_only)
    else:  # argo retry: the same workflow, its name, record and creation time
        record = store.reopen(str(previous["metadata"]["name"]))
        set_aside(record.path, previous)
        workflow = _workflow_object(loaded, record, clock(), findings.cluster_only)
        for key in ("uid", "creationTimestamp"):
            workflow["metadata"][key] = previous["metadata"].get(key, workflow["metadata"][key])
    workflow["status"]["localEngine"]["podFilesystem"] = (
        "own (private mount namespace)" if pods.ok else f"the host's ({pods.how})")
    status = Status(workflow, record, on_event)
    run = Run(name=record.name, loaded=loaded, status=status, repo=repo, secrets=secrets,
              memo=MemoCache(store.root / ".memo"), locks=store.root / ".locks",
              metrics=Registry(record.path / "metrics.prom"), config=config,
              globals={}, clock=clock, isolation=pods,
              previous=Previous(previous) if previous is not None else None)
    if on_start is not None:
        try:
            on_start(record.path)
        except OSError as exc:  # e.g. no room for invocation.json: the run does not start
            workflow["status"]["phase"] = "Error"
            workflow["status"]["message"] = f"cannot start: {describe_os_error(exc)}"
            workflow["status"]["finishedAt"] = timestamp(clock())
            status.save_final()
            raise
    received: list[int] = []
    asyncio.run(_main(run, received))
    if received and workflow["status"]["phase"] != "Succeeded":
        raise RunStopped(workflow, received[0])
    return workflow


@contextlib.contextmanager
def _stop_on_signals(run: Run, received: list[int]) -> Iterator[None]:
    """While the run goes, SIGINT, SIGTERM and SIGHUP terminate it (main thread only: in
    another thread signals stay the caller's business; an ignored one stays ignored);
    the handlers before come back."""
    loop = asyncio.get_running_loop()

    def on_signal(number: int) -> None:
        received.append(number)
        if run.shutdown is None:
            logger.info("%s: stopping %s (SIGTERM to every step, SIGKILL after %.0f s)",
                           signal.Signals(number).name, run.name, run.config.kill_grace)
            run.status.emit({"kind": "stopping", "time": time.time(), "workflow": run.name,
                             "signal": signal.Signals(number).name,
                             "grace": run.config.kill_grace})
            run.terminate()

    installed: dict[int, Any] = {}
    for number in STOP_SIGNALS:
        before = signal.getsignal(number)
        if before == signal.SIG_IGN:  # the caller chose so (nohup cadencia run): keep it
            continue
        try:
            loop.add_signal_handler(number, on_signal, number)
        except (ValueError, RuntimeError):
            continue
        installed[number] = before
    try:
        yield
    finally:
        for installed_number, before in installed.items():
            loop.remove_signal_handler(installed_number)
            if before is not None:
                signal.signal(installed_number, before)


def _pod_filesystems(loaded: Loaded, config: EngineConfig) -> isolation.Availability:
    """Whether pods get their own filesystem here; where they cannot, said once (when an
    image other than ours runs) and what relies on literal paths refused before the run."""
    pods = isolation.availability(config.isolation)
    ours = literal_paths.our_scripts(loaded, config.our_images)  # never isolated
    ours += literal_paths.container_sets(loaded, config.our_images,
                                         None if pods.ok else pods.how)
    if pods.ok:
        refused = ours + literal_paths.host_entries(loaded, config.our_images)
        if refused:
            raise ManifestRefused(refused)
        return pods
    foreign = any(isolation_needed(t, config) for t in loaded.spec.get("templates") or [])
    if foreign:
        logger.warning("pods run in the host's filesystem (%s): templates that rely on literal "
                       "paths are refused, {{...path}} variables point into each node's "
                       "sandbox", pods.how)
    refused = literal_paths.problems(loaded, config.our_images, pods.how) + ours
    if refused:
        raise ManifestRefused(refused)
    return pods


def isolation_needed(tmpl: Mapping[str, Any], config: EngineConfig) -> bool:
    """Whether a container of the template (its main, an init container or one of its
    containerSet) has an image other than ours."""
    main = tmpl.get("container") or tmpl.get("script") or {}
    containers = [main] if main else []
    containers += [c for c in tmpl.get("initContainers") or [] if c]
    containers += [c for c in (tmpl.get("containerSet") or {}).get("containers") or [] if c]
    return any(image_repository(str(c.get("image", ""))) not in config.our_images
               for c in containers)


def _scheduled(annotations: Mapping[str, str]) -> datetime | None:
    text = annotations.get("workflows.argoproj.io/scheduled-time")
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _workflow_object(loaded: Loaded, record: RunRecord, created: datetime,
                     cluster_only: list[str]) -> dict[str, Any]:
    labels = {**loaded.labels, **((loaded.spec.get("workflowMetadata") or {}).get("labels")
                                  or {})}
    if loaded.owner is not None:  # setWfTemplateLabel (and submit --from a template)
        labels[TEMPLATE_LABEL[loaded.owner.kind]] = loaded.owner.name
    if loaded.kind == "CronWorkflow":
        labels["workflows.argoproj.io/cron-workflow"] = loaded.source
    annotations = {}
    if loaded.scheduled_time:
        annotations["workflows.argoproj.io/scheduled-time"] = loaded.scheduled_time
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": record.name, "namespace": loaded.namespace,
                     "uid": str(uuid.uuid4()), "creationTimestamp": timestamp(created),
                     "labels": labels, "annotations": annotations},
        "spec": loaded.spec,
        "status": {"phase": "Running", "startedAt": timestamp(created), "nodes": {},
                   "localEngine": {"clusterOnly": cluster_only, "clusterOnlyNote":
                                   CLUSTER_ONLY_NOTE, "metrics": "metrics.prom"}},
    }


async def _main(run: Run, received: list[int]) -> None:
    with _stop_on_signals(run, received):
        await _operate(run)


async def _operate(run: Run) -> None:
    status, spec = run.status, run.loaded.spec
    loop = asyncio.get_running_loop()
    timer = None
    held: list[Mutex] = []
    try:
        run.globals.update(workflow_variables(run))
        refused = workflow_metadata.apply(run)
        if refused:  # Argo's updateWorkflowMetadata failed: the workflow errs, nothing runs
            _finish(run, "Error", refused)
            return
        locked = await _workflow_locks(run)
        if locked is None:  # stopped while it waited
            raise _StoppedWaiting
        held = locked
        if spec.get("activeDeadlineSeconds") not in (None, ""):
            seconds = float(str(spec["activeDeadlineSeconds"]))
            run.deadline = run.started + seconds
            timer = loop.call_later(seconds, run.pass_deadline)
        if spec.get("parallelism") not in (None, ""):
            run.pod_slots = asyncio.Semaphore(int(str(spec["parallelism"])))
        status.save()
        status.workflow_event()
        templates = Templates({t["name"]: t for t in spec.get("templates") or []},
                              run.loaded.owner)
        root = await execute(run, Branch(), name=run.name,
                             holder={"template": spec["entrypoint"]}, templates=templates,
                             args=_arguments(spec.get("arguments") or {}), boundary_id=None,
                             parents=[])
        outcome = WORKFLOW_PHASE.get(root["phase"], "Error")
        run.globals["workflow.status"] = outcome
        run.globals["workflow.failures"] = json.dumps(failures(run))
        # Terminate runs no exit handler (Argo: ShouldExecute(onExit) is false).
        exit_node = None if run.shutdown else await _exit_handler(run, templates)
        phase, message = outcome, root.get("message", "")
        if run.shutdown and outcome != "Succeeded":
            message = SHUTDOWN_STOPPED
        if outcome == "Succeeded" and exit_node is not None and exit_node["phase"] in FAILED:
            phase, message = exit_node["phase"], exit_node.get("message", "")
    except GlobalParameterError as exc:  # setExecWorkflow: markWorkflowFailed
        phase, message = "Failed", f"failed to set global parameters: {exc}"
    except _StoppedWaiting:  # releaseLocksForPendingShuttingdownWfs
        phase, message = "Failed", SHUTDOWN_STOPPED
    except synchronization.SyncError as exc:  # operate: markWorkflowFailed
        phase, message = "Failed", f"Failed to acquire the synchronization lock. {exc}"
    except (*SubstitutionError, LoadError) as exc:
        phase, message = "Error", str(exc)
    except BaseException as exc:
        _stop_everything(run)
        if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
            phase, message = "Failed", TERMINATED
        else:
            phase, message = "Error", f"local engine error: {exc!r}"
        for node in run.status.nodes.values():
            if node["phase"] not in FINISHED:
                run.status.update(node, phase="Failed", message=message)
        _finish(run, phase, message)
        raise
    finally:
        if timer is not None:
            timer.cancel()
        synchronization.release(held)  # once it ended, exit handler included (ReleaseAll)
        await asyncio.gather(*run.cleanups, return_exceptions=True)
    _finish(run, phase, message)


class _StoppedWaiting(Exception):
    """The run was stopped while it waited for its workflow-level locks."""


async def _workflow_locks(run: Run) -> list[Mutex] | None:
    """``spec.synchronization``: the workflow's locks, held for its whole run. While one
    is busy the workflow is Pending with Argo's message (``operate``: ``markWorkflowPhase``
    with ``TryAcquire``'s message); it starts, with its deadline, once it holds them all
    (Argo sets ``startedAt`` only past Pending)."""
    wanted = synchronization.locks(run.loaded.spec.get("synchronization"),
                                   run.loaded.namespace, run.loaded.config_maps)
    waited: list[str] = []

    def wait(_name: str, message: str) -> None:
        waited.append(message)
        run.status.status.update({"phase": "Pending", "message": message})
        run.status.save()
        run.status.workflow_event()

    held = await synchronization.hold(run, wanted, wait)
    if held is not None and waited:
        run.started = time.time()
        run.status.status.update({"phase": "Running", "startedAt": timestamp(run.clock())})
        run.status.status.pop("message", None)
    return held


def _arguments(spec: Mapping[str, Any]) -> Arguments:
    args = Arguments()
    for param in spec.get("parameters") or []:
        if "value" not in param and "valueFrom" in param:  # read by the input (ProcessArgs)
            args.value_from[param["name"]] = param["valueFrom"]
        else:
            args.parameters[param["name"]] = parameter_text(param.get("value", ""))
    for art in spec.get("artifacts") or []:
        if "raw" in art:
            args.artifacts[art["name"]] = {"raw": dict(art["raw"] or {})}
    return args


async def _exit_handler(run: Run, templates: Templates) -> dict[str, Any] | None:
    spec = run.loaded.spec
    hook = (spec.get("hooks") or {}).get("exit")
    args_spec: Mapping[str, Any]
    if spec.get("onExit"):
        holder, args_spec = {"template": spec["onExit"]}, {}
    elif hook:
        holder = {k: hook[k] for k in ("template", "templateRef") if k in hook}
        args_spec = hook.get("arguments") or {}
    else:
        return None
    run.globals["workflow.duration"] = f"{time.time() - run.started:f}"
    args = _arguments(args_spec)
    args.parameters = {k: subst(v, run.globals, f"hooks.exit.arguments.parameters.{k}")
                       for k, v in args.parameters.items()}
    return await execute(run, Branch(on_exit=True), name=f"{run.name}.onExit", holder=holder,
                         templates=templates, args=args, boundary_id=None, parents=[],
                         flags={"hooked": True})


def _stop_everything(run: Run) -> None:
    for process, _ in list(run.processes.values()):
        process.stop("terminated")


def _finish(run: Run, phase: str, message: str) -> None:
    status = run.status
    duration = time.time() - run.started
    run.globals["workflow.status"] = phase
    run.globals["workflow.duration"] = f"{duration:f}"
    if run.loaded.spec.get("metrics"):
        with contextlib.suppress(Exception):
            observe_metrics(run, run.loaded.spec["metrics"], dict(run.globals), "workflow")
    status.status.update({"phase": phase, "finishedAt": timestamp(datetime.now(timezone.utc))})
    if message:
        status.status["message"] = message
    if not run.status.status.get("outputs", {}).get("parameters"):
        status.status.pop("outputs", None)
    if run.metrics.write_error is not None:
        status.write_failed(run.metrics.write_error, run.metrics.path)
    local = status.status.setdefault("localEngine", {})
    if status.write_errors:  # some of the engine's writes failed (a full disk): which
        local["writeErrors"] = list(status.write_errors)
    written = status.save_final()
    if status.save_error is not None:
        local["recordWritten"] = written
    status.workflow_event()

