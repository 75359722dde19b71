"""Admitting a manifest: what happens before anything runs, as ``argo submit`` would.

``load`` turns the documents into one runnable workflow (``Loaded``; names checked by
``names``). ``refuse.check`` walks it against ``schema``, the fields the engine
implements, with the expressions (``expressions``: ``when``, ``depends``,
``retryStrategy.expression``; ``tags``: ``{{=...}}``) parsed, not evaluated; every field
it does not implement is refused with its YAML path. ``literal_paths`` refuses what needs
a pod's own filesystem where this machine cannot give one.
"""

from workflows.engine.admit.load import Loaded, scheduled_time
from workflows.engine.admit.refuse import Findings, check

__all__ = ["Findings", "Loaded", "check", "scheduled_time"]
