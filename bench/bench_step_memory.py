"""Peak memory of the frame steps as whole processes: clean, transform, validate.

Two sources as the pipeline's extracts give them (bench/data.make_two_sources: N orders
each, half the ids in both, ``created_at`` as text in one): 2N rows into clean, 1.5N on.
Each step runs as ``python -m steps.<name>`` with the orders pipeline's settings (key and
order-by, its transform spec, its rules), and its peak RSS is read from ``wait4``. Beside
it runs the whole-frame implementation the steps had before they streamed (the step's
module from git commit ``OLD``, run from a temporary file), on the same inputs; both
outputs must hold the same rows in the same order. Goal (issue 14): every step at or
below 512 MiB at every size.

    .venv/bin/python -m bench.bench_step_memory [--quick] [--rows 5000000 ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from bench.data import CATEGORIES, make_two_sources
from bench.timing import Sample, measure

ROOT = Path(__file__).resolve().parent.parent
OLD = "44dc5a0"  # main before the steps streamed (issue 14): whole frames in memory
GOAL_MIB = 512
STEPS = ("clean", "transform", "validate")
SPEC = """
rename: {nome: cliente}
cast: {quantidade: int64, valor: float64}
compute:
  valor_total: df["valor"] * df["quantidade"]
  dia: date(created_at)
filter: ["valor > 0"]
select: [id, cliente, categoria, valor, quantidade, valor_total, created_at, dia]
"""
RULES = f"""
reject_threshold: 0.05
rules:
  - {{kind: min_rows, value: 1}}
  - {{kind: required_columns, columns: [id, cliente, categoria, valor, quantidade]}}
  - {{kind: types, columns: {{id: int64, valor: float64, quantidade: int64}}}}
  - {{kind: not_null, column: id}}
  - {{kind: unique, column: id}}
  - {{kind: range, column: quantidade, min: 1, max: 1000}}
  - {{kind: allowed, column: categoria, values: [{", ".join(CATEGORIES)}]}}
  - {{kind: max_null_ratio, column: cliente, value: 0.01, severity: warn}}
"""


def arguments(step: str, d: Path, out: Path) -> list[str]:
    if step == "clean":
        return ["--input", str(d / "http.parquet"), "--input", str(d / "sql.parquet"),
                "--key", "id", "--order-by", "created_at", "--parse-timestamps",
                "created_at", "--out", str(out)]
    if step == "transform":
        return ["--input", str(d / "clean.parquet"), "--spec", str(d / "spec.yaml"),
                "--out", str(out)]
    return ["--input", str(d / "transform.parquet"), "--rules", str(d / "rules.yaml"),
            "--out", str(out), "--quarantine", str(d / f"q-{out.name}"),
            "--report", str(d / f"report-{out.stem}.json")]


def old_module(step: str, d: Path) -> Path | None:
    """The step's module as it was at ``OLD``, or None without git history."""
    proc = subprocess.run(["git", "show", f"{OLD}:steps/{step}.py"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        return None
    path = d / f"old_{step}.py"
    path.write_text(proc.stdout)
    return path


def digest(path: Path) -> tuple[int, int]:
    """Rows and an order-sensitive digest of their values, read in batches."""
    import polars as pl

    total, rows = np.uint64(0), 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256 * 1024):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        hashes = frame.hash_rows(seed=1).to_numpy()
        weights = np.arange(rows + 1, rows + frame.height + 1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            total = total + np.sum(hashes * weights, dtype=np.uint64)
        rows += frame.height
    return rows, int(total)


def run_size(rows: int) -> tuple[list[str], bool]:
    lines, met = [], True
    with tempfile.TemporaryDirectory(prefix="bench-step-memory-") as tmp:
        d = Path(tmp)
        make_two_sources(d, rows)
        (d / "spec.yaml").write_text(SPEC)
        (d / "rules.yaml").write_text(RULES)
        env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": tmp}
        for step in STEPS:
            new_out = d / f"{step}.parquet"
            new = measure([sys.executable, "-m", f"steps.{step}",
                           *arguments(step, d, new_out)], env=env, cwd=str(ROOT))
            old: Sample | None = None
            same = "-"
            module = old_module(step, d)
            if module is not None:
                old_out = d / f"old-{step}.parquet"
                old = measure([sys.executable, str(module), *arguments(step, d, old_out)],
                              env=env, cwd=str(ROOT))
                same = "yes" if digest(new_out) == digest(old_out) else "NO"
                met = met and same == "yes"
            ok = new.peak_rss_mib <= GOAL_MIB
            met = met and ok
            lines.append(
                f"{rows:>11,} {step:<10} {new.seconds:>7.2f}s {new.peak_rss_mib:>8.0f} "
                + (f"{old.seconds:>8.2f}s {old.peak_rss_mib:>8.0f} "
                   f"{new.seconds / old.seconds:>6.2f}x" if old else f"{'-':>9} {'-':>8} "
                                                                     f"{'-':>7}")
                + f" {same:>5} {'ok' if ok else 'OVER'}")
            print(lines[-1], flush=True)
    return lines, met


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100k rows per source")
    p.add_argument("--rows", type=int, action="append",
                   help="orders per source (repeatable; default 1,000,000)")
    args = p.parse_args(argv)
    sizes = [100_000] if args.quick else (args.rows or [1_000_000])
    print(f"each step a whole process; old = the whole-frame steps of {OLD}; "
          f"goal: peak RSS <= {GOAL_MIB} MiB")
    print(f"{'rows/source':>11} {'step':<10} {'seconds':>8} {'RSS MiB':>8} "
          f"{'old s':>9} {'old MiB':>8} {'ratio':>7} {'same':>5} goal")
    met = True
    for rows in sizes:
        met = run_size(rows)[1] and met
    print("peak RSS goal " + ("met" if met else "MISSED") + "; ratio = time / old time")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
