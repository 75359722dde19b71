"""The ports of the ETL step templates: their input and output artifacts and parameters.

The step library (workflows/library/) builds each template from these. Every path a
step reads or writes is an Argo placeholder (``{{inputs.artifacts.X.path}}``,
``{{outputs.artifacts.X.path}}``, ``{{outputs.parameters.X.path}}``), never a literal, so
the local engine can place the files. Parquet artifacts are stored unarchived. Each step
exports its row count as a global output parameter (``rows-<step>``) for the exit
handler; the pure steps also export the sha256 of their output for the memoize keys
downstream. The transform spec and the rules travel inside the manifest as raw input
artifacts: visible, versioned with the manifest, and not secret.
"""

from __future__ import annotations

from typing import Any

import yaml
from hera.workflows import Artifact, NoneArchiveStrategy, Parameter, RawArtifact
from hera.workflows import models as m

from workflows.definitions import defaults as d

MISSING = "unknown"  # output parameter value when a step ended without writing it


def parquet_out(name: str, *, optional: bool = False, suffix: str = ".parquet") -> Artifact:
    return Artifact(name=name, path=d.out_path(name, suffix), archive=NoneArchiveStrategy(),
                    optional=optional or None)


def parquet_in(name: str) -> Artifact:
    return Artifact(name=name, path=d.in_path(name))


def raw_in(name: str, data: dict[str, Any]) -> RawArtifact:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return RawArtifact(name=name, path=d.in_path(name, ".yaml"), data=text)


def rows_out(step: str) -> Parameter:
    return Parameter(name="rows", global_name=f"rows-{step}",
                     value_from=m.ValueFrom(path=d.out_path("rows", ""), default=MISSING))


def note_out(step: str) -> Parameter:
    """A one-line note on what the step did: the local summary's message column, and the
    global ``note-<step>`` the exit handler reports."""
    return Parameter(name="note", global_name=f"note-{step}",
                     value_from=m.ValueFrom(path=d.out_path("note", ""), default=""))


def reported(step: str) -> list[Parameter]:
    """The step's row count and note, global for the exit handler."""
    return [rows_out(step), note_out(step)]


def sha_out() -> Parameter:
    return Parameter(name="sha256", value_from=m.ValueFrom(path=d.out_path("sha256", ""),
                                                           default=MISSING))


NOTE_ARGS = ["--note-out", "{{outputs.parameters.note.path}}"]
OUT_ARGS = ["--out", "{{outputs.artifacts.data.path}}",
            "--rows-out", "{{outputs.parameters.rows.path}}", *NOTE_ARGS]
SHA_ARGS = ["--checksum-out", "{{outputs.parameters.sha256.path}}"]
