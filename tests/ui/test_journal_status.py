"""The status bar says when the journal itself refuses writes: a locked journal, not a stale Graph source."""

from __future__ import annotations

import sqlite3

import pytest
from warroom.console.journal import JournalLocked
from warroom.console.journal import store as journal_store
from warroom.screens.app import WarroomApp
from warroom.widgets.status import StatusBar

from ..waiting import until
from .scenes import fixed_clock, live_state, open_warroom


async def test_a_locked_journal_is_said_as_the_journals_trouble(journal_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_store, "BUSY_TIMEOUT_MS", 200)
    room = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    app = WarroomApp(room, clock=fixed_clock)

    def status() -> str:
        return app.screen.query_one(StatusBar)._text.plain

    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: "entries" in status())
            holder = sqlite3.connect(journal_path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                with pytest.raises(JournalLocked):
                    await room.journal.append("note", {"text": "typed while another process holds the lock"})
                await until(pilot, lambda: "JOURNAL locked by another process since" in status())
                assert "stale" not in status()
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            await room.journal.append("note", {"text": "written once the lock is gone"})
            await until(pilot, lambda: "JOURNAL" not in status())
    finally:
        await room.close()
