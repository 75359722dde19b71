"""clean as a process: ``python -m steps.clean`` against a bare polars dedupe.

Two sources as the pipeline sees them: A holds orders 1..N, B the last half of A again
(exact duplicates, as when the API and the database both return an order) plus N/2 new
ones; 2N input rows, 1.5N distinct (N = 1M, 100k with ``--quick``). The baseline is what
a tutorial would write: read both, concat, drop null ids, ``unique(subset=id,
keep=last)``, write zstd Parquet. It silently keeps one of two rows that disagree. The
step also tells duplicates from superseded versions and passes null keys and conflicts
on to validate (steps/clean.py), which costs a whole-row comparison of the rows whose
key repeats. Each side runs as its own process (imports included), interleaved, median
of ``--runs``; peak RSS from ``wait4``. Goal: the step within 2x of the baseline's time
and 1.5x of its peak RSS, with the same ids out.

    .venv/bin/python -m bench.bench_clean [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.data import make_orders_parquet, orders_batch
from bench.timing import Sample, measure, median

ROOT = Path(__file__).resolve().parent.parent
GOAL_TIME, GOAL_RSS = 2.0, 1.5
BASELINE = (
    "import sys, polars as pl\n"
    "frames = [pl.read_parquet(p) for p in sys.argv[1:-1]]\n"
    "out = pl.concat(frames).filter(pl.col('id').is_not_null())\n"
    "out = out.unique(subset=['id'], keep='last', maintain_order=True)\n"
    "out.write_parquet(sys.argv[-1], compression='zstd')\n")


def sources(d: Path, rows: int) -> tuple[Path, Path]:
    a = Path(make_orders_parquet(d / "a.parquet", rows))
    half = pq.read_table(a).slice(rows // 2)
    new = pa.Table.from_batches([orders_batch(rows, rows // 2)])
    b = d / "b.parquet"
    pq.write_table(pa.concat_tables([half, new]), b, compression="zstd")
    return a, b


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100k rows per source, 1 run")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    rows = 100_000 if args.quick else 1_000_000
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        a, b = sources(d, rows)
        commands = {
            "polars unique by id (baseline)": [sys.executable, "-c", BASELINE, str(a), str(b),
                                               str(d / "base.parquet")],
            "python -m steps.clean": [sys.executable, "-m", "steps.clean", "--input", str(a),
                                      "--input", str(b), "--key", "id", "--order-by",
                                      "created_at", "--out", str(d / "clean.parquet")],
        }
        samples: dict[str, list[Sample]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, cmd in commands.items():
                samples[name].append(measure(cmd, cwd=str(ROOT)))
        ids = [sorted(pq.read_table(d / f, columns=["id"]).column("id").to_pylist())
               for f in ("base.parquet", "clean.parquet")]
    distinct = rows + rows // 2
    same = ids[0] == ids[1] and len(ids[1]) == distinct
    (base_name, base), (step_name, step) = samples.items()
    t_ratio = median(step) / median(base)
    rss = [max(s.peak_rss_mib for s in samples[n]) for n in samples]
    rss_ratio = rss[1] / rss[0]
    print(f"2 sources, {2 * rows:,} rows in, {distinct:,} distinct; median of {runs}, "
          "each a whole process")
    print(f"{'side':<32} {'median':>8} {'runs (s)':<20} {'peak RSS':>9} {'ratio':>6}")
    for name, ratio, peak in ((base_name, 1.0, rss[0]), (step_name, t_ratio, rss[1])):
        runs_s = " ".join(f"{s.seconds:.2f}" for s in samples[name])
        print(f"{name:<32} {median(samples[name]):>7.2f}s {runs_s:<20} {peak:>6.0f}MiB "
              f"{ratio:>5.2f}x")
    met = same and t_ratio <= GOAL_TIME and (args.quick or rss_ratio <= GOAL_RSS)
    print(f"same ids out: {'yes' if same else 'NO'}; time ratio {t_ratio:.2f} (goal <= "
          f"{GOAL_TIME}), RSS ratio {rss_ratio:.2f} (goal <= {GOAL_RSS}): "
          + ("met" if met else "MISSED"))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
