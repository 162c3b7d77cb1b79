"""The SQLite journal's write path: what it stores is byte for byte what it stored before, and a transaction runs
whole on the connection's thread, so it never waits for the event loop to take a turn between its statements."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warroom.console.journal import Draft, kinds, open_journal, verify_file
from warroom.console.journal import store as sqlite_store
from warroom.console.journal.records import Unclaimed, prepare, seal

from .journal_tools import COLUMNS, read

JOURNAL_ID = "5b0a3a8e-6c4e-4c4b-9a53-2f3b7f0e9d11"
NOW = datetime(2026, 12, 5, 12, 34, 56, 789000, tzinfo=UTC)


def _drafts(count: int) -> list[Draft]:
    """Entries of every shape a journal holds: notes with text to escape, incidents, actors, times, origins,
    observations of a Graph object with nesting, floats, big integers, booleans and nulls."""
    drafts = []
    for n in range(count):
        if n % 3 == 0:
            data = {"id": f"da{n}", "title": f"Phish {n} \u00e9t\u00e9 \"quoted\" \\ back\nline",
                    "score": n / 7, "count": 2 ** 62 + n, "flag": n % 2 == 0, "none": None,
                    "evidence": [{"userAccount": {"userPrincipalName": f"u{n}@contoso.com"}}, []]}
            drafts.append(Draft(kinds.OBSERVATION, {"source": "alerts", "key": f"da{n}", "digest": f"{n:032x}",
                                                    "data": data}, occurred_at=NOW - timedelta(seconds=n)))
        elif n % 3 == 1:
            drafts.append(Draft(kinds.NOTE, {"text": f"note {n}: \u2603 mailbox rule \U0001f600"}, "INC-7",
                                "r\u00e9mi", NOW - timedelta(minutes=n), NOW - timedelta(seconds=30 * n)))
        else:
            drafts.append(Draft("task.done", {"task_id": f"T{n}", "n": n}, None, None, None, None,
                                hashlib.sha256(str(n).encode()).hexdigest()))
    return drafts


def _rows(path: Path) -> list[tuple]:
    return read(path, f"SELECT {', '.join(COLUMNS)} FROM entries ORDER BY seq")


async def _write(path: Path, batches: list[int]) -> None:
    async with await open_journal(path, actor="alex") as journal:
        await journal.adopt_identity(JOURNAL_ID)
        drafts = _drafts(sum(batches))
        for size in batches:
            batch, drafts = drafts[:size], drafts[size:]
            await journal.append_many(batch)


# The chain's head after `_write(path, [1203, 1, 296])` at NOW, as the write path stored it before it ran whole on
# the connection's thread and inserted many rows a statement: the head hashes every field of every entry in order.
HEAD = "250fe7110bc6f3321ae8d5c483990af0d8e249350248088fecb63f6f79171d49"


@pytest.mark.parametrize("rows_per_insert", [None, 7])
def test_entries_are_stored_byte_for_byte_as_before(journal_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    rows_per_insert: int | None) -> None:
    monkeypatch.setattr(sqlite_store, "utc_now", lambda: NOW)
    if rows_per_insert:
        monkeypatch.setattr(sqlite_store, "ROWS_PER_INSERT", rows_per_insert)
    asyncio.run(_write(journal_path, [1203, 1, 296]))
    rows = _rows(journal_path)
    assert len(rows) == 1500 and rows[-1][-1] == HEAD
    # Each row is what `seal` makes of what `prepare` makes of its draft, field for field.
    drafts, expected, seq, prev = _drafts(1500), [], 0, sqlite_store.genesis_for(JOURNAL_ID)
    for size in (1203, 1, 296):
        batch, drafts = drafts[:size], drafts[size:]
        expected += seal([prepare(draft, "alex") for draft in batch], seq, prev, NOW)
        seq, prev = expected[-1][0], expected[-1][-1]
    assert rows == expected
    result = verify_file(journal_path, check_index=True)
    assert (result.ok, result.entries, result.head) == (True, 1500, HEAD), result.reason
    assert json.loads(rows[0][8])["data"]["count"] == 2 ** 62


async def test_a_transaction_runs_to_its_commit_without_the_event_loop(journal_path: Path) -> None:
    """Once BEGIN has run, the event loop may be busy with the next page: the transaction needs none of its turns."""
    async with await open_journal(journal_path) as journal:
        drafts = [Draft("note", {"text": f"line {n} " + "x" * 200}) for n in range(5000)]
        writing = asyncio.create_task(journal.append_many(drafts))
        deadline = time.monotonic() + 30
        while not journal._db.in_transaction and not writing.done():
            assert time.monotonic() < deadline, "the append never began its transaction"
            await asyncio.sleep(0.0005)
        # The loop is held here (as a page being compared holds it) until the transaction has committed.
        while journal._db.in_transaction:
            assert time.monotonic() < deadline, "the transaction waited for the event loop"
            time.sleep(0.001)     # noqa: ASYNC251 - holding the loop is the point
        entries = await writing
        assert [entry.seq for entry in entries] == list(range(1, 5001))
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


async def test_a_failed_statement_rolls_back_the_whole_transaction(journal_path: Path) -> None:
    """A row refused half way through (here by the unique hash index) leaves nothing of the transaction behind."""
    async with await open_journal(journal_path) as journal:
        first = await journal.append_many([Draft("note", {"text": f"n{n}"}) for n in range(3)])
        refused = sqlite_store._insert

        def insert_then_repeat(conn: sqlite3.Connection, rows: list[tuple]) -> None:
            refused(conn, rows)
            refused(conn, [(rows[-1][0] + 1, *rows[-1][1:])])     # the same hash again: UNIQUE refuses it
        sqlite_store._insert = insert_then_repeat
        try:
            with pytest.raises(Exception, match="UNIQUE constraint failed"):
                await journal.append_many([Draft("note", {"text": f"m{n}"}) for n in range(1500)])
        finally:
            sqlite_store._insert = refused
        assert not journal._db.in_transaction
        assert [entry.seq for entry in await journal.entries()] == [entry.seq for entry in first]
        assert await journal.search("m1") == []
        after = await journal.append("note", {"text": "after the refusal"})
        assert after.seq == 4
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


async def test_a_few_statement_sizes_insert_batches_of_every_size(journal_path: Path) -> None:
    """The connection keeps every statement it compiled (a 250-row insert ~0.5 MiB): batches of any size are written
    by statements of a few sizes, never one for each size."""
    sqlite_store._insert_sql.cache_clear()
    async with await open_journal(journal_path) as journal:
        for size in range(1, 600, 7):
            await journal.append_many([Draft("note", {"text": f"{size}.{n}"}) for n in range(size)])
        assert (await journal.head())[0] == sum(range(1, 600, 7))
    assert sqlite_store._insert_sql.cache_info().currsize <= 9
    assert (await asyncio.to_thread(verify_file, journal_path)).ok



def _count(path: Path) -> int:
    return read(path, "SELECT count(*) FROM entries")[0][0]


async def _queued_behind_a_long_write(journal, *appends) -> list[asyncio.Task]:
    """A 5,000-entry write on the connection's thread, then `appends` (coroutine functions) started and queued
    behind it while it runs."""
    first = asyncio.create_task(journal.append_many([Draft("note", {"text": f"line {n} " + "x" * 200})
                                                     for n in range(5000)]))
    deadline = time.monotonic() + 30
    while not journal._db.in_transaction:
        assert time.monotonic() < deadline and not first.done(), "the long write never began its transaction"
        await asyncio.sleep(0.0005)
    tasks = [first] + [asyncio.create_task(append()) for append in appends]
    for _ in range(20):         # each runs to its queued write (drafts under one slice are prepared in one turn)
        await asyncio.sleep(0)
    return tasks


async def test_writes_queued_behind_one_land_after_it_without_the_event_loop(journal_path: Path) -> None:
    """A page queued while the page before is written is written straight after it, on the connection's thread:
    the event loop may be busy comparing the next page meanwhile."""
    async with await open_journal(journal_path) as journal:
        tasks = await _queued_behind_a_long_write(
            journal, lambda: journal.append_many([Draft("note", {"text": "second page"})] * 3),
            lambda: journal.append(kinds.NOTE, {"text": "third"}))
        deadline = time.monotonic() + 30
        while _count(journal_path) < 5004:      # the loop is held here until all three have committed
            assert time.monotonic() < deadline, "a queued write waited for the event loop"
            time.sleep(0.005)     # noqa: ASYNC251 - holding the loop is the point
        first, second, third = [await task for task in tasks]
        assert len(first) == 5000
        assert [e.seq for e in second] == [5001, 5002, 5003] and third.seq == 5004
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


async def test_writes_queued_together_share_a_transaction_and_a_claim_has_its_own(
        journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Group commit: pages waiting together are written in one transaction (one COMMIT, one fsync); a claim (a
    guarded append) is never mixed with another write."""
    transactions: list[int] = []          # entries each transaction wrote
    run = sqlite_store._transaction

    def counted(body, conn):
        result = run(body, conn)
        transactions.append(sum(len(entries) for entries in result if isinstance(entries, list)))
        return result
    monkeypatch.setattr(sqlite_store, "_transaction", counted)
    async with await open_journal(journal_path) as journal:
        claim = Unclaimed("INC-1", kinds.INCIDENT_DECLARED)
        tasks = await _queued_behind_a_long_write(
            journal, lambda: journal.append_many([Draft("note", {"text": f"b{n}"}) for n in range(40)]),
            lambda: journal.append_many([Draft("note", {"text": f"c{n}"}) for n in range(60)]),
            lambda: journal.append_many([Draft(kinds.INCIDENT_DECLARED, {"title": "Phish"}, "INC-1")],
                                        guard=claim),
            lambda: journal.append_many([Draft("note", {"text": "d"})]))
        results = [await task for task in tasks]
        assert [len(r) for r in results] == [5000, 40, 60, 1, 1]
        seqs = [e.seq for r in results for e in r]
        assert seqs == list(range(1, 5103))
    # One transaction holds the long write, one the two pages queued behind it, then the claim and the last note;
    # after them, the index catches up in transactions of its own.
    assert [count for count in transactions if count] == [5000, 100, 1, 1]
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


def _unstorable(text: str) -> Draft:
    """A draft whose given text holds a lone surrogate: taken as is (prepare), refused on the connection's thread."""
    return Draft("note", {"text": f"{text} \udc00"}, body_text=f'{{"text":"{text} \udc00"}}')


async def test_a_write_that_fails_in_a_shared_transaction_fails_alone(journal_path: Path) -> None:
    """Two pages share a transaction and one cannot be stored (a lone surrogate in the text it was given, which SQLite
    cannot take): each is written alone instead; its caller hears why, the other page lands."""
    async with await open_journal(journal_path) as journal:
        tasks = await _queued_behind_a_long_write(
            journal, lambda: journal.append_many([_unstorable("title")]),
            lambda: journal.append_many([Draft("note", {"text": f"good {n}"}) for n in range(3)]))
        first, bad, good = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(bad, UnicodeEncodeError), bad
        assert [e.seq for e in good] == [5001, 5002, 5003] and len(first) == 5000
        assert [e.text for e in await journal.entries(after=5000)] == ["good 0", "good 1", "good 2"]
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


async def test_a_page_queued_behind_one_that_fails_waits_for_its_retry(journal_path: Path) -> None:
    """`after`: the page before fails on the connection's thread and its caller writes it again withheld; the page
    queued behind it is written after that retry, never before it."""
    async with await open_journal(journal_path) as journal:
        async def page_with_a_retry() -> list:
            try:
                return await journal.append_many([_unstorable("page 1")])
            except UnicodeEncodeError:
                return await journal.append_many([Draft("note", {"text": "page 1, withheld"})])

        holder: dict[str, asyncio.Task] = {}

        async def first_page() -> list:
            return await page_with_a_retry()

        async def next_page() -> list:
            return await journal.append_many([Draft("note", {"text": "page 2"})], after=holder["first"])

        long_write = asyncio.create_task(journal.append_many([Draft("note", {"text": f"l{n}"}) for n in range(5000)]))
        deadline = time.monotonic() + 30
        while not journal._db.in_transaction:
            assert time.monotonic() < deadline and not long_write.done()
            await asyncio.sleep(0.0005)
        holder["first"] = asyncio.create_task(first_page())
        await asyncio.sleep(0)
        second = asyncio.create_task(next_page())
        await asyncio.gather(long_write, holder["first"], second)
        assert [e.text for e in await journal.entries(after=5000)] == ["page 1, withheld", "page 2"]
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


async def test_a_written_page_is_not_kept_by_the_journal(journal_path: Path) -> None:
    """A long load (pages chained by `after`, as the watcher writes them, each caller still alive): once a page is
    written, the journal keeps nothing of it, neither through the page queued behind it (50,000 alerts kept 65 MB
    more in the console that way) nor as the last result of aiosqlite's thread."""
    async with await open_journal(journal_path) as journal:
        tasks: list[asyncio.Task] = []
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for page in range(20):
                drafts = [Draft("note", {"text": f"page {page} line {n} " + "x" * 300}) for n in range(500)]
                after = tasks[-1] if tasks else None
                tasks.append(asyncio.ensure_future(_written(journal, drafts, after)))
            del drafts
            assert all(await asyncio.gather(*tasks))
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert held < 150_000, f"{held:,} bytes kept after 20 pages of ~330 KB were written"


async def _written(journal, drafts: list[Draft], after: asyncio.Task | None) -> bool:
    await journal.append_many(drafts, after=after)
    return True         # the caller keeps nothing of what was written


async def test_a_read_waits_for_one_transaction_not_for_every_queued_write(journal_path: Path) -> None:
    """During a long load the screen's reads (the timeline, the status bar's count) go between two queued writes:
    they never wait until every page queued meanwhile is written (keystrokes waited behind them)."""
    async with await open_journal(journal_path) as journal:
        writes = [asyncio.create_task(journal.append_many([Draft("note", {"text": f"p{page} n{n} " + "x" * 200})
                                                           for n in range(2000)])) for page in range(6)]
        deadline = time.monotonic() + 30
        while not (journal._db.in_transaction and len(journal._queue) >= 4):
            assert time.monotonic() < deadline and not all(task.done() for task in writes)
            await asyncio.sleep(0.0005)
        seq, _ = await journal.head()
        assert seq < 12_000 and not all(task.done() for task in writes), "the read waited for every queued write"
        await asyncio.gather(*writes)
        assert (await journal.head())[0] == 12_000
    assert (await asyncio.to_thread(verify_file, journal_path, check_index=True)).ok


def _unindexed(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sqlite_store.unindexed(conn)
    finally:
        conn.close()


async def _caught_up(path: Path) -> None:
    deadline = time.monotonic() + 30
    while await asyncio.to_thread(_unindexed, path):
        assert time.monotonic() < deadline, "the index never caught up"
        await asyncio.sleep(0.01)


async def test_the_index_follows_a_burst_and_catches_up_when_the_writer_is_idle(
        journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes queued behind one another leave their indexing for later (a page's transaction is the entries only);
    once the writer is idle, the index catches up a part at a time, each its own transaction."""
    indexed: list[int] = []                 # entries each indexing step took in
    run = sqlite_store._index_behind

    def counted(conn, most=sqlite_store.INDEX_CHUNK, **options):
        before = conn.execute(sqlite_store.INDEXED).fetchone()[0]
        behind = run(conn, most, **options)
        indexed.append(conn.execute(sqlite_store.INDEXED).fetchone()[0] - before)
        return behind
    monkeypatch.setattr(sqlite_store, "_index_behind", counted)
    async with await open_journal(journal_path) as journal:
        tasks = await _queued_behind_a_long_write(
            journal, lambda: journal.append_many([Draft("note", {"text": "second page"})] * 3),
            lambda: journal.append(kinds.NOTE, {"text": "the third write"}))
        await asyncio.gather(*tasks)
        assert indexed == [0]       # the last write (nothing behind it) left the burst's 5,004 to the pause
        assert "entries 1-5004 are not in the search index" in await asyncio.to_thread(_unindexed, journal_path)
        await _caught_up(journal_path)
    parts = [count for count in indexed if count]
    assert sum(parts) == 5004 and len(parts) == 3 and max(parts) == sqlite_store.INDEX_CHUNK
    result = await asyncio.to_thread(verify_file, journal_path, check_index=True)
    assert result.ok and not result.warnings, result


async def test_a_search_catches_the_index_up_first(journal_path: Path) -> None:
    async with await open_journal(journal_path) as journal:
        tasks = await _queued_behind_a_long_write(
            journal, lambda: journal.append(kinds.NOTE, {"text": "mailbox rule forwards to evil.example.com"}))
        found = await journal.search("evil.example.com")         # queued behind the burst, then the index
        assert [entry.text for entry in found] == ["mailbox rule forwards to evil.example.com"]
        assert [e.seq for e in await journal.search("line 0")][-1] == 1
        await asyncio.gather(*tasks)
        assert not await asyncio.to_thread(_unindexed, journal_path)


async def test_a_note_with_nothing_queued_is_indexed_in_its_own_transaction(journal_path: Path) -> None:
    """The usual write (a responder's note) is searchable the moment it is written, by any reader."""
    async with await open_journal(journal_path) as journal:
        entry = await journal.append(kinds.NOTE, {"text": "called the helpdesk"})
        assert read(journal_path, sqlite_store.INDEXED) == [(entry.seq,)]
        assert read(journal_path, "SELECT rowid FROM entries_fts WHERE entries_fts MATCH 'helpdesk'") == [(entry.seq,)]


async def test_a_journal_closed_after_a_burst_has_its_index_caught_up(journal_path: Path) -> None:
    async with await open_journal(journal_path) as journal:
        await asyncio.gather(*await _queued_behind_a_long_write(journal, lambda: journal.append_many(_drafts(10))))
        assert await asyncio.to_thread(_unindexed, journal_path)
    result = await asyncio.to_thread(verify_file, journal_path, check_index=True)
    assert result.ok and result.entries == 5010 and not result.warnings, result


CRASH_AFTER_A_BURST = """
import asyncio, os, sys
from warroom.console.journal import Draft, open_journal

async def burst():
    journal = await open_journal(sys.argv[1], actor="alex")
    pages = [asyncio.ensure_future(journal.append_many([Draft("note", {"text": f"page {p} line {n}"})
                                                        for n in range(1000)])) for p in range(5)]
    await asyncio.gather(*pages)
    os._exit(0)                 # the process ends here, before any pause or close: as a crash would

asyncio.run(burst())
"""


async def test_a_journal_left_behind_its_index_says_so_and_catches_up_at_its_next_open(journal_path: Path) -> None:
    """A process that ends without closing (a crash) right after a burst leaves the index behind: verify says
    plainly which entries search does not find yet, `--full` still checks the rest, and the next writable open
    catches up once idle."""
    async with await open_journal(journal_path):
        pass
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-c", CRASH_AFTER_A_BURST, str(journal_path)],
                                   capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = await asyncio.to_thread(verify_file, journal_path, check_index=True)
    assert result.ok and result.entries == 5000, result.reason
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("entries "), result.warnings
    assert "-5000 are not in the search index yet" in result.warnings[0]
    async with await open_journal(journal_path):
        await _caught_up(journal_path)
    result = await asyncio.to_thread(verify_file, journal_path, check_index=True)
    assert result.ok and not result.warnings
