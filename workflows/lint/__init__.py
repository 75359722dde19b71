"""``cadencia lint``: an offline linter for Argo Workflows v4 manifests.

It checks what ``argo lint --offline`` checks (schema with unknown fields, names,
entrypoint, onExit/hooks/templateRef targets, template types, ``{{...}}`` references, DAG
dependencies and cycles, retryPolicy/concurrencyPolicy enums, cron syntax and time zone,
metric names and help) plus what it misses (memoize keys and maxAge, backoff formats,
secrets in parameters and env, retry/deadline/resources/security context on every
container, artifact paths through placeholders, pinned images). ``findings.RULES`` lists
the rule ids. Documents of other kinds (ConfigMap, Secret, RBAC, ...) only have to parse.

    lint_paths([Path("k8s")]) -> list[Finding]
    main(["k8s"]) -> exit code (0 clean, 1 findings, 2 nothing to lint)
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
from workflows.lint.findings import RULES, Finding, format_path
from workflows.lint.loader import Document, collect_files, load_file

__all__ = ["RULES", "Finding", "lint_documents", "lint_paths", "main"]


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


def main(paths: Sequence[str | Path]) -> int:
    """Print one line per finding; 0 when clean, 1 with findings, 2 when nothing to lint."""
    targets = [Path(p) for p in paths] or [Path("k8s")]
    try:
        files = collect_files(targets)
    except FileNotFoundError as exc:
        sys.stderr.write(f"cadencia lint: no such file or folder: {exc}\n")
        return 2
    if not files:
        sys.stderr.write("cadencia lint: no *.yaml or *.yml files found\n")
        return 2
    findings = lint_paths(files)
    for finding in findings:
        sys.stdout.write(finding.format() + "\n")
    sys.stdout.flush()
    noun = "finding" if len(findings) == 1 else "findings"
    summary = f"{len(findings)} {noun}" if findings else "clean"
    files_noun = "file" if len(files) == 1 else "files"
    sys.stderr.write(f"cadencia lint: {len(files)} {files_noun}, {summary}\n")
    return 1 if findings else 0
