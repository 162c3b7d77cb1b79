"""Journal speed, each figure next to a baseline measured in the same run on the same disk.

    .venv/bin/python bench/journal/run.py [--entries 1000000] [--cache /tmp/warroom-bench]

- durable single append p50/p99 vs a raw `write + os.fsync` of a small record;
- batched ingest (append_many) vs plain sqlite3 `executemany` of the same rows into the same schema;
- `verify` on a 1M-entry journal (target < 5 s), and a full-text search on it (target < 200 ms).

The 1M journal is built once with append_many and cached; delete the cache folder to rebuild it.
"""

# ruff: noqa: ASYNC240 - a benchmark script: blocking file calls between measurements are fine
from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from warroom.console.journal import Draft, open_journal, verify_file
from warroom.console.journal.store import _verify_chain

WORDS = (
    "mailbox rule forwards external inbox exchange teams sharepoint outage degraded sign-in failing "
    "conditional access token revoked user disabled alert phishing contained recovering resolved"
).split()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def draft(n: int) -> Draft:
    """A realistic note: a dozen words, an incident on most, a rare word on one in a thousand."""
    words = " ".join(WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(12))
    rare = " needle" if n % 1000 == 0 else ""
    return Draft(
        "note",
        {"text": f"{n}: {words}{rare}", "source": {"type": "alert", "id": f"a-{n % 977}"}},
        f"INC-{n % 40}" if n % 5 else None,
    )


def fsync_baseline(folder: Path, count: int) -> list[float]:
    path = folder / "fsync.bin"
    samples = []
    with path.open("ab") as handle:
        for n in range(count):
            start = time.perf_counter()
            handle.write(b"%08d some bytes of a small record\n" % n)
            handle.flush()
            os.fsync(handle.fileno())
            samples.append(time.perf_counter() - start)
    return samples


async def append_latency(folder: Path, count: int) -> list[float]:
    samples = []
    async with await open_journal(folder / "single.db", actor="bench") as journal:
        for n in range(count):
            start = time.perf_counter()
            await journal.append("note", draft(n).body)
            samples.append(time.perf_counter() - start)
    return samples


async def journal_ingest(path: Path, count: int, batch: int) -> tuple[float, list[tuple]]:
    """Entries per second through append_many; also returns the stored rows for the raw baseline."""
    drafts = [draft(n) for n in range(count)]
    async with await open_journal(path, actor="bench") as journal:
        start = time.perf_counter()
        for at in range(0, count, batch):
            await journal.append_many(drafts[at : at + batch])
        await journal.search("bench")       # the full-text index caught up (a batch this size leaves it for later)
        elapsed = time.perf_counter() - start
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    conn.close()
    return count / elapsed, rows


async def raw_ingest(path: Path, rows: list[tuple], batch: int) -> float:
    """The same rows into the same schema (indexes, the full-text index by the same statement) with plain sqlite3:
    the floor."""
    from warroom.console.journal.store import _INDEX

    async with await open_journal(path):
        pass  # creates the schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    start = time.perf_counter()
    for at in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows[at : at + batch])
        conn.execute(_INDEX, (rows[at][0] - 1, rows[min(at + batch, len(rows)) - 1][0]))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return len(rows) / elapsed


async def build_big(path: Path, count: int) -> None:
    if path.exists():
        conn = sqlite3.connect(path)
        have = conn.execute("SELECT count(*) FROM entries").fetchone()[0]
        conn.close()
        if have == count:
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    start = time.perf_counter()
    async with await open_journal(path, actor="bench") as journal:
        for at in range(0, count, 20_000):
            await journal.append_many([draft(n) for n in range(at, min(count, at + 20_000))])
    print(f"  built {count:,} entries in {time.perf_counter() - start:.1f} s ({path.stat().st_size / 2**20:.0f} MiB)")


def timed(action: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


async def search_times(path: Path, queries: list[str]) -> dict[str, tuple[float, int]]:
    results = {}
    async with await open_journal(path, readonly=True) as journal:
        for query in queries:
            await journal.search(query)  # warm the page cache once, as a console that is open would be
            samples, found = [], 0
            for _ in range(5):
                start = time.perf_counter()
                found = len(await journal.search(query))
                samples.append(time.perf_counter() - start)
            results[query] = (statistics.median(samples), found)
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="size of the verify/search journal")
    parser.add_argument("--ingest", type=int, default=100_000, help="entries for the ingest comparison")
    parser.add_argument("--singles", type=int, default=300, help="single appends for the latency figure")
    parser.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "warroom-bench"))
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        folder = Path(scratch)
        print("durable single append (synchronous=FULL, WAL)")
        fsyncs = fsync_baseline(folder, args.singles)
        appends = await append_latency(folder, args.singles)
        print(f"  raw write+fsync   p50 {ms(percentile(fsyncs, 0.5))}  p99 {ms(percentile(fsyncs, 0.99))}")
        print(f"  Journal.append    p50 {ms(percentile(appends, 0.5))}  p99 {ms(percentile(appends, 0.99))}")

        print(f"batched ingest ({args.ingest:,} entries, batches of 1000)")
        ours, rows = await journal_ingest(folder / "ingest.db", args.ingest, 1000)
        raw = await raw_ingest(folder / "raw.db", rows, 1000)
        print(f"  sqlite3 executemany {raw:,.0f}/s   append_many {ours:,.0f}/s ratio {ours / raw:.2f} (target >= 0.5)")

    big = cache / f"journal-{args.entries}.db"
    print(f"verify and search on {args.entries:,} entries")
    await build_big(big, args.entries)
    conn = sqlite3.connect(f"file:{big}?mode=ro", uri=True)
    integrity = timed(lambda: conn.execute("PRAGMA integrity_check").fetchall())
    scan = timed(lambda: sum(1 for _ in conn.execute("SELECT * FROM entries")))
    conn.close()
    result: list = []
    quick = timed(lambda: result.append(verify_file(big, full_check=False)))
    assert result[-1].ok, result[-1]
    full = timed(lambda: verify_file(big, full_check=True))
    conn = sqlite3.connect(f"file:{big}?mode=ro", uri=True)
    chain = timed(lambda: _verify_chain(conn, None))
    conn.close()
    print(f"  baseline: plain SELECT of every row {scan:.2f} s, PRAGMA integrity_check {integrity:.2f} s")
    print(f"  chain walk alone                          {chain:.2f} s")
    print(f"  journal verify (quick_check || chain)     {quick:.2f} s = {args.entries / quick:,.0f}/s (target < 5 s)")
    print(f"  journal verify --full (integrity_check || chain) {full:.2f} s")
    for query, (seconds, found) in (await search_times(big, ["needle", "phishing contained", "INC-7"])).items():
        print(f"  search {query!r:22} {ms(seconds):>10}  ({found} hits, limit 200; target < 200 ms)")


if __name__ == "__main__":
    asyncio.run(main())
