"""Errors of the local engine, raised before a run starts (a run that started always ends
with a workflow object, whatever happened inside it).

::

    EngineError
     +-- LoadError         the documents do not make a runnable workflow (no entry, a
     |                     missing template or parameter, a bad CronWorkflow reference)
     +-- ManifestRefused   fields the engine does not implement; ``problems`` lists every
                           one with its YAML path, so one run shows them all
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of the errors ``run_workflow`` raises before running anything."""


class LoadError(EngineError):
    """The manifests cannot be turned into one runnable workflow."""


class ManifestRefused(EngineError):
    """The manifest uses fields the local engine does not implement."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"the local engine refuses this manifest ({len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''}):\n{listing}")
