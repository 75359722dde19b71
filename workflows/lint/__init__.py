"""``cadencia lint``: an offline linter for Argo Workflows v4 manifests.

It checks what ``argo lint --offline`` checks (schema with unknown fields, names,
entrypoint, onExit/hooks/templateRef targets, template types, ``{{...}}`` references, DAG
dependencies and cycles, retryPolicy/concurrencyPolicy enums, cron syntax and time zone,
metric names and help) plus what it misses (memoize keys and maxAge, backoff formats,
secrets in parameters and env, retry/deadline/resources/security context on every
container, artifact paths through placeholders, pinned images). ``findings.RULES`` lists
the rule ids. Documents of other kinds (ConfigMap, Secret, RBAC, ...) only have to parse.

Each finding is an ``error`` (Argo would reject or misrun the manifest, or a secret is
written in it) or a ``warning`` (house policy, ``findings.POLICY``).

    lint_paths([Path("k8s")]) -> list[Finding]
    main(["k8s"]) -> exit code (0 clean, 1 findings, 2 nothing to lint)
    main(["mine.yaml"], policy=False)   # a user's own workflow: Argo's rules only
    main(["k8s"], fail_on="error")      # warnings printed, exit 0 unless an error
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from workflows.lint import (
    argo,
    arguments,
    artifacts,
    containers,
    cron,
    crossref,
    dag,
    images,
    lintset,
    memoize,
    metrics,
    names,
    references,
    retry,
    schema,
    secrets,
    security,
    templates,
)
from workflows.lint.findings import POLICY, RULES, SEVERITIES, Finding, format_path
from workflows.lint.loader import Document, collect_files, load_file

__all__ = ["POLICY", "RULES", "Finding", "lint_documents", "lint_paths", "main"]


def _sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return finding.file, finding.line or 0, format_path(finding.path), finding.rule


def lint_documents(docs: list[Document]) -> list[Finding]:
    """Findings for documents linted together (templateRef resolves among them)."""
    out: list[Finding] = []
    argo_docs = []
    for doc in docs:
        if not doc.data.get("apiVersion") or not doc.data.get("kind"):
            out.append(doc.finding((), "schema-required",
                                   f"document {doc.index} needs apiVersion and kind"))
            continue
        out += schema.check(doc)
        out += cron.check(doc)
        adoc = argo.argo_doc(doc)
        if adoc is not None:
            out += secrets.check(doc)
            argo_docs.append(adoc)
    lint = lintset.LintSet(argo_docs)
    for adoc in argo_docs:
        out += names.check(adoc)
        out += templates.check(lint, adoc)
        out += arguments.check(lint, adoc)
        out += dag.check(adoc)
        out += references.check(lint, adoc)
        out += crossref.check(lint, adoc)
        out += retry.check(adoc)
        out += metrics.check(adoc)
        out += memoize.check(lint, adoc)
        out += containers.check(adoc)
        out += security.check(adoc)
        out += artifacts.check(adoc)
        out += images.check(adoc)
    return sorted(set(out), key=_sort_key)


def lint_paths(paths: Sequence[Path]) -> list[Finding]:
    """Lint files and folders (``*.yaml``/``*.yml`` found recursively) as one set.

    Raises FileNotFoundError for a path that does not exist.
    """
    docs: list[Document] = []
    findings: list[Finding] = []
    for path in collect_files(Path(p) for p in paths):
        file_docs, file_findings = load_file(path)
        docs += file_docs
        findings += file_findings
    return sorted(findings, key=_sort_key) + lint_documents(docs)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def main(paths: Sequence[str | Path], *, policy: bool = True, fail_on: str = "warning") -> int:
    """Print one line per finding; 0 when clean, 1 with findings at or above ``fail_on``
    (``warning``: any; ``error``: errors only), 2 when nothing to lint. ``policy=False``
    leaves out the house-policy rules."""
    if fail_on not in SEVERITIES:
        raise ValueError(f"fail_on must be one of {SEVERITIES}, not {fail_on!r}")
    targets = [Path(p) for p in paths] or [Path("k8s")]
    try:
        files = collect_files(targets)
    except FileNotFoundError as exc:
        sys.stderr.write(f"cadencia lint: no such file or folder: {exc}\n")
        return 2
    if not files:
        sys.stderr.write("cadencia lint: no *.yaml or *.yml files found\n")
        return 2
    findings = [f for f in lint_paths(files) if policy or f.rule not in POLICY]
    for finding in findings:
        sys.stdout.write(finding.format() + "\n")
    sys.stdout.flush()
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    summary = (f"{_count(errors, 'error')}, {_count(warnings, 'warning')}" if findings
               else "clean")
    skipped = "" if policy else " (house policy off)"
    sys.stderr.write(f"cadencia lint: {_count(len(files), 'file')}, {summary}{skipped}\n")
    failing = errors if fail_on == "error" else len(findings)
    return 1 if failing else 0
