"""extract-http's peak memory against a gzip bomb, and on honest pages near the page cap.

A server on 127.0.0.1 (a thread of this process; only the step's processes are
measured: its own and its converter's, as the step logs them) serves three things:

- ``/bomb``: one ~2 MiB gzip page that inflates to 2 GiB (JSON padded with whitespace).
  The step must refuse it (exit 65, "page 1 is larger than ...") with its peak RSS near
  its own baseline plus the cap (``CADENCIA_HTTP_MAX_PAGE_BYTES``), not the 2 GiB;
- ``/small``: one small page, the step's own baseline (interpreter, urllib3, pyarrow);
- ``/near``: pages of records just under the cap, to show that the default cap leaves an
  honest page (parsed, queued, converted, written) inside the 1 Gi pod limit.

A bare ``python -c pass`` is measured beside them as the interpreter's floor.

    .venv/bin/python -m bench page_cap [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.server
import json
import os
import sys
import tempfile
import threading
import zlib
from pathlib import Path
from typing import Any

import orjson

from bench.timing import Sample, measure
from steps._core.http import HttpSettings

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
POD_LIMIT_MIB = 1024
CAP_SLACK = 1.25  # the bomb may cost the step at most its baseline + this times the cap
HEAD = b'{"data": [], "has_more": false}'
# The step exits 65 on the bomb; the bench measures it through a shell that turns the
# expected 65 into success (ru_maxrss covers the shell's waited-for child).
EXPECT_65 = 'python="$1"; shift; "$python" "$@"; test $? -eq 65'


def gzip_bomb(inflated: int) -> bytes:
    """``HEAD`` then whitespace up to ``inflated`` bytes, gzip-compressed (about 1000:1)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * MIB
    out = [z.compress(HEAD)]
    out += [z.compress(block) for _ in range(inflated // MIB)]
    out.append(z.flush())
    return b"".join(out)


def near_pages(size: int) -> tuple[bytes, bytes]:
    """Two bodies of sample-shaped records, each just under ``size`` bytes: more, last."""
    one = len(orjson.dumps(record(10**6))) + 1
    n = int(size * 0.95) // one
    records = [record(i) for i in range(n)]
    return (orjson.dumps({"data": records, "has_more": True}),
            orjson.dumps({"data": records, "has_more": False}))


def record(i: int) -> dict[str, Any]:
    return {"id": i, "nome": f"ana-{i % 10_000:04d}", "valor": round(i % 50_000 / 100, 2),
            "quantidade": i % 19 + 1, "created_at": f"2024-01-01T{i % 24:02d}:{i % 60:02d}:00",
            "categoria": ("livros", "casa", "moda")[i % 3]}


class Server:
    def __init__(self, routes: dict[str, tuple[bytes, dict[str, str]]], near: int) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                key = path
                if path == "/near":  # `near` pages, the last one ends
                    page = int(dict(p.split("=") for p in query.split("&"))["page"])
                    key = "/near-last" if page >= near else "/near-more"
                body, headers = routes[key]
                self.send_response(200)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # the step stopped reading at the cap
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def handle(self) -> None:
                with contextlib.suppress(ConnectionResetError):  # a client that hung up
                    super().handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def step(url: str, out: Path, page_size: int, env: dict[str, str], *, refused: bool = False
         ) -> Sample:
    cmd = [sys.executable, "-m", "steps.extract_http", "--url", url, "--out", str(out),
           "--page-size", str(page_size)]
    if refused:
        return measure(["sh", "-c", EXPECT_65, "sh", *cmd], env=env, cwd=str(ROOT))
    summary = out.with_suffix(".json")
    sample = measure([*cmd, "--summary-out", str(summary)], env=env, cwd=str(ROOT))
    # measure() sees the largest process; the step's own figure adds its converter's
    both = json.loads(summary.read_text())["peak_rss_mib"]
    return dataclasses.replace(sample, peak_rss_mib=max(sample.peak_rss_mib, both))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench page_cap", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a 256 MiB bomb and a 16 MiB cap")
    p.add_argument("--cap-mib", type=int, help="the cap to measure (default: the step's own)")
    a = p.parse_args(argv)
    default_cap = HttpSettings().max_page_bytes
    cap = a.cap_mib * MIB if a.cap_mib else 16 * MIB if a.quick else default_cap
    inflated = 256 * MIB if a.quick else 2048 * MIB
    near_count = 4
    print(f"page-cap bench: building a gzip bomb of {inflated // MIB:,} MiB inflated and "
          f"{near_count} pages just under {cap // MIB} MiB (load average "
          f"{os.getloadavg()[0]:.1f})...", flush=True)
    bomb = gzip_bomb(inflated)
    more, last = near_pages(cap)
    small = orjson.dumps({"data": [record(i) for i in range(100)], "has_more": False})
    server = Server({"/bomb": (bomb, {"Content-Encoding": "gzip"}), "/small": (small, {}),
                     "/near-more": (more, {}), "/near-last": (last, {})}, near_count)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADENCIA_")}
    env |= {"CADENCIA_LOG_FORMAT": "json", "CADENCIA_HTTP_MAX_PAGE_BYTES": str(cap)}
    try:
        with tempfile.TemporaryDirectory(prefix="cadencia-bench-") as tmp:
            out = Path(tmp) / "o.parquet"
            bare = measure([sys.executable, "-c", "pass"], env=env)
            base = step(f"{server.url}/small", out, 100, env)
            hit = step(f"{server.url}/bomb", out, 100, env, refused=True)
            near = step(f"{server.url}/near", out, len(orjson.loads(more)["data"]), env)
    finally:
        server.close()
    print(f"{'case':<58}{'peak RSS':>10}{'wall s':>8}")
    rows = [("bare python -c pass (floor)", bare),
            ("extract_http, one small page (the step's baseline)", base),
            (f"extract_http, {len(bomb) / MIB:.1f} MiB gzip -> {inflated // MIB:,} MiB: exit 65",
             hit),
            (f"extract_http, {near_count} pages of {len(more) / MIB:.0f} MiB (cap "
             f"{cap // MIB} MiB)", near)]
    for name, sample in rows:
        print(f"{name:<58}{sample.peak_rss_mib:>7.0f}MiB{sample.seconds:>8.2f}")
    bound = base.peak_rss_mib + CAP_SLACK * cap / MIB
    bomb_ok = hit.peak_rss_mib <= bound
    near_ok = near.peak_rss_mib <= POD_LIMIT_MIB
    print(f"cap {cap // MIB} MiB (default {default_cap // MIB} MiB): the bomb costs "
          f"{hit.peak_rss_mib - base.peak_rss_mib:.0f} MiB over the baseline, goal <= "
          f"{CAP_SLACK} x cap = {CAP_SLACK * cap / MIB:.0f} MiB: {'OK' if bomb_ok else 'MISSED'}")
    print(f"pages just under the cap peak at {near.peak_rss_mib:.0f} MiB, goal <= the "
          f"{POD_LIMIT_MIB} MiB pod limit: {'OK' if near_ok else 'MISSED'}")
    return 0 if bomb_ok and near_ok else 1


if __name__ == "__main__":
    sys.exit(main())
