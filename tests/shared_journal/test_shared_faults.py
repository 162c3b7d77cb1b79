"""The shared journal under the faults a review found: cancelled calls, a lost COMMIT reply, a refused upload, and
two processes on one host sharing the local copy. Each test failed on the code before its fix."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.incidents import IncidentBook, incident_unclaimed
from warroom.console.journal import Draft, kinds
from warroom.console.journal.postgres import PostgresJournal, init_shared
from warroom.console.journal.shared import SharedJournal
from warroom.console.session import WarRoom

from .pg import run_sql

pytestmark = pytest.mark.slow


async def shared_texts(url: str) -> list[str]:
    async with await PostgresJournal.open(url, actor="check") as journal:
        assert (await journal.verify()).ok
        return [entry.text for entry in await journal.entries()]


async def settle(journal: SharedJournal, within: float = 30.0) -> None:
    """Follow until the spool is empty and the database reachable (a deadline to fail by, not a speed test)."""
    async def run() -> None:
        async for _ in journal.changes():
            if journal.connected and journal.pending == 0:
                return

    if not (journal.connected and journal.pending == 0):
        await asyncio.wait_for(run(), timeout=within)


async def test_appends_cancelled_at_any_moment_never_lose_a_later_one(journal_url: str, tmp_path: Path) -> None:
    """A call cut short can leave the connection mid-transaction: it must be thrown away, never reused."""
    rng = random.Random(7)
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as journal:
        for n in range(150):
            task = asyncio.ensure_future(journal.append("note", {"text": f"cancelled {n}"}))
            await asyncio.sleep(rng.random() * 0.008)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        kept = [await journal.append("note", {"text": f"important {n}"}) for n in range(3)]
        assert all(entry.text.startswith("important") for entry in kept)
        await settle(journal)
    texts = await shared_texts(journal_url)
    assert [t for t in texts if t.startswith("important")] == ["important 0", "important 1", "important 2"]
    assert len(texts) == len(set(texts))                  # nothing twice, whatever was cut short
    async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as again:
        assert again.connected and again.pending == 0


class CommitReplyLost:
    """A proxy that forwards everything but, once armed, drops the connection right after a COMMIT went through:
    the server commits, the client never hears it."""

    def __init__(self, port: int) -> None:
        self.port, self.armed, self.fired = port, False, 0

    async def __aenter__(self) -> CommitReplyLost:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.listen_port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    def route(self, url: str) -> str:
        return url.replace(f":{self.port}/", f":{self.listen_port}/")

    async def _accept(self, client_r, client_w) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.port)
        cut = asyncio.Event()

        async def up() -> None:
            while data := await client_r.read(65536):
                server_w.write(data)
                await server_w.drain()
                if self.armed and b"COMMIT" in data.upper():
                    self.armed, self.fired = False, self.fired + 1
                    cut.set()
                    client_w.transport.abort()
                    return

        async def down() -> None:
            while (data := await server_r.read(65536)) and not cut.is_set():
                client_w.write(data)
                await client_w.drain()

        await asyncio.gather(up(), down(), return_exceptions=True)
        await asyncio.sleep(0.3)           # the server finishes the COMMIT it received
        server_w.transport.abort()
        client_w.transport.abort()


async def test_a_claim_whose_commit_reply_is_lost_is_declared_once(pg_server, journal_url: str, tmp_path: Path) -> None:
    async with CommitReplyLost(pg_server.port) as proxy:
        async with await SharedJournal.open(proxy.route(journal_url), actor="ic", spool_dir=tmp_path / "ic") as ic:
            await ic.append("note", {"text": "before"})
            proxy.armed = True
            declared = Draft(kinds.INCIDENT_DECLARED, {"title": "EXO down", "category": "service-outage"}, "INC-1")
            await ic.append_many([declared], guard=incident_unclaimed("INC-1"))
            assert proxy.fired == 1 and not ic.connected      # the reply was lost: spooled, with the same origin
            async with await SharedJournal.open(journal_url, actor="comms", spool_dir=tmp_path / "comms") as comms:
                await comms.append(kinds.TASK_ADDED, {"task_id": "T1", "text": "page Exchange"}, incident="INC-1")
            await settle(ic)
    async with await PostgresJournal.open(journal_url, actor="check") as shared:
        declared_rows = await shared.entries(kinds=[kinds.INCIDENT_DECLARED])
        book = await IncidentBook.load(shared)
    assert len(declared_rows) == 1
    assert list(book.incidents["INC-1"].tasks) == ["T1"]


async def test_an_upload_the_database_refuses_waits_visibly_and_is_shared_once(pg_server, journal_url: str,
                                                                                tmp_path: Path) -> None:
    pg_server.execute("DO $$ BEGIN CREATE ROLE alice LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(journal_url, responders=["alice"])
    as_alice = journal_url.replace("postgres@", "alice@")
    async with await SharedJournal.open(as_alice, actor="alice", spool_dir=tmp_path / "a") as alice, \
            await SharedJournal.open(journal_url, actor="bob", spool_dir=tmp_path / "b") as bob:
        await alice.append("note", {"text": "first"})
        run_sql(journal_url, "REVOKE INSERT ON warroom.entries FROM alice")    # or a failover to a read-only standby
        entry = await alice.append("note", {"text": "mailbox rule removed"})     # no error: it is safe here
        assert entry.text == "mailbox rule removed" and alice.pending == 1
        assert "may not" in alice.upload_error
        await bob.append("note", {"text": "from bob"})
        await alice._sync()                                  # what the follower does every few seconds
        assert [e.text for e in await alice.entries()] == ["first", "from bob", "mailbox rule removed"]
        run_sql(journal_url, "GRANT INSERT ON warroom.entries TO alice")
        await settle(alice)
        assert alice.upload_error == ""
    assert await shared_texts(journal_url) == ["first", "from bob", "mailbox rule removed"]


async def test_a_note_on_the_same_host_during_an_outage_does_not_show_twice(pg_server, journal_url: str,
                                                                             tmp_path: Path) -> None:
    config = load_config(overrides={"journal": journal_url, "shared.local_copy": str(tmp_path), "responder": "ic"})
    console = await WarRoom.open(config)
    rebuilt: list[bool] = []
    console.rebuild_listeners.append(lambda: rebuilt.append(True))
    try:
        await console.record(kinds.NOTE, {"text": "one"})
        pg_server.stop()
        await console.record(kinds.NOTE, {"text": "typed offline"})
        pg_server.start()
        async with await SharedJournal.open(journal_url, actor="comms", spool_dir=tmp_path / "elsewhere") as other:
            await other.append(kinds.NOTE, {"text": "from another host"})
        # `warroom note` on this host, while the console is still waiting to retry: it uploads the shared spool.
        async with await SharedJournal.open(journal_url, actor="ic", spool_dir=tmp_path) as note:
            await note.append(kinds.NOTE, {"text": "via warroom note"})
        await console.catch_up()
        assert rebuilt
        shown = await console.journal.entries()
        # In the shared order (the other host's entry landed before this host's spool was uploaded), each once.
        assert [e.text for e in shown] == ["one", "from another host", "typed offline", "via warroom note"]
        assert [e.seq for e in shown] == [1, 2, 3, 4]
    finally:
        await console.close()


async def test_two_syncs_at_once_say_each_renumbered_entry_once(pg_server, journal_url: str, tmp_path: Path) -> None:
    """The reconnect's sync and the follower's run at once after an outage: "provisional 13 is entry 13" once."""
    pg_server.execute("DO $$ BEGIN CREATE ROLE dana LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(journal_url, responders=["dana"])
    as_dana = journal_url.replace("postgres@", "dana@")
    async with await SharedJournal.open(as_dana, actor="dana", spool_dir=tmp_path) as journal:
        run_sql(journal_url, "REVOKE INSERT ON warroom.entries FROM dana")
        entry = await journal.append("note", {"text": "typed while refused"})     # shown with a provisional number
        assert journal.upload_error
        run_sql(journal_url, "GRANT INSERT ON warroom.entries TO dana")
        await asyncio.gather(journal._sync(), journal._sync())
        assert [(r.provisional, r.seq) for r in journal.renumbered] == [(entry.seq, entry.seq)]
