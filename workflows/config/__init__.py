"""The typed settings of every pipeline in every environment (local, dev, staging, prod).

``workflows/environments/`` holds the shared settings (``defaults.yaml`` and one file per
environment); ``workflows/pipelines/<p>.yaml`` and ``<p>.<env>.yaml`` hold a pipeline's
own (:mod:`workflows.config.project`). :func:`resolve` stacks them for one pipeline in
one environment and raises :class:`ConfigError` naming the file and field of every wrong
value. docs/workflows.md is the reference.
"""

from workflows.config.environment import Environment
from workflows.config.layers import LayerError, Stack
from workflows.config.load import ConfigError, Resolved, pipelines, resolve
from workflows.config.per_step import STEP_MODULES
from workflows.config.project import PipelineFiles, Project

__all__ = ["STEP_MODULES", "ConfigError", "Environment", "LayerError", "PipelineFiles",
           "Project", "Resolved", "Stack", "pipelines", "resolve"]
