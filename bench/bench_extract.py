"""extract-http against a bare ``urllib3`` + ``orjson`` loop, both as whole processes.

The sample API runs in its own process with every page pre-encoded, so neither side pays
for the server. The bare loop (the fastest honest client loop: one ``PoolManager``, GET,
``orjson.loads``) fetches the same pages and parses and discards them; the step also
converts them to Arrow and writes zstd Parquet. A bare ``requests`` loop is printed beside
them for reference. Runs are interleaved (bare, requests, step, bare, ...) and the medians
compared. Goal (issue): the step reaches at least 50% of the bare loop's throughput, and
its peak RSS does not grow with the number of pages (20 pages against 200 pages of the
same size). ``--page-size 500`` is the pipeline's page size (orders.yaml); ``--step-from
DIR`` adds another checkout's step to the rounds (before/after a change, same load).

    .venv/bin/python -m bench.bench_extract [--quick] [--runs 3] [--page-size 10000]
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
import sys, orjson, urllib3
url, size, date, records = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
pool, page, n = urllib3.PoolManager(), 1, 0
timeout = urllib3.Timeout(connect=5, read=30)
while True:
    params = {"page": page, "per_page": size, "date": date, "records": records}
    body = orjson.loads(pool.request("GET", url, fields=params, timeout=timeout).data)
    n += len(body["data"])
    if not body["has_more"]:
        break
    page += 1
print(n)
"""

REQUESTS_LOOP = """
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


def bare_cmd(loop: str, url: str, size: int, records: int) -> list[str]:
    return [sys.executable, "-c", loop, f"{url}/orders/page", str(size), DATE, str(records)]


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
    p.add_argument("--page-size", type=int, help="records per page (default 10,000; "
                   "--quick 1,000; the pipeline asks for 500)")
    p.add_argument("--step-from", type=Path, metavar="DIR",
                   help="also run the step of another checkout (e.g. main) in each round")
    a = p.parse_args(argv)
    records, size = (20_000, 1_000) if a.quick else (1_000_000, 10_000)
    size = a.page_size or size
    rss_size = 100 if a.quick else size  # 20 and 200 pages of this size
    print(f"extract-http bench: {records:,} records in pages of {size:,}, {a.runs} interleaved "
          f"runs each (load average {os.getloadavg()[0]:.1f}); encoding the pages...")
    api, url = start_api(max(records, 200 * rss_size), sorted({size, rss_size}))
    sides = {"bare": ("bare urllib3+orjson (baseline)", bare_cmd(BARE_LOOP, url, size, records),
                      ROOT),
             "requests": ("bare requests+orjson", bare_cmd(REQUESTS_LOOP, url, size, records),
                          ROOT)}
    steps = {"step": ("extract_http step -> Parquet", ROOT)}
    if a.step_from:
        steps["other"] = (f"the step of {a.step_from}", a.step_from.resolve())
    names = {key: name for key, (name, *_) in sides.items()}
    names.update({key: name for key, (name, _) in steps.items()})
    runs: dict[str, list[Sample]] = {key: [] for key in names}
    try:
        with tempfile.TemporaryDirectory(prefix="cadencia-bench-") as tmp:
            out = Path(tmp) / "orders.parquet"
            for _ in range(a.runs):
                for key, (_, cmd, root) in sides.items():
                    runs[key].append(measure(cmd, cwd=str(root)))
                    assert int(runs[key][-1].stdout) == records, runs[key][-1].stdout
                for key, (_, root) in steps.items():
                    runs[key].append(measure(step_cmd(url, size, out, records), cwd=str(root)))
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
    width = 5 * a.runs + 2
    print(f"{'path':<32}{'median s':>9}{'runs s':>{width}}{'cpu s':>7}{'rec/s':>8}{'RSS':>8}"
          f"{'ratio':>7}")
    for key in med:
        rs = runs[key]
        print(f"{names[key][:31]:<32}{med[key]:>9.2f}"
              f"{' '.join(f'{r.seconds:.2f}' for r in rs):>{width}}"
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
