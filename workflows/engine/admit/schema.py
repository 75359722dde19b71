"""What the local engine implements, field by field, for the refusal check.

Each object is a mapping of its accepted fields to the schema of their value: ``ANY``
(taken as is), a nested mapping, ``ListOf(...)``, ``CLUSTER`` (accepted, has no effect on
one machine, listed in the run record), ``Checked`` (the same, once checked by code) or
``Refuse(reason)``. A field that is not listed
is refused too: the engine never ignores what it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Refuse:
    reason: str


@dataclass(frozen=True)
class Checked:
    """Accepted, no effect on one machine (listed in the run record), once ``admit.
    pod_fields`` has checked it as Argo would (``kind`` names the check); ``note`` is what
    the docs say of it."""

    kind: str
    note: str


@dataclass(frozen=True)
class ListOf:
    item: Any


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY = _Marker("ANY")
CLUSTER = _Marker("CLUSTER")
VOLUMES = _Marker("VOLUMES")  # checked by code: emptyDir only
HOOKS = _Marker("HOOKS")  # checked by code: exit only, no expression
INLINE = _Marker("INLINE")  # a template: walked as TEMPLATE (which holds TASK and STEP)

NOT_LOCAL = "is not implemented by the local engine"

# a workflow argument's or a template input's valueFrom: a ConfigMap given beside
# (config_maps.py); refuse.py refuses a valueFrom without configMapKeyRef
CONFIG_MAP_VALUE_FROM = {
    "configMapKeyRef": {"name": ANY, "key": ANY, "optional": ANY}, "default": ANY,
    "supplied": Refuse("valueFrom.supplied (a suspend template's input) " + NOT_LOCAL),
    "event": Refuse("valueFrom.event (an event binding's) " + NOT_LOCAL)}
PARAMETER = {"name": ANY, "value": ANY, "default": ANY, "description": ANY, "enum": ANY,
             "valueFrom": CONFIG_MAP_VALUE_FROM}
TASK_PARAMETER = {**PARAMETER, "valueFrom": Refuse(
    "a task's or step's argument valueFrom " + NOT_LOCAL + "; give it to the template's "
    "input")}
ARCHIVE = {"none": ANY, "tar": {"compressionLevel": ANY},
           "zip": Refuse("zip archives are " + NOT_LOCAL.removeprefix("is "))}
S3_KEY = {"key": ANY}
ARTIFACT = {"name": ANY, "path": ANY, "from": ANY, "optional": ANY, "mode": ANY,
            "description": ANY, "archive": ARCHIVE, "raw": {"data": ANY}, "s3": S3_KEY,
            "recurseMode": ANY}
OUTPUT_ARTIFACT = {"name": ANY, "path": ANY, "optional": ANY, "archive": ARCHIVE,
                   "description": ANY, "s3": S3_KEY, "archiveLogs": CLUSTER,
                   "artifactGC": CLUSTER, "globalName": ANY, "from": ANY,
                   "fromExpression": ANY}
OUTPUT_PARAMETER = {"name": ANY, "value": ANY, "description": ANY, "globalName": ANY,
                    "valueFrom": {"path": ANY, "default": ANY, "parameter": ANY,
                                  "expression": ANY}}
ARGUMENTS = {"parameters": ListOf(PARAMETER),
             "artifacts": ListOf({"name": ANY, "from": ANY, "raw": {"data": ANY},
                                  "s3": S3_KEY, "optional": ANY, "description": ANY,
                                  "subPath": ANY})}
TASK_ARGUMENTS = {**ARGUMENTS, "parameters": ListOf(TASK_PARAMETER)}
KEY_REF = {"name": ANY, "key": ANY, "optional": ANY}
ENV = {"name": ANY, "value": ANY,
       "valueFrom": {"secretKeyRef": KEY_REF, "configMapKeyRef": KEY_REF,
                     "fieldRef": Refuse("env fieldRef " + NOT_LOCAL),
                     "resourceFieldRef": Refuse("env resourceFieldRef " + NOT_LOCAL)}}
ENV_FROM = {"prefix": ANY, "secretRef": {"name": ANY, "optional": ANY},
            "configMapRef": {"name": ANY, "optional": ANY}}
PROBE = Refuse("probes " + NOT_LOCAL.replace("is ", "are ", 1))
READINESS = Checked("readinessProbe", "not on a `daemon` template")
VOLUME_MOUNT = {"name": ANY, "mountPath": ANY, "readOnly": ANY,
                "subPath": Refuse("volumeMounts subPath " + NOT_LOCAL)}
CONTAINER = {
    "name": ANY, "image": ANY, "command": ANY, "args": ANY, "env": ListOf(ENV),
    "envFrom": ListOf(ENV_FROM), "workingDir": ANY,
    "volumeMounts": ListOf(VOLUME_MOUNT),
    "resources": CLUSTER, "securityContext": CLUSTER, "imagePullPolicy": CLUSTER,
    "ports": CLUSTER, "terminationMessagePath": CLUSTER, "terminationMessagePolicy": CLUSTER,
    "readinessProbe": READINESS, "livenessProbe": PROBE, "startupProbe": PROBE,
    "lifecycle": Refuse("container lifecycle " + NOT_LOCAL),
    "stdin": Refuse("stdin " + NOT_LOCAL), "tty": Refuse("tty " + NOT_LOCAL)}
SCRIPT = {**CONTAINER, "source": ANY}  # a container whose source is staged as a file
INIT_CONTAINER = {**CONTAINER, "mirrorVolumeMounts": ANY}  # Argo's UserContainer
# a containerSet's containers: containers that wait for the ones they depend on
CONTAINER_SET = {
    "containers": ListOf({**CONTAINER, "dependencies": ANY}),
    "volumeMounts": ListOf(VOLUME_MOUNT),
    "retryStrategy": {"retries": ANY, "duration": ANY}}
RETRY = {"limit": ANY, "retryPolicy": ANY, "expression": ANY, "affinity": CLUSTER,
         "backoff": {"duration": ANY, "factor": ANY, "cap": ANY, "maxDuration": ANY}}
MEMOIZE = {"key": ANY, "maxAge": ANY, "cache": {"configMap": {"name": ANY, "key": ANY}}}
METRIC = {"name": ANY, "help": ANY, "labels": ListOf({"key": ANY, "value": ANY}),
          "when": ANY, "gauge": {"value": ANY, "realtime": ANY, "operation": ANY},
          "counter": {"value": ANY}, "histogram": {"value": ANY, "buckets": ANY}}
METRICS = {"prometheus": ListOf(METRIC)}
SEMAPHORE = {"configMapKeyRef": {"name": ANY, "key": ANY, "optional": ANY}, "namespace": ANY,
             "database": Refuse("database semaphores " + NOT_LOCAL.replace("is ", "are ", 1))}
SYNCHRONIZATION = {
    "mutexes": ListOf({"name": ANY, "namespace": ANY,
                       "database": Refuse("database mutexes " + NOT_LOCAL.replace(
                           "is ", "are ", 1))}),
    "mutex": {"name": ANY, "namespace": ANY},
    "semaphores": ListOf(SEMAPHORE), "semaphore": SEMAPHORE}
TASK = {
    "name": ANY, "template": ANY, "arguments": TASK_ARGUMENTS, "dependencies": ANY,
    "depends": ANY, "when": ANY, "withItems": ANY, "withParam": ANY, "description": ANY,
    "withSequence": {"count": ANY, "start": ANY, "end": ANY, "format": ANY},
    "continueOn": {"failed": ANY, "error": ANY},
    "templateRef": {"name": ANY, "template": ANY, "clusterScope": ANY},
    "hooks": Refuse("lifecycle hooks on tasks " + NOT_LOCAL.replace("is ", "are ", 1)),
    "onExit": Refuse("task onExit " + NOT_LOCAL),
    "inline": INLINE}
STEP = {**{k: v for k, v in TASK.items() if k not in ("dependencies", "depends")},
        "hooks": HOOKS, "onExit": ANY}
# locally a template's artifacts go to the run's artifact repository
OWN_LOCATION = Refuse("a template's own archive location " + NOT_LOCAL)
ARCHIVE_LOCATION = {"archiveLogs": ANY, **{key: OWN_LOCATION for key in (
    "s3", "gcs", "azure", "oss", "hdfs", "artifactory", "http", "git", "raw", "plugin")}}
POD_SPEC_PATCH = Checked("podSpecPatch", "only the `main` container's `resources`, the pod's "
                         "`resources` and `nodeSelector`")
POD_RESOURCES = Checked("podResources", "`cpu` and `memory`")
POD_CLUSTER = ("metadata", "securityContext", "nodeSelector", "tolerations", "affinity",
               "serviceAccountName", "automountServiceAccountToken", "executor",
               "priorityClassName", "schedulerName", "hostAliases", "priority")
TEMPLATE: dict[str, Any] = {
    "name": ANY, "inputs": {"parameters": ListOf(PARAMETER), "artifacts": ListOf(ARTIFACT)},
    "outputs": {"parameters": ListOf(OUTPUT_PARAMETER), "artifacts": ListOf(OUTPUT_ARTIFACT)},
    "container": CONTAINER, "dag": {"tasks": ListOf(TASK), "failFast": ANY, "target": ANY},
    "retryStrategy": RETRY, "activeDeadlineSeconds": ANY, "memoize": MEMOIZE,
    "metrics": METRICS, "synchronization": SYNCHRONIZATION, "daemon": ANY,
    "parallelism": ANY, "failFast": ANY, "volumes": VOLUMES,
    **{key: CLUSTER for key in POD_CLUSTER},
    "podSpecPatch": POD_SPEC_PATCH, "podResources": POD_RESOURCES,
    "sidecars": Refuse("sidecars " + NOT_LOCAL.replace("is ", "are ", 1)),
    "initContainers": ListOf(INIT_CONTAINER),
    "steps": ListOf(ListOf(STEP)),
    "script": SCRIPT,
    "resource": Refuse("resource templates " + NOT_LOCAL.replace("is ", "are ", 1)),
    "suspend": Refuse("suspend templates " + NOT_LOCAL.replace("is ", "are ", 1)),
    "http": Refuse("http templates " + NOT_LOCAL.replace("is ", "are ", 1)),
    "plugin": Refuse("plugin templates " + NOT_LOCAL.replace("is ", "are ", 1)),
    "containerSet": CONTAINER_SET,
    "data": Refuse("data templates " + NOT_LOCAL.replace("is ", "are ", 1)),
    "timeout": Refuse("template timeout " + NOT_LOCAL + "; use activeDeadlineSeconds"),
    "archiveLocation": ARCHIVE_LOCATION,
}
SPEC_CLUSTER = ("serviceAccountName", "automountServiceAccountToken", "executor",
                "securityContext", "podGC", "ttlStrategy", "podMetadata", "nodeSelector",
                "tolerations", "affinity", "imagePullSecrets", "podPriorityClassName",
                "priorityClassName", "podDisruptionBudget", "artifactGC",
                "volumeClaimGC", "hostNetwork", "dnsPolicy", "dnsConfig", "schedulerName",
                "artifactRepositoryRef", "hostAliases", "priority")
WORKFLOW_SPEC: dict[str, Any] = {
    "entrypoint": ANY, "arguments": ARGUMENTS, "templates": ListOf(TEMPLATE), "onExit": ANY,
    "activeDeadlineSeconds": ANY, "parallelism": ANY, "metrics": METRICS,
    "workflowTemplateRef": {"name": ANY, "clusterScope": ANY},
    "hooks": HOOKS, "workflowMetadata": {"labels": ANY, "annotations": ANY, "labelsFrom": ANY},
    "volumes": VOLUMES, "archiveLogs": ANY,
    **{key: CLUSTER for key in SPEC_CLUSTER},
    "retryStrategy": Refuse("a workflow-level retryStrategy " + NOT_LOCAL),
    "synchronization": SYNCHRONIZATION,
    "templateDefaults": Refuse("templateDefaults " + NOT_LOCAL.replace("is ", "are ", 1)),
    "volumeClaimTemplates": Refuse("volumeClaimTemplates " + NOT_LOCAL.replace(
        "is ", "are ", 1)),
    "podSpecPatch": POD_SPEC_PATCH, "podResources": POD_RESOURCES,
    "shutdown": Refuse("shutdown " + NOT_LOCAL),
    "suspend": Refuse("suspend " + NOT_LOCAL),
}
CRON_SPEC: dict[str, Any] = {
    "schedules": ANY, "timezone": ANY, "workflowSpec": WORKFLOW_SPEC,
    "workflowMetadata": {"labels": ANY, "annotations": ANY},
    "concurrencyPolicy": CLUSTER, "startingDeadlineSeconds": CLUSTER,
    "successfulJobsHistoryLimit": CLUSTER, "failedJobsHistoryLimit": CLUSTER,
    "suspend": CLUSTER, "stopStrategy": CLUSTER,
    "schedule": Refuse("spec.schedule was removed in Argo v4; use schedules"),
    "when": Refuse("CronWorkflow when " + NOT_LOCAL),
}
