"""The dashboard App's one hook, `open_guided(step, subject)`, opens each guided screen; Escape returns."""

from __future__ import annotations

import pytest
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.subject import of_account
from warroom.screens.app import WarroomApp
from warroom.screens.assess import AssessScreen
from warroom.screens.close import CloseScreen
from warroom.screens.communicate import CommunicateScreen
from warroom.screens.contain import ContainScreen
from warroom.screens.declare import DeclareIncidentScreen

from .pilot_steps import opened, settle

SCREENS = {
    "declare": DeclareIncidentScreen, "assess": AssessScreen, "contain": ContainScreen,
    "block_sign_in": ContainScreen, "revoke_sessions": ContainScreen, "preserve_evidence": ContainScreen,
    "communicate": CommunicateScreen, "review": CloseScreen, "close": CloseScreen,
}


async def _dashboard_with_incident(room) -> WarroomApp:
    """The dashboard App on `room`, with a service outage (INC-1) declared."""
    await room.record_many(declaration(
        "INC-1", title="Mail down", category="service-outage", services=[], roles={"incident_commander": "ann"},
        library=PlaybookLibrary.load()))
    return WarroomApp(room, follow_journal=False)


@pytest.mark.parametrize("step", list(SCREENS))
async def test_every_step_opens_from_the_dashboard_and_escape_returns(offline_room, step):
    app = await _dashboard_with_incident(offline_room)
    async with opened(app, (120, 45)) as pilot:
        dashboard = app.screen
        app.open_guided(step, of_account("megan.bowen@contoso.onmicrosoft.com"))
        await settle(pilot)
        assert type(app.screen) is SCREENS[step]
        if step in ("block_sign_in", "revoke_sessions", "preserve_evidence"):
            assert app.screen.action == step
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is dashboard


async def test_review_saves_answers_without_closing(offline_room):
    app = await _dashboard_with_incident(offline_room)
    async with opened(app, (120, 45)) as pilot:
        app.open_guided("review")
        await settle(pilot)
        assert not app.screen.query("#close-submit")
        app.screen.query_one("#review-training_needs").value = "Run the phishing drill quarterly"
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")            # no closing from the review step
        await settle(pilot)
    entries = await offline_room.journal.entries(kinds=["review", "incident.closed"])
    assert [(e.kind, e.body["item"]) for e in entries] == [("review", "training_needs")]
    assert offline_room.incident.is_open
