"""The journal's id is bound into its chain on both backends: a changed id breaks entry 1; older journals warn."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from warroom.console.cli import main
from warroom.console.journal import GENESIS, Draft, Entry, Journal, open_journal, verify_file
from warroom.console.journal.encoding import genesis_for
from warroom.console.journal.postgres import PostgresJournal
from warroom.console.journal.records import prepare, seal

from .pg import run_sql


def _change_id(journal: Journal, new_id: str) -> None:
    if isinstance(journal, PostgresJournal):
        run_sql(journal.url, f"UPDATE warroom.meta SET value = '{new_id}' WHERE key = 'journal_id'")
    else:
        conn = sqlite3.connect(journal.location, isolation_level=None)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'journal_id'", (new_id,))
        conn.close()


async def test_a_changed_journal_id_breaks_entry_1(journal: Journal) -> None:
    first = (await journal.append_many([Draft("note", {"text": "one"}), Draft("note", {"text": "two"})]))[0]
    assert first.prev_hash == genesis_for(journal.journal_id)
    result = await journal.verify()
    assert result.ok and result.warnings == ()
    _change_id(journal, "5f0e7a3c-0000-4000-8000-000000000000")
    result = await journal.verify()
    assert not result.ok and result.bad_seq == 1 and "not begun for journal 5f0e7a3c" in result.reason


def _legacy(count: int) -> list[Entry]:
    """Entries as a journal made before ids were bound holds them: entry 1 chains from GENESIS (zeros)."""
    prepared = [prepare(Draft("note", {"text": f"old {n}"}), "alex") for n in range(count)]
    return [Entry.from_row(row) for row in seal(prepared, 0, GENESIS, datetime(2026, 11, 24, tzinfo=UTC))]


async def test_an_older_journal_verifies_but_says_its_id_is_unproven(journal: Journal) -> None:
    assert await journal.append_copies(_legacy(3)) == 3
    await journal.append("note", {"text": "new entries continue it"})
    result = await journal.verify()
    assert result.ok and result.entries == 4
    assert any("nothing in the chain proves its id" in warning for warning in result.warnings)


async def test_the_sqlite_cli_reports_the_changed_id(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    async with await open_journal(path, actor="ic") as journal:
        await journal.append("note", {"text": "one"})
        _change_id(journal, "another")
    assert not verify_file(path).ok
    assert main(["journal", "verify", str(path)]) == 1


def test_a_copy_keeps_the_binding_between_backends(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "journal.db"

    async def write() -> str:
        async with await open_journal(source, actor="ic") as journal:
            await journal.append_many([Draft("note", {"text": str(n)}) for n in range(3)])
            return journal.journal_id

    journal_id = asyncio.run(write())
    assert main(["journal", "copy", str(source), pg_url]) == 0
    back = tmp_path / "back.db"
    assert main(["journal", "copy", pg_url, str(back)]) == 0
    result = verify_file(back)
    assert result.ok and result.warnings == ()
    conn = sqlite3.connect(f"file:{back}?mode=ro", uri=True)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'journal_id'").fetchone()[0] == journal_id
        assert conn.execute("SELECT prev_hash FROM entries WHERE seq = 1").fetchone()[0] == genesis_for(journal_id)
    finally:
        conn.close()
