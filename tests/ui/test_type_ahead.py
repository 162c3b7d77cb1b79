"""Keys typed ahead: a paste or a slow SSH link can deliver several keys at once.

Each key is dispatched by the App before the previous one's handler has run, so a focus change made in a
handler is too late for the next key. Leaving the alert filter must move focus while the key is dispatched.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from warroom.screens.alert_detail import AlertDetailScreen
from warroom.widgets.alerts import AlertTable

from .scenes import build_app_async

SIZE = (160, 48)


async def test_enter_enter_arriving_together_leaves_the_filter_and_opens_the_alert(journal_path: Path) -> None:
    app = await build_app_async(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"inbox")
        await pilot.pause()
        assert app.screen.query_one(AlertTable).filter_text == "inbox"
        app.post_message(events.Key("enter", "\r"))      # both are queued before either is handled,
        app.post_message(events.Key("enter", "\r"))      # as when a terminal delivers them in one read
        for _ in range(20):
            await pilot.pause()
            if isinstance(app.screen, AlertDetailScreen):
                break
        assert isinstance(app.screen, AlertDetailScreen)
        assert "inbox" in app.screen.item.title.lower()
    await app.warroom.close()


async def test_escape_then_enter_together_clears_the_filter_and_opens_the_first_alert(journal_path: Path) -> None:
    app = await build_app_async(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("/", *"inbox")
        await pilot.pause()
        app.post_message(events.Key("escape", "\x1b"))
        app.post_message(events.Key("enter", "\r"))
        for _ in range(20):
            await pilot.pause()
            if isinstance(app.screen, AlertDetailScreen):
                break
        assert isinstance(app.screen, AlertDetailScreen)
        assert app.screen_stack[0].query_one(AlertTable).filter_text == ""
    await app.warroom.close()
