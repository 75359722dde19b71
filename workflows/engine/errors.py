"""Errors of the local engine: those ``run_workflow`` raises before a run starts, and those
that end one node of a run (a run that started always ends with a workflow object,
whatever happened inside it).

::

    EngineError                       raised by run_workflow; nothing ran
     ├── LoadError                    the documents do not make a runnable workflow (no
     │                                entry, a missing template or parameter, a bad
     │                                CronWorkflow reference)
     └── ManifestRefused              fields the engine does not implement; ``problems``
                                      lists every one with its YAML path

    NodeError                         raised inside a run (base, never raised directly):
     │                                the node at hand ends with the message, as Argo's
     │                                node would, and the run goes on
     ├── InputError          inputs   an input the template declares was not supplied
     ├── OutputError         outputs  a DAG or steps template's output does not resolve
     ├── ExpandError         expand   withItems/withParam/withSequence that cannot fan out
     ├── MemoError           memo     the memoize cache cannot be used for this node
     ├── MissingSecret       secrets  a Secret or ConfigMap value is not there locally
     ├── ArtifactError       artifacts.files   an artifact not stored or fetched;
     │                                ``transient`` says whether trying again may help
     ├── UnresolvedReference expr.errors       a ``{{...}}`` name the scope lacks
     └── UnsupportedExpression expr.errors     outside the expression subset
          └── EvaluationError                  values that make a supported one fail

Each one is caught where its node is at hand (``template``, ``dag``, ``pod``,
``artifacts.sandbox``) and becomes that node's phase and message. The expression errors
are also the admission checks' (``admit``): there they become refusals, before the run.
A few are raised before a run too (an artifact repository or a Secret that is missing):
``run_workflow`` then raises ``LoadError`` from them. Anything else raised inside a node
is a bug: ``context.fail_node`` ends the node in Error with its text.
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


class NodeError(Exception):
    """Base of the errors that end one node of a running workflow with their message."""
