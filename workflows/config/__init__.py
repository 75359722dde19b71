"""The one typed configuration of the pipeline and its environments (local, dev, staging, prod).

``workflows/pipeline/pipeline.yaml`` holds the pipeline and the defaults; each
``workflows/pipeline/<env>.yaml`` overlays it. :func:`load_config` checks everything and
raises :class:`ConfigError` listing every wrong value by its field path
(``environments.prod.retry.limit: ...``). docs/workflows.md is the reference.
"""

from workflows.config.environment import Environment
from workflows.config.load import (
    CONFIG_DIR,
    Config,
    ConfigError,
    environment_names,
    load_config,
    load_environment,
    merge,
)
from workflows.config.per_step import STEP_MODULES
from workflows.config.pipeline import Pipeline

__all__ = ["CONFIG_DIR", "STEP_MODULES", "Config", "ConfigError", "Environment", "Pipeline",
           "environment_names", "load_config", "load_environment", "merge"]
