"""What ``cadencia run`` runs: compiled manifests, through the local engine, shown live.

``--env NAME`` takes the compiled manifests of one pipeline of an environment
(``k8s/workflows/NAME/<pipeline>/``: ``--pipeline``, or the only one compiled) and runs the
WorkflowTemplate named after the pipeline; ``--env PATH`` takes any manifest file or
folder, and may be repeated (the workflow, then the (Cluster)WorkflowTemplates and
ConfigMaps it reads). The compiled environments are looked for under ``$CADENCIA_PROJECT``
(when set), the current folder, then this checkout. The run's record is kept under
``.cadencia/runs/`` (``cadencia get``), with an ``invocation.json`` beside it, written as
the run starts (:mod:`workflows.runs.invocation`), so ``cadencia retry`` can run the same
manifests again, even after the run was stopped or killed, and a ``cadencia.pid`` naming the
process that runs it (:mod:`workflows.runs.process`), so ``cadencia ui`` can stop it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from steps._core import yaml_safe

ROOT = Path(__file__).resolve().parent.parent
RUNNABLE = ("Workflow", "WorkflowTemplate", "CronWorkflow")


class PipelineChoiceError(ValueError):
    """``--pipeline`` is missing among several compiled pipelines, or names none of them
    (a usage error: the CLI exits 2)."""


def manifest_paths(targets: tuple[str, ...], pipeline: str | None
                   ) -> tuple[list[Path], str | None]:
    """``manifest_files`` of one ``--env``; several must all be manifest paths (a
    workflow beside the templates and ConfigMaps it reads, as a cluster would hold them):
    their files in the order given, each once."""
    if len(targets) <= 1:
        return manifest_files(targets[0] if targets else "local", pipeline)
    files: list[Path] = []
    for target in targets:
        if not Path(target).exists():
            raise PipelineChoiceError(
                f"--env is given {len(targets)} times: each must be a manifest file or "
                f"folder, and {target} is none (a compiled environment is run alone)")
        for found in manifest_files(target, pipeline)[0]:
            if found.resolve() not in [f.resolve() for f in files]:
                files.append(found)
    return files, None


def environment_folder(env: str) -> Path | None:
    """``k8s/workflows/<env>/`` of the first project that compiled ``env``."""
    project = os.environ.get("CADENCIA_PROJECT")
    for base in ((Path(project),) if project else ()) + (Path.cwd(), ROOT):
        folder = base / "k8s" / "workflows" / env
        if folder.is_dir():
            return folder
    return None


def compiled_pipelines(folder: Path) -> dict[str, list[Path]]:
    """``{pipeline: its manifest files}`` of a compiled environment's folder."""
    found = {sub.name: sorted(sub.glob("*.yaml")) for sub in sorted(folder.iterdir())
             if sub.is_dir()}
    return {name: files for name, files in found.items() if files}


def manifest_files(target: str, pipeline: str | None = None) -> tuple[list[Path], str | None]:
    """The YAML files of an environment's pipeline or of a path, and the pipeline's name
    (None for a path). One compiled pipeline is the default; with several, ``pipeline``
    must name one (PipelineChoiceError, listing them, otherwise)."""
    path = Path(target)
    if path.exists():
        if pipeline is not None:
            raise PipelineChoiceError(
                f"--pipeline picks a compiled pipeline of an environment; {target} is a "
                "manifest path: name the workflow to run with --entry instead")
        files = sorted(path.rglob("*.y*ml")) if path.is_dir() else [path]
        return files, None
    folder = environment_folder(target)
    if folder is None:
        raise FileNotFoundError(
            f"{target!r} is neither a manifest path nor a compiled environment under "
            "k8s/workflows/ (run `cadencia compile`)")
    compiled = compiled_pipelines(folder)
    if not compiled:
        raise FileNotFoundError(f"{folder} holds no compiled pipeline (run `cadencia compile`)")
    if pipeline is None and len(compiled) == 1:
        pipeline = next(iter(compiled))
    if pipeline not in compiled:
        listing = describe_pipelines(compiled)
        close = difflib.get_close_matches(pipeline, compiled, n=1) if pipeline else []
        first = close[0] if close else next(iter(compiled))
        env = "" if target == "local" else f" --env {target}"
        head = (f"{folder} holds {len(compiled)} pipelines; pick one with --pipeline NAME"
                if pipeline is None else
                f"no pipeline {pipeline!r} is compiled in {folder}; the pipelines there")
        raise PipelineChoiceError(f"{head}:\n{listing}\n"
                                  f"e.g. cadencia run{env} --pipeline {first}")
    return compiled[pipeline], pipeline


def describe_pipelines(compiled: Mapping[str, list[Path]]) -> str:
    """One line per pipeline: its name and the tables its main workflow loads."""
    width = max(len(name) for name in compiled)
    lines = []
    for name, files in compiled.items():
        try:
            tables = loaded_tables(load_docs(files), name)
        except (OSError, ValueError, yaml.YAMLError):  # unreadable: still list the name
            tables = []
        what = f"loads {', '.join(tables)}" if tables else ""
        lines.append(f"  {name:<{width}}  {what}".rstrip())
    return "\n".join(lines)


def _load_containers(docs: list[dict[str, Any]], entry: str | None
                     ) -> list[tuple[str, dict[str, Any]]]:
    """``(table, container)`` of every ``steps.load`` container of the workflow ``entry``."""
    found: list[tuple[str, dict[str, Any]]] = []
    for doc in docs:
        if (doc.get("metadata") or {}).get("name") != entry:
            continue
        for template in (doc.get("spec") or {}).get("templates") or []:
            container = template.get("container") or {}
            args = [str(a) for a in container.get("args") or []]
            if "steps.load" in (container.get("command") or []) and "--table" in args[:-1]:
                found.append((args[args.index("--table") + 1], container))
    return found


def loaded_tables(docs: list[dict[str, Any]], entry: str | None) -> list[str]:
    """The ``--table`` of every ``steps.load`` container of the workflow ``entry``."""
    return list(dict.fromkeys(table for table, _ in _load_containers(docs, entry)))


TARGET_URL = "CADENCIA_TARGET_DB_URL"  # steps.load's target database (steps/load.py)


def where_rows_went(docs: list[dict[str, Any]], entry: str | None, secrets_file: str | None,
                    days: list[str]) -> list[str]:
    """One line per target database of ``entry``'s loads: the partitions (``days``), the
    tables, and where the database is (a SQLite file, or the server's URL with the
    password hidden). The URL comes from the Secret the load reads, in ``secrets_file``."""
    from steps._core.db import parse_url
    from workflows.engine.secrets import MissingSecret, SecretSource

    try:
        secrets = SecretSource(Path(secrets_file) if secrets_file else None)
    except MissingSecret:
        secrets = SecretSource()
    tables_of: dict[str, list[str]] = {}
    for table, container in _load_containers(docs, entry):
        ref = next(((e.get("valueFrom") or {}).get("secretKeyRef") or {}
                    for e in container.get("env") or [] if e.get("name") == TARGET_URL), {})
        url = secrets.secret(str(ref.get("name")), str(ref.get("key"))) if ref else None
        if url is None:
            where = f"the database of Secret {ref.get('name', '?')}"
        else:
            parsed = parse_url(url)
            where = (str(parsed.database) if parsed.dialect == "sqlite"
                     else parsed.redacted())
        tables_of.setdefault(where, [])
        if table not in tables_of[where]:
            tables_of[where].append(table)
    span = days[0] if len(days) == 1 else f"{days[0]}..{days[-1]}"
    return [f"rows for {span} are in {'table' if len(tables) == 1 else 'tables'} "
            f"{', '.join(tables)} of {where}" for where, tables in tables_of.items()]


def load_docs(files: list[Path]) -> list[dict[str, Any]]:
    docs = [d for f in files for d in yaml_safe.load_all(f.read_text(), str(f))
            if isinstance(d, dict)]
    if not any(d.get("kind") in RUNNABLE for d in docs):
        raise ValueError(f"no Workflow, WorkflowTemplate or CronWorkflow in {len(files)} file(s)")
    return docs


def default_entry(docs: list[dict[str, Any]], pipeline: str | None) -> str | None:
    """The pipeline's WorkflowTemplate (named after it), else the first runnable document
    when there are several (the engine takes a lone one by itself)."""
    if pipeline is not None:
        return pipeline
    runnable = [d for d in docs if d.get("kind") in RUNNABLE]
    return None if len(runnable) == 1 else (runnable[0].get("metadata") or {}).get("name")


def declares_parameter(docs: list[dict[str, Any]], entry: str | None, name: str) -> bool:
    """Whether the workflow ``entry`` names takes the argument ``name``."""
    for doc in docs:
        if doc.get("kind") in RUNNABLE and (doc.get("metadata") or {}).get("name") == entry:
            spec = doc.get("spec") or {}
            spec = spec.get("workflowSpec", spec)
            params = (spec.get("arguments") or {}).get("parameters") or []
            return any(p.get("name") == name for p in params)
    return False


def container_args(docs: list[dict[str, Any]]) -> list[str]:
    """Every container argument of every template of ``docs``."""
    return [str(arg) for doc in docs for template in (doc.get("spec") or {}).get("templates") or []
            for arg in (template.get("container") or {}).get("args") or []]
