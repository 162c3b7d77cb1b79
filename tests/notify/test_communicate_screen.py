"""The Communicate screen sends for real: placeholders refused, one question naming audience, recipients and
channels, each channel's result shown above the buttons, the countdown kept when nobody got the update."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static, TextArea
from warroom.console.config import load_config
from warroom.console.journal import kinds
from warroom.console.session import WarRoom
from warroom.console.timefmt import utc_now
from warroom.screens.send_confirm import SendConfirmScreen

from ..response.harness import GuidedTestApp
from ..response.pilot_steps import fill_placeholders, message, opened, settle
from .conftest import WEBHOOK_TOKEN, environ_for, routing_config, write_config

INCIDENT = "INC-20261204-01"


async def open_room(tmp_path: Path, config_text: str, environ: dict[str, str]) -> WarRoom:
    config = load_config(write_config(tmp_path, config_text + "[comms]\nretry_backoff_seconds = 0.01\n"),
                         overrides={"journal": str(tmp_path / "journal.db")}, environ=environ)
    warroom = await WarRoom.open(config)
    await warroom.record(kinds.INCIDENT_DECLARED, {"title": "Mail delayed", "category": "service-outage",
                                                   "services": ["Exchange Online"]},
                         incident=INCIDENT, occurred_at=utc_now() - timedelta(minutes=10))
    await warroom.record(kinds.INCIDENT_SEVERITY, {"severity": "SEV2"}, incident=INCIDENT)
    return warroom


def shown(pilot, selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_f2_refuses_placeholders_then_asks_then_sends_and_shows_each_channel(
        tmp_path, smtp_server, http_receiver):
    warroom = await open_room(tmp_path, routing_config(tmp_path, smtp_server, http_receiver),
                              environ_for(http_receiver))
    app = GuidedTestApp(warroom, "communicate")
    try:
        async with opened(app, (80, 24)) as pilot:
            route = shown(pilot, "#communicate-recipients")
            assert "it-leads@example.com, ciso@example.com" in route and "relay (smtp)" in route
            await pilot.press("f2")
            await settle(pilot)
            assert message(pilot).startswith("Not sent: fill [scope of impact]") and "[precautions]" in message(pilot)
            assert not isinstance(app.screen, SendConfirmScreen)
            area = app.screen.query_one("#communicate-text", TextArea)
            assert area.has_focus and area.selected_text == "[scope of impact]"     # typing replaces it
            await fill_placeholders(pilot)
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, SendConfirmScreen)
            question = str(app.screen.query_one("#send-confirm-text", Static).render())
            assert "Send to Stakeholder communications?" in question
            assert "To: it-leads@example.com, ciso@example.com" in question
            assert "relay: SMTP 127.0.0.1" in question and "chat: webhook (json)" in question
            assert "page: status page in" in question and f"Subject: [{INCIDENT}]" in question
            assert WEBHOOK_TOKEN not in question
            await pilot.press("a", "b", "c")            # letters never send
            await settle(pilot)
            assert isinstance(app.screen, SendConfirmScreen) and not smtp_server.messages
            await pilot.press("f2")
            await settle(pilot)
            result = shown(pilot, "#communicate-result")
            assert "✓ relay (smtp): delivered: 250 2.0.0 Ok" in result
            assert "✓ chat (webhook): delivered: HTTP 200 OK" in result and "✓ page (statuspage)" in result
            assert app.screen.query_one("#communicate-result").region.bottom <= 24     # in view at 80x24
            assert message(pilot) == "Sent to stakeholder communications via relay, chat, page; the countdown " \
                                     "restarts."
            sent_text = app.screen.query_one("#communicate-text", TextArea).text
        [sent] = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
        assert sent.body["text"] == sent_text and len(smtp_server.messages) == 1 and len(http_receiver.requests) == 1
        assert warroom.book.incidents[INCIDENT].updates_sent == [sent.occurred]
    finally:
        await warroom.close()


async def test_esc_on_the_question_sends_nothing(tmp_path, http_receiver):
    warroom = await open_room(tmp_path, routing_config(tmp_path, None, http_receiver), environ_for(http_receiver))
    app = GuidedTestApp(warroom, "communicate")
    try:
        async with opened(app, (120, 40)) as pilot:
            await fill_placeholders(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, SendConfirmScreen) and message(pilot) == "Not sent."
        assert not http_receiver.requests
        assert not await warroom.journal.entries(kinds=[kinds.COMMS_REQUESTED, kinds.COMMS_SENT])
    finally:
        await warroom.close()


async def test_an_update_nobody_got_is_shown_failed_and_the_countdown_does_not_restart(tmp_path, http_receiver):
    http_receiver.script = [(500, {})] * 10
    config = ('[channels.chat]\nkind = "webhook"\nurl_env = "WARROOM_CHAT_WEBHOOK"\n'
              '[audiences.stakeholders]\nchannels = ["chat"]\n')
    warroom = await open_room(tmp_path, config, environ_for(http_receiver))
    app = GuidedTestApp(warroom, "communicate")
    try:
        async with opened(app, (80, 24)) as pilot:
            due_before = shown(pilot, "#communicate-due")
            await fill_placeholders(pilot)
            await pilot.press("f2")
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            result = shown(pilot, "#communicate-result")
            assert "✗ chat (webhook): FAILED after 3 attempts: HTTP 500" in result
            assert "no channel took it; the countdown does not restart" in message(pilot)
            assert shown(pilot, "#communicate-due").split(":")[0] == due_before.split(":")[0]
        assert warroom.book.incidents[INCIDENT].updates_sent == []
        assert list(warroom.book.channel_trouble) == ["chat"]
    finally:
        await warroom.close()


async def test_without_a_channel_it_says_how_to_send_by_hand(tmp_path):
    warroom = await open_room(tmp_path, "", {})
    app = GuidedTestApp(warroom, "communicate")
    try:
        async with opened(app, (120, 40)) as pilot:
            assert "Via: no channel for stakeholders" in shown(pilot, "#communicate-recipients")
            await fill_placeholders(pilot)
            await pilot.press("f2")
            await settle(pilot)
            assert message(pilot).startswith("No channel is configured for stakeholders: Copy (F3) or Save (F4)")
            await pilot.press("f8")
            await settle(pilot)
            assert message(pilot).startswith("Recorded as sent by hand")
        [sent] = await warroom.journal.entries(kinds=[kinds.COMMS_SENT])
        assert sent.body["channel"] == "by hand" and sent.body["subject"].startswith(f"[{INCIDENT}]")
    finally:
        await warroom.close()


async def test_a_failing_channel_is_named_on_the_status_bar_until_it_delivers_again(journal_path):
    from warroom.screens.app import WarroomApp
    from warroom.widgets.status import StatusBar

    from ..ui.scenes import drawn, fixed_clock, live_state, open_warroom

    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    incident = warroom.incident.id
    failed = {"audience": "stakeholders", "update_kind": "initial", "text": "t", "delivered": [], "failed": ["chat"],
              "results": {"chat": {"kind": "webhook", "ok": False, "attempts": 3, "detail": "HTTP 500"}}}
    await warroom.record(kinds.COMMS_SENT, failed, incident=incident, occurred_at=fixed_clock())
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await drawn(pilot)
        assert "chat failing since" in str(app.screen.query_one(StatusBar).render())
        ok = {**failed, "delivered": ["chat"], "failed": [],
              "results": {"chat": {"kind": "webhook", "ok": True, "attempts": 1, "detail": "HTTP 200 OK"}}}
        await warroom.record(kinds.COMMS_SENT, ok, incident=incident)
        app.screen.refresh_status()         # what the next second's tick does
        await pilot.pause()
        assert "failing" not in str(app.screen.query_one(StatusBar).render())
    await warroom.close()
