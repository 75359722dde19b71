"""Rules across fields, checked once each value is valid on its own.

Each problem is ``(field path, message)`` with the path of the value to change, so the
loader can name it like any other error.
"""

from __future__ import annotations

from workflows.argo.durations import parse_go_duration
from workflows.config.environment import CHANNEL_SECRETS, Environment
from workflows.config.per_step import STEP_MODULES, field_of


def problems(env: Environment) -> list[tuple[str, str]]:
    """Cross-field errors as ``(field path, message)``; empty when the environment is sound."""
    found: list[tuple[str, str]] = []
    soft, hard = parse_go_duration(env.sla.soft), parse_go_duration(env.sla.hard)
    if soft >= hard:
        found.append(("sla.soft", f"{env.sla.soft} must be shorter than sla.hard "
                                  f"({env.sla.hard})"))
    backoff = env.retry.backoff
    if parse_go_duration(backoff.cap) < parse_go_duration(backoff.duration):
        found.append(("retry.backoff.cap", f"{backoff.cap} is shorter than "
                                           f"retry.backoff.duration ({backoff.duration})"))
    too_short = [f"{step} ({env.deadlines.for_step(step)})" for step in STEP_MODULES
                 if parse_go_duration(backoff.max_duration) > env.deadlines.seconds(step)]
    if too_short:
        found.append(("retry.backoff.max_duration",
                      f"{backoff.max_duration} does not fit inside the deadline of "
                      f"{', '.join(too_short)}"))
    long_deadlines: dict[str, str] = {}
    for step in STEP_MODULES:
        if step != "date-range" and env.deadlines.seconds(step) > hard:
            key = step.replace("-", "_")
            path = (f"deadlines.{key}" if getattr(env.deadlines, field_of(step))
                    else "deadlines.default")
            long_deadlines[path] = str(env.deadlines.for_step(step))
    found += [(path, f"{value} is longer than the hard deadline sla.hard ({env.sla.hard})")
              for path, value in long_deadlines.items()]
    for i, channel in enumerate(env.notify.channels):
        needed = CHANNEL_SECRETS.get(channel)
        if needed and getattr(env.secrets, needed) is None:
            found.append((f"notify.channels[{i}]", f"channel {channel!r} needs "
                                                   f"secrets.{needed}"))
    if parse_go_duration(env.backfill.deadline) < hard:
        found.append(("backfill.deadline", f"{env.backfill.deadline} is shorter than one run's "
                                           f"hard deadline sla.hard ({env.sla.hard})"))
    return found
