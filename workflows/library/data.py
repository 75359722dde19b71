"""What a library step returns: a handle on the Parquet data its task outputs.

Another step takes the handle as its input; the library wires the artifact, the
dependency and, for memoized steps, the upstream checksum into the memoize key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hera.workflows import Artifact, Parameter, Task

from workflows.definitions.ports import parquet_in


@dataclass(frozen=True)
class Data:
    """The output ``data`` of the task ``step``.

    ``columns``: the column names when the step's contract fixes them (a source's schema,
    a union or join of known inputs, a transform's ``select``), else None.
    ``key``: the columns a ``union`` deduplicated on, until a ``validate`` checks them.
    ``checksum``: the task outputs the sha256 of its Parquet (the pure steps do), which
    a memoized step downstream takes into its key.
    """

    step: str
    kind: str
    task: Task = field(repr=False)
    columns: tuple[str, ...] | None = None
    key: tuple[str, ...] = ()
    checksum: bool = False

    @property
    def artifact(self) -> str:
        return f"{{{{tasks.{self.step}.outputs.artifacts.data}}}}"

    @property
    def sha(self) -> str:
        return f"{{{{tasks.{self.step}.outputs.parameters.sha256}}}}"


@dataclass(frozen=True)
class Wiring:
    """A step's inputs as its template declares them and its task passes them."""

    params: list[str]
    template_inputs: list[Any]
    arguments: list[Any]
    dependencies: list[str]
    memoizable: bool


def wire(inputs: dict[str, Data], date_param: Parameter) -> Wiring:
    """Input artifact ``<name>`` (at ``{{inputs.artifacts.<name>.path}}``) per input and,
    when every input has a checksum, its ``<name>-sha256`` parameter for the memo key."""
    from workflows.argo.parameters import RUN_DATE

    memoizable = all(d.checksum for d in inputs.values())
    params = [RUN_DATE, *(f"{n}-sha256" for n in inputs if memoizable)]
    template_inputs: list[Any] = [Parameter(name=p) for p in params]
    template_inputs += [parquet_in(n) for n in inputs]
    arguments: list[Any] = [date_param]
    arguments += [Parameter(name=f"{n}-sha256", value=d.sha)
                  for n, d in inputs.items() if memoizable]
    arguments += [Artifact(name=n, from_=d.artifact) for n, d in inputs.items()]
    deps = list(dict.fromkeys(d.step for d in inputs.values()))
    return Wiring(params, template_inputs, arguments, deps, memoizable)
