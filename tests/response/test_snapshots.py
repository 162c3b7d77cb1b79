"""What a responder sees on each guided screen: SVG snapshots at 120x45, fixed times, no tenant (OFFLINE)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.journal import Draft, kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.session import WarRoom

from .harness import GuidedTestApp
from .pilot_steps import settle

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
SIZE = (120, 45)
TITLE = "Outbound mail delayed for all users"
HOSTILE = "[bold red]x[/] \x1b[2J\x1b]52;c;ZXZpbA==\x07 \u202e" + "A" * 10000


def fixed_clock() -> datetime:
    return NOW


async def _room(journal: Path, *, incident: bool, title: str = TITLE) -> WarRoom:
    warroom = await WarRoom.open(load_config(overrides={"journal": str(journal)}), mode="OFFLINE")
    if incident:
        declared = NOW - timedelta(minutes=20)
        drafts = declaration("INC-20261124-01", title=title,
                             category="service-outage", services=["Exchange Online"],
                             roles={"incident_commander": "alice", "communications_lead": "bob"},
                             library=PlaybookLibrary.load(),
                             source={"type": "service_issue", "id": "EX1195342",
                                     "title": "Users may experience delays sending or receiving email messages",
                                     "started": "2026-11-24T13:55:00.000Z"})
        drafts = [dataclasses.replace(d, occurred_at=declared) for d in drafts]
        drafts.append(Draft(kinds.INCIDENT_SEVERITY, {"severity": "SEV2", "reasoning": "scored"}, "INC-20261124-01",
                            None, declared + timedelta(minutes=5)))
        await warroom.record_many(drafts)
    return warroom


@pytest.fixture
def guided_app(tmp_path: Path):
    """A synchronous builder for snap_compare; closes the journals afterwards."""
    rooms: list[WarRoom] = []

    def make(step: str, *, incident: bool = True, title: str = TITLE, **context) -> GuidedTestApp:
        warroom = asyncio.run(_room(tmp_path / f"{step}.db", incident=incident, title=title))
        rooms.append(warroom)
        return GuidedTestApp(warroom, step, clock=fixed_clock, **context)

    yield make
    for warroom in rooms:
        asyncio.run(warroom.close())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("step, context", [
    ("assess", {}),
    ("contain", {"upn": "megan.bowen@contoso.onmicrosoft.com"}),
    ("communicate", {}),
    ("declare", {}),
    ("review", {}),
    ("close", {}),
])
def test_guided_screen(snap_compare, guided_app, step, context, size):
    """Every guided screen at 80x24 and 160x48: the buttons and the result line below the form stay in view."""
    assert snap_compare(guided_app(step, **context), terminal_size=size, run_before=settle)


def test_hostile_title_and_upn_are_shown_literally(snap_compare, guided_app):
    """Brackets as brackets, no escape sequences obeyed, the title cut to a line: what a responder sees."""
    app = guided_app("contain", title=HOSTILE, upn="mallory[/]@evil.example")
    assert snap_compare(app, terminal_size=SIZE, run_before=settle)
