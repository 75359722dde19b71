"""What the steps accept, for the tools that check settings before a step ever runs.

cadencia's configuration, lint and engine read YAML the way the steps read their spec
files, and refuse names the way the load refuses them. They take those rules here, the
steps' public door, never from ``steps._core``:

- :func:`load_yaml` / :func:`load_yaml_all`: YAML's safe loader refusing aliases
  (:class:`AliasRefused`), which a few lines can expand into gigabytes;
  :func:`refuse_aliases` checks a text without loading it;
- :func:`identifier_problem`: why a name cannot be a SQL identifier (letters of any
  script, at most 63 bytes), or None;
- :class:`StepConfigError`: what the spec parsers (``steps.transform.parse_spec``,
  ``steps.validate.parse_rules``) raise on a bad spec, with its ``message``.
"""

from __future__ import annotations

from steps._core.db import identifier_problem
from steps._core.errors import ConfigError as StepConfigError
from steps._core.yaml_safe import AliasRefused, refuse_aliases
from steps._core.yaml_safe import load as load_yaml
from steps._core.yaml_safe import load_all as load_yaml_all

__all__ = ["AliasRefused", "StepConfigError", "identifier_problem", "load_yaml",
           "load_yaml_all", "refuse_aliases"]
