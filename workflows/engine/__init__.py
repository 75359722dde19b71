"""The local engine: compiled Argo manifests run on one machine with Argo's semantics.

``run_workflow(docs, entry=..., parameters=..., store=RunStore(...))`` runs one
Workflow, WorkflowTemplate or CronWorkflow and returns the final Workflow object (also
saved in the store). Before running it raises ``ManifestRefused`` (fields the engine
does not implement, each with its YAML path) or ``LoadError``.
"""

from workflows.engine.admit import Findings, check, scheduled_time
from workflows.engine.context import EngineConfig
from workflows.engine.engine import run_workflow
from workflows.engine.errors import EngineError, LoadError, ManifestRefused

__all__ = ["EngineConfig", "EngineError", "Findings", "LoadError", "ManifestRefused", "check",
           "run_workflow", "scheduled_time"]
