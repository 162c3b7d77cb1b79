"""End to end: two real `warroom` consoles on two "hosts" (own HOME each) in tmux, one shared journal, no tenant.

What a person would see: the commander's note appears on the comms lead's screen; the database goes away, the
comms lead keeps typing and the status bar says so; the database comes back and the commander sees that note.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import pytest
from warroom.console.journal.postgres import PostgresJournal

from ..ui.test_tmux import WARROOM, Tmux

pytestmark = [pytest.mark.slow, pytest.mark.tmux,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


class Host(Tmux):
    def start(self, command: str) -> None:
        self.run("new-session", "-d", "-s", "t", "-x", "200", "-y", "50", command)


@pytest.fixture
def hosts(tmp_path: Path):
    pair = [Host(tmp_path / "ic"), Host(tmp_path / "comms")]
    for host in pair:
        host.tmp.mkdir()
    yield pair
    for host in pair:
        host.kill()


def console(host: Host, url: str, responder: str) -> str:
    return (f"env -i PATH=/usr/bin:/bin HOME={host.tmp} TERM=xterm-256color LANG=C.UTF-8 "
            f"WARROOM_JOURNAL={url} WARROOM_RESPONDER={responder} {WARROOM}")


def type_note(host: Host, text: str) -> None:
    host.keys(":")
    host.wait_for("Enter to save")
    host.keys(text, literal=True)
    host.keys("Enter")


def test_two_consoles_share_notes_and_ride_out_a_database_restart(hosts, pg_server, journal_url: str) -> None:
    ic, comms = hosts
    ic.start(console(ic, journal_url, "commander"))
    comms.start(console(comms, journal_url, "comms-lead"))
    # No tenant configured: journal-only, never the simulated tenant (its data would become the team's record).
    wait_until(ic, lambda screen: "no tenant configured" in words(screen), "journal-only console")
    wait_until(comms, lambda screen: "OFFLINE" in screen, "journal-only console")

    type_note(ic, "bridge open, EXO degraded")
    comms.wait_for("bridge open, EXO degraded")           # another host's entry, live

    pg_server.stop()
    type_note(comms, "exec update drafted offline")
    # The status bar may wrap its last words onto a second line: read the screen as words.
    wait_until(comms, lambda screen: "shared journal unreachable since" in words(screen), "the outage")
    comms.wait_for("exec update drafted offline")          # on screen at once, from the spool
    wait_until(comms, lambda screen: re.search(r"[1-9]\d* spooled", words(screen)), "entries spooled")

    pg_server.start()
    ic.wait_for("exec update drafted offline")             # uploaded once the database is back
    screen = wait_until(comms, lambda screen: "unreachable" not in screen, "the outage cleared")
    assert screen.count("exec update drafted offline") == 1
    assert screen.index("bridge open, EXO degraded") < screen.index("exec update drafted offline")
    kinds = asyncio.run(_kinds(journal_url))
    assert kinds and "observation" not in kinds and "source.status" not in kinds


async def _kinds(url: str) -> set[str]:
    async with await PostgresJournal.open(url, actor="check", readonly=True) as journal:
        return {entry.kind for entry in await journal.entries()}


def words(screen: str) -> str:
    return " ".join(screen.split())


def wait_until(host: Host, check, what: str, seconds: float = 30.0) -> str:
    """Bounded wait for a condition on screen (a deadline to fail by, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while True:
        screen = host.screen()
        if check(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: never on screen; screen was:\n{screen}")
        time.sleep(0.2)
