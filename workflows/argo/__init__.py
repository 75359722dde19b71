"""Argo facts stated once, for the configuration, the definitions, the lint and the engine.

- :mod:`workflows.argo.durations`: Go and Argo durations, and how Argo prints them.
- :mod:`workflows.argo.names`: the names Argo and Kubernetes accept (objects, templates,
  parameters, DNS-1123 labels, memoize keys, metric names).
- :mod:`workflows.argo.parameters`: the ``run-date`` parameter the manifests carry.

Each fact names the Argo (or Kubernetes, Go) source it comes from.
"""
