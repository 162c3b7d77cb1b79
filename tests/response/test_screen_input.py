"""Bad input on the guided screens is refused with a message and journals nothing."""

from __future__ import annotations

from textual.widgets import TextArea
from warroom.console.journal import kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.screens.declare import DeclareIncidentScreen

from .harness import GuidedTestApp
from .pilot_steps import choose, opened, press_and_settle, type_into


async def _declared(warroom):
    await warroom.record_many(declaration("INC-1", title="Mail down", category="service-outage",
                                          services=["Exchange Online"], roles={"incident_commander": "ann"},
                                          library=PlaybookLibrary.load()))
    return (await warroom.journal.head())[0]


async def test_declare_refuses_an_empty_title_or_commander(offline_room):
    app = GuidedTestApp(offline_room, "declare")
    async with opened(app, (120, 60)) as pilot:
        assert await press_and_settle(pilot) == "give the incident a title"
        await type_into(pilot, "#declare-title", "Mail down")
        await type_into(pilot, "#role-incident_commander", " ")
        assert await press_and_settle(pilot) == "name the incident commander"
    assert app.results == [] and (await offline_room.journal.head())[0] == 0


async def test_steps_without_an_incident_open_declare_with_a_notice(offline_room):
    app = GuidedTestApp(offline_room, "contain", upn="x@y.z")
    async with opened(app, (120, 60)):
        assert isinstance(app.screen, DeclareIncidentScreen)
        assert "No open incident to contain" in str(app.screen.query_one(".notice").render())


async def test_an_override_without_a_reason_is_refused(offline_room):
    head = await _declared(offline_room)
    app = GuidedTestApp(offline_room, "assess")
    async with opened(app, (120, 60)) as pilot:
        await choose(pilot, "#assess-override", "SEV1")
        assert await press_and_settle(pilot) == "say why you override the computed severity"
        await type_into(pilot, "#assess-override-reason", "CEO cannot send mail")
        await press_and_settle(pilot)
    assert (await offline_room.journal.head())[0] > head
    assert offline_room.incident.severity == "SEV1"
    assert "override: CEO cannot send mail" in offline_room.incident.severity_reasoning


async def test_a_role_hand_off_is_journaled_with_the_previous_holder(offline_room):
    await _declared(offline_room)
    app = GuidedTestApp(offline_room, "assess")
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#role-incident_commander", "bob")
        await press_and_settle(pilot)
    roles = [e.body for e in await offline_room.journal.entries(kinds=[kinds.INCIDENT_ROLE])]
    assert roles[-1] == {"role": "incident_commander", "person": "bob", "previous": "ann"}
    assert offline_room.incident.commander == "bob"


async def test_an_empty_message_is_not_marked_as_sent(offline_room):
    head = await _declared(offline_room)
    app = GuidedTestApp(offline_room, "communicate")
    async with opened(app, (120, 50)) as pilot:
        app.screen.query_one("#communicate-text", TextArea).text = "   "
        assert await press_and_settle(pilot) == "Not sent: the message is empty."
        assert await press_and_settle(pilot, "f8") == "Not sent: the message is empty."
        await press_and_settle(pilot, "f3")
    assert app.copied == [] and (await offline_room.journal.head())[0] == head


async def test_a_saved_message_lands_in_the_configured_folder(offline_room, tmp_path):
    await _declared(offline_room)
    offline_room.config.values["comms.folder"] = str(tmp_path / "out")
    app = GuidedTestApp(offline_room, "communicate")
    async with opened(app, (120, 50)) as pilot:
        assert "Saved to" in await press_and_settle(pilot, "f4")
    [saved] = list((tmp_path / "out").iterdir())
    assert saved.name == "INC-1-initial-stakeholders.txt"
    assert "INCIDENT NOTIFICATION" in saved.read_text(encoding="utf-8")
    drafted = [e.body for e in await offline_room.journal.entries(kinds=[kinds.COMMS_DRAFTED])]
    assert drafted[0]["channel"] == f"saved to {saved}"


async def test_close_needs_a_summary_and_follow_ups_need_an_owner(offline_room):
    head = await _declared(offline_room)
    app = GuidedTestApp(offline_room, "close")
    async with opened(app, (120, 60)) as pilot:
        assert await press_and_settle(pilot) == "Write a one-line closing summary first."
        await type_into(pilot, "#follow-text", "Review MX failover")
        assert await press_and_settle(pilot, "f4") == "every follow-up action needs an owner"
    assert offline_room.incident.is_open and (await offline_room.journal.head())[0] == head
