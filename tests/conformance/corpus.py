"""Argo's vendored manifests (``argo/``), run through the local engine and classified.

Each manifest runs in a child process (``run_manifest``), a few at a time, so that one
that hangs is stopped at ``TIMEOUT`` with all it started. Its outcome is classified:

* ``match``: what Argo's e2e expects: an example Succeeded; an expected failure Failed
  or Error (or, for the three manifests Argo's validation rejects, was rejected before
  the run, as Argo's controller fails such a workflow with "invalid spec");
* ``refused``: the engine refused it by name: before the run (ManifestRefused / LoadError,
  with the YAML path), or, during it, a node whose program the host lacks or whose image
  gives no command (``HOST_CANNOT_RUN``: an Error that names the program or image). Not a
  result, but not a wrong one. Counting the latter as a match would make expected
  failures pass for the wrong reason (a host without Debian's ``cowsay`` package cannot
  run argosay's ``cowsay``, which Argo's image has). A program that an image the engine
  knows lacks (argosay's ``command: [exit, "1"]``: ``exit`` is a shell builtin, no file)
  is not this host's limit but Argo's own failure, and the engine reports it as Argo does
  (a Failed node, ``Error (exit code 64): failed to find name in PATH: ...``, see
  ``workflows/engine/programs.py``): it is judged like any other outcome;
* ``wrong``: any other outcome: a local runner that disagrees with Argo.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
ARGO = HERE / "argo"
ROOT = HERE.parents[1]
# seconds per manifest (the slowest takes ~11 s alone: room for a loaded CI machine); then
# SIGTERM (the engine stops its steps), SIGKILL
TIMEOUT = 60.0
PARALLEL = 4  # manifests at once: most of their time is sleep
REFERENCES = ("templateRef", "workflowTemplateRef", "configMapKeyRef")
# Argo's validation rejects these before anything runs (test/e2e/cli_test.go lints them),
# and its controller fails such a workflow: "invalid spec: ..." (operator.go). A refusal
# matches only when it names the fault Argo names (a pattern over the engine's problems):
# refusing them for something else would be a match for the wrong reason.
INVALID_SPEC = {
    # "templates.abc.tasks.a templates.whalesay inputs.parameters.message was not supplied"
    "expectedfailures/empty-parameter-dag.yaml": re.compile(r"\bmessage\b"),
    # "templates.abc.steps[0].a templates.whalesay inputs.parameters.message was not supplied"
    "expectedfailures/empty-parameter-steps.yaml": re.compile(r"\bmessage\b"),
    # "templates.steps-with-misreference.steps[1].hello2 template name 'hell0' undefined"
    "expectedfailures/misreference-template-name.yaml": re.compile(r"\bhell0\b"),
}
# Random by design: each attempt exits 1 with probability 2/3 (random.choice([0, 1, 1])),
# retryStrategy.limit 10, so Argo's own run fails 1.2% of the time. A Failed run is Argo's
# outcome too when it is that chance: every one of the 11 attempts exited 1 and the retries
# ran out; anything else failing is wrong as usual.
CHANCE = {"examples/retry-container.yaml": 11, "examples/retry-script.yaml": 11}
# a node the host cannot run, named by the engine (executor.py, programs.py ``HostLacks``,
# pod.py); never what an image the engine knows lacks (programs.py ``ImageLacks``)
HOST_CANNOT_RUN = re.compile(r"failed to start \S+: \[Errno 2\]|has no command: the local engine")
WIDTH = 100


@dataclass(frozen=True)
class Manifest:
    path: str  # under argo/, e.g. examples/dag-diamond.yaml
    expected: str  # Succeeded | Failed/Error

    @property
    def file(self) -> Path:
        return ARGO / self.path


@dataclass(frozen=True)
class Outcome:
    manifest: Manifest
    got: str  # Succeeded, Failed, Error, refused, timeout, crashed
    cls: str  # match | refused | wrong
    why: str  # the refusal reason or the run's message
    seconds: float


def _is_workflow(path: Path) -> bool:
    return any(isinstance(d, dict) and d.get("kind") == "Workflow"
               for d in yaml.safe_load_all(path.read_text()))


def manifests() -> list[Manifest]:
    """Every vendored Workflow file; the files with none are support (templates, ConfigMaps)."""
    found = []
    for folder, expected in (("examples", "Succeeded"), ("expectedfailures", "Failed/Error")):
        for path in sorted((ARGO / folder).rglob("*.yaml")):
            if _is_workflow(path):
                found.append(Manifest(path.relative_to(ARGO).as_posix(), expected))
    return found


def support_files() -> list[Path]:
    return [p for p in sorted((ARGO / "examples").rglob("*.yaml")) if not _is_workflow(p)]


def classify(manifest: Manifest, result: dict[str, Any], seconds: float) -> Outcome:
    if result["outcome"] == "refused":
        got, why = "refused", result["reason"]
        fault = INVALID_SPEC.get(manifest.path)
        ok = fault is not None and any(fault.search(p) for p in result["problems"])
    elif result["outcome"] == "ran":
        got, why = result["phase"], result.get("message", "")
        # a node the host could not run, wherever it is: the workflow's own message may be
        # a consequence of it (a template failFast's) and would match for the wrong reason
        cannot = [m for m in (why, *result.get("failed_nodes", [])) if HOST_CANNOT_RUN.search(m)]
        if got in ("Error", "Failed") and cannot:
            return Outcome(manifest, got, "refused", _short(cannot[0]), seconds)
        ok = got in manifest.expected.split("/") or _ran_out_by_chance(manifest, result)
    else:  # timeout, crashed
        got, why, ok = result["outcome"], result.get("reason", ""), False
    cls = "match" if ok else "refused" if got == "refused" else "wrong"
    return Outcome(manifest, got, cls, _short(why), seconds)


def _ran_out_by_chance(manifest: Manifest, result: dict[str, Any]) -> bool:
    attempts = CHANCE.get(manifest.path)
    failed = result.get("failed_nodes", [])
    return attempts is not None and result["phase"] == "Failed" and \
        sum(m.endswith("Error (exit code 1)") for m in failed) == attempts and \
        any(m.endswith("No more retries left") for m in failed)


def _short(why: str) -> str:
    """One line, without the ``Workflow/<name>: spec.`` every refusal starts with."""
    return re.sub(r"^\w+/[^:]*: (spec\.)?", "", " ".join(why.split()))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """As Ctrl-C does: SIGTERM lets the engine stop its steps; then SIGKILL the group."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=8)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_one(manifest: Manifest, workdir: Path, support: list[Path]) -> Outcome:
    workdir.mkdir(parents=True)
    out = workdir / "outcome.json"
    text = manifest.file.read_text()
    extra = support if any(ref in text for ref in REFERENCES) else []
    argv = [sys.executable, "-m", "tests.conformance.run_manifest", str(out),
            str(workdir / "home"), str(manifest.file), *map(str, extra)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    with open(workdir / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                                stderr=err, start_new_session=True)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop(proc)
            result = {"outcome": "timeout", "reason": f"still running after {TIMEOUT:.0f} s"}
            return classify(manifest, result, time.monotonic() - started)
    seconds = time.monotonic() - started
    if proc.returncode != 0 or not out.exists():
        tail = (workdir / "stderr.txt").read_text(errors="replace").strip().splitlines()
        result = {"outcome": "crashed", "reason": tail[-1] if tail else f"exit {proc.returncode}"}
    else:
        result = json.loads(out.read_text())
    return classify(manifest, result, seconds)


def run_all(selected: Iterable[Manifest], workdir: Path) -> dict[str, Outcome]:
    support = support_files()
    chosen = list(selected)
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = [pool.submit(run_one, m, workdir / f"{i:03d}", support)
                   for i, m in enumerate(chosen)]
        return {m.path: f.result() for m, f in zip(chosen, futures, strict=True)}


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(outcomes: Iterable[Outcome]) -> list[str]:
    """The table, one manifest a line within ``WIDTH`` columns, and the summary line."""
    rows = sorted(outcomes, key=lambda o: o.manifest.path)
    head = f"{'file':<36} {'expected':<9} {'got':<9} {'class':<7} reason or message"
    lines = [head, "-" * WIDTH]
    for o in rows:
        name = o.manifest.path.removesuffix(".yaml").replace("expectedfailures/", "failures/")
        expected = "Fail|Err" if o.manifest.expected != "Succeeded" else "Succeeded"
        start = f"{_fit(name, 36):<36} {expected:<9} {o.got:<9} {o.cls:<7} "
        lines.append(start + _fit(o.why, WIDTH - len(start)))
    lines.append(summary(rows))
    return lines


def summary(outcomes: Iterable[Outcome]) -> str:
    rows = list(outcomes)
    n = len(rows)
    count = {c: sum(o.cls == c for o in rows) for c in ("match", "refused", "wrong")}
    percent = 100 * count["match"] / n if n else 0.0
    return (f"{n} manifests: {count['match']} match ({percent:.0f}%), "
            f"{count['refused']} refused, {count['wrong']} wrong")
