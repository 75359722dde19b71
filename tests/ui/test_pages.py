"""What a person sees in `cadencia ui`, in headless Chromium, over runs of the real engine.

Screenshots land in $CADENCIA_UI_SCREENSHOTS (else a temp folder); docs/images/ holds
three of them (the run list, a failed run's graph, a quarantine).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.ui.conftest import PASSWORD, Runs, Server, slow_run


def wait_for(browser: Any, condition: Callable[[Any], Any], timeout: float = 20) -> Any:
    """Until ``condition`` holds; an element the page redrew while it was read is read
    again (the live pages replace their rows as a run goes)."""
    return WebDriverWait(browser, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def graph_node(browser: Any, label: str) -> Any:
    return browser.find_element(By.CSS_SELECTOR, f'#graph g.node[data-label="{label}"]')


def node_phase(label: str) -> Callable[[Any], str | None]:
    def phase(browser: Any) -> str | None:
        found = browser.find_elements(By.CSS_SELECTOR, f'#graph g.node[data-label="{label}"]')
        return found[0].get_attribute("data-phase") if found else None
    return phase


def text(browser: Any, css: str) -> str:
    return str(browser.find_element(By.CSS_SELECTOR, css).text)


def test_the_run_list_shows_phases_pipelines_dates_rows_and_filters(
        browser: Any, server: Server, runs: Runs, screenshots: Path) -> None:
    browser.get(server.url + "/")
    rows = {r.get_attribute("data-name"): r.text
            for r in browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")}
    assert {runs.succeeded, runs.memoized, runs.failed, runs.failed_pg, runs.backfill} <= set(rows)
    assert "Succeeded" in rows[runs.succeeded] and "2026-11-25" in rows[runs.succeeded]
    assert "2,997" in rows[runs.succeeded]
    assert "2026-11-01..2026-11-02" in rows[runs.backfill] and "5,994" in rows[runs.backfill]
    assert "Failed" in rows[runs.failed]
    browser.save_screenshot(str(screenshots / "run-list.png"))

    Select(browser.find_element(By.ID, "filter-phase")).select_by_value("Failed")
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait_for(browser, lambda b: "phase=Failed" in b.current_url)
    shown = {r.get_attribute("data-name") for r in
             browser.find_elements(By.CSS_SELECTOR, "#runs tr.run")}
    assert {runs.failed, runs.failed_pg} <= shown and runs.succeeded not in shown


def test_a_failed_run_shows_its_graph_and_the_cause_on_the_failed_node(
        browser: Any, server: Server, runs: Runs, screenshots: Path) -> None:
    browser.get(f"{server.url}/runs/{runs.failed}")
    wait_for(browser, node_phase("load"))
    phases = {label: node_phase(label)(browser) for label in
              ("extract-http", "extract-sql", "clean", "transform", "validate", "load",
               "onExit")}
    assert phases == {"extract-http": "Succeeded", "extract-sql": "Succeeded",
                      "clean": "Succeeded", "transform": "Succeeded",
                      "validate": "Succeeded", "load": "Failed", "onExit": "Succeeded"}
    assert "exit 78" in graph_node(browser, "load").text
    cause = text(browser, "#failures .cause")
    assert "missing/dir/w.db does not exist" in cause and "(exit 78, configuration)" in cause
    assert "verdict met" in text(browser, "#sla")
    browser.set_window_size(1400, 2000)  # the whole graph in one picture
    try:
        browser.save_screenshot(str(screenshots / "failed-run.png"))
        browser.find_element(By.ID, "graph").screenshot(
            str(screenshots / "failed-run-graph.png"))
    finally:
        browser.set_window_size(1400, 1000)

    graph_node(browser, "load").click()  # the node page: its cause, exit code and log
    wait_for(browser, lambda b: "/nodes/" in b.current_url)
    assert text(browser, "#cause") == cause
    assert "78" in text(browser, "#node-summary")
    wait_for(browser, lambda b: "does not exist" in b.find_element(By.CSS_SELECTOR,
                                                                   "pre.log").text)


def test_attempts_and_backoff_waits_show_in_the_graph_and_the_timeline(
        browser: Any, server: Server, runs: Runs) -> None:
    browser.get(f"{server.url}/runs/{runs.failed_pg}")
    wait_for(browser, node_phase("load"))
    assert "3 attempts" in graph_node(browser, "load").text
    bars = [(b.get_attribute("data-label"), b.get_attribute("class"))
            for b in browser.find_elements(By.CSS_SELECTOR, "#timeline g.bar")]
    assert [label for label, kind in bars if "backoff" in kind] == ["load backoff"] * 2
    assert ("load #2", "bar attempt") in bars
    assert "Connection refused" in text(browser, "#failures .cause")
    assert PASSWORD not in browser.page_source


def test_a_memoized_rerun_and_a_backfill(browser: Any, server: Server, runs: Runs) -> None:
    browser.get(f"{server.url}/runs/{runs.memoized}")
    wait_for(browser, node_phase("clean"))
    assert "memoized" in graph_node(browser, "clean").text
    assert graph_node(browser, "clean").get_attribute("data-memoized") == "true"
    assert "memoized" not in graph_node(browser, "load").text
    browser.get(f"{server.url}/runs/{runs.backfill}")
    wait_for(browser, node_phase("2026-11-02 load"))
    assert node_phase("2026-11-01 load")(browser) == "Succeeded"
    assert node_phase("2026-11-02 load")(browser) == "Succeeded"


def test_a_parquet_preview_and_the_quarantine_with_the_rule_each_row_broke(
        browser: Any, server: Server, runs: Runs, screenshots: Path) -> None:
    browser.get(f"{server.url}/runs/{runs.succeeded}/data")
    links = {a.text: a.get_attribute("href") for a in
             browser.find_elements(By.CSS_SELECTOR, "#artifacts a.artifact")}
    assert {"data", "quarantine", "report"} <= set(links)
    ledger = text(browser, "table.ledger-rows")
    assert runs.succeeded in ledger and "2997" in ledger
    assert "warehouse.db" in text(browser, "code.target")

    transform = next(row.find_element(By.CSS_SELECTOR, "a.artifact").get_attribute("href")
                     for row in browser.find_elements(By.CSS_SELECTOR, "#artifacts tbody tr")
                     if row.text.startswith("transform"))
    browser.get(transform)
    assert text(browser, "#rowcount").startswith("3,000 rows")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#preview tbody tr")) == 50
    assert "valor_total" in text(browser, "#schema")

    browser.get(links["quarantine"])
    assert text(browser, "#rowcount") == "3 rows"
    header = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#preview thead th")]
    assert "_REJECTED_BY" in [h.upper() for h in header]
    rules = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#preview td.rule-column")]
    assert rules == ["range:quantidade"] * 3
    browser.save_screenshot(str(screenshots / "quarantine.png"))

    browser.get(links["report"])  # validate's JSON report, pretty-printed
    assert "range:quantidade" in text(browser, "#artifact-text")


def test_the_graph_and_a_log_update_live_while_the_run_goes(
        browser: Any, server: Server, runs: Runs, screenshots: Path) -> None:
    with slow_run(runs, "live", ticks=10) as (run, process):
        browser.get(f"{server.url}/runs/{run}")
        wait_for(browser, lambda b: node_phase("slow")(b) == "Running")
        browser.execute_script("window.notReloaded = true;")
        assert node_phase("last")(browser) in (None, "Pending")
        browser.save_screenshot(str(screenshots / "live-run.png"))
        wait_for(browser, lambda b: node_phase("last")(b) == "Succeeded", timeout=40)
        assert browser.execute_script("return window.notReloaded") is True
        assert node_phase("slow")(browser) == "Succeeded"
        assert "Succeeded" in text(browser, "#summary")
        assert process.wait(timeout=30) == 0

    with slow_run(runs, "follow", ticks=8) as (run, process):
        browser.get(f"{server.url}/runs/{run}")
        wait_for(browser, lambda b: node_phase("slow")(b) == "Running")
        graph_node(browser, "slow").click()
        wait_for(browser, lambda b: "tick 1" in b.find_element(By.CSS_SELECTOR, "pre.log").text)
        browser.execute_script("window.notReloaded = true;")
        wait_for(browser, lambda b: "tick 8" in b.find_element(By.CSS_SELECTOR, "pre.log").text,
                 timeout=40)
        assert browser.execute_script("return window.notReloaded") is True
        log = text(browser, "pre.log")
        assert log.count("tick 1\n") == 1  # appended, never repeated
        browser.save_screenshot(str(screenshots / "node-log.png"))
        wait_for(browser, lambda b: "Succeeded" in text(b, "#node-summary") and
                 "slow · Succeeded" in text(b, "#logs h3"))
        assert process.wait(timeout=30) == 0


def test_the_run_list_follows_a_running_run_to_its_end(browser: Any, server: Server,
                                                       runs: Runs) -> None:
    def row_phase(run: str) -> Callable[[Any], str | None]:
        def phase(browser: Any) -> str | None:
            rows = browser.find_elements(By.CSS_SELECTOR, f'#runs tr.run[data-name="{run}"]')
            return rows[0].get_attribute("data-phase") if rows else None
        return phase

    with slow_run(runs, "listed", ticks=6) as (run, process):
        browser.get(server.url + "/?pipeline=")
        wait_for(browser, lambda b: row_phase(run)(b) == "Running")
        wait_for(browser, lambda b: row_phase(run)(b) == "Succeeded", timeout=40)
        assert process.wait(timeout=30) == 0


def test_stop_terminates_the_running_run_like_ctrl_c(browser: Any, server: Server,
                                                     runs: Runs) -> None:
    with slow_run(runs, "stopped", ticks=120) as (run, process):
        browser.get(f"{server.url}/runs/{run}")
        wait_for(browser, lambda b: node_phase("slow")(b) == "Running")
        stop = wait_for(browser, lambda b: b.find_element(By.ID, "stop"))
        wait_for(browser, lambda b: stop.is_displayed())
        stop.click()
        wait_for(browser, lambda b: node_phase("slow")(b) == "Failed", timeout=30)
        assert process.wait(timeout=30) == 143  # 128 + SIGTERM, as `cadencia run` exits
        summary = wait_for(browser, lambda b: "Terminate" in text(b, "#summary") and
                           text(b, "#summary"))
        assert "Failed" in summary and "Stopped with strategy 'Terminate'" in summary


FLAKY = """\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: flaky}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: first, template: ok}
      - {name: switch, template: switch, dependencies: [first]}
      - {name: after, template: ok, dependencies: [switch]}
  - name: ok
    container: {image: alpine:3.20, command: [sh, -c, "echo fine"]}
  - name: switch
    container:
      image: alpine:3.20
      command: [sh, -c, 'echo "switch is $SWITCH <b>not bold</b>"; test "$SWITCH" = on']
      env:
      - name: SWITCH
        valueFrom: {secretKeyRef: {name: switch, key: state}}
"""


def test_retry_reruns_a_failed_run_like_cadencia_retry(browser: Any, server: Server,
                                                       runs: Runs) -> None:
    from tests.ui.conftest import cadencia, newest_run

    manifest, secrets = runs.project / "flaky.yaml", runs.project / "switch.yaml"
    manifest.write_text(FLAKY)
    secrets.write_text(yaml.safe_dump({"switch": {"state": "off"}}))
    first = cadencia("run", "--env", str(manifest), "--secrets", str(secrets), "--home",
                     str(runs.home), cwd=runs.project)
    assert first.returncode == 1, first.stdout + first.stderr
    failed = newest_run(runs.home)
    browser.get(f"{server.url}/runs/{failed}")
    wait_for(browser, lambda b: node_phase("switch")(b) == "Failed")
    assert node_phase("after")(browser) == "Omitted"  # its dependency failed: not run
    assert "Omitted" in graph_node(browser, "after").text
    # what a program printed is shown as text, never as markup
    assert text(browser, "#failures .cause") == "switch is off <b>not bold</b>"
    assert browser.find_elements(By.CSS_SELECTOR, "#failures b") == []
    secrets.write_text(yaml.safe_dump({"switch": {"state": "on"}}))  # the fix
    retry = browser.find_element(By.ID, "retry")
    assert retry.is_displayed()
    retry.click()  # the page follows the run as the retry takes it over, with no reload
    wait_for(browser, lambda b: node_phase("switch")(b) == "Succeeded", timeout=60)
    assert "Succeeded" in text(browser, "#summary")
    assert node_phase("first")(browser) == "Succeeded"
    wait_for(browser, lambda b: node_phase("after")(b) == "Succeeded")
    assert browser.current_url == f"{server.url}/runs/{failed}"  # the same run, as argo retry
