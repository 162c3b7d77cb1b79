"""What a reviewer sees, at 80x24 and 120x40, on a journal written at fixed times with a frozen clock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from warroom.screens.review import JournalBrowserApp


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_review_opens_at_80x24(snap_compare, journal: Path) -> None:
    assert snap_compare(JournalBrowserApp(journal), terminal_size=(80, 24), run_before=_settle)


def test_incident_at_containment_120x40(snap_compare, journal: Path) -> None:
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("i", "down", "enter")
        await _settle(pilot)
        await pilot.press("g", *"2026-11-24T09:21Z", "enter")
        await _settle(pilot)

    assert snap_compare(JournalBrowserApp(journal), terminal_size=(120, 40), run_before=run_before)


def test_broken_chain_120x40(snap_compare, journal: Path) -> None:
    conn = sqlite3.connect(journal, isolation_level=None)
    conn.execute("DROP TRIGGER entries_refuse_update")
    conn.execute("UPDATE entries SET body = replace(body, 'Check message trace', 'Ignore it') WHERE seq = 5")
    conn.close()

    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("b")
        await _settle(pilot)

    assert snap_compare(JournalBrowserApp(journal), terminal_size=(120, 40), run_before=run_before)
