"""Review at scale: a 1,000,000-entry journal, first page, scrolling, search, jumps, against raw sqlite3.

Run: `.venv/bin/python bench/review/run.py [--entries N] [--append-docs]`. The journal is built once through the
journal API and cached in /tmp. Every figure is the median of several runs, next to a baseline: the same SQL on
a plain sqlite3 connection in the same run, so the numbers say what our layer costs, not how fast this machine is.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.console.journal import Draft, kinds, open_journal
from warroom.console.journal.records import COLUMNS
from warroom.console.journal_reader import Filter, JournalReader, fts_query

CACHE = Path("/tmp/warroom-bench-review")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]
WINDOW_DEFAULT = 200  # rows the timeline holds


def drafts(start: int, count: int) -> list[Draft]:
    """Mostly notes, some observations and incident entries, the odd hostile word to search for."""
    result = []
    for n in range(start, start + count):
        incident = f"INC-{n // 10_000:04d}" if n % 3 else None
        when = T0 + timedelta(seconds=n * 6)
        if n % 10_000 == 0:
            result.append(Draft(kinds.INCIDENT_DECLARED, {"title": f"outage {n}", "category": "service-outage"},
                                incident or f"INC-{n // 10_000:04d}", "alex", when))
        elif n % 50 == 0:
            result.append(Draft(kinds.OBSERVATION, {"source": "serviceHealth", "key": f"EX{n % 40}",
                                                    "digest": str(n), "data": {"status": "investigating"}},
                                None, "warroom", when))
        elif n % 997 == 0:
            result.append(Draft(kinds.NOTE, {"text": f"mailbox rule forwards to exfiltrator {n}"}, incident, "sam",
                                when))
        else:
            result.append(Draft(kinds.NOTE, {"text": f"checked mail flow queue {n} depth {n % 17}"}, incident,
                                "alex", when))
    return result


def build(path: Path, entries: int) -> None:
    async def go() -> None:
        async with await open_journal(path, actor="bench") as journal:
            head, _ = await journal.head()
            batch = 20_000
            for start in range(head + 1, entries + 1, batch):
                await journal.append_many(drafts(start, min(batch, entries - start + 1)))
                print(f"\r  building: {start + batch - 1:,} entries", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)

    asyncio.run(go())


def median_ms(fn: Callable[[], object], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def open_first_page(path: Path) -> list:
    with JournalReader(path) as review:
        return review.after(Filter(), 0, WINDOW_DEFAULT)


def scroll(fetch: Callable[[int], list]) -> Callable[[], None]:
    """50 page fetches down from the start, each after the last seq seen: what holding ↓ does."""
    def run() -> None:
        after = 0
        for _ in range(50):
            rows = fetch(after)
            after = rows[-1][0] if isinstance(rows[-1], tuple) else rows[-1].seq
    return run


def app_first_page_ms(path: Path) -> float:
    """From creating JournalBrowserApp to the first page in the table, headless."""
    from warroom.screens.review import JournalBrowserApp
    from warroom.widgets.review_timeline import BrowserTimeline

    async def go() -> float:
        started = time.perf_counter()
        app = JournalBrowserApp(path)
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.screen.query(BrowserTimeline) or not app.screen.query_one(BrowserTimeline).window:
                await pilot.pause(0.005)
            elapsed = (time.perf_counter() - started) * 1000
            await pilot.press("q")
        return elapsed

    return statistics.median(asyncio.run(go()) for _ in range(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--append-docs", action="store_true", help="append the figures to docs/benchmarks.md")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"journal-{args.entries}.db"
    if not path.exists() or JournalReader(path).head()[0] < args.entries:
        print(f"building {path} (once; cached)", file=sys.stderr)
        build(path, args.entries)

    page = 100
    review = JournalReader(path)
    conn = raw(path)
    everything = Filter()
    word = "exfiltrator"
    plain = f"SELECT {', '.join(COLUMNS)} FROM entries"
    fts = (f"SELECT {', '.join(COLUMNS).replace('seq', 'entries.seq')} FROM entries_fts JOIN entries ON entries.seq = "
           "entries_fts.rowid WHERE entries_fts MATCH ?")
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("open + first page (200)",
         lambda: open_first_page(path),
         lambda: raw(path).execute(f"{plain} WHERE seq > 0 ORDER BY seq LIMIT 200").fetchall()),
        ("last page (End)",
         lambda: review.before(everything, None, WINDOW_DEFAULT),
         lambda: conn.execute(f"{plain} ORDER BY seq DESC LIMIT 200").fetchall()),
        ("scroll: 50 pages of 100",
         scroll(lambda after: review.after(everything, after, page)),
         scroll(lambda after: conn.execute(f"{plain} WHERE seq > ? ORDER BY seq LIMIT 100", (after,)).fetchall())),
        ("one incident, first page",
         lambda: review.after(Filter(incident="INC-0050"), 0, WINDOW_DEFAULT),
         lambda: conn.execute(f"{plain} WHERE seq > 0 AND incident = ? ORDER BY seq LIMIT 200",
                              ("INC-0050",)).fetchall()),
        (f"search '{word}' (1 in 997), first page",
         lambda: review.after(Filter(text=word), 0, WINDOW_DEFAULT),
         lambda: conn.execute(f"{fts} ORDER BY entries_fts.rowid LIMIT 200", (fts_query(word),)).fetchall()),
        ("search 'queue' (most entries), last page",
         lambda: review.before(Filter(text="queue"), None, WINDOW_DEFAULT),
         lambda: conn.execute(f"{fts} ORDER BY entries_fts.rowid DESC LIMIT 200", (fts_query("queue"),)).fetchall()),
        ("jump to a time",
         lambda: review.around(everything, review.seq_at("2026-01-20T00:00:00.000Z") or 1, WINDOW_DEFAULT),
         lambda: conn.execute("SELECT seq FROM entries WHERE occurred_at >= ? ORDER BY occurred_at LIMIT 1",
                              ("2026-01-20T00:00:00.000Z",)).fetchall()),
    ]
    rows = []
    for name, ours, baseline in cases:
        rows.append((name, median_ms(ours), median_ms(baseline)))
    slow = [
        ("incident list (fold incident kinds)", median_ms(review.incidents, 3)),
        ("what we knew at mid-journal", median_ms(lambda: review.knowledge_at("2026-01-20T00:00:00.000Z"), 3)),
        ("app: first page on screen (headless)", app_first_page_ms(path)),
        ("verify the whole chain", median_ms(review.verify, 1)),
    ]
    count = review.head()[0]
    lines = [
        f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {count:,} entries, {path.stat().st_size / 2**20:.0f} MiB, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {platform.machine()}",
        "",
        "| query | review (ms) | raw sqlite3, same SQL (ms) |",
        "|---|---:|---:|",
        *[f"| {name} | {ours:.1f} | {base:.1f} |" for name, ours, base in rows],
        *[f"| {name} | {ours:.1f} | — |" for name, ours in slow],
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.append_docs:
        docs = REPO / "docs" / "benchmarks.md"
        text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n"
        if "\n## Review\n" not in text:
            text = text.rstrip("\n") + "\n\n## Review\n\n" + __doc__.split("\n\n")[0] + "\n"
        start = text.index("\n## Review\n") + 1
        end = text.find("\n## ", start + 1)   # insert at the end of our section, not of the file
        end = len(text) if end < 0 else end + 1
        section = text[start:end].rstrip("\n") + "\n\n" + report + "\n"
        docs.parent.mkdir(exist_ok=True)
        docs.write_text(text[:start] + section + text[end:], encoding="utf-8")
    review.close()
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
