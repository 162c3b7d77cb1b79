"""`warroom review` first page in a pty on a 1,000,000-entry journal, against a bare Textual app, paired per round.

    .venv/bin/python bench/review/first_page.py [--entries 1000000] [--rounds 15]

Each round starts the bare app (bench/dashboard/run.py's), then `warroom review JOURNAL`, each in a 120x40 pty,
and times each from the start until its text shows (the bare app's line; the review's first entry in the
timeline). The ratio of each round's review time to the bare app's, started seconds before it, is the figure to
read on a shared machine: the median of those ratios. The journal is bench/review/run.py's, built once and cached.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dashboard = _load(HERE.parent / "dashboard" / "run.py", "bench_dashboard")
review_bench = _load(HERE / "run.py", "bench_review")


def first_text(argv: list[str], marker: bytes, env: dict[str, str]) -> float | None:
    started = time.perf_counter()
    pid, fd = dashboard.spawn(argv, env)
    spawned = time.perf_counter() - started
    try:
        elapsed, _ = dashboard.read_until(fd, marker, 30.0)
        return None if elapsed is None else spawned + elapsed
    finally:
        dashboard.stop(pid, fd)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    review_bench.CACHE.mkdir(exist_ok=True)
    path = review_bench.CACHE / f"journal-{args.entries}.db"
    if not path.exists():
        print(f"building {path} (once; cached)", file=sys.stderr)
        review_bench.build(path, args.entries)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40", "WARROOM_CONFIG": "",
           "TEXTUAL_ANIMATIONS": "none"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)    # the warm-up round byte-compiles, as an installed copy is
    bare = [sys.executable, "-c", dashboard.BARE]
    review = [str(dashboard.WARROOM), "review", str(path)]
    print("load average before:", " ".join(f"{value:.2f}" for value in os.getloadavg()))
    first_text(review, b"queue 1 depth", env)                 # warm the page cache and the byte-compiled files
    pairs = []
    for _ in range(args.rounds):
        base = first_text(bare, b"bare-app-ready", env)
        ours = first_text(review, b"queue 1 depth", env)
        if base and ours:
            pairs.append((base, ours))
    print("load average after:", " ".join(f"{value:.2f}" for value in os.getloadavg()))
    ratios = [ours / base for base, ours in pairs]
    print(f"{args.entries:,} entries, {len(pairs)} rounds")
    print(f"bare Textual app, first text: median {statistics.median(b for b, _ in pairs) * 1000:.0f} ms")
    print(f"warroom review, first page: median {statistics.median(o for _, o in pairs) * 1000:.0f} ms")
    print(f"paired ratio: median {statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
