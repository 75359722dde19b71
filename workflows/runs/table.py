"""Tables as the ``argo`` CLI prints them: columns padded like Go's ``text/tabwriter``."""

from __future__ import annotations


def table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell plus two spaces, like Go's tabwriter."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        cells = [cell.ljust(width + 2) for cell, width in zip(row[:-1], widths, strict=True)]
        cells.append(row[-1])
        out.append("".join(cells).rstrip())
    return "\n".join(out) + "\n"
