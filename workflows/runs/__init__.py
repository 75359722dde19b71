"""Runs: the record the local engine keeps of each run, and how it is shown.

The engine writes runs here; ``cadencia`` (workflows/cli/) and ``cadencia ui``
(workflows/ui/) read them. Nothing here runs a workflow.

- ``store``: all runs of a home (``.cadencia/runs/``): made, listed, found by name,
  prefix or ``@latest``;
- ``record``: one run's folder: ``workflow.json`` written atomically, its logs;
- ``invocation``: ``invocation.json``, what a run was started from (for retry);
- ``process``: ``cadencia.pid``, which process runs it (for stop);
- ``times``, ``humanize``: times as Argo writes them, and as the ``argo`` CLI shows them;
- ``get``, ``listing``, ``logs``, ``table``: what ``cadencia get``, ``runs`` and ``logs``
  print, as ``argo get``, ``list`` and ``logs`` do;
- ``node_label``, ``summary``, ``terminal``: a run at the terminal, live and at its end.

This face imports nothing: the engine loads the store at every start, and the
presentation modules pull in ``rich``.
"""
