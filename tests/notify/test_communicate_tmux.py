"""End to end in tmux at 80x24: the real `warroom demo`, Communicate, a sentence typed, F2 twice, a real webhook
receiver on 127.0.0.1 gets it once, and the result is on screen."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from warroom.console.journal import kinds, open_journal

from ..ui.test_tmux import WARROOM, Tmux, flat
from .conftest import write_config

pytestmark = [pytest.mark.slow, pytest.mark.tmux,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


ASK = "Send to Stakeholder communications?"


def _refusal(screen: str) -> str:
    """The refusal line alone: the rest of the screen may repaint while the dialog opens."""
    return screen.split("Not sent: fill", 1)[1].split("\n", 1)[0] if "Not sent: fill" in screen else ""


@pytest.fixture
def tmux(tmp_path: Path):
    session = Tmux(tmp_path)
    yield session
    session.kill()


def test_a_typed_update_is_sent_from_the_console_and_the_result_shown(tmux, tmp_path, http_receiver):
    journal = tmp_path / "journal.db"

    async def declare() -> None:
        async with await open_journal(journal) as opened:
            await opened.append(kinds.INCIDENT_DECLARED, {"title": "Mail delayed", "category": "service-outage",
                                                          "services": ["Exchange Online"]}, incident="INC-20261205-01")

    asyncio.run(declare())
    config = write_config(tmp_path, '[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\n'
                                    '[audiences.stakeholders]\nchannels = ["chat"]\n')
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    tmux.run("new-session", "-d", "-s", "t", "-x", "80", "-y", "24",
             f"env -i PATH=/usr/bin:/bin HOME={home} TERM=xterm-256color LANG=C.UTF-8 "
             f"WARROOM_CONFIG={config} WARROOM_CHAT_WEBHOOK={http_receiver.url} {WARROOM} demo --journal {journal}")
    tmux.wait_for("n Notify")            # the footer: the dashboard takes keys
    tmux.keys("n")
    tmux.wait_for("Via: chat (webhook)")
    refusal = ""
    for _ in range(12):                   # each F2 selects the next placeholder; typing replaces it
        tmux.keys("F2")
        screen = tmux.wait_until(lambda s, last=refusal: ASK in flat(s) or
                                 ("Not sent: fill [" in s and _refusal(s) != last))
        if ASK in flat(screen):
            break
        refusal = _refusal(screen)
        tmux.keys("see the service desk", literal=True)     # the pty keeps key order: F2 comes after it
    tmux.wait_until(lambda s: ASK in flat(s))
    tmux.keys("F2")
    screen = tmux.wait_for("chat (webhook): delivered: HTTP 200 OK")
    assert "the countdown restarts" in screen
    [body] = http_receiver.bodies
    assert "see the service desk" in body["text"] and "[" not in body["text"].replace("[INC-", "")
