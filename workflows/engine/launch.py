"""How a container of a pod becomes a process on this machine: its command line (a known
image's entrypoint and CMD when it gives none), its environment (the container's, the
image's PATH), the folder it starts in, and, for an image other than this project's where
namespaces are available, the bwrap command that gives it its own filesystem (``pod_fs``,
``isolation``). Before anything starts it says which program the container cannot find:
the host's lack (an Error naming it) or the image's (Argo's own failure, ``programs``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflows.engine import images, init_containers, isolation, pod_fs, programs, scripts
from workflows.engine.artifacts.sandbox import Sandbox, normal
from workflows.engine.context import Run
from workflows.engine.declared import image_repository
from workflows.engine.scope import subst, subst_value


@dataclass
class Launch:
    """A container ready to start: its command line, environment and where."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    wrap: Callable[[int], list[str]] | None = None


def command_line(run: Run, container: dict[str, Any], scope: dict[str, str], env: dict[str, str],
             root: Path, workdir_on_host: Callable[[str], Path] | None,
             known: images.KnownImage | None, staged: list[str] | None = None
             ) -> tuple[list[str], Path]:
    """The argv (a known image's entrypoint and CMD when the container gives no command;
    ``staged``: a script's source path, after the args) and the working folder on this
    machine (``root`` when isolated: bwrap moves into the ``workingDir``;
    ``workdir_on_host`` places it otherwise)."""
    command = [str(a) for a in subst_value(list(container.get("command") or []), scope,
                                           "container.command")]
    args = [str(a) for a in subst_value(list(container.get("args") or []), scope,
                                        "container.args")] + list(staged or [])
    argv = images.command_line(known, command, args)
    if argv is None:
        raise ValueError(f"container of image {container.get('image')!r} has no command: the "
                         "local engine cannot know the image's entrypoint")
    cwd = root
    if container.get("workingDir") and workdir_on_host is not None:
        cwd = workdir_on_host(subst(str(container["workingDir"]), scope,
                                    "container.workingDir"))
        cwd.mkdir(parents=True, exist_ok=True)
    if image_repository(str(container.get("image", ""))) in run.config.our_images:
        if argv[0] in ("python", "python3"):
            argv[0] = run.config.python
        cwd = run.config.project_root
        env["PYTHONPATH"] = str(run.config.project_root)
    return argv, cwd


def is_isolated(run: Run, container: Mapping[str, Any]) -> bool:
    return run.isolation.ok and \
        image_repository(str(container.get("image", ""))) not in run.config.our_images


def bwrap_wrap(run: Run, root: Path, targets: pod_fs.Targets, argv: list[str],
          workdir: str | None) -> Callable[[int], list[str]]:
    chdir = normal(workdir) if workdir else "/"
    return lambda fd: isolation.bwrap_argv(run.isolation.how, root, targets, argv, chdir, fd)


def container_env(run: Run, container: Mapping[str, Any], scope: dict[str, str],
         known: images.KnownImage | None) -> dict[str, str]:
    return run.secrets.container_env(
        container, substitute=lambda text, where: subst(text, scope, where),
        image_env=known.env if known else None)


def lacking_program(run: Run, image: str, argv: list[str], env: dict[str, str], root: Path,
           targets: pod_fs.Targets, known: images.KnownImage | None
           ) -> str | programs.ImageLacks | None:
    """What program the container cannot find: the host's lack (a message: an Error
    before anything starts), the image's (Argo's own failure), or None."""
    if image_repository(image) in run.config.our_images:
        return None
    program = argv[0]
    if program.startswith("/") and (root / program.lstrip("/")).exists():
        return None  # a file of the pod's own root (a known image's, a staged script)
    missing = programs.missing(argv, env, list(targets), image, known)
    return missing.message if isinstance(missing, programs.HostLacks) else missing


def main_launch(run: Run, tmpl: dict[str, Any], box: Sandbox, scope: dict[str, str],
          volumes: pod_fs.Targets, log: Path) -> Launch | str | programs.ImageLacks:
    """The main container, its script staged; or what program it lacks."""
    container = scripts.main_container(tmpl)
    image = str(container.get("image", ""))
    known = images.known(image)
    isolated = is_isolated(run, container)
    env = container_env(run, container, scope, known)
    staged = scripts.stage(tmpl, box, subst(str(container.get("source") or ""), scope,
                                            "script.source"), literal=isolated)
    argv, cwd = command_line(run, container, scope, env, box.root,
                         None if isolated else box.path, known, staged)
    workdir = (subst(str(container["workingDir"]), scope, "container.workingDir")
               if isolated and container.get("workingDir") else None)
    targets: pod_fs.Targets = {}
    if isolated:
        targets = pod_fs.targets(tmpl, box, volumes, workdir, run.config.shared)
        targets.update(images.place(known, box.root))
    lacks = lacking_program(run, image, argv, env, box.root, targets, known)
    if lacks is not None:
        return lacks
    launch = Launch("main", argv, env, cwd, log)
    if isolated:
        launch.wrap = bwrap_wrap(run, box.root, targets, argv, workdir)
    elif any(m.get("mountPath") == "/tmp"  # noqa: S108 - the container's path, remapped
             for m in container.get("volumeMounts") or []):
        (box.root / "tmp").mkdir(exist_ok=True)
        env["TMPDIR"] = str(box.root / "tmp")
    return launch


def init_launch(run: Run, tmpl: dict[str, Any], box: Sandbox, scope: dict[str, str], index: int,
          container: dict[str, Any], placed: Mapping[str, Any], log: Path
          ) -> Launch | str | programs.ImageLacks:
    """Init container ``index``, over a root of its own (``init_containers``)."""
    image = str(container.get("image", ""))
    known = images.known(image)
    isolated = is_isolated(run, container)
    root = box.container_root(index)
    env = container_env(run, container, scope, known)
    argv, cwd = command_line(run, container, scope, env, root,
                         None if isolated else lambda wd: root / normal(wd).lstrip("/"), known)
    workdir = (subst(str(container["workingDir"]), scope, "container.workingDir")
               if container.get("workingDir") else None)
    targets: pod_fs.Targets = {}
    if isolated:
        targets = pod_fs.init_targets(
            root, box, container, init_containers.mirrored_paths(tmpl, container, placed),
            workdir, run.config.shared)
        targets.update(images.place(known, root))
    lacks = lacking_program(run, image, argv, env, root, targets, known)
    if lacks is not None:
        return lacks
    launch = Launch(str(container.get("name", index)), argv, env, cwd,
                     log.with_name(f"{log.stem}.init-{index}.log"))
    if isolated:
        launch.wrap = bwrap_wrap(run, root, targets, argv, workdir)
    return launch
