"""``cadencia ui``: a local web app over the run store, in the shape Argo UI users know.

``server`` starts it (uvicorn, 127.0.0.1 by default); ``app`` routes pages and JSON; the
views each build one page's data from the run records: ``runs_list`` (the Runs page),
``run_view`` with ``run_graph`` and ``timeline`` (a run: DAG, timeline, failures, SLA),
``node_view`` (a node and its logs), ``artifacts`` and ``ledger`` (the Data page);
``actions`` are retry and stop. ``templates/`` and ``static/`` ship with the package: no
CDN, no Node.
"""
