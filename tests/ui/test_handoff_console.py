"""A role changes hands from the console: from the dashboard or the hand-off page, the responder names the role and
who takes it; it is journaled (who had it, who takes it, the page as it stood) and the hand-off page shows it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static
from warroom.console.journal import kinds
from warroom.screens.app import WarroomApp
from warroom.screens.handoff import HandoffScreen
from warroom.screens.prompt import PromptScreen

from ..waiting import until
from .scenes import fixed_clock, live_state, on_screen, open_warroom


def page_text(app) -> str:
    return "\n".join(str(s.render()) for s in app.screen.query(Static))


async def answer(pilot, text: str) -> None:
    """Type over the prompt's prefilled answer, key by key as a responder would, and press Enter."""
    box = pilot.app.screen.query_one(Input)
    box.value = ""
    await pilot.press(*(c if c != " " else "space" for c in text), "enter")


async def test_a_role_changes_hands_from_the_hand_off_page_and_from_the_dashboard(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    incident = warroom.incident
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    async with on_screen(app, (80, 24)) as pilot:
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, HandoffScreen), "the hand-off page opens")
        assert "no role has changed hands" in page_text(app)
        # O on the page: the role (prefilled: incident commander), then who takes it.
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
        assert app.screen.query_one(Input).value == "incident_commander "
        await pilot.press(*"dave", "enter")
        await until(pilot, lambda: incident.commander == "dave", "the role handed over")
        # The page opens again and shows the hand-off.
        await until(pilot, lambda: isinstance(app.screen, HandoffScreen), "the page again")
        text = page_text(app)
        assert "Incident commander: dave" in text
        assert "Incident commander: alice → dave (by test-responder)" in text
        [entry] = [e for e in await warroom.journal.entries(kinds=[kinds.INCIDENT_ROLE]) if e.body.get("previous")]
        assert (entry.actor, entry.body["role"], entry.body["previous"], entry.body["person"]) == (
            "test-responder", "incident_commander", "alice", "dave")
        assert "Incident commander: alice" in entry.body["handoff"]     # the page as it was given
        await pilot.press("escape")
        await pilot.pause()

        # From the dashboard: a role named by one of its words; a role that is none is refused, saying which.
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
        await answer(pilot, "chef carol")
        await until(pilot, lambda: any("no role 'chef'" in n.message for n in app._notifications),
                    "the refusal")
        assert "communications_lead" not in incident.roles
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
        await answer(pilot, "comms carol")
        await until(pilot, lambda: incident.roles.get("communications_lead") == "carol", "comms handed over")
        await pilot.press("O")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), "the question")
        await answer(pilot, "commander dave")
        await until(pilot, lambda: any("dave already holds Incident commander" in n.message
                                       for n in app._notifications), "nothing to hand over")
        assert isinstance(app.screen, type(app.dashboard))
        # The palette offers it by name.
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Hand a role over" in titles


def test_a_role_is_named_as_a_responder_would_say_it() -> None:
    import pytest
    from warroom.console.handoff import role_named

    for word, role in (("incident_commander", "incident_commander"), ("IC", "incident_commander"),
                       ("commander", "incident_commander"), ("Incident commander", "incident_commander"),
                       ("comms", "communications_lead"), ("communi", "communications_lead"), ("scribe", "scribe")):
        assert role_named(word) == role, word
    with pytest.raises(ValueError, match="no role 'chef': incident_commander, communications_lead"):
        role_named("chef")
    with pytest.raises(ValueError, match="could be"):
        role_named("s")         # scribe, service_owner, security_team
