"""The console on a shared journal: another host's entry shows up, an outage shows as words, nothing is lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from warroom.console.journal.shared import SharedJournal
from warroom.screens.app import WarroomApp
from warroom.widgets.status import StatusBar
from warroom.widgets.timeline import Timeline

from ..ui.scenes import fixed_clock, open_warroom
from ..waiting import until

pytestmark = pytest.mark.slow


def timeline_texts(app: WarroomApp) -> list[str]:
    return [entry.text for entry in app.screen.query_one(Timeline).entries]


def status_text(app: WarroomApp) -> str:
    return app.screen.query_one(StatusBar)._text.plain


@asynccontextmanager
async def console_on(url: str, local_copy: Path, *, incident: bool = False) -> AsyncIterator[tuple[WarroomApp, Any]]:
    """The console at 160x48 on the shared journal at `url`, following it: the app and its Pilot. Its journal is
    closed afterwards, whatever the test did."""
    room = await open_warroom(url, live=None, incident=incident, extra={"shared.local_copy": str(local_copy)})
    app = WarroomApp(room, clock=fixed_clock, follow_journal=True)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            yield app, pilot
    finally:
        await room.close()


async def journal_role(pg_server, journal_url: str, name: str, **grant: list[str]) -> str:
    """`journal_url` as the login role `name`, granted what `grant` says (readers=[name], responders=[name])."""
    from warroom.console.journal.postgres import init_shared

    pg_server.execute(f"DO $$ BEGIN CREATE ROLE {name} LOGIN; EXCEPTION WHEN duplicate_object THEN END $$")
    await init_shared(journal_url, **grant)
    return journal_url.replace("postgres@", f"{name}@")


async def test_another_hosts_note_appears_and_an_outage_is_spooled(pg_server, journal_url: str, tmp_path: Path) -> None:
    async with console_on(journal_url, tmp_path / "ic", incident=True) as (app, pilot):
        async with await SharedJournal.open(journal_url, actor="comms-lead", spool_dir=tmp_path / "comms") as other:
            await other.append("note", {"text": "holding statement sent to execs"})
        await until(pilot, lambda: "holding statement sent to execs" in timeline_texts(app))

        pg_server.stop()
        await pilot.press("colon")
        for char in "typed during the outage":
            await pilot.press(char if char != " " else "space")
        await pilot.press("enter")
        await until(pilot, lambda: "typed during the outage" in timeline_texts(app))
        await until(pilot, lambda: "shared journal unreachable since" in status_text(app)
                    and "1 spooled" in status_text(app))

        pg_server.start()
        # Whichever sync settles the entry (the reconnect's or the follower's), the status bar said the journal
        # is back before the notice says the entry is shared.
        await until(pilot, lambda: any("kept in this host's spool is shared now: provisional" in n.message
                                       for n in app._notifications))
        assert "unreachable" not in status_text(app)
        texts = timeline_texts(app)
        assert texts.count("typed during the outage") == 1
        assert texts.index("holding statement sent to execs") < texts.index("typed during the outage")
    async with await SharedJournal.open(journal_url, actor="check", spool_dir=tmp_path / "check") as shared:
        assert [e.text for e in await shared.entries()][-2:] == ["holding statement sent to execs",
                                                                  "typed during the outage"]


async def test_a_readers_console_says_it_is_read_only(pg_server, journal_url: str, tmp_path: Path) -> None:
    audit = await journal_role(pg_server, journal_url, "audit", readers=["audit"])
    async with console_on(audit, tmp_path) as (app, pilot):
        await until(pilot, lambda: "read-only: this role may only read" in status_text(app))


async def test_a_refused_reconnect_shows_its_reason_not_an_outage(pg_server, journal_url: str, tmp_path: Path) -> None:
    from .pg import run_sql

    erin = await journal_role(pg_server, journal_url, "erin", responders=["erin"])
    async with console_on(erin, tmp_path) as (app, pilot):
        run_sql(journal_url, "REVOKE ALL ON warroom.entries, warroom.meta FROM erin",
                "REVOKE USAGE ON SCHEMA warroom FROM erin")
        pg_server.restart()
        await until(pilot, lambda: "shared journal refused: role erin was not granted the journal"
                    in " ".join(status_text(app).split()))
        assert "unreachable" not in status_text(app)
