"""One storage interface, two backends: every test here runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from warroom.console.journal import (
    GENESIS,
    Draft,
    Journal,
    JournalConflict,
    JournalCorrupt,
    JournalError,
    JournalReadOnly,
    SQLiteJournal,
    Unclaimed,
    open_journal,
)
from warroom.console.journal.encoding import genesis_for
from warroom.console.journal.postgres import PostgresJournal, init_shared, redact

from .pg import run_sql


async def test_the_same_drafts_make_the_same_chain_in_either_backend(journal: Journal) -> None:
    first = await journal.append("note", {"text": "Exchange down [b]EU[/b]", "z": 1, "a": [1, 2]}, incident="INC-1")
    more = await journal.append_many([Draft("decision", {"text": "fail over"}, "INC-1"),
                                      Draft("note", {"text": "ünïcode ✓"}, actor="comms")])
    assert [e.seq for e in [first, *more]] == [1, 2, 3]
    assert first.prev_hash == genesis_for(journal.journal_id) != GENESIS   # the journal's id is bound into its chain
    assert more[0].prev_hash == first.hash and more[1].prev_hash == more[0].hash
    assert first.body_text == '{"a":[1,2],"text":"Exchange down [b]EU[/b]","z":1}'
    stored = await journal.entries()
    assert stored == [first, *more]
    assert (await journal.head()) == (3, more[1].hash)
    assert [e.seq for e in await journal.last(2)] == [2, 3]
    assert [e.seq for e in await journal.entries(incident="INC-1")] == [1, 2]
    assert [e.seq for e in await journal.entries(kinds=["decision"])] == [2]
    assert [e.seq for e in await journal.search("fail over")] == [2]
    assert (await journal.entry(3)).actor == "comms"
    result = await journal.verify(expect_head=first.hash)
    assert result.ok and result.entries == 3 and result.head == more[1].hash


async def test_a_claimed_id_is_refused_inside_the_transaction(journal: Journal) -> None:
    declare = Draft("incident.declared", {"title": "x"}, "INC-7")
    await journal.append_many([declare], guard=Unclaimed("INC-7", "incident.declared"))
    with pytest.raises(JournalConflict, match="taken"):
        await journal.append_many([declare], guard=Unclaimed("INC-7", "incident.declared", message="taken"))
    task = Draft("task.added", {"task_id": "T1", "title": "page on-call"}, "INC-7")
    await journal.append_many([task], guard=Unclaimed("INC-7", "task.added", "T1"))
    await journal.append_many([task.__class__("task.added", {"task_id": "T2"}, "INC-7")],
                              guard=Unclaimed("INC-7", "task.added", "T2"))
    with pytest.raises(JournalConflict):
        await journal.append_many([task], guard=Unclaimed("INC-7", "task.added", "T1"))
    assert (await journal.head())[0] == 3


async def test_copies_must_continue_the_chain_exactly(journal: Journal, tmp_path: Path) -> None:
    async with await SQLiteJournal.open(tmp_path / "source.db", actor="ic") as source:
        entries = await source.append_many([Draft("note", {"text": str(n)}) for n in range(5)])
    with pytest.raises(JournalCorrupt, match="entry 1 was not begun for journal"):   # another journal's chain
        await journal.append_copies(entries[:3])
    await journal.adopt_identity(source.journal_id)
    assert await journal.append_copies(entries[:3]) == 3
    with pytest.raises(JournalCorrupt, match="entry 4 is missing \\(next is 5\\)"):
        await journal.append_copies(entries[4:])
    forged = entries[3].__class__(*entries[3].row()[:8], '{"text":"changed"}', *entries[3].row()[9:])
    with pytest.raises(JournalCorrupt, match=r"entry 4 does not continue.*hash mismatch"):
        await journal.append_copies([forged])
    assert await journal.append_copies(entries) == 2          # the first three are already here: skipped
    assert await journal.entries() == entries
    assert journal.journal_id == source.journal_id
    with pytest.raises(Exception, match="already holds entries"):
        await journal.adopt_identity("another")


async def test_follow_wakes_when_another_connection_appends(journal: Journal, tmp_path: Path) -> None:
    location = journal.url if isinstance(journal, PostgresJournal) else journal.path
    opener = PostgresJournal.open if isinstance(journal, PostgresJournal) else open_journal
    stream = journal.changes()
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.3)            # time passes with nothing written: nothing may arrive
    assert not waiting.done()
    async with await opener(location, actor="analyst") as other:
        await other.append("note", {"text": "from another host"})
    await asyncio.wait_for(waiting, timeout=10)
    assert [e.text for e in await journal.entries()] == ["from another host"]
    await stream.aclose()


async def test_the_database_refuses_rewriting_history_for_every_role(pg_server, pg_url: str) -> None:
    pg_server.execute("DO $$ BEGIN CREATE ROLE responder LOGIN; EXCEPTION WHEN duplicate_object THEN END $$",
                      "DO $$ BEGIN CREATE ROLE auditor LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(pg_url, responders=["responder"], readers=["auditor"])
    as_responder = pg_url.replace("postgres@", "responder@")
    async with await PostgresJournal.open(as_responder, actor="ic") as journal:
        entry = await journal.append("note", {"text": "only INSERT"})
        assert entry.seq == 1
        assert (await journal.verify()).ok
    for statement, refused in [
        ("UPDATE warroom.entries SET body = '{}'", asyncpg.InsufficientPrivilegeError),
        ("DELETE FROM warroom.entries", asyncpg.InsufficientPrivilegeError),
        ("TRUNCATE warroom.entries", asyncpg.InsufficientPrivilegeError),
        ("UPDATE warroom.meta SET value = 'x'", asyncpg.InsufficientPrivilegeError),
    ]:
        with pytest.raises(refused):
            run_sql(as_responder, statement)
    # The owner is refused too, by the triggers: history is append-only for everyone.
    for statement in ("UPDATE warroom.entries SET body = '{}'", "DELETE FROM warroom.entries",
                      "TRUNCATE warroom.entries"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            run_sql(pg_url, statement)
    # A reader may read, and may not append.
    async with await PostgresJournal.open(pg_url.replace("postgres@", "auditor@"), actor="auditor") as reader:
        assert reader.readonly and [e.seq for e in await reader.entries()] == [1]
        with pytest.raises(JournalReadOnly):
            await reader.append("note", {"text": "not allowed"})


async def test_verify_names_an_entry_changed_behind_the_triggers_back(pg_url: str) -> None:
    async with await PostgresJournal.open(pg_url, actor="ic") as journal:
        await journal.append_many([Draft("note", {"text": str(n)}) for n in range(3)])
    run_sql(pg_url, "ALTER TABLE warroom.entries DISABLE TRIGGER entries_refuse_update",
            "UPDATE warroom.entries SET body = '{\"text\":\"rewritten\"}' WHERE seq = 2",
            "ALTER TABLE warroom.entries ENABLE TRIGGER entries_refuse_update",
            "DROP TRIGGER entries_refuse_truncate ON warroom.entries")
    async with await PostgresJournal.open(pg_url, actor="ic") as journal:
        result = await journal.verify()
    assert not result.ok and result.bad_seq == 2 and "hash mismatch" in result.reason
    assert any("entries_refuse_truncate is missing" in warning for warning in result.warnings)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://alice:s3cret@db:5432/warroom?sslmode=verify-full", "postgresql://alice@db:5432/warroom?sslmode=verify-full"),
    ("postgresql://alice@db/warroom?password=s3cret&sslmode=require", "postgresql://alice@db/warroom?sslmode=require"),
    ("postgres://:s3cret@[::1]:5433/w", "postgres://[::1]:5433/w"),
    ("postgresql://alice@db/warroom", "postgresql://alice@db/warroom"),
])
def test_a_password_in_the_url_is_never_shown(url: str, shown: str) -> None:
    assert redact(url) == shown


async def test_consoles_starting_together_on_a_new_database_create_one_journal(pg_url: str) -> None:
    opened = await asyncio.gather(*(PostgresJournal.open(pg_url, actor=f"r{n}") for n in range(8)))
    try:
        assert len({journal.journal_id for journal in opened}) == 1
        await asyncio.gather(*(journal.append("note", {"text": journal.actor}) for journal in opened))
        assert (await opened[0].verify()).entries == 8
    finally:
        await asyncio.gather(*(journal.close() for journal in opened))


HOSTILE = ["quote \" and back\\slash", "\x1b[31mred\x1b[0m", "tab\tnew\nline\rcr\b\f", "\x01\x1f\x7f", "ünï ✓ 🚨",
           "\u202egnp.exe", "[b]markup[/b]", "", "'; DROP TABLE warroom.entries; --"]


async def test_the_database_checks_every_row_it_is_given(pg_server, pg_url: str) -> None:
    """The chain rules are enforced by PostgreSQL too: a role that INSERTs by hand cannot break every console."""
    async with await PostgresJournal.open(pg_url, actor="ic") as journal:
        # The SQL re-encoding agrees with Python's on every awkward string, in every field.
        for text in HOSTILE:
            await journal.append_many([Draft(text or "k", {"text": text, text: [text]}, incident=text or None,
                                             actor=text or "a")])
        entries = await journal.entries()
    pg_server.execute("DO $$ BEGIN CREATE ROLE mallory LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(pg_url, responders=["mallory"])
    as_mallory = pg_url.replace("postgres@", "mallory@")
    last = entries[-1]
    insert = ("INSERT INTO warroom.entries(seq, incident, kind, actor, occurred_at, discovered_at, logged_at, origin, "
              "body, prev_hash, hash) VALUES ({}, NULL, 'note', 'ic', '{}', '{}', '{}', NULL, '{{}}', '{}', '{}')")
    with pytest.raises(asyncpg.RaiseError, match="hash that does not match"):
        run_sql(as_mallory, insert.format(last.seq + 1, last.occurred_at, last.occurred_at, last.logged_at,
                                          last.hash, "f" * 64))
    with pytest.raises(asyncpg.RaiseError, match="does not continue the chain"):
        run_sql(as_mallory, insert.format(last.seq + 5, last.occurred_at, last.occurred_at, last.logged_at,
                                          last.hash, "f" * 64))
    async with await PostgresJournal.open(as_mallory, actor="mallory-says-she-is-ic") as journal:
        await journal.append("note", {"text": "through warroom"})
        assert (await journal.verify()).ok
    rows = await asyncio.to_thread(_inserted_by, pg_url)
    assert rows[-1] == "mallory" and set(rows[:-1]) == {"postgres"}


def _inserted_by(url: str) -> list[str]:
    async def read() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            return [row[0] for row in await conn.fetch("SELECT inserted_by FROM warroom.entries ORDER BY seq")]
        finally:
            await conn.close()

    return asyncio.run(read())


@pytest.mark.parametrize("field", ["kind", "actor", "incident"])
async def test_text_a_shared_journal_could_never_store_is_refused_by_every_backend(journal: Journal,
                                                                                    field: str) -> None:
    """PostgreSQL text cannot hold NUL. Refused before sealing everywhere, so it can never wedge a spool."""
    values = {"kind": "note", "actor": "ic", "incident": "INC-1", field: "bad\x00value"}
    draft = Draft(values["kind"], {"text": "a NUL \x00 in the body is fine"}, values["incident"], values["actor"])
    with pytest.raises(JournalError, match="NUL"):
        await journal.append_many([draft])
    assert (await journal.head())[0] == 0
    entry = await journal.append("note", {"text": "a NUL \x00 in the body is fine"}, incident="INC-1")
    assert (await journal.entry(entry.seq)).body["text"] == "a NUL \x00 in the body is fine"


async def test_a_lone_surrogate_in_an_entry_is_journaled_as_its_escape_by_every_backend(journal: Journal) -> None:
    """Graph text a responder's entry quotes (an alert's title, a user's name) may hold a lone surrogate, which no
    UTF-8 text can: it is journaled as its escape, as the screen shows it, keys too, once checked for secrets as
    given. An observation is Graph's object as Graph wrote it or nothing: refused, for the watcher to withhold."""
    body = {"source": {"type": "alert", "id": "da1", "title": "Phish \udc00 for you"}, "who\ud800": ["é\udfff"]}
    entry = await journal.append("incident.declared", body, incident="INC-1")
    shown = {"source": {"type": "alert", "id": "da1", "title": "Phish \\udc00 for you"}, "who\\ud800": ["é\\udfff"]}
    assert entry.body == shown and (await journal.entry(entry.seq)).body == shown
    assert entry.body_text.encode("utf-8") and (await journal.verify()).ok
    with pytest.raises(JournalError, match="secret"):       # its words are `api` and `key`
        await journal.append("note", {"api\udc00_key": "x"})
    with pytest.raises(JournalError, match="lone surrogate"):
        await journal.append("observation", {"source": "alerts", "key": "da2", "data": {"title": "\udc00"}})
    assert (await journal.append("note", {"text": "still writing"})).seq == 2
