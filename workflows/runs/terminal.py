"""How a local run looks at a terminal: live lines per node and the closing summary table
(its rows are :mod:`workflows.runs.summary`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from workflows.runs import node_label
from workflows.runs.summary import summary_rows

PHASE_STYLE = {"Succeeded": "green", "Failed": "red", "Error": "red", "Omitted": "dim",
               "Skipped": "dim", "Running": "yellow", "Pending": "dim"}


class Progress:
    """Live lines for a run: each attempt as it starts and ends, backoffs, memo hits."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.seen: dict[str, tuple[str, str]] = {}
        self.timings: dict[str, tuple[float, float | None, float | None]] = {}

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "stopping":
            self.console.print(f"  [red]{'Stopping':<9}[/] {event.get('signal')}: SIGTERM to "
                               f"every step, SIGKILL after {event.get('grace', 0):.0f}s")
            return
        if event.get("kind") == "workflow" and event.get("phase") == "Pending":
            self.console.print(f"  [dim]{'Pending':<9}[/] {event.get('message', '')}")
            return
        if event.get("kind") != "node":
            return
        phase, message = str(event.get("phase", "")), str(event.get("message") or "")
        key = str(event.get("id"))
        first = self.timings.get(key, (float(event.get("time") or 0), None, None))[0]
        self.timings[key] = (first, event.get("startedAt"), event.get("finishedAt"))
        if self.seen.get(key) == (phase, message):
            return
        self.seen[key] = (phase, message)
        display, kind = str(event.get("displayName", "")), event.get("type")
        name = ("notify (onExit)" if ".onExit" in display
                else node_label.label(str(event.get("name") or display), display))
        if kind == "Retry" and message.startswith("Backoff for"):
            self.console.print(f"  [yellow]{'Backoff':<9}[/] {name}: {message}")
        elif kind == "Pod" and phase in ("Running", "Succeeded", "Failed", "Error"):
            took = ""
            if phase != "Running" and event.get("startedAt") and event.get("finishedAt"):
                took = f" {float(event['finishedAt']) - float(event['startedAt']):.2f}s"
            memo = " (memoized)" if event.get("memoized") else ""
            note = (f"  {message}" if phase in ("Failed", "Error") and message
                    else f"  {event['note']}" if phase == "Succeeded" and event.get("note")
                    else "")
            style = PHASE_STYLE.get(phase, "")
            self.console.print(f"  [{style}]{phase:<9}[/] {name}{took}{memo}{note}")


def finish(console: Console, workflow: dict[str, Any], seconds: float, run_dir: Path,
           timings: dict[str, tuple[float, float | None, float | None]]) -> None:
    """The summary table (made for 80 columns: no vertical rules, long names and messages
    wrap, never cut), then each failed node's cause: its step's one error line."""
    rows = summary_rows(workflow, timings, run_dir)
    table = Table(title=f"{workflow['metadata']['name']}", box=box.SIMPLE_HEAD,
                  pad_edge=False, collapse_padding=True)
    for col in ("node", "phase", "tries", "time", "rows", "message"):
        table.add_column(col, justify="right" if col in ("tries", "time", "rows") else "left",
                         overflow="fold", min_width=9 if col == "phase" else None)
    group: tuple[str, ...] = ()
    for row in rows:
        if row.group != group:  # a fan-out item (a backfill's date) heads its rows
            group = row.group
            if group:
                table.add_row(f"[bold]{escape(' '.join(group))}[/]")
        style = PHASE_STYLE.get(row.phase, "")
        name = f"  {row.display}" if row.group else row.node
        table.add_row(escape(name), f"[{style}]{row.phase}[/]", str(row.attempts or ""),
                      "" if row.seconds is None else f"{row.seconds:.2f}s", row.rows,
                      escape(row.message))
    console.print(table)
    causes = [row for row in rows if row.cause]
    for row in causes:
        console.print(f"[red]cause[/] of {escape(row.node)}: {escape(row.cause or '')}")
    phase = workflow["status"]["phase"]
    style = "green" if phase == "Succeeded" else "red"
    console.print(f"[{style}]{phase}[/] in {seconds:.1f}s; `cadencia get "
                  f"{workflow['metadata']['name']}` shows the node tree, record in {run_dir}",
                  soft_wrap=True)  # the terminal wraps it: a path pastes whole
