"""A local step gets the environment its container declares, as a pod would (issue 10).

Not the caller's: a ``CADENCIA_*`` variable exported in the shell (the README's "run one
step by hand" exports several) used to reach every step of ``cadencia run`` and change
what it did behind the manifest's back. Now a step sees ``env``, ``envFrom`` (from the
secrets file's Secrets and ConfigMaps), the host basics a process needs (PATH, HOME,
locale, user) and what the engine sets itself (PYTHONPATH for our image, TMPDIR). A
declared ``secretKeyRef`` the secrets file lacks is absent (or an error), never filled
from the caller's variable of the same name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures_http import DATE, serve
from workflows.devservices.sample_api import api_key
from workflows.engine import run_workflow
from workflows.engine.secrets import HOST_VARIABLES
from workflows.runs.store import RunStore

RIGHT_KEY = "key-from-the-secrets-file"
ENGINE_SET = {"PYTHONPATH", "TMPDIR", "LC_CTYPE"}  # LC_CTYPE: Python's C-locale coercion


def one_step(container: dict[str, Any], outputs: dict[str, Any] | None = None
             ) -> list[dict[str, Any]]:
    template: dict[str, Any] = {"name": "main", "container": {"image": "cadencia:local",
                                                              **container}}
    if outputs:
        template["outputs"] = outputs
    return [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
             "metadata": {"name": "env"},
             "spec": {"entrypoint": "main", "templates": [template]}}]


def secrets_file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_step_sees_only_what_its_container_declares_not_the_callers_variables(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CADENCIA_SOURCE_DB_URL", "postgresql://prod-from-the-shell/shop")
    monkeypatch.setenv("CADENCIA_HTTP_TOKEN", "tok-from-the-shell")
    monkeypatch.setenv("CALLER_ONLY", "1")
    docs = one_step({
        "command": ["python", "-c", "import json, os; print(json.dumps(dict(os.environ)))"],
        "env": [{"name": "CADENCIA_LOG_FORMAT", "value": "json"},
                {"name": "CADENCIA_TARGET_DB_URL",
                 "valueFrom": {"secretKeyRef": {"name": "target-db", "key": "url"}}},
                # declared, but not in the secrets file: absent, as in a pod
                {"name": "CADENCIA_HTTP_TOKEN", "valueFrom": {"secretKeyRef": {
                    "name": "cadencia-http", "key": "token", "optional": True}}}],
        "envFrom": [{"configMapRef": {"name": "cadencia-settings", "optional": True}}]})
    secrets = secrets_file(tmp_path, {
        "target-db": {"url": "sqlite:///warehouse.db"},
        "configMaps": {"cadencia-settings": {"CADENCIA_HTTP_MAX_RETRIES": "0"}}})

    ran = run_workflow(docs, store=RunStore(tmp_path / "runs"), secrets_file=secrets)

    assert ran["status"]["phase"] == "Succeeded", ran["status"]
    (node,) = ran["status"]["nodes"].values()
    seen = json.loads(node["outputs"]["result"])
    assert {k: v for k, v in seen.items() if k.startswith("CADENCIA_")} == {
        "CADENCIA_LOG_FORMAT": "json", "CADENCIA_TARGET_DB_URL": "sqlite:///warehouse.db",
        "CADENCIA_HTTP_MAX_RETRIES": "0"}
    assert set(seen) - {k for k in seen if k.startswith("CADENCIA_")} <= (
        set(HOST_VARIABLES) | ENGINE_SET), sorted(seen)
    assert "CALLER_ONLY" not in seen


def test_a_wrong_cadencia_setting_in_the_callers_environment_does_not_change_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Left over from running extract_http by hand against another API.
    monkeypatch.setenv("CADENCIA_HTTP_API_KEY_HEADER", "X-Other-Api-Key")
    monkeypatch.setenv("CADENCIA_HTTP_MAX_RETRIES", "5")
    out = {"artifacts": [{"name": "data", "path": "/tmp/out/data.parquet",
                          "archive": {"none": {}}}],
           "parameters": [{"name": "rows", "valueFrom": {"path": "/tmp/out/rows"}}]}
    secrets = secrets_file(tmp_path, {
        "cadencia-http": {"api-key": RIGHT_KEY},
        "configMaps": {"cadencia-settings": {"CADENCIA_HTTP_AUTH": "api-key"}}})
    with serve(records=250, auth=api_key(RIGHT_KEY)) as api:
        docs = one_step({
            "command": ["python", "-m", "steps.extract_http"],
            "args": ["--run-id", "{{workflow.name}}", "--logical-date", DATE,
                     "--url", f"{api.url}/orders/page", "--param", "date={logical_date}",
                     "--out", "{{outputs.artifacts.data.path}}",
                     "--rows-out", "{{outputs.parameters.rows.path}}"],
            "env": [{"name": "CADENCIA_HTTP_API_KEY",
                     "valueFrom": {"secretKeyRef": {"name": "cadencia-http",
                                                    "key": "api-key"}}}],
            "envFrom": [{"configMapRef": {"name": "cadencia-settings", "optional": True}}]},
            outputs=out)

        ran = run_workflow(docs, store=RunStore(tmp_path / "runs"), secrets_file=secrets)

    (node,) = ran["status"]["nodes"].values()
    assert ran["status"]["phase"] == "Succeeded", node.get("message")
    rows = next(p["value"] for p in node["outputs"]["parameters"] if p["name"] == "rows")
    assert rows == "250"
