"""Issue 10, case 5: `cadencia run` gets SIGINT, SIGTERM or SIGHUP while a step runs.

A real `cadencia run` subprocess runs a small manifest: the compiled SLA watcher (its
delay cut to a few seconds, its channel a webhook on 127.0.0.1), a step that sleeps
(one that even ignores SIGTERM, for SIGHUP), a step after it and an exit handler. The
signal must stop the whole run as `argo terminate` does: every step's process group gone,
no SLA notice afterwards, no exit handler, the record Failed with Argo's wording, an exit
code of 128 + the signal, and `cadencia retry` then finishing the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures_mail import WebhookReceiver
from workflows.engine.executor import KILL_GRACE_SECONDS

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
SLA_DELAY = 3  # seconds the SLA watcher waits before its "at risk" notice
DATE = "2026-11-25"


def sla_watch(webhook: str) -> dict[str, Any]:
    """The compiled SLA watcher of the local environment, warning after SLA_DELAY s."""
    docs = yaml.safe_load_all((ROOT / "k8s/workflows/local/orders/orders.yaml").read_text())
    (tmpl,) = [t for d in docs if d.get("kind") == "WorkflowTemplate"
               for t in d["spec"]["templates"] if t["name"] == "sla-watch"]
    args = tmpl["container"]["args"]
    args[args.index("--delay-seconds") + 1] = str(SLA_DELAY)
    args[args.index("--channel") + 1] = "webhook"
    tmpl["container"]["env"] = [*tmpl["container"].get("env", []),
                                {"name": "CADENCIA_NOTIFY_WEBHOOK_URL", "value": webhook}]
    return dict(tmpl)


def manifest(tmp_path: Path, webhook: str, *, stubborn: bool) -> Path:
    ignore = "trap '' TERM; " if stubborn else ""
    work = (f"test -e {tmp_path}/release && exit 0; echo $$ > {tmp_path}/work.pid; "
            f"{ignore}sleep 60 & wait")
    doc = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
           "metadata": {"name": "stoppable"},
           "spec": {"entrypoint": "main", "onExit": "bye", "templates": [
               {"name": "main", "dag": {"tasks": [
                   {"name": "sla-watch", "template": "sla-watch",
                    "arguments": {"parameters": [{"name": "run-date", "value": DATE}]},
                    "continueOn": {"error": True, "failed": True}},
                   {"name": "work", "template": "work"},
                   {"name": "after", "template": "after", "dependencies": ["work"]}]}},
               sla_watch(webhook),
               {"name": "work", "retryStrategy": {"limit": 2},
                "container": {"image": "alpine:3.20", "command": ["sh", "-c", work]}},
               {"name": "after", "container": {"image": "alpine:3.20", "command": ["true"]}},
               {"name": "bye", "container": {"image": "alpine:3.20", "command": [
                   "sh", "-c", f"echo ran >> {tmp_path}/exit-handler"]}}]}}
    path = tmp_path / "stoppable.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def cadencia(*args: str, cwd: Path, **kwargs: Any) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    # The steps leave their pid and marks in cwd, on the host: every pod sees it there.
    env.update(PYTHONPATH=str(ROOT), COLUMNS="200", CADENCIA_ENGINE_SHARE=str(cwd))
    with open(cwd / f"{args[0]}.out", "w") as out:  # the child keeps its own copy
        return subprocess.Popen([sys.executable, "-m", "workflows.cli", *args], cwd=cwd,
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
                                preexec_fn=_as_from_a_terminal, **kwargs)


def _as_from_a_terminal() -> None:
    """A terminal's shell starts cadencia with SIGHUP at its default. A suite run under
    ``nohup`` would pass SIGHUP on ignored, and cadencia rightly keeps an ignored signal
    ignored (engine ``_stop_on_signals``), so the hang-up case would wait forever."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def processes() -> list[tuple[int, str, int, int]]:
    """(pid, state, ppid, process group) of every process, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.append((int(stat.parent.name), fields[0], int(fields[1]), int(fields[2])))
    return found


def step_groups(cli: int) -> set[int]:
    """Process groups of the CLI's children: each step runs in its own session."""
    return {group for _, _, ppid, group in processes() if ppid == cli}


def survivors(groups: set[int]) -> list[tuple[int, str, int, int]]:
    """Processes still running in ``groups`` (a zombie is dead, waiting for init)."""
    return [p for p in processes() if p[3] in groups and p[1] != "Z"]


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize(("sig", "stubborn"), [
    (signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGHUP, True)],
    ids=["SIGINT", "SIGTERM", "SIGHUP-step-ignores-SIGTERM"])
def test_a_signal_stops_every_step_records_terminate_and_retry_finishes_the_run(
        tmp_path: Path, sig: signal.Signals, stubborn: bool) -> None:
    home = tmp_path / "home"
    with WebhookReceiver() as receiver:
        path = manifest(tmp_path, receiver.url, stubborn=stubborn)
        run = cadencia("run", "--env", str(path), "--home", str(home), cwd=tmp_path)
        groups: set[int] = set()
        try:
            wait_for(lambda: (tmp_path / "work.pid").exists()
                     and len(step_groups(run.pid)) == 2, 30, "both steps to run")
            groups = step_groups(run.pid)
            sent = time.monotonic()
            run.send_signal(sig)
            code = run.wait(timeout=KILL_GRACE_SECONDS + 20)
            took = time.monotonic() - sent
            left = survivors(groups)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
            for group in step_groups(run.pid) | {p[3] for p in survivors(groups)}:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)  # no test leaves a step behind
        output = (tmp_path / "run.out").read_text()
        assert left == [], f"steps outlived `cadencia run`: {left}"
        assert code == 128 + sig, output
        assert f"stopped by {sig.name}" in output and "cadencia retry" in output
        # Prompt: at once for steps that obey SIGTERM, SIGKILL after the grace otherwise.
        if stubborn:
            assert KILL_GRACE_SECONDS - 0.5 <= took < KILL_GRACE_SECONDS + 5, took
        else:
            assert took < 4, took

        (record,) = list((home / "runs").iterdir())
        assert (record / "invocation.json").is_file()  # written as the run started
        workflow = json.loads((record / "workflow.json").read_text())
        status = workflow["status"]
        assert (status["phase"], status["message"]) == (
            "Failed", "Stopped with strategy 'Terminate'")
        nodes = {n["displayName"]: n for n in status["nodes"].values()}
        assert (nodes["work(0)"]["phase"], nodes["work(0)"]["message"]) == (
            "Failed", "workflow shutdown with strategy:  Terminate")
        assert nodes["work"]["message"] == "Stopped with strategy 'Terminate'"
        assert len([n for n in nodes if n.startswith("work(")]) == 1  # not retried
        assert nodes["sla-watch"]["phase"] == "Failed"
        assert not any(n["type"] == "Pod" and n["phase"] == "Running"
                       for n in status["nodes"].values())
        assert not (tmp_path / "exit-handler").exists()  # Terminate runs no exit handler

        time.sleep(max(0.0, SLA_DELAY + 1.5 - took))
        assert receiver.requests == [], "the SLA watcher notified for a stopped run"

        (tmp_path / "release").touch()
        retry = cadencia("retry", "@latest", "--home", str(home), cwd=tmp_path)
        assert retry.wait(timeout=60) == 0, (tmp_path / "retry.out").read_text()
    runs = [p for p in (home / "runs").iterdir() if (p / "workflow.json").is_file()]
    assert [p.name for p in runs] == [record.name]  # argo retry: the same workflow
    again = json.loads((runs[0] / "workflow.json").read_text())
    assert again["status"]["phase"] == "Succeeded"
    assert (runs[0] / "invocation.json").is_file()
    assert (tmp_path / "exit-handler").read_text() == "ran\n"
