"""``metrics.prometheus`` of templates and of the workflow, written as Prometheus text.

A template's metrics are computed when its node finishes, the workflow's when the run
does (realtime gauges too: one machine has no scraper to serve them to while running),
with the variables Argo gives them (``status``, ``duration``, ``exitCode``, ``retries``,
``inputs.parameters.X``, ``outputs.parameters.X``, ``workflow.*``). ``when`` is
substituted then evaluated; a value that is not a number after substitution (a
``valueFrom.default`` of ``unknown``) skips the sample, noted in the file. Names are
exported with Argo's prefix ``argo_workflows_``. The file is ``metrics.prom`` in the run
folder, rewritten whenever a sample is added.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "argo_workflows_"
Substitute = Callable[[str, Mapping[str, str], str], str]
When = Callable[[str], bool]


@dataclass
class _Series:
    kind: str
    help: str
    values: dict[tuple[tuple[str, str], ...], Any] = field(default_factory=dict)
    buckets: tuple[float, ...] = ()


class Registry:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.series: dict[str, _Series] = {}
        self.notes: list[str] = []
        self.write_error: OSError | None = None  # the first failed write (a full disk)

    def observe(self, metrics: Mapping[str, Any] | None, scope: Mapping[str, str], *,
                where: str, substitute: Substitute, when: When) -> None:
        """Compute every metric of a ``metrics`` field with ``scope``; never raises."""
        for metric in (metrics or {}).get("prometheus") or []:
            name = str(metric.get("name"))
            try:
                self._one(metric, scope, where, substitute, when)
            except Exception as exc:  # a metric must never fail the run; say why instead
                self.notes.append(f"{where} metric {name}: {exc}")
        self.write()

    def _one(self, metric: Mapping[str, Any], scope: Mapping[str, str], where: str,
             substitute: Substitute, when: When) -> None:
        name = str(metric["name"])
        if metric.get("when") and not when(substitute(str(metric["when"]), scope, where)):
            return
        labels = tuple(sorted((str(lb["key"]), substitute(str(lb["value"]), scope, where))
                              for lb in metric.get("labels") or []))
        kind = next(k for k in ("gauge", "counter", "histogram") if k in metric)
        raw = substitute(str(metric[kind].get("value", "")), scope, where)
        try:
            value = float(raw)
        except ValueError:
            self.notes.append(f"{where} metric {name}: value {raw!r} is not a number; "
                              "no sample")
            return
        series = self.series.setdefault(name, _Series(kind, str(metric.get("help", ""))))
        if kind == "gauge":
            series.values[labels] = value
        elif kind == "counter":
            series.values[labels] = series.values.get(labels, 0.0) + value
        else:
            series.buckets = tuple(sorted(float(b) for b in metric[kind].get("buckets") or []))
            samples = series.values.setdefault(labels, [])
            samples.append(value)

    def text(self) -> str:
        lines: list[str] = []
        for name in sorted(self.series):
            series, full = self.series[name], PREFIX + name
            lines += [f"# HELP {full} {series.help}", f"# TYPE {full} {series.kind}"]
            for labels, value in sorted(self.series[name].values.items()):
                if series.kind != "histogram":
                    lines.append(f"{full}{_labels(labels)} {_number(value)}")
                    continue
                for bound in (*series.buckets, math.inf):
                    count = sum(1 for v in value if v <= bound)
                    le = "+Inf" if bound == math.inf else _number(bound)
                    lines.append(f"{full}_bucket{_labels((*labels, ('le', le)))} {count}")
                lines.append(f"{full}_sum{_labels(labels)} {_number(sum(value))}")
                lines.append(f"{full}_count{_labels(labels)} {len(value)}")
        lines += [f"# skipped: {note}" for note in self.notes]
        return "\n".join(lines) + ("\n" if lines else "")

    def write(self) -> None:
        """Rewrite the file; a failure (a full disk) is kept in ``write_error``, never
        raised: metrics must not fail the node that observed them."""
        if self.series or self.notes:
            try:
                self.path.write_text(self.text(), encoding="utf-8")
            except OSError as exc:
                self.write_error = self.write_error or exc


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
