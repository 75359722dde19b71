"""Templates that rely on a pod's own filesystem, refused where pods cannot have one.

Without a private mount namespace (``isolation``) a command runs in the host's
filesystem and the engine can only point it at its sandbox through the ``{{...path}}``
variables. So, for every container or script template of an image other than this
project's, each of these is refused before the run, with its YAML path and the path:

- a declared artifact or parameter path the command names literally, or does not name
  through its variable at all (the image's program would look for it by itself);
- a ``volumeMounts`` entry (a volume has no variable);
- a ``workingDir`` the command names literally;
- a literal ``/tmp/...`` in the command, args, env or a script's source (the host's
  /tmp, shared with every other node and run, where Argo's pod has its own);
- a script naming ``/argo/staging``, where Argo stages its source (here the file is the
  sandbox's, named by the argument appended to the command);
- a file of an image the engine knows (argosay:v2's ``/argosay``), run as the image's
  entrypoint (no ``command``) or named: it is placed only in a pod's own filesystem.
- for an init container: a declared path of its template, a ``volumeMounts`` entry, a
  ``workingDir`` or ``/tmp/...`` named literally (the main container's mounts that
  ``mirrorVolumeMounts`` gives it are refused as the main's).

A containerSet template is refused whole there (its containers' own filesystems sharing
only volumes need namespaces), and, on any machine, when one of its containers is of this
project's image (``container_set.host_problems``).

Where pods do get their own filesystem, ``host_entries`` refuses an output path that
names an entry of this host (``/etc/hostname``, ``/mnt``): the pod sees the host's entry
there, read-only, standing in for the image's, which Argo's command could replace and
its executor would collect as it is, so neither "missing" nor the host's copy is Argo's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from workflows.engine import images, isolation, scripts
from workflows.engine.admit import container_set
from workflows.engine.admit.inline import with_inline
from workflows.engine.admit.load import Loaded
from workflows.engine.declared import declared_paths, image_repository

TMP_LITERAL = re.compile(r"(?<![\w./{-])/tmp(?:/[^\s'\";|&)]*)?(?![\w.-])")


def _templates(loaded: Loaded) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(document label, YAML path, template) of the run's templates and its library's."""
    label = str(loaded.owner) if loaded.owner else f"{loaded.kind}/{loaded.source}"
    base = "spec.workflowSpec" if loaded.kind == "CronWorkflow" and not loaded.owner else "spec"
    for where, tmpl in with_inline(loaded.spec.get("templates") or [], f"{base}.templates"):
        yield label, where, tmpl
    for source, spec in loaded.library.items():
        if source == loaded.owner:
            continue
        for where, tmpl in with_inline(spec.get("templates") or [], "spec.templates"):
            yield str(source), where, tmpl


def _text(container: Mapping[str, Any]) -> str:
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    words += [str(e.get("value", "")) for e in container.get("env") or []]
    words.append(str(container.get("source") or ""))  # a script's source
    return "\n".join(words)


def problems(loaded: Loaded, our_images: frozenset[str], why: str) -> list[str]:
    """Each use of a literal path that needs the pod's own filesystem; ``why`` says why
    this machine gives none."""
    found: list[str] = []
    needs = f"needs the pod's own filesystem, which this machine cannot give ({why})"
    for label, where, tmpl in _templates(loaded):
        main = "container" if "container" in tmpl else "script"
        container = tmpl.get(main)
        if container and image_repository(str(container.get("image", ""))) not in our_images:
            found += _uses(label, where, tmpl, main, container, needs)
            found += _image_files(label, where, main, container, needs)
        for k, init in enumerate(tmpl.get("initContainers") or []):
            if image_repository(str(init.get("image", ""))) not in our_images:
                found += _init_uses(label, where, tmpl, f"initContainers[{k}]", init, needs)
                found += _image_files(label, where, f"initContainers[{k}]", init, needs)
    return found


def _image_files(label: str, where: str, main: str, container: Mapping[str, Any],
                 needs: str) -> list[str]:
    """The files of a known image (argosay:v2's ``/argosay``) the pod would run or name:
    the engine places them only in a pod's own filesystem."""
    image = str(container.get("image", ""))
    known = images.known(image)
    found = []
    for at in images.files_used(known, container, _text(container)):
        how = (f"gives no command, so the pod runs its image's entrypoint {at}"
               if known and not container.get("command") and known.entrypoint[:1] == (at,)
               else f"uses {at}")
        found.append(f"{label}: {where}.{main}: the container {how}, a file of image "
                     f"{image} that the engine places in the pod's own filesystem; " + needs)
    return found


def _init_uses(label: str, where: str, tmpl: Mapping[str, Any], at: str,
               container: Mapping[str, Any], needs: str) -> list[str]:
    """An init container's literal uses: it has no declared paths of its own, but may
    name the template's (the input artifacts it sees with ``mirrorVolumeMounts``)."""
    text = _text(container)
    found = [f"{label}: {where}.{at}: the command uses {path} literally; " + needs
             for _, _, path in declared_paths(dict(tmpl)) if path in text]
    return found + _container_uses(label, where, at, container, text, set(), needs)


def our_scripts(loaded: Loaded, our_images: frozenset[str]) -> list[str]:
    """The same, for the script templates of this project's image, whatever the machine:
    they always run in the host's filesystem (a runner script of Hera writing its outputs
    under a literal ``/tmp/hera-outputs`` would write the host's)."""
    found: list[str] = []
    needs = ("needs the pod's own filesystem, which scripts of this project's image never "
             "get (they run in the host's; name paths through their {{...path}} variables)")
    for label, where, tmpl in _templates(loaded):
        container = tmpl.get("script")
        if container and image_repository(str(container.get("image", ""))) in our_images:
            found += _uses(label, where, tmpl, "script", container, needs)
    return found


def container_sets(loaded: Loaded, our_images: frozenset[str],
                   namespaces: str | None) -> list[str]:
    """What no machine, or this one (``namespaces``: why it has no mount namespaces, or
    None), cannot give a containerSet template (``container_set.host_problems``)."""
    return [f"{label}: {problem}" for label, where, tmpl in _templates(loaded)
            for problem in container_set.host_problems(tmpl, where, our_images, namespaces)]


def _uses(label: str, where: str, tmpl: Mapping[str, Any], main: str,
          container: Mapping[str, Any], needs: str) -> list[str]:
    found: list[str] = []
    text = _text(container)
    for variable, field, path in declared_paths(dict(tmpl)):
        placeholder = re.search(r"\{\{\s*" + re.escape(variable) + r"\s*\}\}", text)
        if path in text:
            found.append(f"{label}: {where}.{field}: the command uses {path} literally; "
                         + needs)
        elif not placeholder:
            found.append(f"{label}: {where}.{field}: {path} is never named through "
                         f"{{{{{variable}}}}}, so the image's program looks for it at "
                         "that literal path; " + needs)
    if main == "script" and scripts.STAGING in text:
        found.append(f"{label}: {where}.script.source: the script uses {scripts.STAGING} "
                     "literally, where the pod's source is staged; " + needs)
    return found + _container_uses(label, where, main, container, text,
                                   {p for _, _, p in declared_paths(dict(tmpl))}, needs)


def _container_uses(label: str, where: str, at: str, container: Mapping[str, Any],
                    text: str, declared: set[str], needs: str) -> list[str]:
    """Volumes, a working directory named literally, /tmp paths: of any container."""
    found = [f"{label}: {where}.{at}.volumeMounts[{k}].mountPath: volume "
             f"{mount.get('name')!r} at {mount.get('mountPath')}; " + needs
             for k, mount in enumerate(container.get("volumeMounts") or [])]
    workdir = str(container.get("workingDir") or "")
    if workdir.startswith("/") and workdir.rstrip("/") and workdir.rstrip("/") in text:
        found.append(f"{label}: {where}.{at}.workingDir: the command uses {workdir} "
                     "literally; " + needs)
    literal_tmp = sorted(set(TMP_LITERAL.findall(text)) - declared)
    if literal_tmp:
        found.append(f"{label}: {where}.{at}: the command uses "
                     f"{', '.join(literal_tmp)}, in a pod's own /tmp in Argo and in the "
                     "host's shared /tmp here; " + needs)
    return found


def host_entries(loaded: Loaded, our_images: frozenset[str]) -> list[str]:
    """Each output path of an isolated template (an image other than ours) that names an
    entry of this host outside ``/tmp`` and the template's volumes."""
    found: list[str] = []
    for label, where, tmpl in _templates(loaded):
        main = "container" if "container" in tmpl else "script"
        container = tmpl.get(main)
        if not container or image_repository(str(container.get("image", ""))) in our_images:
            continue
        own = [str(m.get("mountPath", "")) for m in container.get("volumeMounts") or []]
        for variable, field, path in declared_paths(dict(tmpl)):
            if variable.startswith("inputs.") or "{{" in path or not path.startswith("/"):
                continue
            inside = [isolation.TMP, *own]
            if any(path.rstrip("/") == o.rstrip("/") or path.startswith(o.rstrip("/") + "/")
                   for o in inside) or not os.path.lexists(path):
                continue
            found.append(f"{label}: {where}.{field}: {path} is an entry of this host, which "
                         "the pod sees there read-only in place of its image's; the local "
                         "engine cannot collect what Argo would (declare the output at a "
                         "path the command creates)")
    return found
