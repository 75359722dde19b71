"""Attempts under a Retry node: ``name(0)``, ``name(1)``... as ``retry_policy.decide`` says.

Each failed attempt is handed to ``decide``; while it says "wait" the Retry node reads
``Backoff for <duration>`` and the wait is cut short by the workflow deadline (after
which nothing is retried: ``retry exceeded workflow deadline <time>``; after a shutdown,
``Stopped with strategy 'Terminate'``). From the second
attempt on, a ``maxDuration`` is also the attempt's execution deadline, as in Argo.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from workflows.engine.context import SHUTDOWN_STOPPED, Branch, Run
from workflows.engine.expr import UnsupportedExpression, evaluate_bool
from workflows.engine.retry_policy import Attempt, Decision, RetryStrategy, decide

Body = Callable[[dict[str, Any], int, "float | None"], Awaitable[Any]]


async def until_deadline(run: Run, waiter: Awaitable[Any], timeout: float | None) -> bool:
    """Await ``waiter`` (bounded by ``timeout``); False if the workflow deadline came first."""
    task = asyncio.ensure_future(waiter)
    deadline = asyncio.ensure_future(run.deadline_event.wait())
    done, _ = await asyncio.wait({task, deadline}, timeout=timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, deadline):
        if pending not in done:
            pending.cancel()
    return deadline not in done or task in done


def _deadline_message(run: Run, branch: Branch) -> str | None:
    if run.shutdown:
        return SHUTDOWN_STOPPED
    if not run.deadline_message(branch) or run.deadline is None:
        return None
    moment = datetime.fromtimestamp(int(run.deadline), tz=timezone.utc)
    return f"retry exceeded workflow deadline {moment:%Y-%m-%d %H:%M:%S} +0000 UTC"


async def run_attempts(run: Run, branch: Branch, top: dict[str, Any], tmpl: Mapping[str, Any],
                   boundary_id: str | None, body: Body, kind: str) -> None:
    status = run.status
    strategy = RetryStrategy.parse(tmpl["retryStrategy"])
    attempts: list[Attempt] = []
    while True:
        index = len(attempts)
        child = status.create(f"{top['name']}({index})", type=kind,
                              template=dict(tmpl), boundary_id=boundary_id, parents=[top["id"]],
                              flags={"retried": True})
        status.attempts[child["id"]] = index
        backoff = strategy.backoff
        execution_deadline = None
        if index and backoff is not None and backoff.max_duration is not None:
            execution_deadline = status.started[top["children"][0]] + backoff.max_duration
        outcome = await body(child, index, execution_deadline)
        top.pop("daemoned", None)
        if child["phase"] == "Succeeded":
            status.update(top, phase="Succeeded", message="", outputs=child.get("outputs", {}))
            return
        attempts.append(Attempt(
            phase=child["phase"], started=status.started[child["id"]],
            finished=status.finished.get(child["id"], time.time()),
            exit_code=(child.get("outputs") or {}).get("exitCode"),
            message=child.get("message", ""), transient=bool(getattr(outcome, "transient", 0))))
        while True:
            try:
                decision = decide(strategy, attempts, now=time.time(),
                                  deadline_message=_deadline_message(run, branch),
                                  evaluate=evaluate_bool)
            except UnsupportedExpression as exc:
                status.update(top, phase="Error", message=str(exc))
                return
            if decision.action != "wait":
                break
            status.update(top, message=decision.message)
            if branch.on_exit:
                await asyncio.sleep(decision.wait)
            else:
                await until_deadline(run, asyncio.sleep(decision.wait), decision.wait)
        if tmpl.get("daemon") and boundary_id in run.closed_scopes:
            decision = Decision("stop", child["phase"], child.get("message", ""))
        if decision.action == "stop":
            status.update(top, phase=decision.phase, message=decision.message,
                          outputs=child.get("outputs", {}))
            return
        status.update(top, message="")
