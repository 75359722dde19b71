"""The notify templates: the exit handler and the soft-SLA watcher.

The exit handler reads only workflow variables: ``{{workflow.status}}``,
``{{workflow.duration}}``, ``{{workflow.failures}}`` and the row counts and notes the
steps exported as global output parameters (``{{workflow.outputs.parameters.rows-<step>}}``,
``note-<step>``; a count a failed run never produced reaches notify unsubstituted, and
notify reports it as unknown; such a note is left out). notify itself turns the duration
into the SLA verdict (``--sla-seconds``).

The watcher is a daemon that sleeps until the soft SLA, then sends "SLA at risk"; when the
DAG ends first, Argo stops it and it exits quietly.
"""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows import Container, Parameter

from workflows.argo.parameters import RUN_DATE, RUN_DATE_WORKFLOW
from workflows.config import Environment
from workflows.definitions import defaults as d


def _channels(env: Environment) -> list[str]:
    args = [arg for channel in env.notify.channels for arg in ("--channel", channel)]
    return [*args, "--fail-on-error"] if env.notify.fail_on_error else args


def exit_handler(env: Environment, *, run: bool = True, counted: Sequence[str] = ()
                 ) -> Container:
    """``notify`` for ``onExit``, reporting the ``counted`` steps' rows and notes;
    ``run=False`` is the backfill's (no date, counts or SLA)."""
    name = env.pipeline.name if run else f"{env.pipeline.name}-backfill"
    args = [*d.common_args(run_date=run), "--workflow", name, "--event", "finished",
            "--status", "{{workflow.status}}", "--duration", "{{workflow.duration}}",
            "--failures", "{{workflow.failures}}"]
    if run:
        args += ["--sla-seconds", str(env.seconds(env.sla.soft))]
        for step in counted:
            args += ["--count", f"{step}={{{{workflow.outputs.parameters.rows-{step}}}}}",
                     "--note", f"{step}={{{{workflow.outputs.parameters.note-{step}}}}}"]
    return d.step_container(env, "notify", args=[*args, *_channels(env)],
                            secrets_for="notify_",
                            # A default, so that validating the exit handler alone never
                            # finds its input unsupplied (argo-workflows #7424, #10932).
                            inputs=[Parameter(name=RUN_DATE, default=RUN_DATE_WORKFLOW)]
                            if run else None)


def sla_watch(env: Environment) -> Container:
    """The daemon task of the soft SLA; its deadline is the hard one, like the run's."""
    args = [*d.common_args(), "--workflow", env.pipeline.name, "--event", "sla-at-risk",
            "--sla-verdict", "at-risk", "--delay-seconds", str(env.seconds(env.sla.soft))]
    return d.step_container(env, "sla-watch", args=[*args, *_channels(env)],
                            secrets_for="notify_", kind="notify",
                            deadline=env.seconds(env.sla.hard),
                            inputs=[Parameter(name=RUN_DATE)], daemon=True)
