"""What every container template shares, set once: image, retry, deadline, resources,
security context, scratch volume, settings and secrets.

Each step template carries all of it itself (not the Workflow spec) because the backfill
runs these templates through ``templateRef``: only template-level fields travel with them.
Artifacts and small outputs live under :data:`WORK` on an emptyDir, since the root
filesystem is read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hera.workflows import ConfigMapEnvFrom, Container, EmptyDirVolume, Env, SecretEnv
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE_INPUT
from workflows.config import STEP_MODULES, Environment
from workflows.config.environment import SecretRef
from workflows.config.per_step import StepResources

SCRATCH_MOUNT = "/tmp"  # noqa: S108 - an emptyDir of the pod's own, not a shared /tmp
WORK = f"{SCRATCH_MOUNT}/cadencia"
SCRATCH_VOLUME = "scratch"
# Retry what may pass on a second try: Argo system errors and the steps' transient exit 75.
RETRY_EXPRESSION = 'lastRetry.status == "Error" || asInt(lastRetry.exitCode) == 75'


def in_path(name: str, suffix: str = ".parquet") -> str:
    return f"{WORK}/in/{name}{suffix}"


def out_path(name: str, suffix: str = ".parquet") -> str:
    return f"{WORK}/out/{name}{suffix}"


def labels(env: Environment, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "cadencia",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "cadencia-compile",
        "cadencia.dev/environment": env.name,
        "cadencia.dev/pipeline": env.pipeline.name,
    }


def retry_strategy(env: Environment) -> m.RetryStrategy:
    b = env.retry.backoff
    return m.RetryStrategy(
        limit=m.IntOrString(env.retry.limit), retry_policy="Always",
        expression=RETRY_EXPRESSION,
        backoff=m.Backoff(duration=b.duration, factor=m.IntOrString(b.factor), cap=b.cap,
                          max_duration=b.max_duration))


def pod_security(env: Environment) -> m.PodSecurityContext:
    uid = env.run_as_user
    return m.PodSecurityContext(run_as_non_root=True, run_as_user=uid, run_as_group=uid,
                                fs_group=uid,
                                seccomp_profile=m.SeccompProfile(type="RuntimeDefault"))


def container_security() -> m.SecurityContext:
    return m.SecurityContext(allow_privilege_escalation=False, read_only_root_filesystem=True,
                             run_as_non_root=True, capabilities=m.Capabilities(drop=["ALL"]))


def resources(env: Environment, step: str, own: StepResources | None = None
              ) -> m.ResourceRequirements:
    spec: Any = own or env.resources.for_step(step)

    def quantities(q: Any) -> dict[str, m.Quantity] | None:
        out = {k: m.Quantity(v) for k, v in (("cpu", q.cpu), ("memory", q.memory)) if v}
        return out or None

    return m.ResourceRequirements(requests=quantities(spec.requests),
                                  limits=quantities(spec.limits))


SecretEnvs = Sequence[tuple[str, SecretRef]]


def env_vars(env: Environment, secrets_for: str | tuple[str, ...] | None,
             secrets: SecretEnvs = (), plain: dict[str, str] | None = None
             ) -> list[Env | SecretEnv]:
    """JSON logs always; secrets only by ``secretKeyRef``, only for the step that needs them.

    ``secrets_for`` picks shared ``secrets.*`` fields (a field-name prefix, or a tuple of
    exact field names); ``secrets`` are the step's own ``(VAR, ref)``, which replace a
    shared one of the same variable; ``plain`` are non-secret values (they win over the
    settings ConfigMap, as a container's env wins over its envFrom).
    """
    out: list[Env | SecretEnv] = [Env(name="CADENCIA_LOG_FORMAT", value="json")]
    out += [Env(name=k, value=v) for k, v in (plain or {}).items()]
    if isinstance(secrets_for, tuple):
        refs = [(var, ref) for field in secrets_for for var, ref in env.secrets.env_for(field)
                if var == f"CADENCIA_{field.upper()}"]
    else:
        refs = env.secrets.env_for(secrets_for) if secrets_for else []
    own = dict(secrets)
    refs = [(var, own.pop(var, ref)) for var, ref in refs] + list(own.items())
    out += [SecretEnv(name=var, secret_name=ref.name, secret_key=ref.key,
                      optional=ref.optional or None) for var, ref in refs]
    return out


def common_args(run_date: bool = True) -> list[str]:
    args = ["--run-id", "{{workflow.name}}"]
    return [*args, "--logical-date", RUN_DATE_INPUT] if run_date else args


def step_container(env: Environment, name: str, *, args: list[str],
                   secrets_for: str | tuple[str, ...] | None = None,
                   secrets: SecretEnvs = (), plain_env: dict[str, str] | None = None,
                   deadline: int | None = None, kind: str | None = None,
                   step_resources: StepResources | None = None, **template: Any) -> Container:
    """A Container template running ``python -m steps.<module>`` with every default set.

    ``kind`` is the step program (``STEP_MODULES``; default ``name``): it picks the module
    and the shared per-program deadline and resources, which ``deadline`` and
    ``step_resources`` (a step's own) replace. ``template`` passes the template's own
    fields through (inputs, outputs, memoize, metrics, daemon, synchronization).
    """
    kind = kind or name
    return Container(
        name=name,
        image=env.image.ref,
        image_pull_policy=env.image.pull_policy,
        command=["python", "-m", f"steps.{STEP_MODULES[kind]}"],
        args=args,
        env=env_vars(env, secrets_for, secrets, plain_env),
        env_from=[ConfigMapEnvFrom(name=env.settings_config_map, optional=True)],
        resources=resources(env, kind, step_resources),
        security_context=container_security(),
        pod_security_context=pod_security(env),
        volumes=[EmptyDirVolume(name=SCRATCH_VOLUME, mount_path=SCRATCH_MOUNT,
                                size_limit=m.Quantity(env.scratch_size_limit))],
        retry_strategy=retry_strategy(env),
        active_deadline_seconds=(deadline if deadline is not None
                                 else env.deadlines.seconds(kind)),
        **template,
    )


def workflow_settings(env: Environment, component: str, deadline: str) -> dict[str, Any]:
    """Workflow-spec fields shared by the ETL and backfill templates."""
    gc = env.gc
    return {
        "namespace": env.namespace,
        "labels": labels(env, component),
        "service_account_name": env.service_account,
        "automount_service_account_token": False,
        # the wait container still reports outputs, with the executor's own account
        "executor": m.ExecutorConfig(service_account_name=env.executor_service_account),
        "security_context": pod_security(env),
        "active_deadline_seconds": env.seconds(deadline),
        "artifact_repository_ref": m.ArtifactRepositoryRef(
            config_map=env.artifact_repository.config_map, key=env.artifact_repository.key),
        "pod_gc": m.PodGC(strategy=gc.pod_gc, delete_delay_duration=gc.pod_delete_delay),
        "ttl_strategy": m.TTLStrategy(seconds_after_success=env.seconds(gc.ttl_after_success),
                                      seconds_after_failure=env.seconds(gc.ttl_after_failure)),
        "pod_metadata": m.Metadata(labels={"app.kubernetes.io/name": "cadencia",
                                           "cadencia.dev/pipeline": env.pipeline.name}),
        "workflow_metadata": m.WorkflowMetadata(labels={
            "cadencia.dev/environment": env.name, "cadencia.dev/pipeline": env.pipeline.name}),
    }
