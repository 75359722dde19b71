"""Run the benchmarks: ``python -m bench [NAME...] [--quick]``.

Each ``bench/bench_<name>.py`` prints its own table of ratios against a baseline measured
side by side in the same run, and returns non-zero when a goal is missed.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {available()})")
    p.add_argument("--quick", action="store_true", help="small sizes; a smoke run in seconds")
    args = p.parse_args(argv)
    names = args.names or available()
    failed = []
    for name in names:
        if name not in available():
            p.error(f"unknown benchmark {name!r}; choose from {available()}")
        print(f"\n=== bench {name} ===", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        code = module.main(["--quick"] if args.quick else [])
        if code:
            failed.append(name)
    print(f"\nbenchmarks: {len(names) - len(failed)} met their goals, {len(failed)} missed"
          + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
