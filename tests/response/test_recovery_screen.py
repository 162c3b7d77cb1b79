"""The Recovery screen as a responder drives it, at 80x24 and 160x48, on the simulated tenant through the real
gateway: options that depend on something down are listed apart with the reason and cannot be ticked; a
verification by hand journals the responder's words and does the task; the live check reads the tenant, says what
it found where the eye is, and a met one ticks its task; Graph trouble is said and nothing is journaled; the support
case is recorded from here and shown; letters typed outside the text field do nothing."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static
from warroom.console.drill import score
from warroom.console.journal import kinds
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.report import build, render_markdown
from warroom.console.sim.faults import Fault
from warroom.screens.recovery import RecoveryScreen
from warroom.screens.support_case import SupportCaseScreen

from .harness import GuidedTestApp
from .pilot_steps import bodies, confirm_with, message, opened, press_and_settle, settle, type_into
from .test_results_visible import in_view

SIZES = [(80, 24), (160, 48)]


async def _declare(warroom, category: str, services: list[str]) -> str:
    return await warroom.record_new_incident(lambda incident_id: declaration(
        incident_id, title="Sign-ins failing", category=category, services=services,
        roles={"incident_commander": "ann"}, library=PlaybookLibrary.load()))


async def _declared(warroom, category: str, services: list[str]) -> tuple[str, GuidedTestApp]:
    """An incident declared for `services`, and an app that opens Recovery on it: (its id, the app)."""
    return await _declare(warroom, category, services), GuidedTestApp(warroom, "recovery")


def _recovery_check(warroom, entries):
    """The drill's "Recovery verified" check, as the scenario's [drill] table asks it (verify_recovery)."""
    report = score("entra-signin-outage", entries, warroom.config)
    return next(c for c in report.checks if c.key == "recovery_verified")


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _highlight(pilot, option_id: str) -> None:
    options = pilot.app.screen.query_one("#recovery-options", OptionList)
    options.highlighted = options.get_option_index(option_id)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_verify_by_hand_and_blocked_options(room, size):
    _tenant, warroom = await room("entra-signin-outage")
    incident_id, app = await _declared(warroom, "business-continuity", ["Exchange Online", "Microsoft Entra"])
    async with opened(app, size) as pilot:
        assert isinstance(app.screen, RecoveryScreen)
        assert _text(app, "#recovery-service").startswith("Service 1 of 2: Exchange Online: serviceDegradation")
        assert in_view(app, "#recovery-options") and in_view(app, "#recovery-detail")
        await _highlight(pilot, "owa-workaround")
        assert "Not offered now: needs Microsoft Entra, which is down (serviceDegradation" in \
            _text(app, "#recovery-detail")
        said = await confirm_with(pilot, "#recovery-text", "a test mail went through")
        assert said.startswith("Not verified: not offered now: needs Microsoft Entra") and in_view(app)
        await _highlight(pilot, "queued-mail")
        said = await confirm_with(pilot, "#recovery-text", "message trace: 412 queued messages delivered")
        assert said.startswith("Verified: Mail queued by senders' servers") and " done)." in said
        assert in_view(app)
        assert "by test-responder: message trace: 412 queued messages delivered" in _text(app, "#recovery-detail")
    entries = await warroom.journal.entries(incident=incident_id)
    done = bodies(entries, kinds.RECOVERY)
    assert [(b["option"], b["result"], b["by"]) for b in done] == [("queued-mail", "verified", "hand")]
    ticked = bodies(entries, kinds.TASK_TICKED)
    assert [t["task_id"] for t in ticked] == [done[0]["task_id"]]
    # The report lists the verification; the drill (which asks for Microsoft Entra) does not count it.
    report = render_markdown(build(warroom.book.incidents[incident_id], entries))
    section = report[report.index("## Recovery verifications"):report.index("## Communications sent")]
    assert ("| Exchange Online | queued-mail | by hand | verified | message trace: 412 queued messages "
            f"delivered | {done[0]['task_id']} |") in section, section
    check = _recovery_check(warroom, entries)
    assert not check.done and check.detail == "Microsoft Entra NOT verified"


@pytest.mark.parametrize("size", SIZES)
async def test_live_check_not_met_then_met_ticks_the_task(room, size):
    tenant, warroom = await room("entra-signin-outage")
    incident_id, app = await _declared(warroom, "business-continuity", ["Exchange Online", "Microsoft Entra"])
    async with opened(app, size) as pilot:
        await press_and_settle(pilot, "f5")
        assert _text(app, "#recovery-service").startswith("Service 2 of 2: Microsoft Entra")
        await _highlight(pilot, "service-back")
        said = await press_and_settle(pilot, "f3")
        assert said.startswith("Live check NOT met: Microsoft Entra: serviceDegradation") and in_view(app)
        tenant.advance(9 * 60)
        await pilot.press("f3")
        await settle(pilot)
        assert message(pilot).startswith("Live check met: Microsoft Entra: serviceOperational")
        assert message(pilot).rstrip().endswith("done).") and in_view(app)
        lines = [str(o.prompt) for o in app.screen.query_one("#recovery-options", OptionList).options]
        assert any(line.startswith("✓ ") and "Microsoft reports Microsoft Entra operational" in line
                   for line in lines)
    entries = await warroom.journal.entries(incident=incident_id)
    assert [b["result"] for b in bodies(entries, kinds.RECOVERY)] == ["not met", "verified"]
    assert len(bodies(entries, kinds.TASK_TICKED)) == 1
    # Both checks are in the report, the met one with the moment Graph said it was back; the drill counts it.
    report = render_markdown(build(warroom.book.incidents[incident_id], entries))
    section = report[report.index("## Recovery verifications"):report.index("## Communications sent")]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "Microsoft Entra" in line]
    assert [row.split(" | ")[4:6] for row in rows] == [["live check", "not met"], ["live check", "verified"]], rows
    assert "serviceOperational" in rows[1]
    check = _recovery_check(warroom, entries)
    assert check.done and check.detail.startswith("Microsoft Entra verified by a live check (service-back, entry ")


@pytest.mark.parametrize("size", SIZES)
async def test_throttled_check_is_said_and_nothing_journaled(room, size):
    _tenant, warroom = await room("entra-signin-outage", tenant_options={
        "faults": [Fault("throttle", "admin/serviceAnnouncement/healthOverviews", retry_after=30, start=1)]})
    incident_id, app = await _declared(warroom, "business-continuity", ["Microsoft Entra"])
    _tenant.advance(2)
    async with opened(app, size) as pilot:
        await _highlight(pilot, "service-back")
        said = await press_and_settle(pilot, "f3")
        assert said.startswith("Throttled (429) running the live check") and in_view(app)
        assert "Nothing was journaled" in message(pilot)
    assert bodies(await warroom.journal.entries(incident=incident_id), kinds.RECOVERY) == []


@pytest.mark.parametrize("size", SIZES)
async def test_support_case_recorded_from_the_screen_and_letters_do_nothing(offline_room, size):
    incident_id, app = await _declared(offline_room, "service-outage", ["Exchange Online"])
    async with opened(app, size) as pilot:
        assert _text(app, "#recovery-case").startswith("No Microsoft support case recorded · F4")
        before = len(await offline_room.journal.entries())
        await pilot.press(*"rKqxdXu the quick brown fox")        # the list has focus: letters are nothing here
        await settle(pilot)
        assert isinstance(app.screen, RecoveryScreen) and len(await offline_room.journal.entries()) == before
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, SupportCaseScreen)
        await type_into(pilot, "#case-number", "2611240010001234")
        await type_into(pilot, "#case-contact", "Duty manager called back, engineer assigned")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryScreen)
        assert _text(app, "#recovery-case").startswith("Support case 2611240010001234; last contact ")
        assert message(pilot).startswith(f"Support case 2611240010001234 recorded on {incident_id}") and in_view(app)
    case = offline_room.book.incidents[incident_id].support_case()
    assert case["last_contact"]["text"] == "Duty manager called back, engineer assigned"
    assert case["last_contact"]["at"]                       # who and when: the entry's actor and this time


async def test_no_incident_and_no_services_are_said(offline_room):
    _incident_id, app = await _declared(offline_room, "data-loss", [])
    async with opened(app, (80, 24)) as pilot:
        assert message(pilot).startswith("No recovery options for a data-loss incident on no named service")
        assert (await press_and_settle(pilot)).startswith("Nothing to verify")


@pytest.mark.parametrize("size", SIZES)
async def test_hostile_playbook_and_tenant_reach_the_screen_literally(make_tenant, tmp_path, size):
    from ..ui.test_hostile_walk import PLAYBOOKS, assert_inert, hostile_warroom

    library = PlaybookLibrary.load(str(PLAYBOOKS))
    hostile = library.playbooks["hostile-service"].service
    async with hostile_warroom(make_tenant, tmp_path) as warroom:
        incident_id = await warroom.record_new_incident(lambda incident_id: declaration(
            incident_id, title="[bold red]Hostile[/] \x1b]0;title\x07", category="service-outage",
            services=[hostile, "Exchange Online"], roles={"incident_commander": "ann"}, library=library))
        await warroom.record(kinds.INCIDENT_LINKED, {"type": "support_case", "id": "[link=https://evil.example]1[/]",
                                                     "last_contact": {"at": "x", "text": "\x1b]52;c;ZXZpbA==\x07"}},
                             incident=incident_id)
        app = GuidedTestApp(warroom, "recovery")
        async with opened(app, size) as pilot:
            assert "[link=https://evil.example]x[/link]" in _text(app, "#recovery-service")
            assert "[link=https://evil.example]1[/]" in _text(app, "#recovery-case")
            assert_inert(app, "recovery")
            await _highlight(pilot, "hostile-recovery")
            assert "Not offered now: needs [bold red]Exchange[/]" in _text(app, "#recovery-detail")
            assert_inert(app, "recovery, a blocked hostile option")
            await _highlight(pilot, "hostile-check")
            said = await confirm_with(pilot, "#recovery-text", "[@click=app.quit]ok[/] \x1b[2J", "f3")
            assert said.startswith(("Live check", "Failed running the live check")), said
            assert_inert(app, "recovery after a check")
            await press_and_settle(pilot, "f5")
            assert_inert(app, "recovery, the second service")
            await pilot.press("f4")
            await settle(pilot)
            assert_inert(app, "support case")
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, RecoveryScreen)
