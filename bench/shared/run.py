"""Shared journal speed on a throwaway PostgreSQL server, each figure next to a baseline from the same run.

    .venv/bin/python bench/shared/run.py [--seconds 2] [--rounds 3] [--writers 1,4,16] [--count 200] [--gap-ms 20]

- appends per second with 1, 4 and 16 writers, each a process of its own (a host), one entry per transaction:
  PostgresJournal (the backend) and SharedJournal (spool, upload, mirror: what a console does), against plain
  asyncpg INSERT transactions into a table of the same shape, with and without the same advisory lock;
  after each run the chain is verified and the entries counted (none lost, none twice). Each figure is the
  median of `--rounds` runs, the modes interleaved, each run on a fresh database;
- live delivery, one host's `append` call to another host reading the entry, p50/p99, against a raw
  LISTEN/NOTIFY round trip between two processes (and PostgresJournal to PostgresJournal in between).

Starts its own PostgreSQL with tests/shared_journal/pg.py (initdb binaries needed), fsync on, and removes it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from warroom.console.journal.postgres import APPEND_LOCK, PostgresJournal
from warroom.console.journal.shared import SharedJournal

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.shared_journal.pg: a bench-only dependency

SPAWN = multiprocessing.get_context("spawn")
RAW_TABLE = """
CREATE TABLE raw_entries (
    seq bigint PRIMARY KEY, incident text, kind text NOT NULL, actor text NOT NULL, occurred_at text NOT NULL,
    discovered_at text NOT NULL, logged_at text NOT NULL, origin text, body text NOT NULL,
    prev_hash text NOT NULL, hash text NOT NULL UNIQUE
);
CREATE SEQUENCE raw_seq;
CREATE INDEX raw_incident ON raw_entries(incident, seq) WHERE incident IS NOT NULL;
CREATE INDEX raw_kind ON raw_entries(kind, seq);
"""
RAW_INSERT = ("INSERT INTO raw_entries VALUES ({seq}, 'INC-1', 'note', $1, $2, $2, $2, NULL, $3, '', $4)")
MODES = {
    "raw": "asyncpg INSERT, no lock (baseline)",
    "raw+lock": "asyncpg lock + head + INSERT (baseline)",
    "postgres": "PostgresJournal.append",
    "shared": "SharedJournal.append",
}
BASELINES = {"raw": "plain INSERT", "raw+lock": "lock + head + INSERT"}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def note(writer: int, n: int) -> dict[str, Any]:
    return {"text": f"host {writer}, note {n}: mailbox rule forwarding to an external address removed"}


# ---- appends: one process per writer -----------------------------------------------------------------------


def writer_process(mode: str, url: str, writer: int, seconds: float, spool: str, go: Any, out: Any) -> None:
    try:
        out.put(asyncio.run(write_for(mode, url, writer, seconds, spool, go, out)))
    except BaseException as error:  # the parent must hear of it, or it waits for nothing
        out.put(("error", writer, repr(error)))


async def write_for(mode: str, url: str, writer: int, seconds: float, spool: str, go: Any,
                    out: Any) -> tuple[str, int, int, float]:
    actor = f"host{writer}"
    if mode in ("raw", "raw+lock"):
        conn = await asyncpg.connect(url)
        append = raw_appender(conn, mode, actor, writer)
        close: Callable[[], Any] = conn.close
    else:
        journal = (await PostgresJournal.open(url, actor=actor) if mode == "postgres"
                   else await SharedJournal.open(url, actor=actor, spool_dir=spool))

        async def append(n: int) -> None:
            await journal.append("note", note(writer, n), incident="INC-1")

        close = journal.close
    out.put(("ready", writer))
    await asyncio.to_thread(go.wait)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        await append(count)
        count += 1
    elapsed = time.perf_counter() - start
    await close()
    return ("done", writer, count, elapsed)


def raw_appender(conn: asyncpg.Connection, mode: str, actor: str, writer: int) -> Callable[[int], Any]:
    """One transaction per entry, the journal's columns; the locked variant also reads the head, as the journal does."""
    from warroom.console.journal.encoding import canonical_json
    from warroom.console.timefmt import to_iso, utc_now

    async def plain(n: int) -> None:
        async with conn.transaction():
            await conn.execute(RAW_INSERT.format(seq="nextval('raw_seq')"), actor, to_iso(utc_now()),
                               canonical_json(note(writer, n)), f"{writer}-{n}")

    async def locked(n: int) -> None:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
            head = await conn.fetchval("SELECT seq FROM raw_entries ORDER BY seq DESC LIMIT 1") or 0
            await conn.execute(RAW_INSERT.format(seq=head + 1), actor, to_iso(utc_now()),
                               canonical_json(note(writer, n)), f"{writer}-{n}")

    return plain if mode == "raw" else locked


@dataclass
class Throughput:
    mode: str
    writers: int
    per_second: float
    appended: int
    stored: int
    chain_ok: bool | None


def run_writers(mode: str, url: str, writers: int, seconds: float, spool_base: Path) -> Throughput:
    go, out = SPAWN.Event(), SPAWN.Queue()
    processes = [SPAWN.Process(target=writer_process, daemon=True,
                               args=(mode, url, n, seconds, str(spool_base / f"{mode}-{writers}-{n}"), go, out))
                 for n in range(writers)]
    for process in processes:
        process.start()
    messages = [out.get(timeout=120) for _ in range(writers)]
    failures = [m for m in messages if m[0] == "error"]
    if not failures:
        go.set()
        messages = [out.get(timeout=seconds + 120) for _ in range(writers)]
        failures = [m for m in messages if m[0] == "error"]
    for process in processes:
        process.join(timeout=30)
    if failures:
        raise RuntimeError(f"{mode} x{writers}: {failures}")
    appended = sum(m[2] for m in messages)
    elapsed = max(m[3] for m in messages)
    stored, ok = asyncio.run(check_store(mode, url))
    return Throughput(mode, writers, appended / elapsed, appended, stored, ok)


async def check_store(mode: str, url: str) -> tuple[int, bool | None]:
    """How many entries the database holds, and for the journal whether the whole chain verifies."""
    if mode.startswith("raw"):
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT count(*) FROM raw_entries"), None
        finally:
            await conn.close()
    journal = await PostgresJournal.open(url, readonly=True)
    try:
        result = await journal.verify()
        return (await journal.stats()).entries, result.ok
    finally:
        await journal.close()


async def prepare_database(mode: str, url: str) -> None:
    if mode.startswith("raw"):
        conn = await asyncpg.connect(url)
        await conn.execute(RAW_TABLE)
        await conn.close()
    else:
        await (await PostgresJournal.open(url, actor="bench")).close()  # the schema, before the writers race


# ---- live delivery: a sender process and a receiver process ------------------------------------------------


def receiver_process(mode: str, url: str, count: int, spool: str, out: Any) -> None:
    try:
        out.put(("latencies", asyncio.run(receive(mode, url, count, spool, out))))
    except BaseException as error:
        out.put(("error", "receiver", repr(error)))


def sender_process(mode: str, url: str, count: int, gap: float, spool: str, go: Any, out: Any) -> None:
    try:
        out.put(("sent", asyncio.run(send(mode, url, count, gap, spool, go, out))))
    except BaseException as error:
        out.put(("error", "sender", repr(error)))


async def receive(mode: str, url: str, count: int, spool: str, out: Any) -> list[float]:
    """Latency of each entry: time.monotonic() (system-wide on Linux) when read here minus when the sender began."""
    latencies: list[float] = []
    if mode == "notify":
        conn = await asyncpg.connect(url)
        done = asyncio.Event()

        def heard(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
            latencies.append(time.monotonic() - float(payload))
            if len(latencies) >= count:
                done.set()

        await conn.add_listener("bench", heard)
        out.put(("ready",))
        await asyncio.wait_for(done.wait(), timeout=count * 0.1 + 60)
        await conn.close()
        return latencies
    journal = (await PostgresJournal.open(url, actor="receiver") if mode == "postgres"
               else await SharedJournal.open(url, actor="receiver", spool_dir=spool))
    seen = (await journal.head())[0]

    async def follow() -> None:
        nonlocal seen
        async for _ in journal.changes():
            rows = await journal.entries(after=seen)
            now = time.monotonic()
            for entry in rows:
                if "sent" in entry.body:
                    latencies.append(now - entry.body["sent"])
            seen = rows[-1].seq if rows else seen
            if len(latencies) >= count:
                return

    task = asyncio.create_task(follow())
    await asyncio.sleep(1.0)  # LISTEN is in place (changes() starts it on its first step)
    out.put(("ready",))
    try:
        await asyncio.wait_for(task, timeout=count * 0.1 + 60)
    finally:
        await journal.close()
    return latencies


async def send(mode: str, url: str, count: int, gap: float, spool: str, go: Any, out: Any) -> list[float]:
    """Send `count` entries (or notifications) `gap` apart; returns how long each call took here."""
    durations: list[float] = []
    if mode == "notify":
        conn = await asyncpg.connect(url)

        async def one(_n: int) -> None:
            await conn.execute("SELECT pg_notify('bench', $1)", repr(time.monotonic()))

        close: Callable[[], Any] = conn.close
    else:
        journal = (await PostgresJournal.open(url, actor="sender") if mode == "postgres"
                   else await SharedJournal.open(url, actor="sender", spool_dir=spool))

        async def one(n: int) -> None:
            await journal.append("note", {"text": f"live note {n}", "sent": time.monotonic()}, incident="INC-1")

        close = journal.close
    out.put(("ready",))
    await asyncio.to_thread(go.wait)
    next_at = time.monotonic()
    for n in range(count):
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        start = time.perf_counter()
        await one(n)
        durations.append(time.perf_counter() - start)
        next_at += gap
    await close()
    return durations


def run_delivery(mode: str, url: str, count: int, gap: float, spool_base: Path) -> tuple[list[float], list[float]]:
    go, out = SPAWN.Event(), SPAWN.Queue()
    receiver = SPAWN.Process(target=receiver_process, daemon=True,
                             args=(mode, url, count, str(spool_base / f"live-{mode}-receiver"), out))
    sender = SPAWN.Process(target=sender_process, daemon=True,
                           args=(mode, url, count, gap, str(spool_base / f"live-{mode}-sender"), go, out))
    receiver.start()
    sender.start()
    results: dict[str, Any] = {}
    for _ in range(2):
        message = out.get(timeout=120)
        if message[0] == "error":
            raise RuntimeError(f"live {mode}: {message}")
    go.set()
    for _ in range(2):
        message = out.get(timeout=count * gap + 180)
        if message[0] == "error":
            raise RuntimeError(f"live {mode}: {message}")
        results[message[0]] = message[1]
    receiver.join(timeout=30)
    sender.join(timeout=30)
    return results["latencies"], results["sent"]


# ---- the report --------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def print_throughput(results: list[Throughput], writer_counts: list[int]) -> None:
    rates: dict[tuple[str, int], list[float]] = {}
    for result in results:
        rates.setdefault((result.mode, result.writers), []).append(result.per_second)
    median = {key: statistics.median(values) for key, values in rates.items()}
    print(f"\n{'appends/s, median of rounds':44}" + "".join(f"{f'{n} writer(s)':>16}" for n in writer_counts))
    for mode, label in MODES.items():
        print(f"  {label:42}" + "".join(f"{median[mode, n]:>16,.0f}" for n in writer_counts))
    for mode in ("postgres", "shared"):
        for base in ("raw", "raw+lock"):
            ratios = "".join(f"{median[mode, n] / median[base, n]:>15.2f}x" for n in writer_counts)
            print(f"  {MODES[mode] + ' / ' + BASELINES[base]:42}{ratios}")
    print("\nafter each run: entries the writers appended = entries stored; the chain verified")
    for mode in MODES:
        for writers in writer_counts:
            runs = [r for r in results if (r.mode, r.writers) == (mode, writers)]
            exact = all(r.appended == r.stored for r in runs)
            chain = ("-" if runs[0].chain_ok is None else
                     "verify ok" if all(r.chain_ok for r in runs) else "VERIFY FAILED")
            counts = ", ".join(f"{r.stored:,}" for r in runs)
            print(f"  {mode:9} x{writers:<3} {'exact' if exact else 'MISMATCH':9} {chain:13} stored {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="how long each throughput run lasts")
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per figure (the median is shown)")
    parser.add_argument("--writers", default="1,4,16", help="writer processes per run, comma-separated")
    parser.add_argument("--count", type=int, default=200, help="entries sent in the live-delivery test")
    parser.add_argument("--gap-ms", type=float, default=20.0, help="time between two sent entries")
    args = parser.parse_args()
    writer_counts = [int(n) for n in args.writers.split(",")]

    from tests.shared_journal.pg import PostgresServer

    began = time.perf_counter()
    with PostgresServer(name="warroom-bench") as server, tempfile.TemporaryDirectory(prefix="warroom-bench-") as tmp:
        spool_base = Path(tmp)
        settings = server_settings(server.url())
        print(f"PostgreSQL {settings['server_version']} on 127.0.0.1:{server.port}, fsync={settings['fsync']}, "
              f"synchronous_commit={settings['synchronous_commit']}, {multiprocessing.cpu_count()} CPUs")
        results = []
        for round_ in range(args.rounds):
            for writers in writer_counts:
                for mode in MODES:
                    url = server.create_database(f"{mode.replace('+', '_')}_{writers}_{round_}")
                    asyncio.run(prepare_database(mode, url))
                    result = run_writers(mode, url, writers, args.seconds, spool_base / str(round_))
                    print(f"  round {round_ + 1}  {MODES[mode]:42} x{writers:<3} {result.per_second:>8,.0f}/s")
                    results.append(result)
        print_throughput(results, writer_counts)

        print(f"\nlive delivery: {args.count} entries {args.gap_ms:g} ms apart, sender and receiver in two processes")
        gap = args.gap_ms / 1000
        for mode, label in (("notify", "raw NOTIFY -> LISTEN (baseline)"),
                            ("postgres", "PostgresJournal append -> changes+entries"),
                            ("shared", "SharedJournal append -> changes+entries")):
            url = server.create_database(f"live_{mode}")
            if mode != "notify":
                asyncio.run(prepare_database(mode, url))
            latencies, calls = run_delivery(mode, url, args.count, gap, spool_base)
            print(f"  {label:42} p50 {ms(percentile(latencies, 0.5)):>9}  p99 {ms(percentile(latencies, 0.99)):>9}"
                  f"  max {ms(max(latencies)):>9}   (sender's call p50 {ms(percentile(calls, 0.5))},"
                  f" p99 {ms(percentile(calls, 0.99))})")
    print(f"\nwhole run {time.perf_counter() - began:.0f} s")


def server_settings(url: str) -> dict[str, str]:
    async def read() -> dict[str, str]:
        conn = await asyncpg.connect(url)
        try:
            return {name: await conn.fetchval(f"SHOW {name}")
                    for name in ("server_version", "fsync", "synchronous_commit")}
        finally:
            await conn.close()

    return asyncio.run(read())


if __name__ == "__main__":
    main()
