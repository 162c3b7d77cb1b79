"""What a responder sees on the Recovery and support-case screens: SVG snapshots at 80x24 and 160x48, fixed times,
no tenant (service health as last read is given), an Entra sign-in outage affecting Exchange Online."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import OptionList
from warroom.console.config import load_config
from warroom.console.graph.live import LiveState
from warroom.console.graph.models import ServiceHealth
from warroom.console.journal import Draft, kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.session import WarRoom

from .harness import GuidedTestApp
from .pilot_steps import settle

NOW = datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
INCIDENT = "INC-20261124-02"


async def _room(journal: Path) -> WarRoom:
    warroom = await WarRoom.open(load_config(overrides={"journal": str(journal)}), mode="OFFLINE")
    declared = NOW - timedelta(minutes=25)
    drafts = declaration(INCIDENT, title="Users cannot sign in to Microsoft 365", category="business-continuity",
                         services=["Exchange Online", "Microsoft Entra"], roles={"incident_commander": "alice"},
                         library=PlaybookLibrary.load())
    drafts = [dataclasses.replace(d, occurred_at=declared) for d in drafts]
    queued = next(d.body["task_id"] for d in drafts if d.body.get("step") == "recovery:queued-mail")
    drafts.append(Draft(kinds.RECOVERY, {"service": "Exchange Online", "option": "queued-mail", "result": "verified",
                                         "by": "hand", "task_id": queued,
                                         "text": "message trace: 412 queued messages delivered"},
                        INCIDENT, None, NOW - timedelta(minutes=4)))
    drafts.append(Draft(kinds.INCIDENT_LINKED, {"type": "support_case", "id": "2611240010001234", "severity": "A",
                                                "title": "Microsoft support case",
                                                "opened": "2026-11-24T14:12:00.000Z",
                                                "last_contact": {"at": "2026-11-24T14:20:00.000Z",
                                                                 "text": "engineer assigned"}},
                        INCIDENT, None, NOW - timedelta(minutes=10)))
    await warroom.record_many(drafts)
    warroom.live = LiveState()
    warroom.live.health = {
        "Exchange": ServiceHealth("Exchange", "Exchange Online", "serviceDegradation", ("EX1201571",)),
        "OrgLiveID": ServiceHealth("OrgLiveID", "Microsoft Entra", "serviceDegradation", ("MO1201566",)),
    }
    return warroom


@pytest.fixture
def recovery_app(tmp_path: Path):
    rooms: list[WarRoom] = []

    def make(step: str) -> GuidedTestApp:
        warroom = asyncio.run(_room(tmp_path / f"{step}.db"))
        rooms.append(warroom)
        return GuidedTestApp(warroom, step, clock=lambda: NOW)

    yield make
    for warroom in rooms:
        asyncio.run(warroom.close())


def _highlighting(option_id: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        options = pilot.app.screen.query_one("#recovery-options", OptionList)
        options.highlighted = options.get_option_index(option_id)
        await settle(pilot)
    return run_before


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_recovery_verified_option(snap_compare, recovery_app, size):
    assert snap_compare(recovery_app("recovery"), terminal_size=size, run_before=_highlighting("queued-mail"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_recovery_option_not_offered(snap_compare, recovery_app, size):
    assert snap_compare(recovery_app("recovery"), terminal_size=size, run_before=_highlighting("owa-workaround"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_support_case(snap_compare, recovery_app, size):
    assert snap_compare(recovery_app("support_case"), terminal_size=size, run_before=settle)
