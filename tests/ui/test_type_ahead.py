"""Keys typed ahead: a paste or a slow SSH link can deliver several keys at once.

Each key is dispatched by the App before the previous one's handler has run, so a focus change made in a
handler is too late for the next key, and a key left to bubble is resolved against wherever the focus went since.
The dashboard's keys act as they are dispatched, in the order typed, each where the focus was when it was typed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from warroom.screens.alert_detail import AlertDetailScreen
from warroom.widgets.alerts import AlertTable

from ..waiting import until
from .scenes import build_app_async, drawn, typed_together

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



@pytest.mark.parametrize(("first", "done"), [
    ("s", lambda screen, table: table.sort_column == "status"),          # the alerts pane's key
    ("j", lambda screen, table: table.cursor == 1),                       # a list key
    ("t", lambda screen, table: screen.use_local),                        # a dashboard key
], ids=["alerts-sort", "list-down", "dashboard-zone"])
async def test_a_key_typed_together_with_the_filter_key_acts_where_it_was_typed(journal_path: Path, first, done):
    """`s/high` in one read: the `s` sorts the alerts (it was typed while they had focus), `/` opens the filter and
    the letters after it are the filter's; no key is lost to the focus change."""
    app = await build_app_async(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        screen, table = app.screen, app.screen.query_one(AlertTable)
        assert table.has_focus and table.sort_column == "severity" and table.cursor == 0 and not screen.use_local
        typed_together(app, f"{first}/high")
        await until(pilot, lambda: table.filter_text == "high" and screen.focused is screen.filter_box,
                    "the filter typed after /")
        assert done(screen, table), f"{first!r} was lost"      # it came before the letters, which have arrived
    await app.warroom.close()


async def test_a_cursor_move_and_enter_typed_together_open_the_row_moved_to(journal_path: Path) -> None:
    """`j` and Enter in one read open the second row: keys act in the order typed."""
    app = await build_app_async(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        table = app.screen.query_one(AlertTable)
        second = table.rows[1]
        app.post_message(events.Key("j", "j"))
        app.post_message(events.Key("enter", "\r"))
        await until(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "the alert's details")
        assert app.screen.item.id == second.id
    await app.warroom.close()
