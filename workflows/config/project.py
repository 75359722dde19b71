"""Where a project keeps its environments and pipelines, and how they are found.

::

    workflows/environments/defaults.yaml     settings every pipeline shares, in every environment
    workflows/environments/<env>.yaml        one file per environment (local, dev, staging, prod)
    workflows/pipelines/<stem>.py            one pipeline: its DAG, from the step library
    workflows/pipelines/<stem>.yaml          its settings (steps, and overrides of the shared ones)
    workflows/pipelines/<stem>.<env>.yaml    its settings for one environment

A pipeline's name is ``name:`` in its settings file, else the file's stem with ``-`` for
``_`` (``customer_payments.py`` is ``customer-payments``). The project is the folder
holding ``workflows/``: ``--project``/``CADENCIA_PROJECT``, else the current folder when it
is one, else this checkout.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from workflows.config.layers import LayerError, read_yaml

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULTS_FILE = "defaults.yaml"
STEM = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class PipelineFiles:
    """One pipeline's files: its Python source, its settings and its overlays."""

    stem: str
    source: Path
    settings: Path
    overlays: dict[str, Path]

    @cached_property
    def name(self) -> str:
        data = read_yaml(self.settings, label(self.settings)) if self.settings.exists() else {}
        name = data.get("name")
        return name if isinstance(name, str) and name else self.stem.replace("_", "-")


@dataclass(frozen=True)
class Project:
    root: Path

    @classmethod
    def default(cls, root: Path | None = None) -> Project:
        """``root``, else ``$CADENCIA_PROJECT``, else the current folder when it holds
        ``workflows/environments/``, else this checkout (the order ``cadencia run`` looks
        for compiled manifests in)."""
        here = Path.cwd()
        chosen = root or os.environ.get("CADENCIA_PROJECT") or (
            here if (here / "workflows" / "environments").is_dir() else ROOT)
        return cls(Path(chosen).resolve())

    @property
    def environments_dir(self) -> Path:
        return self.root / "workflows" / "environments"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / "workflows" / "pipelines"

    @property
    def out_dir(self) -> Path:
        return self.root / "k8s" / "workflows"

    def environment_names(self) -> list[str]:
        """One ``<env>.yaml`` beside ``defaults.yaml`` each."""
        return sorted(p.stem for p in self.environments_dir.glob("*.yaml")
                      if p.name != DEFAULTS_FILE)

    def pipelines(self) -> list[PipelineFiles]:
        """Every pipeline, by name; LayerError when a file fits no pipeline or names clash."""
        folder = self.pipelines_dir
        stems = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
        problems = [f"{label(folder / f'{s}.py')}: a pipeline's file name must be a lower-case "
                    "Python name (letters, digits, _)" for s in stems if not STEM.match(s)]
        envs = set(self.environment_names())
        found: list[PipelineFiles] = []
        claimed: set[Path] = set()
        for stem in stems:
            overlays = {}
            for path in sorted(folder.glob(f"{stem}.*.yaml")):
                env = path.name[len(stem) + 1:-len(".yaml")]
                if "." in env:
                    continue
                claimed.add(path)
                if env not in envs:
                    problems.append(f"{label(path)}: no environment {env!r} (known: "
                                    f"{', '.join(sorted(envs))})")
                overlays[env] = path
            settings = folder / f"{stem}.yaml"
            claimed.add(settings)
            found.append(PipelineFiles(stem, folder / f"{stem}.py", settings, overlays))
        for path in sorted(folder.glob("*.yaml")):
            if path not in claimed:
                problems.append(f"{label(path)}: belongs to no pipeline (no "
                                f"{path.name.split('.')[0]}.py beside it)")
        by_name: dict[str, str] = {}
        for p in found:
            try:
                name = p.name
            except LayerError as exc:
                problems += exc.problems
                continue
            if name in by_name:
                problems.append(f"{label(p.settings)}: pipeline name {name!r} is also "
                                f"{by_name[name]}'s")
            by_name[name] = p.stem
        if problems:
            raise LayerError(problems)
        return found

    def pipeline(self, name: str) -> PipelineFiles:
        pipelines = self.pipelines()
        for p in pipelines:
            if name in (p.name, p.stem):
                return p
        known = ", ".join(p.name for p in pipelines) or "none"
        raise LayerError([f"no pipeline {name!r} in {self.pipelines_dir} (known: {known})"])


def label(path: Path) -> str:
    """A settings file as errors name it: relative to ``workflows/`` when inside one."""
    parts = path.parts
    if "workflows" in parts:
        i = len(parts) - 1 - parts[::-1].index("workflows")
        return "/".join(parts[i + 1:])
    return path.name
