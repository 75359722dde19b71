"""Runs made by the real engine, `cadencia ui` serving them, and headless Chromium.

One project folder for the session holds, made by `cadencia run` as a user would: a
succeeded run, its memoized rerun, a run whose load fails on configuration (the
warehouse's folder does not exist: exit 78), a run whose load fails on a PostgreSQL
server that does not answer (exit 75, retried with backoff; its URL has a password that no
page may show), and a two-day backfill. Tests that need a run still going start their own
(`slow_run`). The browser is Debian's chromium driven by Debian's chromium-driver
(scripts/setup.sh installs both); nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Hunter2-Sekrit-9f3"  # in the PostgreSQL run's secrets file only
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromedriver")


def cadencia_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="120")
    return env


def cadencia(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd,
                          env=cadencia_env(), capture_output=True, text=True, timeout=timeout)


def newest_run(home: Path) -> str:
    from workflows.runs.store import RunStore

    return RunStore(home / "runs").records()[0].name


@dataclass(frozen=True)
class Runs:
    project: Path
    home: Path
    succeeded: str
    memoized: str
    failed: str  # load exit 78: the warehouse's folder is missing
    failed_pg: str  # load exit 75 three times: nobody listens on the PostgreSQL port
    backfill: str


def _run(project: Path, *args: str, code: int = 0) -> str:
    result = cadencia("run", "--pipeline", "orders", *args, cwd=project)
    assert result.returncode == code, result.stdout + result.stderr
    return newest_run(project / ".cadencia")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    project = tmp_path_factory.mktemp("ui-project")
    home = project / ".cadencia"
    succeeded = _run(project, "--date", "2026-11-25")
    memoized = _run(project, "--date", "2026-11-25")
    source = f"sqlite:///{home / 'source.db'}"
    broken = project / "broken-target.yaml"
    broken.write_text(yaml.safe_dump({
        "cadencia-source-db": {"url": source},
        "cadencia-target-db": {"url": f"sqlite:///{project}/missing/dir/w.db"}}))
    failed = _run(project, "--date", "2026-11-26", "--secrets", str(broken), code=1)
    unreachable = project / "pg-target.yaml"
    unreachable.write_text(yaml.safe_dump({
        "cadencia-source-db": {"url": source},
        "cadencia-target-db": {"url": f"postgresql+psycopg://etl:{PASSWORD}@127.0.0.1:"
                                      f"{_closed_port()}/warehouse"}}))
    failed_pg = _run(project, "--date", "2026-11-27", "--secrets", str(unreachable), code=1)
    backfill = _run(project, "--entry", "orders-backfill", "-p", "start-date=2026-11-01",
                    "-p", "end-date=2026-11-02")
    return Runs(project, home, succeeded, memoized, failed, failed_pg, backfill)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    banner: str

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return str(response.read().decode())

    def json(self, path: str) -> Any:
        return json.loads(self.get(path))


@pytest.fixture(scope="session")
def server(runs: Runs) -> Iterator[Server]:
    port = free_port()
    output = runs.project / "ui.out"  # a file, not a pipe nobody would drain
    with output.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "workflows.cli", "ui", "--home", str(runs.home), "--port",
             str(port)], cwd=runs.project, env=cadencia_env(), stdout=out,
            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/api/runs", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError("cadencia ui did not start: "
                                     + output.read_text()) from None
            time.sleep(0.2)
    yield Server(url, process, output.read_text().splitlines()[0])
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    if process.poll() is None:
        process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    missing = [path for path in CHROMIUM if not shutil.which(path)]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: scripts/setup.sh installs Debian's "
                    "chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMIUM[1]))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save what they saw: $CADENCIA_UI_SCREENSHOTS, else a temp
    folder (printed in the test's output)."""
    chosen = os.environ.get("CADENCIA_UI_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("ui-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SLOW_MANIFEST = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{name: {name}}}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {{name: first, template: quick}}
      - {{name: slow, template: ticks, dependencies: [first]}}
      - {{name: last, template: quick, dependencies: [slow]}}
  - name: quick
    container: {{image: alpine:3.20, command: [sh, -c, "echo done"]}}
  - name: ticks
    container:
      image: alpine:3.20
      command: [sh, -c, "for i in $(seq 1 {ticks}); do echo tick $i; sleep 1; done"]
"""


@contextlib.contextmanager
def slow_run(runs: Runs, name: str, ticks: int) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``cadencia run`` of a three-task DAG whose middle task prints a tick a second for
    ``ticks`` seconds; yields the run's name once its record exists, and the process."""
    manifest = runs.project / f"{name}.yaml"
    manifest.write_text(SLOW_MANIFEST.format(name=name, ticks=ticks))
    process = subprocess.Popen(
        [sys.executable, "-m", "workflows.cli", "run", "--env", str(manifest), "--home",
         str(runs.home)], cwd=runs.project, env=cadencia_env(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        run = None
        while run is None:
            assert time.monotonic() < deadline, "the slow run did not start"
            assert process.poll() is None, process.communicate()[0]
            found = [p.name for p in (runs.home / "runs").glob(f"{name}-*")
                     if (p / "cadencia.pid").is_file()]
            run = found[0] if found else None
            time.sleep(0.1)
        yield run, process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)
