"""The shared journal as consoles use it: several hosts, live delivery, and nothing lost when PostgreSQL goes away.

A "host" is a SharedJournal with a local-copy folder of its own (or a `warroom` process with its own
XDG_DATA_HOME); the server is real, and so are its restarts and the network cuts (TcpCut).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from warroom.console.journal import JournalConflict, JournalCorrupt, SQLiteJournal, Unclaimed
from warroom.console.journal import store as journal_store
from warroom.console.journal.postgres import PostgresJournal, init_shared
from warroom.console.journal.shared import SharedJournal, local_copy, url_folder
from warroom.console.timefmt import from_iso, utc_now

from ..journal.journal_tools import WARROOM
from ..waiting import until
from .pg import run_sql

pytestmark = pytest.mark.slow


async def shared_rows(url: str) -> list:
    async with await PostgresJournal.open(url, actor="check") as journal:
        assert (await journal.verify()).ok
        return await journal.entries()


async def test_an_entry_on_one_host_reaches_the_other_through_notify(journal_url: str, tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path / "a") as ic, \
            await SharedJournal.open(journal_url, actor="comms", spool_dir=tmp_path / "b") as comms:
        stream = comms.changes()
        entry = await ic.append("note", {"text": "EXO down, ticket opened"})
        assert (entry.seq, entry.actor) == (1, "ic") and ic.pending == 0
        await asyncio.wait_for(anext(stream), timeout=10)
        seen = await comms.entries()
        assert [(e.seq, e.text, e.actor) for e in seen] == [(1, "EXO down, ticket opened", "ic")]
        assert seen[0].origin is not None        # uploaded from ic's spool: the origin makes it exactly-once
        await stream.aclose()
    # Each host's local copy is a verifiable copy of the shared journal, same numbers and hashes.
    async with await SQLiteJournal.open(local_copy(journal_url, tmp_path / "b")) as copy:
        assert await copy.entries() == await shared_rows(journal_url)
        assert (await copy.verify()).ok


async def test_typed_during_a_database_restart_is_shared_once_in_order(pg_server, journal_url: str,
                                                                      tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="exchange-eng", spool_dir=tmp_path / "host") as journal:
        await journal.append("note", {"text": "before"})
        pg_server.stop()
        typed_at = utc_now() - timedelta(seconds=5)
        during = [await journal.append("note", {"text": f"during {n}"}, occurred_at=typed_at + timedelta(seconds=n))
                  for n in range(3)]
        assert journal.unreachable_since is not None and "unreachable" in journal.unreachable_reason
        assert journal.pending == 3
        # Meanwhile this host sees its own entries, numbered provisionally after what it had.
        assert [e.seq for e in during] == [2, 3, 4]
        assert [e.text for e in await journal.entries()] == ["before", "during 0", "during 1", "during 2"]
        epoch = journal.epoch
        pg_server.start()
        stream = journal.changes()
        await asyncio.wait_for(anext(stream), timeout=30)

        async def uploaded():
            # Readers rebuild (the epoch changes): the numbering they were shown may have changed. That comes once
            # the entries are copied down, after the upload's answer has said the journal is reachable.
            return journal.pending == 0 and journal.unreachable_since is None and journal.epoch != epoch

        await until(None, uploaded, "the spooled entries uploaded and the readers told to rebuild")
        await stream.aclose()
    rows = await shared_rows(journal_url)
    assert [e.text for e in rows] == ["before", "during 0", "during 1", "during 2"]
    assert [e.actor for e in rows] == ["exchange-eng"] * 4
    assert [from_iso(e.occurred_at) for e in rows[1:]] == [
        from_iso(d.occurred_at) for d in during]     # the original times, not the upload time
    assert all(e.logged_at >= rows[0].logged_at for e in rows)


async def test_a_console_started_during_the_outage_keeps_what_it_had(pg_server, journal_url: str,
                                                                    tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        await journal.append("note", {"text": "declared at 02:10"})
    pg_server.stop()
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        assert journal.unreachable_since is not None
        assert [e.text for e in await journal.entries()] == ["declared at 02:10"]     # from the local copy
        await journal.append("note", {"text": "typed while the database was down"})
    # The process ends with the entry only in the spool; the next start uploads it.
    pg_server.start()
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        assert journal.pending == 0
    assert [e.text for e in await shared_rows(journal_url)] == ["declared at 02:10",
                                                                "typed while the database was down"]


async def test_a_network_cut_spools_and_heals_exactly_once(tcp_cut, journal_url: str, tmp_path: Path) -> None:
    through = tcp_cut.route(journal_url)
    async with await SharedJournal.open(through, actor="analyst", spool_dir=tmp_path) as journal:
        await journal.append("note", {"text": "one"})
        tcp_cut.cut(stall=True)      # packets vanish: only a timeout notices
        await journal.append("note", {"text": "two"})
        assert journal.unreachable_since is not None and journal.pending == 1
        await journal.append("note", {"text": "three"})     # no wait now: straight to the spool
        tcp_cut.heal()

        async def healed():
            return journal.shared is not None and journal.pending == 0

        stream = journal.changes()
        await asyncio.wait_for(anext(stream), timeout=30)
        await until(None, healed, "the journal healed")
        await stream.aclose()
    assert [e.text for e in await shared_rows(journal_url)] == ["one", "two", "three"]


@contextlib.contextmanager
def write_locked(path: Path) -> Iterator[None]:
    """Another process on this host holds a write transaction on one of the local files (a `sqlite3` shell)."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
    finally:
        holder.close()


async def test_the_first_upload_after_an_outage_says_the_journal_is_back(tcp_cut, journal_url: str,
                                                                         tmp_path: Path) -> None:
    """Back as soon as the database answers: the rest of the reconnect (copying down, settling provisional
    numbers) may take a while, and meanwhile entries are said "shared now" while the status bar still says
    "unreachable" if it waits for all of it."""
    async with await SharedJournal.open(tcp_cut.route(journal_url), actor="ic", spool_dir=tmp_path) as journal:
        tcp_cut.cut()
        await journal.append("note", {"text": "typed during the outage"})
        assert journal.unreachable_since is not None and journal.pending == 1
        with write_locked(journal.mirror.path):        # copying the entry down waits for this host's copy
            tcp_cut.heal()
            await until(None, lambda: journal.pending == 0, "the spooled entry uploaded")
            assert (journal.unreachable_since, journal.unreachable_reason) == (None, "")
        await until(None, lambda: journal.renumbered, "the provisional number settled")
        assert journal.connected and journal.unreachable_since is None
    assert [e.text for e in await shared_rows(journal_url)] == ["typed during the outage"]


async def test_a_reconnect_that_fails_after_its_upload_says_unreachable_again(tcp_cut, journal_url: str,
                                                                             tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(journal_store, "BUSY_TIMEOUT_MS", 200)
    async with await SharedJournal.open(tcp_cut.route(journal_url), actor="ic", spool_dir=tmp_path) as journal:
        tcp_cut.cut()
        await journal.append("note", {"text": "typed during the outage"})
        with write_locked(journal.mirror.path):        # the copy cannot take the entry: the reconnect fails
            tcp_cut.heal()
            await until(None, lambda: journal.pending == 0, "the spooled entry uploaded")
            await until(None, lambda: "locked" in journal.unreachable_reason, "the failed reconnect's reason")
            assert not journal.connected and journal.unreachable_since is not None
        await until(None, lambda: journal.connected and journal.unreachable_since is None, "the journal back")


async def test_a_reconnect_whose_copy_check_gets_no_answer_gives_up_after_one_round_trip(
        tcp_cut, journal_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnecting, the database answers the sign-in but not the check that it still holds what this host saw (a
    lock held, a stalled disk): that check gets a round trip's time like every other request, the console says
    unreachable and tries again, and entries typed meanwhile go to the spool without waiting."""
    from warroom.console.journal import shared

    monkeypatch.setattr(shared, "ROUND_TRIP_S", 0.5)
    monkeypatch.setattr(shared, "RETRY_S", (0.1,))
    async with await SharedJournal.open(tcp_cut.route(journal_url), actor="ic", spool_dir=tmp_path) as journal:
        await journal.append("note", {"text": "seen by this host"})
        tcp_cut.cut()
        await journal.append("note", {"text": "typed during the outage"})
        holder = await asyncpg.connect(journal_url)
        try:
            async with holder.transaction():
                await holder.execute("LOCK TABLE warroom.entries IN ACCESS EXCLUSIVE MODE")   # reads wait for it
                tcp_cut.heal()
                await until(None, lambda: "no answer in 0.5 s" in journal.unreachable_reason,
                            "the reconnect's check to give up", within=10)      # not after 15 s (command timeout)
                assert not journal.connected and journal.unreachable_since is not None
                await asyncio.wait_for(journal.append("note", {"text": "typed while it hangs"}), timeout=5)
        finally:
            await holder.close()
        await until(None, lambda: journal.connected and journal.pending == 0, "the journal back")
    assert [e.text for e in await shared_rows(journal_url)] == [
        "seen by this host", "typed during the outage", "typed while it hangs"]


async def test_an_upload_interrupted_before_its_bookkeeping_is_not_repeated(journal_url: str, tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        await journal.append_many([])
        for text in ("a", "b"):
            await journal.append("note", {"text": text})
        await journal.spool.set_meta("uploaded_through", "0")   # as if we crashed after the upload's commit
        await journal._count_pending()
        assert journal.pending == 2
        await journal._sync()
        assert journal.pending == 0
    assert [e.text for e in await shared_rows(journal_url)] == ["a", "b"]


async def test_two_hosts_claiming_one_incident_id_get_one_each(journal_url: str, tmp_path: Path) -> None:
    from warroom.console.journal import Draft

    async with await SharedJournal.open(journal_url, actor="a", spool_dir=tmp_path / "a") as a, \
            await SharedJournal.open(journal_url, actor="b", spool_dir=tmp_path / "b") as b:
        guard = Unclaimed("INC-20261124-01", "incident.declared")
        declare = Draft("incident.declared", {"title": "x"}, "INC-20261124-01")
        results = await asyncio.gather(a.append_many([declare], guard=guard), b.append_many([declare], guard=guard),
                                       return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["JournalConflict", "list"]
    assert any(isinstance(r, JournalConflict) for r in results)


def _note_process(url: str, home: Path, lines: list[str]) -> subprocess.Popen:
    env = {**os.environ, "XDG_DATA_HOME": str(home), "WARROOM_RESPONDER": home.name, "WARROOM_CONFIG": ""}
    process = subprocess.Popen([str(WARROOM), "note", "--journal", url, "--stdin"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdin.write(("\n".join(lines) + "\n").encode())
    process.stdin.close()
    return process


def test_four_hosts_appending_at_once_make_one_chain(journal_url: str, tmp_path: Path) -> None:
    hosts = [tmp_path / f"host{n}" for n in range(4)]
    processes = [_note_process(journal_url, home, [f"{home.name} line {i}" for i in range(60)]) for home in hosts]
    for process in processes:
        assert process.wait(timeout=120) == 0, process.stderr.read().decode()
    rows = asyncio.run(shared_rows(journal_url))
    assert [e.seq for e in rows] == list(range(1, 241))
    texts = Counter(e.text for e in rows)
    assert len(texts) == 240 and set(texts.values()) == {1}
    for home in hosts:   # each host's lines keep their order
        mine = [e.text for e in rows if e.actor == home.name]
        assert mine == [f"{home.name} line {i}" for i in range(60)]


def test_journal_copy_round_trip_keeps_numbers_hashes_and_id(journal_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_CONFIG": "", "XDG_DATA_HOME": str(tmp_path / "data")}

    def warroom(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(WARROOM), *args], capture_output=True, text=True, env=env, timeout=60)

    single = tmp_path / "single-host.db"
    for text in ("declared on one host", "promoted mid-flight"):
        assert warroom("note", "--journal", str(single), text).returncode == 0
    promoted = warroom("journal", "copy", str(single), journal_url)
    assert promoted.returncode == 0, promoted.stderr
    assert "copied 2 entries" in promoted.stdout and "verified: 2 entries" in promoted.stdout
    assert warroom("note", "--journal", journal_url, "written on the shared journal").returncode == 0
    home = tmp_path / "taken-home.db"
    back = warroom("journal", "copy", journal_url, str(home))
    assert back.returncode == 0, back.stderr
    assert warroom("journal", "verify", str(home)).returncode == 0
    assert "ok: 3 entries" in warroom("journal", "verify", journal_url).stdout

    async def compare() -> None:
        async with await SQLiteJournal.open(single, readonly=True) as a, \
                await SQLiteJournal.open(home, readonly=True) as b, \
                await PostgresJournal.open(journal_url, readonly=True) as shared:
            assert a.journal_id == b.journal_id == shared.journal_id
            assert await b.entries() == await shared.entries()
            assert (await b.entries())[:2] == await a.entries()

    asyncio.run(compare())
    again = warroom("journal", "copy", str(single), journal_url)   # nothing new in the file: nothing to copy
    assert again.returncode == 0 and "copied 0 entries" in again.stdout
    # The file was written to after the promotion while the shared journal moved on: they went separate ways.
    assert warroom("note", "--journal", str(single), "a late note on the old file").returncode == 0
    diverged = warroom("journal", "copy", str(single), journal_url)
    assert diverged.returncode == 1 and "went separate ways at or before entry 3" in diverged.stderr
    other = tmp_path / "other.db"
    assert warroom("note", "--journal", str(other), "another incident").returncode == 0
    refused = warroom("journal", "copy", str(other), journal_url)
    assert refused.returncode == 1 and "already holds another journal" in refused.stderr


def test_cli_speaks_to_a_shared_journal(journal_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_CONFIG": "", "XDG_DATA_HOME": str(tmp_path), "WARROOM_JOURNAL": journal_url}
    run = lambda *a: subprocess.run([str(WARROOM), *a], capture_output=True, text=True, env=env, timeout=60)  # noqa: E731
    assert run("note", "first").stdout.strip() == "1"
    stats = run("journal", "stats")
    assert stats.returncode == 0 and "entries     1" in stats.stdout and "postgresql://" in stats.stdout
    assert run("journal", "verify").stdout.startswith("ok: 1 entries")
    # Offline review reads this host's local copy of the shared journal.
    exported = run("journal", "export")
    assert exported.returncode == 0 and '"text": "first"' in exported.stdout.replace('":"', '": "')
    # Another responder's file journal merges in once; importing it again adds nothing.
    other = tmp_path / "laptop.db"
    assert run("note", "--journal", str(other), "from the laptop").returncode == 0
    export = tmp_path / "laptop.jsonl"
    assert run("journal", "export", "--journal", str(other), "-o", str(export)).returncode == 0
    assert "imported 1 of 1" in run("journal", "import", str(export)).stdout
    assert "imported 0 of 1 entries (1 already here)" in run("journal", "import", str(export)).stdout
    assert run("journal", "verify").stdout.startswith("ok: 3 entries")   # the note, the import's record, its entry


async def test_a_database_restored_from_an_older_backup_is_refused(pg_server, journal_url: str, tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        for text in ("one", "two"):
            await journal.append("note", {"text": text})
    # The "restore": same database and journal id, but it lost entry 2 and got another one instead.
    run_sql(journal_url, "ALTER TABLE warroom.entries DISABLE TRIGGER entries_refuse_update",
            "DELETE FROM warroom.entries WHERE seq = 2",
            "ALTER TABLE warroom.entries ENABLE TRIGGER entries_refuse_update")
    async with await PostgresJournal.open(journal_url, actor="someone") as shared:
        await shared.append("note", {"text": "another two"})
    with pytest.raises(JournalCorrupt, match="no longer holds entry 2 as this host saw it"):
        await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path)


def test_a_note_during_the_outage_says_where_it_waits(pg_server, journal_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "WARROOM_CONFIG": "", "XDG_DATA_HOME": str(tmp_path), "WARROOM_JOURNAL": journal_url}
    note = lambda text: subprocess.run([str(WARROOM), "note", text], capture_output=True, text=True,  # noqa: E731
                                       env=env, timeout=60)
    assert note("bridge open").stdout.strip() == "1"
    pg_server.stop()
    spooled = note("restarting the connector")
    assert spooled.returncode == 0 and spooled.stdout.strip() == "2"
    assert "shared journal unreachable" in spooled.stderr
    assert "kept in this host's spool (1 waiting)" in spooled.stderr
    assert "2 is provisional" in spooled.stderr
    pg_server.start()
    shared = note("connector back")
    assert shared.returncode == 0 and shared.stdout.strip() == "3"
    assert "provisional 2 is entry 2" in shared.stderr
    assert [e.text for e in asyncio.run(shared_rows(journal_url))] == [
        "bridge open", "restarting the connector", "connector back"]


async def test_a_long_backlog_is_not_an_outage(journal_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulling another host's big backlog keeps answering: neither it nor an append made meanwhile counts as lost."""
    from warroom.console.journal import Draft, shared

    monkeypatch.setattr(shared, "ROUND_TRIP_S", 1.0)      # the whole pull takes longer than this; no request does
    async with await SharedJournal.open(journal_url, actor="comms", spool_dir=tmp_path) as comms:
        async with await PostgresJournal.open(journal_url, actor="bulk-import") as bulk:
            for start in range(0, 40_000, 10_000):
                await bulk.append_many([Draft("observation", {"n": n}) for n in range(start, start + 10_000)])
        stream = comms.changes()
        following = asyncio.ensure_future(anext(stream))

        async def pulling() -> bool:
            return (await comms.mirror.head())[0] > 0        # a first batch of the backlog is in

        await until(None, pulling, "the pull under way", every=0.005)
        note = await comms.append("note", {"text": "typed while the backlog arrives"})
        await asyncio.wait_for(following, timeout=60)
        await stream.aclose()
        assert comms.unreachable_since is None and comms.pending == 0
        assert note.seq == 40_001 and (await comms.head())[0] == 40_001


def test_spellings_of_one_database_share_one_spool(tmp_path: Path) -> None:
    same = ["postgres://alice:s3cret@DB.internal:5432/warroom?sslmode=require&application_name=wr",
            "postgresql://alice@db.internal/warroom?application_name=wr&sslmode=require",
            "postgresql://alice@db.internal:5432/warroom?sslmode=require&password=x&application_name=wr"]
    assert len({url_folder(url, tmp_path) for url in same}) == 1
    others = ["postgresql://bob@db.internal/warroom?application_name=wr&sslmode=require",
              "postgresql://alice@db.internal/other?application_name=wr&sslmode=require",
              "postgresql://alice@db.internal:5433/warroom?application_name=wr&sslmode=require"]
    assert len({url_folder(url, tmp_path) for url in [same[0], *others]}) == 4


async def test_a_new_database_behind_the_url_gets_a_new_copy_and_the_old_one_stays(pg_server, journal_url: str,
                                                                                    tmp_path: Path) -> None:
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        await journal.append("note", {"text": "last week's incident"})
        old_copy, old_id = local_copy(journal_url, tmp_path), journal.journal_id
    name = journal_url.rsplit("/", 1)[1]
    pg_server.drop_database(name)
    await init_shared(pg_server.create_database(name))
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        assert journal.journal_id != old_id and await journal.entries() == []
        await journal.append("note", {"text": "tonight's incident"})
    assert local_copy(journal_url, tmp_path) != old_copy
    async with await SQLiteJournal.open(old_copy, readonly=True) as old:
        assert [e.text for e in await old.entries()] == ["last week's incident"] and old.journal_id == old_id
