"""cadencia ETL steps: each module is a program run as ``python -m steps.<name>``.

Every step reads its inputs from files, writes its outputs to files, takes connection
settings and secrets from ``CADENCIA_*`` environment variables, and tells the
orchestrator what went wrong through its exit code (see ``steps._core.errors``).
"""
