"""Results where the eye is: each guided screen's outcome (done, refused, failed; request id, before and after) is
on screen after its F-key at 80x24 and 160x48, without scrolling; a notification repeats it; buttons are whole and
a long request URL breaks between path segments."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Static
from warroom.console.playbooks import PlaybookLibrary, declaration

from .harness import GuidedTestApp
from .pilot_steps import message, opened, settle, shown, type_into

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
SIZES = [(80, 24), (160, 48)]


def in_view(app, selector: str = "#message") -> bool:
    """The widget is drawn, whole, inside the terminal, and nothing covers it (not scrolled away)."""
    screen = app.screen
    widget = screen.query_one(selector)
    region = widget.region
    if region.height == 0 or region.bottom > app.size.height or region.right > app.size.width:
        return False
    found, _ = screen.get_widget_at(region.x, region.y)
    return found is widget or widget in found.ancestors


def notified(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _incident(warroom) -> None:
    await warroom.record_many(declaration(
        "INC-1", title="Mail down", category="service-outage", services=[], roles={"incident_commander": "ann"},
        library=PlaybookLibrary.load()))


@pytest.mark.parametrize("size", SIZES)
async def test_block_sign_in_result_with_request_id_and_before_after_is_in_view(room, size):
    _tenant, warroom = await room("compromised-account")
    await _incident(warroom)
    app = GuidedTestApp(warroom, "block_sign_in", upn=MEGAN)
    async with opened(app, size) as pilot:
        await type_into(pilot, "#contain-confirm", MEGAN)
        await pilot.press("f2")
        await settle(pilot)
        text = message(pilot)
        assert "request id" in text and "before: accountEnabled=True" in text and "after: accountEnabled=False" in text
        assert in_view(app) and any("Blocked" in m or "block" in m.lower() for m in notified(app))


@pytest.mark.parametrize("size", SIZES)
async def test_a_refusal_is_in_view_and_each_f2_answers(offline_room, size):
    await _incident(offline_room)
    app = GuidedTestApp(offline_room, "block_sign_in", upn=MEGAN)
    async with opened(app, size) as pilot:
        await type_into(pilot, "#contain-confirm", "someone.else@contoso.onmicrosoft.com")
        for presses in (1, 2):
            await pilot.press("f2")
            await settle(pilot)
            assert "Nothing was sent" in message(pilot) and in_view(app)
            assert len([m for m in notified(app) if "Nothing was sent" in m]) == presses


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("step, key, words", [
    ("assess", "f2", "Saved"),
    ("communicate", "f2", "Not sent: fill"),
    ("review", "f3", "No new answers to save"),
    ("close", "f2", "closing summary first"),
])
async def test_each_screens_main_result_is_in_view(offline_room, size, step, key, words):
    await _incident(offline_room)
    app = GuidedTestApp(offline_room, step)
    async with opened(app, size) as pilot:
        await pilot.press(key)
        await settle(pilot)
        assert words in message(pilot) and in_view(app)
        assert any(words in m for m in notified(app))


@pytest.mark.parametrize("size", SIZES)
async def test_a_declaration_refused_says_why_in_view(offline_room, size):
    app = GuidedTestApp(offline_room, "declare")
    async with opened(app, size) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        assert "title" in message(pilot) and in_view(app)


@pytest.mark.parametrize("step", ["declare", "assess", "contain", "communicate", "review", "close"])
async def test_buttons_are_whole_and_in_view_at_80x24(offline_room, step):
    await _incident(offline_room)
    app = GuidedTestApp(offline_room, step, upn=MEGAN)
    async with opened(app, (80, 24)):
        for button in app.screen.query(Button):
            assert button.region.width >= len(str(button.label)) + 2, f"clipped: {button.label}"
            assert in_view(app, f"#{button.id}"), button.label


async def test_the_revoke_url_breaks_between_path_segments_at_80_columns(room):
    _tenant, warroom = await room("compromised-account")
    await _incident(warroom)
    app = GuidedTestApp(warroom, "revoke_sessions", upn=MEGAN)
    async with opened(app, (80, 24)):
        preview = app.screen.query_one("#contain-preview", Static)
        lines = [strip.text.strip(" │") for strip in preview.render_lines(preview.region.reset_offset)]
        text = "\n".join(lines)
        assert "revokeSignInSessions" in text and "/v1.0/users" in text, text
        assert all(len(line) <= preview.content_region.width for line in lines[1:-1])


async def test_review_metrics_keep_each_value_whole_at_80_columns(offline_room):
    """A metric's name may wrap; its value ("not reached", "5 min") is never broken across lines."""
    await _incident(offline_room)
    app = GuidedTestApp(offline_room, "review")
    async with opened(app, (80, 24)) as pilot:
        lines = shown(pilot, "#close-metrics").splitlines()
        assert any("not reached" in line for line in lines), lines
        assert not any(line.strip() == "reached" or line.rstrip().endswith(" not") for line in lines), lines
