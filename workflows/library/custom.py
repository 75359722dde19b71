"""The escape hatch: a team's own container or Hera ``@script`` step in the same DAG, with
the same defaults as the library's steps (restricted security context, resources,
retryStrategy by exit class, deadline, scratch volume on /tmp).

``container`` takes library inputs and outputs a Parquet ``data`` artifact that other
library steps can take. ``script`` is Hera's ``@script`` decorator with the defaults
filled in; call the decorated function inside ``pipeline()`` as Hera does, and order it
with ``>>`` on the ``task`` of a library step's handle. (The local engine runs script
templates once it supports them: cadencia run refuses them by name until then.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hera.workflows import Container, EmptyDirVolume, Env, Parameter, Task
from hera.workflows import models as m
from hera.workflows import script as hera_script

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config.per_step import StepResources
from workflows.definitions import defaults as d
from workflows.definitions.ports import parquet_out
from workflows.library.build import current
from workflows.library.data import Data, wire


def _resources(resources: StepResources | None) -> m.ResourceRequirements:
    env = current().env
    return d.resources(env, "default", resources)


def container(name: str, *, image: str, command: Sequence[str], args: Sequence[str] = (),
              inputs: Sequence[Data] = (), outputs_data: bool = True,
              env: dict[str, str] | None = None, deadline: str | None = None,
              resources: StepResources | None = None) -> Data:
    """Add your own container as a task named ``name``.

    Each input is at ``{{inputs.artifacts.<input step>.path}}``; with ``outputs_data``
    the container writes Parquet at ``{{outputs.artifacts.data.path}}``. The run-date is
    ``{{inputs.parameters.run-date}}``. Not memoized (cadencia cannot know it is pure).
    """
    b = current()
    b.claim(name, "step")
    e = b.env
    w = wire({i.step: i for i in inputs}, Parameter(name=RUN_DATE, value=RUN_DATE_INPUT))
    template = Container(
        name=name, image=image, image_pull_policy=e.image.pull_policy,
        command=list(command), args=list(args),
        env=[Env(name=k, value=v) for k, v in (env or {}).items()] or None,
        resources=_resources(resources),
        security_context=d.container_security(), pod_security_context=d.pod_security(e),
        volumes=[EmptyDirVolume(name=d.SCRATCH_VOLUME, mount_path=d.SCRATCH_MOUNT,
                                size_limit=m.Quantity(e.scratch_size_limit))],
        retry_strategy=d.retry_strategy(e),
        active_deadline_seconds=e.seconds(deadline) if deadline else e.deadlines.seconds(
            "default"),
        inputs=[Parameter(name=RUN_DATE),
                *(a for a in w.template_inputs if not isinstance(a, Parameter))],
        outputs=[parquet_out("data")] if outputs_data else None)
    task = Task(name=name, template=template, dependencies=w.dependencies or None,
                arguments=[a for a in w.arguments if not (isinstance(a, Parameter)
                                                          and (a.name or "").endswith("-sha256"))])
    return Data(name, "container", task)


def script(**kwargs: Any) -> Callable[..., Any]:
    """Hera's ``@script`` with cadencia's defaults (your keywords win)."""
    e = current().env if _building() else None
    defaults: dict[str, Any] = {}
    if e is not None:
        defaults = {
            "image": e.image.ref, "image_pull_policy": e.image.pull_policy,
            "resources": d.resources(e, "default"),
            "security_context": d.container_security(),
            "pod_security_context": d.pod_security(e),
            "volumes": [EmptyDirVolume(name=d.SCRATCH_VOLUME, mount_path=d.SCRATCH_MOUNT,
                                       size_limit=m.Quantity(e.scratch_size_limit))],
            "retry_strategy": d.retry_strategy(e),
            "active_deadline_seconds": e.deadlines.seconds("default"),
        }
    return hera_script(**{**defaults, **kwargs})


def _building() -> bool:
    try:
        current()
    except RuntimeError:
        return False
    return True
