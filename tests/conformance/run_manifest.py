"""Run one vendored Argo manifest through the local engine, as ``cadencia run --env FILE``
does, and write how it ended as JSON (a child process of ``test_argo_corpus``, so that a
manifest that hangs can be killed with everything it started).

    python -m tests.conformance.run_manifest OUT.json HOME MANIFEST [SUPPORT...]

SUPPORT files are the WorkflowTemplates, ClusterWorkflowTemplates and ConfigMaps Argo's
e2e applies before it submits the Workflow. OUT.json is ``{"outcome": "refused",
"reason": ...}`` (ManifestRefused / LoadError before the run) or ``{"outcome": "ran",
"phase": ..., "message": ...}``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from workflows import local_run
from workflows.engine import EngineError, ManifestRefused, run_workflow
from workflows.runs.store import RunStore


def _first_failure(workflow: dict[str, Any]) -> str:
    """The workflow's message, else the first failed or errored node's."""
    status = workflow.get("status") or {}
    if status.get("message"):
        return str(status["message"])
    for node in (status.get("nodes") or {}).values():
        if node.get("phase") in ("Failed", "Error") and node.get("message"):
            return f"{node.get('displayName')}: {node['message']}"
    return ""


def run(manifest: Path, support: list[Path], home: Path) -> dict[str, Any]:
    docs = local_run.load_docs([manifest, *support])
    workflow_doc = next(d for d in docs if d.get("kind") == "Workflow")
    meta = workflow_doc.get("metadata") or {}
    entry = meta.get("name") or str(meta.get("generateName", "")).rstrip("-")
    try:
        workflow = run_workflow(docs, entry=entry, parameters={}, store=RunStore(home / "runs"))
    except ManifestRefused as exc:
        return {"outcome": "refused", "error": "ManifestRefused", "reason": exc.problems[0],
                "problems": exc.problems}
    except EngineError as exc:
        return {"outcome": "refused", "error": type(exc).__name__, "reason": str(exc),
                "problems": [str(exc)]}
    status = workflow.get("status") or {}
    failed = [f"{n.get('displayName')}: {n['message']}"
              for n in (status.get("nodes") or {}).values()
              if n.get("phase") in ("Failed", "Error") and n.get("message")]
    return {"outcome": "ran", "phase": status.get("phase"), "message": _first_failure(workflow),
            "failed_nodes": failed}


def main(argv: list[str]) -> int:
    out, home, manifest, *support = (Path(a) for a in argv)
    result = run(manifest, support, home)
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
