"""Parquet writes: ``steps._core.parquet_io`` against one ``pq.write_table`` call.

The table is the baselines' synthetic orders (ints, floats, strings, timestamps; 1M rows,
100k with ``--quick``). Write times are measured in one process, interleaved (baseline,
write_table, sink, baseline, ...), best of ``--runs``. Memory is measured as whole
processes (peak RSS from ``wait4``): a child that reads a Parquet file whole and writes it
with ``pq.write_table`` against a child that streams it through ``ParquetSink`` in 100k-row
batches. Goals: both of our write paths within 1.2x of the baseline (the baselines call
smaller ratios noise), and the streaming child's peak RSS below the whole-table child's.

    .venv/bin/python -m bench.bench_parquet [--quick] [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.data import make_orders_parquet, orders_batch
from bench.timing import measure
from steps._core.parquet_io import ParquetSink, iter_batches, write_table

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 1.2
STREAM_BATCH = 100_000

CHILD = {
    "whole": "import sys, pyarrow.parquet as pq\n"
             "pq.write_table(pq.read_table(sys.argv[1]), sys.argv[2], compression='zstd')",
    "stream": "import sys\n"
              "from steps._core.parquet_io import ParquetSink, iter_batches\n"
              "with ParquetSink(sys.argv[2]) as sink:\n"
              f"    for b in iter_batches(sys.argv[1], batch_size={STREAM_BATCH}):\n"
              "        sink.write(b)",
}


def child_rss(mode: str, src: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    sample = measure([sys.executable, "-c", CHILD[mode], str(src), str(out)], cwd=str(ROOT))
    return sample.seconds, sample.peak_rss_mib


def best(runs: int, funcs: dict[str, Callable[[], object]]) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(runs):
        for name, func in funcs.items():
            started = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - started)
    return {name: min(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100k rows, 2 runs")
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    rows = 100_000 if args.quick else 1_000_000
    runs = 2 if args.quick else args.runs
    missed = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = Path(make_orders_parquet(d / "src.parquet", rows))
        whole = child_rss("whole", src, d / "w.parquet")
        stream = child_rss("stream", src, d / "s.parquet")
        if stream[1] >= whole[1] and not args.quick:  # imports dominate small runs
            missed.append("streaming peak RSS")
        table = pa.Table.from_batches([orders_batch(0, rows)])

        def sink() -> None:
            with ParquetSink(d / "sink.parquet") as s:
                for batch in table.to_batches(max_chunksize=STREAM_BATCH):
                    s.write(batch)

        t = best(runs, {
            "pq.write_table (baseline)": lambda: pq.write_table(
                table, d / "base.parquet", compression="zstd"),
            "parquet_io.write_table": lambda: write_table(d / "ours.parquet", table),
            f"ParquetSink, {STREAM_BATCH // 1000}k batches": sink,
        })
        sizes = [(d / f).stat().st_size / 2**20 for f in
                 ("base.parquet", "ours.parquet", "sink.parquet")]
        assert sum(b.num_rows for b in iter_batches(d / "sink.parquet")) == rows
    base = next(iter(t.values()))
    print(f"{rows:,} rows, best of {runs}, in one process")
    print(f"{'write path':<28} {'time':>8} {'vs baseline':>12} {'file':>9} {'goal':>7}")
    for (name, secs), size in zip(t.items(), sizes, strict=True):
        ok = secs <= base * GOAL_RATIO
        if not ok:
            missed.append(name)
        print(f"{name:<28} {secs:>7.3f}s {secs / base:>11.2f}x {size:>6.1f}MiB "
              f"{'ok' if ok else 'MISSED':>7}")
    print(f"{'process (read + write)':<28} {'time':>8} {'peak RSS':>12}")
    print(f"{'whole table, pq.write_table':<28} {whole[0]:>7.3f}s {whole[1]:>9.0f}MiB")
    print(f"{'streamed through ParquetSink':<28} {stream[0]:>7.3f}s {stream[1]:>9.0f}MiB")
    print(f"goal: writes within {GOAL_RATIO}x of pq.write_table, streaming RSS below "
          "whole-table RSS; " + ("met" if not missed else f"missed: {', '.join(missed)}"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
