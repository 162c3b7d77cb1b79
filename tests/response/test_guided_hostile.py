"""Hostile text on the guided screens: alert titles, incident titles, UPNs and error messages are the tenant's
(or the journal's) words. They are shown cleaned and as plain text: literal brackets, no escape codes, no crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static, TextArea
from warroom.console.config import load_config
from warroom.console.journal import JournalError
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.session import WarRoom
from warroom.console.timefmt import utc_now

from .harness import GuidedTestApp
from .pilot_steps import choose, message, opened, settle, type_into

HOSTILE = "[bold red]x[/] \x1b[2J\x1b]52;c;ZXZpbA==\x07 \u202e" + "A" * 10000
SHOWN = "[bold red]x[/]"          # what a responder must see: the brackets, as typed by the attacker
MALLORY = "mallory[/]@evil.example"


def screen_text(app: GuidedTestApp) -> str:
    """Everything the screen's Static widgets (headings, message line, previews) render, as plain text."""
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


def assert_inert(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "ZXZpbA==" not in text     # the OSC 52 payload went with its sequence


async def _declare(warroom: WarRoom, title: str) -> None:
    drafts = declaration(warroom.book.new_id(utc_now()), title=title, category="security-incident", services=[],
                         roles={"incident_commander": "ann"}, library=PlaybookLibrary.load())
    await warroom.record_many(drafts)


async def test_declare_from_an_alert_with_a_hostile_title(room):
    _tenant, warroom = await room("compromised-account")
    alert = next(iter(warroom.live.alerts.values()))
    warroom.live.alerts[alert.id] = alert._replace(title=HOSTILE)
    app = GuidedTestApp(warroom, "declare", alert_id=alert.id)
    async with opened(app, (120, 60)) as pilot:
        source = str(app.screen.query_one("#declare-source").render())
        assert SHOWN in source and len(source) < 400
        assert_inert(screen_text(app))
        title = app.screen.query_one("#declare-title", Input).value
        assert title.startswith(SHOWN) and len(title) <= 160
        assert_inert(title)
        await pilot.press("f2")
        await settle(pilot)
    assert app.results and warroom.incident is not None and warroom.incident.title.startswith(SHOWN)


@pytest.mark.parametrize("step", ["assess", "contain", "communicate", "review", "close"])
async def test_headings_show_a_hostile_incident_title_literally(offline_room, step):
    await _declare(offline_room, HOSTILE)
    app = GuidedTestApp(offline_room, step)
    async with opened(app, (120, 60)):
        heading = str(app.screen.query_one(".heading").render())
        assert SHOWN in heading and len(heading) < 250
        assert_inert(screen_text(app))
        assert app.is_running


async def test_a_upn_with_markup_is_shown_and_named_in_errors(room):
    _tenant, warroom = await room("compromised-account")
    await _declare(warroom, "Mallory")
    app = GuidedTestApp(warroom, "contain", upn=MALLORY)
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#contain-confirm", "someone@else")
        await pilot.press("f2")
        await settle(pilot)
        assert f"Type the UPN exactly ({MALLORY})" in message(pilot)
        await type_into(pilot, "#contain-confirm", MALLORY)
        await pilot.press("f2")
        await settle(pilot)
        assert message(pilot).startswith("Failed (HTTP 400")      # the tenant rejects the path; said, not fatal
        assert f"Block sign-in {MALLORY}: failed" in str(app.screen.query_one("#contain-log").render())
        await choose(pilot, "#contain-action", "enhanced_monitoring")
        assert f"Adds {MALLORY} and IP" in str(app.screen.query_one("#contain-preview").render())
        assert app.is_running


async def test_a_playbook_error_keeps_its_table_name(tmp_path: Path):
    folder = tmp_path / "playbooks"
    folder.mkdir()
    (folder / "broken.toml").write_text('[[steps]]\nid = "a"\n', encoding="utf-8")
    config = load_config(overrides={"journal": str(tmp_path / "j.db"), "playbooks.folder": str(folder)})
    warroom = await WarRoom.open(config, mode="OFFLINE")
    try:
        app = GuidedTestApp(warroom, "declare")
        async with opened(app, (120, 60)) as pilot:
            assert "missing the [playbook] table" in message(pilot)
            await pilot.press("f2")             # the broken file is skipped: declaring is not blocked by it
            await settle(pilot)
            assert message(pilot) == "give the incident a title"
    finally:
        await warroom.close()


async def test_a_secret_in_a_copied_message_is_refused_by_the_journal_not_fatal(offline_room):
    await _declare(offline_room, "Reset the service account")
    app = GuidedTestApp(offline_room, "communicate")
    async with opened(app, (120, 50)) as pilot:
        app.screen.query_one("#communicate-text", TextArea).text = "New credentials: password=Summer2026!"
        await pilot.press("f3")
        await settle(pilot)
        assert app.is_running and app.copied
        assert "Copied, but not journaled" in message(pilot) and "refused" in message(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert app.is_running and "Not recorded" in message(pilot)


async def test_a_journal_failure_while_the_close_screen_loads_is_said_not_fatal(offline_room, monkeypatch):
    await _declare(offline_room, "Mail down")

    async def broken(*args, **kwargs):
        raise JournalError("disk I/O error")

    monkeypatch.setattr(offline_room.journal, "entries", broken)
    app = GuidedTestApp(offline_room, "close")
    async with opened(app, (120, 60)) as pilot:
        assert app.is_running
        assert "Journal not read: disk I/O error" in message(pilot)
        assert app.screen.query_one("#review-lessons_learned", Input)   # the checklist is still there


async def test_a_follow_up_the_journal_refuses_is_not_listed_as_added(offline_room):
    await _declare(offline_room, "Mail down")
    app = GuidedTestApp(offline_room, "close")
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#follow-text", "Rotate password=Summer2026!")
        await type_into(pilot, "#follow-owner", "dave")
        await type_into(pilot, "#follow-due", "2026-12-31")
        await pilot.press("f4")
        await settle(pilot)
        assert app.is_running and "Not saved" in message(pilot)
        assert str(app.screen.query_one("#close-follow-ups").render()) == "none yet"
