"""Images the engine knows: the config and files of Argo's test images, as their Dockerfiles
write them.

A pod of an image other than this project's runs its command with the host's programs
(``pod``, ``isolation``): there is no image to pull, so for most images the engine knows
nothing of their own. A container with no ``command`` cannot run (the entrypoint is the
image's) and a program the host lacks is this host's limit, not the image's.

For an image listed in ``KNOWN`` the engine knows what a pod of it needs beyond the host's
programs:

- ``entrypoint`` and ``cmd``: what runs when the container gives no ``command``. Argo's
  controller looks the image up and takes its ENTRYPOINT as the command and its CMD as
  the args when the container has none (workflowpod.go ``createWorkflowPod``), which is
  Kubernetes' rule: ``command`` overrides ENTRYPOINT, ``args`` override CMD
  (``command_line``). An empty list counts as none: the API server drops it
  (``omitempty``) before the controller reads the workflow.
- ``env``: the image's ``ENV`` (its ``PATH``: the base image's, with what its Dockerfile
  appends), over the host's basics and under the container's own ``env``, as a container
  runtime merges them. The image's PATH, not the host's, is where its programs are
  looked up (the host's programs in those folders stand in for the image's).
- ``files``: files of the image, vendored beside this module, that the engine copies into
  the pod's sandbox and binds at their paths in its own filesystem (``place``). Without
  namespaces they cannot be placed, and a template that uses one is refused before the
  run (``admit.literal_paths``, with ``files_used``).
- ``from_host``: the programs the image's Dockerfile installs that the engine takes from
  the host, by their path in the image, with the Debian package that ships them. When
  the pod's PATH leads to one the host lacks, that is the host's limit (an Error naming
  it), not the image's.
- ``base``: the ``/etc/os-release`` IDs of the hosts whose programs stand in for the
  image's base (``host_is_base``). On such a host a program found neither there nor in
  ``files`` nor ``from_host`` is one the image lacks, and its pod fails as Argo's does
  (``programs``); on another host it stays the host's limit.

Argo v4.1.2's test images (``test/e2e/images/argosay``):

- ``argoproj/argosay:v1``: ubuntu with Debian's ``cowsay`` package (``/usr/games/cowsay``,
  ``ENV PATH $PATH:/usr/games`` over ubuntu's PATH), ``CMD ["cowsay"]``;
- ``argoproj/argosay:v2``: v1 with the shell script ``/argosay`` (``argosay`` here,
  Apache-2.0, see ``NOTICE.md``) as ``ENTRYPOINT``. A Dockerfile that sets ENTRYPOINT
  resets the CMD it inherits, so v2 has no CMD: with neither ``command`` nor ``args`` a
  pod runs ``/argosay`` alone, which prints ``hello argo``.
"""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.engine.isolation import Bind

HERE = Path(__file__).parent
OS_RELEASE = Path("/etc/os-release")
DOCKER_HUB = "docker.io/"


@dataclass(frozen=True)
class KnownImage:
    """What a pod of the image ``name`` has that the host's programs do not give."""

    name: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)  # pod path -> file beside this
    from_host: Mapping[str, str] = field(default_factory=dict)  # program path -> package
    base: frozenset[str] = frozenset()


# apt-utils, ca-certificates and apt-transport-https are installed with cowsay by v1's
# Dockerfile; apt-transport-https is a transitional package with no program.
_ARGOSAY_PACKAGES = {
    "/usr/games/cowsay": "cowsay", "/usr/games/cowthink": "cowsay",
    "/usr/bin/apt-extracttemplates": "apt-utils", "/usr/bin/apt-ftparchive": "apt-utils",
    "/usr/bin/apt-sortpkgs": "apt-utils", "/usr/sbin/update-ca-certificates": "ca-certificates"}
_UBUNTU = frozenset({"ubuntu", "debian"})
# the official ubuntu image's ENV PATH, then v1's ``ENV PATH $PATH:/usr/games``
_ARGOSAY_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                        ":/usr/games"}

KNOWN: dict[str, KnownImage] = {
    "argoproj/argosay:v1": KnownImage(
        "argoproj/argosay:v1", cmd=("cowsay",), env=_ARGOSAY_ENV,
        from_host=_ARGOSAY_PACKAGES, base=_UBUNTU),
    "argoproj/argosay:v2": KnownImage(
        "argoproj/argosay:v2", entrypoint=("/argosay",), env=_ARGOSAY_ENV,
        files={"/argosay": "argosay"}, from_host=_ARGOSAY_PACKAGES, base=_UBUNTU),
}


def known(image: str) -> KnownImage | None:
    """The image ``image`` names, if the engine knows it: ``argoproj/argosay:v2`` or
    ``docker.io/argoproj/argosay:v2``; never a digest or another tag, whose content the
    engine cannot vouch for."""
    text = image.strip()
    return KNOWN.get(text.removeprefix(DOCKER_HUB))


def command_line(image: KnownImage | None, command: Sequence[str],
                 args: Sequence[str]) -> list[str] | None:
    """What the pod runs, by Kubernetes' rule; None when the container gives no command
    and the image is not known (its entrypoint cannot be read here)."""
    if command:
        return [*command, *args]
    if image is None:
        return None
    return [*image.entrypoint, *(args or image.cmd)] or None


def place(image: KnownImage | None, root: Path) -> dict[str, Bind]:
    """The image's files, each copied into the container's root folder (the pod's own
    copy, executable as in the image) and bound at its path in the pod's filesystem."""
    binds: dict[str, Bind] = {}
    for at, name in (image.files.items() if image else ()):
        copy = root / at.lstrip("/")
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / name, copy)
        copy.chmod(0o755)
        binds[at] = Bind(copy)
    return binds


def files_used(image: KnownImage | None, container: Mapping[str, Any], text: str) -> list[str]:
    """The image's files the pod would use: its entrypoint when the container gives no
    command, or one named in ``text`` (the command, args, env and source)."""
    if image is None:
        return []
    first = image.entrypoint[:1] if not container.get("command") else ()
    return [at for at in image.files
            if at in first or re.search(r"(?<![\w./-])" + re.escape(at) + r"(?![\w.-])", text)]


@functools.cache
def _host_ids(release: Path = OS_RELEASE) -> frozenset[str]:
    try:
        lines = release.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    ids: set[str] = set()
    for line in lines:
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip("\"'").split())
    return frozenset(ids)


def host_is_base(image: KnownImage, release: Path = OS_RELEASE) -> bool:
    """Whether this host's programs stand in for the image's base (a Debian-family host
    for an ubuntu image: both have the same essential programs)."""
    return bool(image.base & _host_ids(release))
