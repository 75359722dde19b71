"""``cadencia new NAME``: a new pipeline that compiles, lints clean and runs at once.

It writes, in the project (the folder holding ``workflows/``)::

    workflows/pipelines/<stem>.py           the DAG: the sample API's orders -> check -> load
    workflows/pipelines/<stem>.yaml         its settings: name, the API's URL
    workflows/pipelines/<stem>.<env>.yaml   one overlay per environment; local points at
                                            the sample API that `cadencia run` serves
    tests/pipelines/test_<stem>.py          its test: compiled manifests up to date, two
                                            local runs of one date load each table once

``<stem>`` is NAME with ``_`` for ``-``. Nothing is overwritten: a file that exists
already refuses the whole scaffold before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from workflows.config import Project
from workflows.config.layers import LayerError
from workflows.config.pipeline import PipelineMeta
from workflows.config.project import STEM
from workflows.local_defaults import SAMPLE_API

RECORDS = 500  # the sample API's orders a day in the local overlay


class ScaffoldError(ValueError):
    """The name is not usable, or a file of the scaffold exists already."""


@dataclass(frozen=True)
class Scaffold:
    name: str
    files: dict[Path, str]  # path -> text, in the order they are written


def name_problem(name: str, project: Project) -> str | None:
    """Why ``name`` cannot be a new pipeline of ``project``, or None."""
    try:
        PipelineMeta(name=name)
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return f"{name!r} is not a pipeline name: {reason}"
    if not STEM.match(name.replace("-", "_")):
        return (f"{name!r} is not a pipeline name: it must start with a letter (its file "
                f"is workflows/pipelines/{name.replace('-', '_')}.py, a Python name)")
    try:
        found = project.pipelines()
        taken = {p.name for p in found} | {p.stem for p in found}
    except LayerError:
        taken = set()  # the files' own check below still refuses an overwrite
    if name in taken or name.replace("-", "_") in taken:
        return f"a pipeline named {name!r} exists already"
    return None


def scaffold(project: Project, name: str) -> Scaffold:
    """The files of a new pipeline ``name``; ScaffoldError when it cannot be made."""
    problem = name_problem(name, project)
    if problem:
        raise ScaffoldError(problem)
    stem = name.replace("-", "_")
    pipelines = project.pipelines_dir
    files = {pipelines / f"{stem}.py": _pipeline(name, stem),
             pipelines / f"{stem}.yaml": _settings(name, stem)}
    for env in project.environment_names():
        files[pipelines / f"{stem}.{env}.yaml"] = _overlay(name, stem, env)
    files[project.root / "tests" / "pipelines" / f"test_{stem}.py"] = _test(name, stem)
    there = [str(p.relative_to(project.root)) for p in files if p.exists()]
    if there:
        raise ScaffoldError(f"{', '.join(there)} exist(s) already: nothing was written")
    return Scaffold(name, files)


def write(made: Scaffold) -> list[Path]:
    for path, text in made.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(made.files)


def next_steps(made: Scaffold) -> str:
    """What the user does next, as ``cadencia new`` prints it."""
    stem = made.name.replace("-", "_")
    return f"""
Pipeline {made.name} is ready: it reads the sample API's orders, checks them and loads
them into the table {stem}. Try it now:

  cadencia compile && cadencia lint k8s/
  cadencia run --pipeline {made.name}
  cadencia show {made.name}

Then make it yours (docs/authoring.md walks through it):
  workflows/pipelines/{stem}.py          the DAG: your sources, joins, checks and tables
  workflows/pipelines/{stem}.yaml        what every environment shares: URLs, Secrets
  workflows/pipelines/{stem}.<env>.yaml  what one environment changes (null deletes a key)
  tests/pipelines/test_{stem}.py         its test (run it with pytest)
and run `cadencia compile` after each change."""


def _pipeline(name: str, stem: str) -> str:
    return f'''"""{name}: <what this pipeline loads, in one line>.

::

    source -> check -> load   (table {stem})

Made by `cadencia new {name}`: the sample API's orders, checked and loaded. Replace the
DAG below with yours (docs/authoring.md); each step function adds one container task and
returns a handle that the next step takes as its input. What differs per environment (the
API's URL, Secrets) goes in {stem}.yaml and {stem}.<env>.yaml under steps.<step name>.
"""

from workflows.library import extract_http, load, validate

# The records of the API: column -> type, in output order (a missing column is schema
# drift, exit 65). These are the sample API's orders.
RECORD = {{"id": "int64", "nome": "string", "valor": "float64", "quantidade": "int64",
          "created_at": "string", "categoria": "string"}}


def pipeline() -> None:
    records = extract_http("source", records_path="data", schema=RECORD,
                           params={{"date": "{{logical_date}}"}})
    checked = validate(records, name="check", reject_threshold=0.05, rules=[
        {{"kind": "not_null", "column": "id"}},
        {{"kind": "unique", "column": "id"}}])
    load(checked, name="load", table="{stem}")
'''


def _settings(name: str, stem: str) -> str:
    return f"""# {name}: the settings of workflows/pipelines/{stem}.py, by step name
# (docs/workflows.md). {stem}.<env>.yaml beside this file overlays it for one environment;
# a key set to null there deletes it. Shared settings (image, schedule, SLA, retry...) come
# from workflows/environments/ and may be overridden here. After a change run
# `cadencia compile`.

name: {name}

steps:
  source:
    url: https://api.example.com/v1/orders/page   # your API
    pagination:
      style: page
      page_size: 500
    # its own token, from a Secret of the namespace (never in this file):
    # auth: bearer
    # secrets:
    #   token: {{name: {name}-api, key: token}}
"""


def _overlay(name: str, stem: str, env: str) -> str:
    if env == "local":
        return f"""# {name} locally: the sample API on loopback, which `cadencia run` serves
# ({RECORDS} orders a day); the load goes to the embedded SQLite warehouse.
steps:
  source:
    url: {SAMPLE_API}orders/page
    params:
      records: "{RECORDS}"
"""
    return f"""# {name} in {env}: what differs from {stem}.yaml in this environment, e.g.
# steps:
#   source:
#     url: https://api.{env}.example.com/v1/orders/page
"""


def _test(name: str, stem: str) -> str:
    return f'''"""{name}: its compiled manifests are up to date, and two local runs of one date
load each of its tables once per run (made by `cadencia new {name}`; grow it with your
pipeline)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from workflows.compile import render
from workflows.config import Project
from workflows.local_run import load_docs, loaded_tables

PROJECT = Project.default(Path(__file__).resolve().parents[2])
NAME, DATE = "{name}", "2026-11-25"


def test_the_compiled_manifests_are_up_to_date() -> None:
    for (env, pipeline), files in render(PROJECT, names=[NAME]).items():
        for file, text in files.items():
            path = PROJECT.out_dir / env / pipeline / file
            assert path.is_file() and path.read_text(encoding="utf-8") == text, (
                f"{{path}} is stale: run `cadencia compile`")


def test_two_local_runs_of_one_date_load_each_table_once(tmp_path: Path) -> None:
    env = {{k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}}
    counts = []
    for _ in range(2):
        ran = subprocess.run(
            [sys.executable, "-m", "workflows.cli", "run", "--pipeline", NAME, "--date", DATE,
             "--home", str(tmp_path)], cwd=PROJECT.root,
            env={{**env, "CADENCIA_PROJECT": str(PROJECT.root)}}, capture_output=True,
            text=True, timeout=300, check=False)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        tables = loaded_tables(load_docs(sorted(
            (PROJECT.out_dir / "local" / NAME).glob("*.yaml"))), NAME)
        with sqlite3.connect(tmp_path / "warehouse.db") as db:
            counts.append({{t: db.execute(f'SELECT count(*) FROM "{{t}}"').fetchone()[0]
                           for t in tables}})
            ledger = db.execute("SELECT count(*) FROM cadencia_load_ledger WHERE pipeline = ?",
                                (NAME,)).fetchone()[0]
    assert tables and all(n > 0 for n in counts[0].values()), counts
    assert counts[1] == counts[0]  # the rerun replaced the day's rows, it added none
    assert ledger == 2 * len(tables)
'''
