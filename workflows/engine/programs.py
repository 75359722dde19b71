"""The program a pod starts, looked up before it starts, as the container would: on its PATH.

In Argo the main container runs Argo's executor (``argoexec emissary -- <command>``), which
looks the program up with Go's ``exec.LookPath``; a program the image lacks fails there:
the emissary writes ``failed to find name in PATH: exec: "<name>": executable file not
found in $PATH`` (``stat <path>: no such file or directory`` for a path) as the
container's termination message and exits 64 (cmd/argoexec/commands/emissary.go
``runEmissary``, cmd/argoexec/main.go). The controller then marks the node Failed, with
the exit code and that message (operator.go ``inferFailedReason``); Argo's own e2e
asserts it (functional_test.go ``TestWorkflowParallelismStepFailFast``: ``command:
["exit", "1"]`` of argosay:v2 is a Failed node).

Here the host's programs stand in for the image's, so a program not found may be the
image's lack or only this host's. ``missing`` tells them apart, for the places the
lookup visits (the program's path, or each PATH folder joined with its name):

- one of them is a program an image the engine knows installs from a package
  (``images``: ``from_host``), which this host lacks: the pod cannot run here
  (``HostLacks``, naming the Debian package to install);
- none is, and the image is known, on a host whose programs stand in for its base: the
  image lacks the program, and the node fails as Argo's (``ImageLacks``);
- otherwise the host cannot run the pod: an Error naming the program and the image.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workflows.engine.images import KnownImage, host_is_base

EMISSARY_EXIT_CODE = 64  # what argoexec's main returns for an error that is not an exit


@dataclass(frozen=True)
class HostLacks:
    """This host has no such program: the pod cannot run here (an Error of the node)."""

    message: str


@dataclass(frozen=True)
class ImageLacks:
    """The image has no such program: the pod fails as Argo's, exit code 64."""

    termination_message: str
    exit_code: int = EMISSARY_EXIT_CODE


def missing(argv: Sequence[str], env: Mapping[str, str], mapped: Sequence[str], image: str,
            known: KnownImage | None) -> HostLacks | ImageLacks | None:
    """Why ``argv[0]`` cannot start in the pod (None when it can); ``mapped`` are the pod
    paths the engine maps (a program under one is the pod's own file)."""
    program = argv[0]
    search = env.get("PATH", os.defpath)
    if "/" in program:
        under = any(program == m or program.startswith(m.rstrip("/") + "/") for m in mapped)
        if under or os.path.exists(program):
            return None
        visited = [program]
    else:
        if shutil.which(program, path=search) is not None:
            return None
        visited = [os.path.join(folder or ".", program) for folder in search.split(os.pathsep)]
    package = next((known.from_host[p] for p in visited if p in known.from_host), None) \
        if known else None
    if known and not package and host_is_base(known) and \
            (program.startswith("/") or "/" not in program):
        found = (f"stat {program}: no such file or directory" if "/" in program
                 else "executable file not found in $PATH")
        return ImageLacks(f'failed to find name in PATH: exec: "{program}": {found}')
    hint = f": install Debian's {package} package" if package else ""
    return HostLacks(f"failed to start {program}: [Errno 2] No such file or directory: "
                     f"{program!r} (image {image}: the local engine runs its command with "
                     f"this host's programs, and the host has no such program{hint})")
