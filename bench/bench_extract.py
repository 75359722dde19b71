"""extract-http against a bare ``requests`` + ``orjson`` loop, both as whole processes.

The sample API runs in its own process with every page pre-encoded, so neither side pays
for the server. The bare loop fetches the same pages and parses and discards them; the
step also converts them to Arrow and writes zstd Parquet. Runs are interleaved (bare,
step, bare, step, ...) and the medians compared. Goal (issue): the step reaches at least
50% of the bare loop's throughput, and its peak RSS does not grow with the number of
pages (20 pages against 200 pages of the same size).

    .venv/bin/python -m bench.bench_extract [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.timing import Sample, measure

ROOT = Path(__file__).resolve().parent.parent
DATE = "2024-01-01"
GOAL_RATIO = 0.5
RSS_SLACK = 1.25  # peak RSS at 200 pages may be at most this times the peak at 20 pages

BARE_LOOP = """
import sys, orjson, requests
url, size, date, records = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
session, page, n = requests.Session(), 1, 0
while True:
    params = {"page": page, "per_page": size, "date": date, "records": records}
    body = orjson.loads(session.get(url, params=params, timeout=(5, 30)).content)
    n += len(body["data"])
    if not body["has_more"]:
        break
    page += 1
print(n)
"""


def start_api(records: int, sizes: list[int]) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "workflows.devservices.sample_api", "--port", "0",
           "--records", str(records), "--date", DATE]
    for size in sizes:
        cmd += ["--warm-page-size", str(size)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once every page is encoded
    if "serving" not in line:
        proc.kill()
        raise RuntimeError(f"sample API did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def bare_cmd(url: str, size: int, records: int) -> list[str]:
    return [sys.executable, "-c", BARE_LOOP, f"{url}/orders/page", str(size), DATE, str(records)]


def step_cmd(url: str, size: int, out: Path, records: int) -> list[str]:
    return [sys.executable, "-m", "steps.extract_http", "--url", f"{url}/orders/page",
            "--pagination", "page", "--page-size", str(size), "--logical-date", DATE,
            "--param", "date={logical_date}", "--param", f"records={records}", "--out", str(out),
            "--summary-out", str(out.with_suffix(".json"))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_extract", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes, finishes in seconds")
    p.add_argument("--runs", type=int, default=3)
    a = p.parse_args(argv)
    records, size = (20_000, 1_000) if a.quick else (1_000_000, 10_000)
    rss_size = 100 if a.quick else size  # 20 and 200 pages of this size
    print(f"extract-http bench: {records:,} records in pages of {size:,}, {a.runs} interleaved "
          f"runs each (load average {os.getloadavg()[0]:.1f}); encoding the pages...")
    api, url = start_api(max(records, 200 * rss_size), sorted({size, rss_size}))
    runs: dict[str, list[Sample]] = {"bare": [], "step": []}
    try:
        with tempfile.TemporaryDirectory(prefix="cadencia-bench-") as tmp:
            out = Path(tmp) / "orders.parquet"
            for _ in range(a.runs):
                runs["bare"].append(measure(bare_cmd(url, size, records), cwd=str(ROOT)))
                assert int(runs["bare"][-1].stdout) == records, runs["bare"][-1].stdout
                runs["step"].append(measure(step_cmd(url, size, out, records), cwd=str(ROOT)))
                assert json.loads(out.with_suffix(".json").read_text())["rows"] == records
            rss = {pages: measure(step_cmd(url, rss_size, out, pages * rss_size),
                                  cwd=str(ROOT)).peak_rss_mib
                   for pages in (20, 200)}
    finally:
        api.terminate()
        api.wait(timeout=10)
        if api.stdout is not None:
            api.stdout.close()
    med = {k: statistics.median(r.seconds for r in v) for k, v in runs.items()}
    ratio = med["bare"] / med["step"]  # throughput ratio: same records, inverse times
    print(f"{'path':<32}{'median s':>9}{'runs s':>17}{'cpu s':>7}{'rec/s':>8}{'RSS':>8}"
          f"{'ratio':>7}")
    for key, name in (("bare", "bare requests+orjson (baseline)"),
                      ("step", "extract_http step -> Parquet")):
        rs = runs[key]
        print(f"{name:<32}{med[key]:>9.2f}{' '.join(f'{r.seconds:.2f}' for r in rs):>17}"
              f"{statistics.median(r.cpu_seconds for r in rs):>7.2f}"
              f"{records / med[key] / 1e6:>7.2f}M"
              f"{max(r.peak_rss_mib for r in rs):>5.0f}MiB{med['bare'] / med[key]:>7.2f}")
    verdict = ("not checked at --quick sizes" if a.quick
               else "OK" if ratio >= GOAL_RATIO else "MISSED")
    print(f"throughput ratio {ratio:.2f} (goal >= {GOAL_RATIO}): {verdict}")
    rss_ok = rss[200] <= rss[20] * RSS_SLACK
    print(f"step peak RSS: {rss[20]:.0f} MiB at 20 pages, {rss[200]:.0f} MiB at 200 pages of "
          f"{rss_size:,} ({rss[200] / rss[20]:.2f}x, goal <= {RSS_SLACK}x): "
          f"{'OK' if rss_ok else 'MISSED'}")
    return 0 if rss_ok and (a.quick or ratio >= GOAL_RATIO) else 1


if __name__ == "__main__":
    sys.exit(main())
