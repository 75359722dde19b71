"""`cadencia run` and the run-record commands, as a user meets them (README's main job)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-11-25"


def cadencia(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env.update(PYTHONPATH=str(ROOT), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "workflows.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


SUMMARY_ROW = re.compile(r"^ (?P<node>\S.*?)\s+(?P<phase>Succeeded|Failed|Error|Omitted|Skipped)"
                         r"\s+\d*\s+(?:[0-9.]+s)?\s+[0-9,]*\s*(?P<message>.*?)\s*$")


def summary_messages(stdout: str) -> dict[str, str]:
    """``{node: message}`` from the summary table after the live lines."""
    table = stdout[stdout.rindex("Running"):]
    return {m["node"].strip(): m["message"] for line in table.splitlines()
            if (m := SUMMARY_ROW.match(line))}


def warehouse(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / ".cadencia" / "warehouse.db") as conn:
        return conn.execute(sql).fetchall()


def test_run_twice_loads_the_day_once_and_the_second_run_is_memoized(tmp_path: Path) -> None:
    first = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    for node in ("extract-http", "extract-sql", "clean", "transform", "validate", "load",
                 "notify (onExit)"):
        assert node in first.stdout
    assert "Succeeded in" in first.stdout
    # what each step did beyond its row count, in the summary's message column
    notes = summary_messages(first.stdout)
    assert notes["clean"] == "1,000 duplicates dropped"
    assert notes["validate"] == "3 quarantined (range:quantidade 3)"
    assert notes["load"] == f"new partition {DATE}"
    live = [line for line in first.stdout.splitlines() if "Succeeded validate(0)" in line]
    assert len(live) == 1 and live[0].endswith("3 quarantined (range:quantidade 3)"), live

    second = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("memoized") >= 4  # extract-http, extract-sql, clean, transform
    assert "memoized; 1,000 duplicates dropped" in second.stdout  # a hit replays the note
    assert f"replaced 2,997 rows of {DATE}" in second.stdout

    # 2000 API ids + 2000 SQL ids overlapping by 1000 = 3000; 3 quarantined (quantidade 0)
    assert warehouse(tmp_path, "SELECT count(*), count(DISTINCT id) FROM vendas "
                               f"WHERE logical_date = '{DATE}'") == [(2997, 2997)]
    assert warehouse(tmp_path, "SELECT count(*) FROM cadencia_load_ledger") == [(2,)]

    listing = cadencia("runs", cwd=tmp_path)
    assert listing.returncode == 0 and listing.stdout.count("orders-") == 2
    tree = cadencia("get", "@latest", cwd=tmp_path)
    assert tree.returncode == 0
    assert "Status:" in tree.stdout and "Succeeded" in tree.stdout and "onExit" in tree.stdout
    logs = cadencia("logs", "@latest", "load", cwd=tmp_path)
    assert logs.returncode == 0 and "load finished" in logs.stdout


def test_a_failed_run_is_retried_from_its_failed_node(tmp_path: Path) -> None:
    """The warehouse's folder does not exist: load fails (78, a configuration error, not
    retried); after the fix `cadencia retry` runs only what had not succeeded."""
    secrets = tmp_path / "secrets.yaml"
    source = tmp_path / ".cadencia" / "source.db"
    broken = {"cadencia-source-db": {"url": f"sqlite:///{source}"},
              "cadencia-target-db": {"url": f"sqlite:///{tmp_path}/missing/dir/w.db"}}
    secrets.write_text(yaml.safe_dump(broken))
    # an embedded run: seeds the source
    seeded = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr

    failed = cadencia("run", "--pipeline", "orders", "--date", "2026-11-26",
                      "--secrets", str(secrets), cwd=tmp_path)
    assert failed.returncode == 1
    assert "Error (exit code 78)" in failed.stdout
    assert "retryStrategy.expression evaluated to false" in failed.stdout

    fixed = {**broken, "cadencia-target-db": {"url": f"sqlite:///{tmp_path}/w.db"}}
    secrets.write_text(yaml.safe_dump(fixed))
    retried = cadencia("retry", "@latest", cwd=tmp_path)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    ran = [line for line in retried.stdout.splitlines() if "Running" in line]
    assert any("load" in line for line in ran)
    assert not any("extract-http" in line or "clean" in line for line in ran)

    # argo retry: the same run (name, record), one run listed, the new attempt in `get`
    name = re.search(r"`cadencia get (\S+)`", failed.stdout)[1]  # type: ignore[index]
    assert f"`cadencia get {name}`" in retried.stdout
    listing = cadencia("runs", cwd=tmp_path).stdout
    assert listing.count(name) == 1 and listing.count("orders-") == 2  # the seeding run too
    tree = cadencia("get", name, cwd=tmp_path).stdout
    assert "Status:              Succeeded" in tree
    load_row = next(line for line in tree.splitlines() if "load" in line and "─" in line)
    assert "✔" in load_row and "Error (exit code 78)" not in tree
    logs = cadencia("logs", name, "load", cwd=tmp_path).stdout
    assert "load finished" in logs and '"level": "error"' not in logs
    aside = (tmp_path / ".cadencia" / "runs" / name / "logs").glob("retry-1/*.log")
    # the failed attempt's log (and the exit handler's), kept aside
    assert ['"exit_code": 78' in log.read_text() for log in aside].count(True) == 1


def test_a_taken_sample_api_port_moves_the_run_to_a_free_one(tmp_path: Path) -> None:
    """Another program (or another `cadencia run`) on 127.0.0.1:18080 does not stop the run,
    and a second run in the same state still hits the memo entries of the first (the API's
    URL is in extract-http's key, so the fallback port must be the same each time)."""
    with contextlib.ExitStack() as stack:
        holder = stack.enter_context(socket.socket())
        # SO_REUSEADDR: bind despite an earlier test's server in TIME_WAIT, which would not
        # stop cadencia's own server (it sets the option too) from taking the port
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):  # already taken by someone else: just as good
            holder.bind(("127.0.0.1", 18080))
            holder.listen()
        result = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
        again = cadencia("run", "--pipeline", "orders", "--date", DATE, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "127.0.0.1:18080 is in use: the sample API serves this run on 127.0.0.1:" \
        in result.stdout
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"Succeeded extract-http [0-9.]+s \(memoized\)", again.stdout), again.stdout
    assert warehouse(tmp_path, "SELECT count(*) FROM vendas") == [(2997,)]
    compiled = (ROOT / "k8s" / "workflows" / "local" / "orders" / "orders.yaml").read_text()
    assert "http://127.0.0.1:18080/orders/page" in compiled  # the file stays as compiled
    assert "extract-http=http://127.0.0.1:18080/orders/page" in compiled  # the fingerprint's
