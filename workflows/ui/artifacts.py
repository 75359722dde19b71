"""A node's artifacts, fetched from the run's artifact repository and previewed.

A node's ``inputs.artifacts``/``outputs.artifacts`` record where each artifact is kept
(``{"local": {"key": ...}}`` or ``{"s3": {...}}``, with its size and sha256). The run's
``invocation.json`` says which repository it used (``repository``; None is the local
folder ``<home>/artifacts``) and which secrets file resolves that repository's keys; the
object is fetched with the engine's own verified ``get``. A Parquet file is previewed as
its schema, row count and first rows (pyarrow reads only the row groups it needs); a JSON
or text file up to ``TEXT_LIMIT`` bytes is shown as text.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from workflows.engine.artifacts import ArtifactError, open_repository
from workflows.engine.secrets import MissingSecret, SecretSource
from workflows.runs.invocation import Invocation
from workflows.runs.record import RunRecord

PREVIEW_ROWS = 50
TEXT_LIMIT = 1 << 20
QUARANTINE_RULE = "_rejected_by"  # steps/validate.py: the rule a quarantined row broke


class ArtifactMissing(LookupError):
    pass


def artifact_list(node: Mapping[str, Any], side: str) -> list[dict[str, Any]]:
    """The node's ``inputs`` or ``outputs`` artifacts: name, where kept, size."""
    found = []
    for art in (node.get(side) or {}).get("artifacts") or []:
        where = next((f"{kind}: {ref.get('key')}" for kind, ref in art.items()
                      if isinstance(ref, Mapping) and "key" in ref), "")
        found.append({"name": art.get("name"), "where": where, "size": art.get("size"),
                      "path": art.get("path"), "inline": "raw" in art,
                      "stored": bool(where)})
    return found


def find(node: Mapping[str, Any], side: str, name: str) -> Mapping[str, Any]:
    for art in (node.get(side) or {}).get("artifacts") or []:
        if art.get("name") == name:
            return dict(art)
    raise ArtifactMissing(f"node {node.get('displayName')} has no {side[:-1]} artifact {name!r}")


def preview(record: RunRecord, home: Path, art: Mapping[str, Any]) -> dict[str, Any]:
    """What the data page shows of one artifact: a table, a text, or why it cannot."""
    if "raw" in art:
        return {"kind": "text", "text": str((art.get("raw") or {}).get("data", ""))}
    with tempfile.TemporaryDirectory(prefix="cadencia-ui-") as tmp:
        dest = Path(tmp) / "object"
        try:
            _repository(record, home).get(art, dest)
        except (ArtifactError, MissingSecret) as exc:
            return {"kind": "error", "text": str(getattr(exc, "message", exc))}
        if dest.is_dir():
            return {"kind": "text", "text": "\n".join(sorted(
                str(p.relative_to(dest)) for p in dest.rglob("*")))}
        with dest.open("rb") as handle:
            magic = handle.read(4)
        if magic == b"PAR1":
            return parquet_preview(dest)
        if dest.stat().st_size > TEXT_LIMIT:
            return {"kind": "error", "text": f"{dest.stat().st_size} bytes: too large to show"}
        text = dest.read_text(encoding="utf-8", errors="replace")
        try:
            return {"kind": "json", "text": json.dumps(json.loads(text), indent=2,
                                                       ensure_ascii=False)}
        except ValueError:
            return {"kind": "text", "text": text}


def parquet_preview(path: Path, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """Schema, row count and the first ``rows`` rows of a Parquet file, as strings."""
    handle = pq.ParquetFile(path)
    schema = handle.schema_arrow
    head = next(handle.iter_batches(batch_size=rows), None)
    table = head.to_pylist() if head is not None else []
    return {"kind": "parquet", "rows": handle.metadata.num_rows,
            "schema": [{"name": f.name, "type": str(f.type)} for f in schema],
            "columns": schema.names,
            "data": [["" if row[c] is None else str(row[c]) for c in schema.names]
                     for row in table],
            "rule_column": QUARANTINE_RULE if QUARANTINE_RULE in schema.names else None}


def _repository(record: RunRecord, home: Path) -> Any:
    try:
        how: Invocation | None = Invocation.load(record.path)
    except (OSError, ValueError, TypeError):
        how = None
    secrets = SecretSource(Path(how.secrets_file)) if how and how.secrets_file else SecretSource()
    return open_repository(how.repository if how else None, root=home, secrets=secrets.secret)
