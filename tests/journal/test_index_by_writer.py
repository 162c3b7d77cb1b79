"""The full-text index is written by the journal's writer, one statement per transaction, with the text a row
trigger gave before (schema version 2): what search finds and what `verify --full` checks stay as they were."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from warroom.console.journal import Draft, kinds, open_journal, verify_file
from warroom.console.journal.encoding import genesis_for
from warroom.console.journal.records import prepare, seal
from warroom.console.journal.schema import MIGRATIONS
from warroom.console.journal_reader import Filter, JournalReader
from warroom.console.timefmt import utc_now


def _observation(n: int) -> Draft:
    user = {"userAccount": {"userPrincipalName": f"u{n}@contoso.com"}}
    data = {"id": f"da{n}", "title": f"Phish {n} from evil{n}.example.com", "evidence": [user]}
    return Draft(kinds.OBSERVATION, {"source": "alerts", "key": f"da{n}", "digest": f"d{n}", "data": data})


def _found(path: Path, text: str) -> list[int]:
    with JournalReader(path) as reader:
        return [entry.seq for entry in reader.after(Filter(text=text))]


def test_a_journal_of_schema_1_keeps_its_entries_and_index_and_new_entries_are_indexed(journal_path: Path) -> None:
    async def make() -> str:
        async with await open_journal(journal_path, actor="alex") as journal:
            return journal.journal_id
    journal_id = asyncio.run(make())
    conn = sqlite3.connect(journal_path, isolation_level=None)
    # As version 1 left it: the row trigger, and entries its writer added (the trigger indexed them).
    conn.execute(next(s for s in MIGRATIONS[1] if "entries_index" in s))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("DELETE FROM meta WHERE key = 'indexed'")         # a later version's mark
    rows = seal([prepare(_observation(n), "alex") for n in (1, 2)], 0, genesis_for(journal_id), utc_now())
    conn.executemany(f"INSERT INTO entries VALUES ({', '.join('?' * 11)})", rows)
    before = conn.execute("SELECT * FROM entries ORDER BY seq").fetchall()
    conn.close()
    assert verify_file(journal_path, check_index=True).ok

    async def more() -> None:
        async with await open_journal(journal_path, actor="alex") as journal:
            await journal.append_many([_observation(3), _observation(4)])
            await journal.append(kinds.NOTE, {"text": "mailbox rule forwards to evil.example.com"}, incident="INC-1")
    asyncio.run(more())

    conn = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True)
    assert conn.execute("SELECT * FROM entries WHERE seq <= 2 ORDER BY seq").fetchall() == before
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'entries_index'").fetchall() == []
    conn.close()
    result = verify_file(journal_path, check_index=True)
    assert result.ok and result.entries == 5, result.reason
    assert _found(journal_path, "evil2.example.com") == [2] and _found(journal_path, "u3@contoso.com") == [3]
    assert _found(journal_path, "mailbox rule") == [5]


def test_every_transaction_indexes_what_it_added_and_a_copy_does_too(tmp_path: Path) -> None:
    first, second = tmp_path / "one.db", tmp_path / "two.db"

    async def write() -> None:
        async with await open_journal(first, actor="alex") as journal:
            await journal.append_many([_observation(n) for n in range(1, 251)])
            await journal.append(kinds.NOTE, {"text": "called the helpdesk"})
            entries = await journal.entries()
        async with await open_journal(second, actor="alex") as copy:
            await copy.adopt_identity(journal.journal_id)
            assert await copy.append_copies(entries[:100]) == 100
            assert await copy.append_copies(entries) == 151
    asyncio.run(write())
    for path in (first, second):
        result = verify_file(path, check_index=True)
        assert result.ok and result.entries == 251, result.reason
        assert _found(path, "evil250.example.com") == [250] and _found(path, "helpdesk") == [251]
