"""The load step's parts: types and DDL, input batches, ledger, PostgreSQL and SQLite paths.

``steps.load`` is the entry point; these modules are private to it. Nothing here imports
pyarrow, psycopg or pgpq at module level except where the load actually runs, so that
``python -m steps.load --help`` stays fast.
"""
