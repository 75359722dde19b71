"""cadencia's step library: typed Hera building blocks for a team's own pipelines.

A pipeline is a file ``workflows/pipelines/<name>.py`` with a ``pipeline()`` function that
calls these; each adds a Container task to the pipeline's DAG with every default set
once (image, retryStrategy by exit class, deadlines, resources, restricted security
context, memoize on the pure steps, metrics, env from Secrets and the settings ConfigMap)::

    from workflows.library import extract_http, extract_sql, load, transform, union, validate

    def pipeline() -> None:
        rows = union([extract_http("orders-api"), extract_sql("orders-db")], key=["id"])
        load(validate(transform(rows)), table="orders")

Each step's settings are its keywords, with ``steps.<name>:`` of the pipeline's settings
files over them (so an environment can change a URL). docs/authoring.md is the tutorial.
Every pipeline also gets the ``notify`` exit handler and the ``sla-watch`` daemon.
"""

from workflows.library.custom import container, script
from workflows.library.data import Data
from workflows.library.frames import join, transform, union, validate
from workflows.library.sources import extract_http, extract_sql
from workflows.library.targets import load

__all__ = ["Data", "container", "extract_http", "extract_sql", "join", "load", "script",
           "transform", "union", "validate"]
