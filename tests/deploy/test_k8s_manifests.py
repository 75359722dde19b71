"""k8s/base and k8s/dev: valid objects, the restricted profile, no secret values, and every
name the compiled workflows reference present in the base."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import SchemaNotFoundError

from tests.deploy.manifests import (
    ENVS,
    K8S,
    OWN_FOLDERS,
    ROOT,
    compiled,
    docs,
    objects,
    require_tool,
    templates,
    walk,
    yaml_files,
)
from tests.support import run_step

K8S_VERSION = "1.30"
CRD_KINDS = {"PrometheusRule"}


def _id(path: Path) -> str:
    return str(path.relative_to(K8S))


def validate(doc: dict[str, Any]) -> None:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path)
        pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


@pytest.mark.parametrize("path", yaml_files(*OWN_FOLDERS), ids=_id)
def test_every_object_is_valid_for_kubernetes(path: Path) -> None:
    found = list(yaml.safe_load_all(path.read_text()))
    assert found, "empty file"
    for doc in found:
        if doc.get("kind") == "Kustomization":
            continue
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()
        try:
            validate(doc)
        except SchemaNotFoundError:
            assert doc["kind"] in CRD_KINDS, f"no schema for {doc['kind']}"


@pytest.mark.parametrize("folder", OWN_FOLDERS)
def test_kustomization_lists_every_manifest_but_the_examples(folder: str) -> None:
    base = K8S / folder
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    listed = {r for r in kustomization.get("resources", []) if not r.startswith("..")}
    listed |= {p["path"] for p in kustomization.get("patches", [])}
    for name in listed:
        assert (base / name).is_file(), name
    present = {p.name for p in base.glob("*.yaml")} - {"kustomization.yaml"}
    assert present - listed == {n for n in present if n.endswith(".example.yaml")}


def test_kustomize_renders_dev_in_the_dev_namespace() -> None:
    kubectl = require_tool("kubectl", "bash scripts/tools.sh")
    out = subprocess.run([kubectl, "kustomize", str(K8S / "dev")], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    rendered = [d for d in yaml.safe_load_all(out) if d]
    dev_ns = compiled("dev")[0]["metadata"]["namespace"]
    for doc in rendered:
        validate(doc)
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == dev_ns, doc["metadata"]["name"]
    for binding in (d for d in rendered if d["kind"] == "RoleBinding"):
        assert {s["namespace"] for s in binding["subjects"]} == {dev_ns}
    repo = next(d for d in rendered if d["metadata"]["name"] == "artifact-repositories")
    assert yaml.safe_load(repo["data"]["cadencia"])["s3"]["endpoint"] == "minio:9000"


def test_cadencia_lint_is_clean_on_all_of_k8s() -> None:
    proc = subprocess.run([sys.executable, "-m", "workflows.cli", "lint", "k8s"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_namespaces_match_the_compiled_manifests() -> None:
    assert set(objects("base", "Namespace")) == {compiled("prod")[0]["metadata"]["namespace"]}
    dev = yaml.safe_load((K8S / "dev" / "kustomization.yaml").read_text())
    assert dev["namespace"] == compiled("dev")[0]["metadata"]["namespace"]


# --- security -------------------------------------------------------------------------------

def pod_specs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for _, doc in docs("base", "dev", "monitoring"):
        if doc["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
            out.append((f"{doc['kind']}/{doc['metadata']['name']}",
                        doc["spec"]["template"]["spec"]))
    return out


def test_dev_has_the_three_services_as_deployments() -> None:
    names = {n for n, _ in pod_specs()}
    assert {"Deployment/minio", "Deployment/postgres", "Deployment/sample-api"} <= names
    services = objects("dev", "Service")
    assert {"minio", "postgres", "sample-api"} <= set(services)


@pytest.mark.parametrize(("name", "spec"), pod_specs(), ids=[n for n, _ in pod_specs()])
def test_every_pod_meets_the_restricted_profile(name: str, spec: dict[str, Any]) -> None:
    pod = spec.get("securityContext") or {}
    assert not (spec.get("hostNetwork") or spec.get("hostPID") or spec.get("hostIPC"))
    assert not any("hostPath" in v for v in spec.get("volumes") or [])
    assert spec.get("automountServiceAccountToken") is False, "no API access needed"
    for c in spec.get("initContainers", []) + spec["containers"]:
        sc = c.get("securityContext") or {}
        where = f"{name} container {c['name']}"
        assert sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is True, where
        assert sc.get("runAsUser", pod.get("runAsUser", 1)) != 0, where
        assert sc.get("allowPrivilegeEscalation") is False, where
        assert sc.get("privileged") is not True, where
        assert "ALL" in (sc.get("capabilities") or {}).get("drop", []), where
        assert not set((sc.get("capabilities") or {}).get("add", [])) - {"NET_BIND_SERVICE"}
        seccomp = (sc.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type")
        assert seccomp == "RuntimeDefault", where
        # pinned images: a tag that is not `latest` (or a digest)
        image = c["image"]
        assert "@sha256:" in image or re.search(r":[\w][\w.-]*$", image.split("/")[-1]), image
        assert not image.endswith(":latest"), image
        assert c.get("resources", {}).get("limits"), f"{where} has no limits"


def test_no_secret_anywhere_has_a_value() -> None:
    secrets = [(p, d) for p, d in docs("") if d.get("kind") == "Secret"]
    assert secrets, "the Secret examples are missing"
    for path, secret in secrets:
        for field in ("data", "stringData"):
            for key, value in (secret.get(field) or {}).items():
                assert value in ("", None), f"{_id(path)}: {secret['metadata']['name']}/{key}"


def test_no_configmap_carries_a_credential() -> None:
    for path, doc in docs(*OWN_FOLDERS):
        if doc.get("kind") != "ConfigMap":
            continue
        for key, value in (doc.get("data") or {}).items():
            assert not re.search(r"(PASSWORD|TOKEN|SECRET)", key, re.I), (_id(path), key)
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", str(value)), (_id(path), key)


# --- what the compiled workflows reference --------------------------------------------------

def references(env: str) -> dict[str, set[Any]]:
    refs: dict[str, set[Any]] = {"sa": set(), "secret": set(), "configmap": set(),
                                 "repo": set(), "cache": set()}
    for doc in compiled(env):
        for key, value in walk(doc):
            if key == "serviceAccountName":
                refs["sa"].add(value)
            elif key == "secretKeyRef":
                refs["secret"].add((value["name"], value["key"]))
            elif key == "configMapRef":
                refs["configmap"].add(value["name"])
            elif key == "artifactRepositoryRef":
                refs["repo"].add((value["configMap"], value["key"]))
            elif key == "memoize":
                refs["cache"].add(value["cache"]["configMap"]["name"])
    return refs


@pytest.mark.parametrize("env", ENVS)
def test_every_reference_of_the_compiled_manifests_exists_in_base(env: str) -> None:
    refs = references(env)
    assert refs["sa"] and refs["secret"] and refs["repo"] and refs["cache"]
    assert refs["sa"] <= set(objects("base", "ServiceAccount"))
    secrets = objects("base", "Secret")
    for name, key in refs["secret"]:
        assert key in (secrets.get(name) or {}).get("stringData", {}), f"Secret {name}/{key}"
    configmaps = objects("base", "ConfigMap")
    assert refs["configmap"] <= set(configmaps)
    for name, key in refs["repo"]:
        assert key in configmaps[name]["data"], f"artifact repository {name}/{key}"
    for name in refs["cache"]:
        assert configmaps[name]["metadata"]["labels"][
            "workflows.argoproj.io/configmap-type"] == "Cache"
    # the artifact repository's own credentials
    for repo, key in refs["repo"]:
        s3 = yaml.safe_load(configmaps[repo]["data"][key])["s3"]
        for ref in (s3["accessKeySecret"], s3["secretKeySecret"]):
            assert ref["key"] in secrets[ref["name"]]["stringData"]


def permissions(account: str) -> set[tuple[str, str, str]]:
    """(resource, name or *, verb) the account gets through the base RoleBindings."""
    roles = objects("base", "Role")
    out = set()
    for binding in objects("base", "RoleBinding").values():
        if not any(s["kind"] == "ServiceAccount" and s["name"] == account
                   for s in binding["subjects"]):
            continue
        for rule in roles[binding["roleRef"]["name"]]["rules"]:
            for res in rule["resources"]:
                for verb in rule["verbs"]:
                    for name in rule.get("resourceNames") or ["*"]:
                        out.add((res, name, verb))
    return out


def allowed(account: str, resource: str, name: str, verb: str) -> bool:
    return any(r == resource and n in (name, "*") and v == verb
               for r, n, v in permissions(account))


def test_rbac_grants_what_argo_needs_and_nothing_else() -> None:
    spec = compiled("prod")[0]["spec"]
    workflow, executor = spec["serviceAccountName"], spec["executor"]["serviceAccountName"]
    for verb in ("create", "patch"):
        assert allowed(executor, "workflowtaskresults", "x", verb)
    for account in (workflow, executor):
        for verb in ("get", "update", "create"):
            assert allowed(account, "configmaps", "cadencia-memo-cache", verb), (account, verb)
        assert not allowed(account, "configmaps", "cadencia-settings", "update")
        assert not allowed(account, "secrets", "cadencia-source-db", "get")
        assert not any(v in ("delete", "list", "watch", "*") for _, _, v in permissions(account))
    assert not allowed(workflow, "workflowtaskresults", "x", "create")
    assert objects("base", "ServiceAccount")[workflow]["automountServiceAccountToken"] is False


def _repositories() -> list[dict[str, Any]]:
    found = []
    for _, doc in docs("base", "dev"):
        if doc.get("kind") == "ConfigMap" and doc["metadata"]["name"] == "artifact-repositories":
            found.append(yaml.safe_load(doc["data"]["cadencia"]))
    return found


def test_artifact_key_format_resolves_in_every_template_that_stores_artifacts() -> None:
    """Argo substitutes globals, the pod name and the template's own input parameters into
    keyFormat, and fails the pod on anything left unresolved."""
    repos = _repositories()
    assert len(repos) == 2 and len({r["s3"]["keyFormat"] for r in repos}) == 1
    for repo in repos:
        assert repo.get("archiveLogs") is False
        key_format = repo["s3"]["keyFormat"]
        variables = set(re.findall(r"\{\{\s*([^}]+?)\s*\}\}", key_format))
        assert "workflow.name" in variables and "inputs.parameters.run-date" in variables
        for env in ENVS:
            for t in templates(env):
                if not (t.get("outputs") or {}).get("artifacts"):
                    continue
                inputs = {f"inputs.parameters.{p['name']}"
                          for p in (t.get("inputs") or {}).get("parameters") or []}
                unresolved = variables - inputs - {"workflow.name", "pod.name"}
                assert not unresolved, (env, t["name"], unresolved)


def test_artifact_keys_are_filed_by_logical_date_then_run() -> None:
    from workflows.engine.artifacts import render_key

    key_format = _repositories()[0]["s3"]["keyFormat"]
    scope = {"workflow.name": "orders-daily-1705284000",
             "inputs.parameters.run-date": "2024-01-15", "pod.name": "extract-sql-123"}
    key = render_key(key_format, scope, "data", "/tmp/cadencia/out/data.parquet", "none")
    assert key == "cadencia/2024-01-15/orders-daily-1705284000/extract-sql-123/data.parquet"


def test_settings_configmap_holds_only_settings_the_steps_parse() -> None:
    from steps._core.http import HttpSettings
    from steps._notify.delivery import NotifySettings
    from steps.extract_sql import SourceSettings

    data = objects("base", "ConfigMap")["cadencia-settings"]["data"]
    classes = (HttpSettings, NotifySettings, SourceSettings)
    known = {c.env_name(f) for c in classes for f in c.__dataclass_fields__}
    assert set(data) - {"CADENCIA_LOG_LEVEL"} <= known
    env = {**data, "CADENCIA_SOURCE_DB_URL": "postgresql://x@h/db"}
    for cls in classes:
        parsed = cls.from_env(env)
        for field in cls.__dataclass_fields__:
            if cls.env_name(field) in data:  # each written value equals the built-in default
                assert getattr(parsed, field) == getattr(cls.from_env(
                    {"CADENCIA_SOURCE_DB_URL": "postgresql://x@h/db"}), field), field
    assert data["CADENCIA_LOG_LEVEL"] in ("DEBUG", "INFO", "WARNING", "ERROR")


# --- the dev services -----------------------------------------------------------------------

def test_sample_api_serves_where_the_dev_pipeline_looks() -> None:
    extract = next(t for t in templates("dev") if t["name"] == "extract-http")
    args = extract["container"]["args"]
    url = urlsplit(args[args.index("--url") + 1])
    host = str(url.hostname)
    service, namespace = host.split(".")[:2]
    assert namespace == compiled("dev")[0]["metadata"]["namespace"]
    svc = objects("dev", "Service")[service]
    assert url.port in {p["port"] for p in svc["spec"]["ports"]}
    api = objects("dev", "Deployment")[service]["spec"]["template"]["spec"]["containers"][0]
    assert api["command"] == ["python", "-m", "workflows.devservices.sample_api"]
    assert api["args"][api["args"].index("--port") + 1] == str(url.port)
    assert api["args"][api["args"].index("--host") + 1] == "0.0.0.0"


def test_sample_api_command_line_is_accepted() -> None:
    api = objects("dev", "Deployment")["sample-api"]["spec"]["template"]["spec"]
    args = api["containers"][0]["args"]
    proc = subprocess.run([sys.executable, "-m", "workflows.devservices.sample_api",
                           *args, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_dev_postgres_seed_feeds_the_dev_extract_query(pg_url: str, tmp_path: Path) -> None:
    """The init script of k8s/dev/postgres.yaml, run on a real PostgreSQL, gives the
    compiled dev extract-sql step 2 000 rows for a January 2024 date."""
    import psycopg

    init = objects("dev", "ConfigMap")["postgres-init"]["data"]
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in init.values():
            conn.execute(sql)
    extract = next(t for t in templates("dev") if t["name"] == "extract-sql")
    args = extract["container"]["args"]
    query = args[args.index("--query") + 1]
    tmp = tmp_path
    result = run_step("extract_sql", "--run-id", "t", "--logical-date", "2024-01-15",
                      "--query", query, "--out", str(tmp / "data.parquet"),
                      "--rows-out", str(tmp / "rows"),
                      env={"CADENCIA_SOURCE_DB_URL": pg_url})
    assert result.code == 0, result.errors
    assert (tmp / "rows").read_text().strip() == "2000"
