"""What ``cadencia run`` runs: compiled manifests, through the local engine, shown live.

``--env NAME`` takes the compiled manifests of an environment (``k8s/workflows/NAME/``)
and runs the ``cadencia-etl`` WorkflowTemplate; ``--env PATH`` takes any manifest file or
folder. The run's record is kept under ``.cadencia/runs/`` (``cadencia get``), with an
``invocation.json`` beside it, written as the run starts, so ``cadencia retry`` can run
the same manifests again, even after the run was stopped or killed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steps._core import yaml_safe
from workflows.engine.records import RunStore, output_parameter, parse_time

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENTRY = "cadencia-etl"
RUNNABLE = ("Workflow", "WorkflowTemplate", "CronWorkflow")


@dataclass(frozen=True)
class Invocation:
    """What a run was started from: enough to run it again."""

    target: str
    files: list[str]
    entry: str | None
    secrets_file: str | None
    repository: dict[str, Any] | None = None
    parameters: dict[str, str] = field(default_factory=dict)

    def save(self, run_dir: Path) -> None:
        (run_dir / "invocation.json").write_text(json.dumps(self.__dict__, indent=2) + "\n")

    @classmethod
    def load(cls, run_dir: Path) -> Invocation:
        return cls(**json.loads((run_dir / "invocation.json").read_text()))


def manifest_files(target: str) -> tuple[list[Path], bool]:
    """The YAML files of an environment name or a path; True when it was an environment."""
    path = Path(target)
    if path.exists():
        files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
        return files, False
    for base in (Path.cwd(), ROOT):
        folder = base / "k8s" / "workflows" / target
        if folder.is_dir():
            return sorted(folder.glob("*.yaml")), True
    raise FileNotFoundError(
        f"{target!r} is neither a manifest path nor a compiled environment under "
        "k8s/workflows/ (run `cadencia compile`)")


def load_docs(files: list[Path]) -> list[dict[str, Any]]:
    docs = [d for f in files for d in yaml_safe.load_all(f.read_text(), str(f))
            if isinstance(d, dict)]
    if not any(d.get("kind") in RUNNABLE for d in docs):
        raise ValueError(f"no Workflow, WorkflowTemplate or CronWorkflow in {len(files)} file(s)")
    return docs


def default_entry(docs: list[dict[str, Any]], from_env: bool) -> str | None:
    if from_env:
        return DEFAULT_ENTRY
    runnable = [d for d in docs if d.get("kind") in RUNNABLE]
    return None if len(runnable) == 1 else (runnable[0].get("metadata") or {}).get("name")


def declares_parameter(docs: list[dict[str, Any]], entry: str | None, name: str) -> bool:
    """Whether the workflow ``entry`` names takes the argument ``name``."""
    for doc in docs:
        if doc.get("kind") in RUNNABLE and (doc.get("metadata") or {}).get("name") == entry:
            spec = doc.get("spec") or {}
            spec = spec.get("workflowSpec", spec)
            params = (spec.get("arguments") or {}).get("parameters") or []
            return any(p.get("name") == name for p in params)
    return False


@dataclass
class StepRow:
    node: str
    phase: str
    attempts: int
    seconds: float | None
    rows: str
    message: str


Timings = Mapping[str, tuple[float, float | None, float | None]]


def _seconds(node: Mapping[str, Any], timings: Timings) -> float | None:
    """From the live events (sub-second) when there are any, else from the record."""
    _, start_s, end_s = timings.get(str(node.get("id")), (0.0, None, None))
    if start_s is not None and end_s is not None:
        return float(end_s) - float(start_s)
    start, end = parse_time(node.get("startedAt")), parse_time(node.get("finishedAt"))
    return (end - start).total_seconds() if start and end else None


def _output(node: Mapping[str, Any], name: str) -> str:
    """The output parameter as text; empty when absent or never written (``unknown``)."""
    value = output_parameter(node, name)
    return "" if value in (None, "unknown") else str(value)


def _rows(node: Mapping[str, Any]) -> str:
    rows = _output(node, "rows")
    return f"{int(rows):,}" if rows.isdigit() else rows


def summary_rows(workflow: Mapping[str, Any], timings: Timings | None = None) -> list[StepRow]:
    """One row per task (Retry node or plain node), in start order; the exit handler last."""
    nodes = (workflow.get("status") or {}).get("nodes") or {}
    timings = timings or {}
    out: list[tuple[bool, float, str, StepRow]] = []
    for node in nodes.values():
        display = str(node.get("displayName", ""))
        if node.get("type") in ("DAG", "Steps", "StepGroup") or display.endswith(")"):
            continue
        children = [nodes[c] for c in node.get("children") or [] if c in nodes]
        attempts = len(children) if node.get("type") == "Retry" else (
            0 if node.get("phase") in ("Skipped", "Omitted") else 1)
        message = (node.get("message") or (children[-1].get("message") if children else "")
                   or _output(node, "note"))
        if (node.get("memoizationStatus") or {}).get("hit"):
            message = "memoized" + (f"; {message}" if message else "")
        is_exit = display.endswith(".onExit")
        # Inside a fan-out (the backfill) the node name says which item: run(0:2026-11-01).load
        path = str(node.get("name", display)).split(".", 1)[-1]
        name = "notify (onExit)" if is_exit else path if "(" in path else display
        row = StepRow(name, str(node.get("phase", "")), attempts, _seconds(node, timings),
                      _rows(node), message)
        first_seen = timings.get(str(node.get("id")), (float("inf"), None, None))[0]
        out.append((is_exit, first_seen, str(node.get("startedAt") or "~"), row))
    return [t[3] for t in sorted(out, key=lambda t: (t[0], t[1], t[2], t[3].node))]


def latest_run_dir(store: RunStore, workflow: Mapping[str, Any]) -> Path:
    return store.load(str((workflow.get("metadata") or {}).get("name"))).path
