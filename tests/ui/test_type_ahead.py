"""Keys typed ahead: a paste or a slow SSH link can deliver several keys at once.

Textual takes the next key before the last one's handler has run: a focus change or a screen it opens would be too
late for the next key, and a key left to bubble would be resolved against wherever the focus went since. The App
hands keys over one at a time, each once the last has settled (widgets/typed.py): they act in the order typed, each
where the focus was when it was typed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.command import CommandPalette
from textual.widgets import Input
from warroom.console.journal import kinds
from warroom.screens.alert_detail import AlertDetailScreen
from warroom.screens.quit import QuitScreen
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


async def test_q_typed_right_after_enter_in_the_note_prompt_saves_the_note_then_asks_to_quit(journal_path: Path):
    """`:`, a note, Enter and `q` in one read, an incident open: Enter saves the note as typed and closes the prompt,
    then `q` acts as on the dashboard: it asks before quitting (never typed into the note, never lost)."""
    app = await build_app_async(journal_path, incident=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await drawn(pilot)
        typed_together(app, ":mail flow back\rq")
        await until(pilot, lambda: isinstance(app.screen, QuitScreen), "the quit question")
        notes = [entry.body for entry in await app.warroom.journal.entries(kinds=[kinds.NOTE])]
        assert notes[-1] == {"text": "mail flow back"}
        assert app.is_running and app.return_code is None
    await app.warroom.close()


async def test_tab_typed_together_with_the_filter_key_moves_the_focus_before_it(journal_path: Path) -> None:
    """Tab, `/` and a filter in one read: Tab moves to the next pane, then `/` opens the filter and the letters are
    its; Tab acting late would take the focus out of the box."""
    app = await build_app_async(journal_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await drawn(pilot)
        screen, table = app.screen, app.screen.query_one(AlertTable)
        assert table.has_focus
        typed_together(app, "\t/high")
        await until(pilot, lambda: table.filter_text == "high", "the filter typed after /")
        await pilot.pause()
        assert app.focused is screen.filter_box, f"the focus went on to {app.focused}"
    await app.warroom.close()


async def test_letters_typed_together_with_the_palette_key_are_the_palettes(journal_path: Path) -> None:
    """ctrl+p and `sort` in one read: the command palette opens and the letters are its search; none acts on the
    dashboard (`s` would sort the alerts, `t` switch the time zone)."""
    app = await build_app_async(journal_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await drawn(pilot)
        screen, table = app.screen, app.screen.query_one(AlertTable)
        typed_together(app, "\x10sort")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command palette")
        search = app.screen.query_one(Input)
        await until(pilot, lambda: search.value == "sort", "the letters in the palette's search")
        assert table.sort_column == "severity" and not screen.use_local
    await app.warroom.close()


async def test_a_backspace_typed_among_letters_deletes_the_letter_before_it(journal_path: Path) -> None:
    """`/ab⌫cd` in one read: the box reads "acd". Backspace is the box's binding, resolved once it has bubbled up to
    the App; the letters after it are inserted by the box itself, so they must wait for it (else "abc")."""
    app = await build_app_async(journal_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await drawn(pilot)
        table = app.screen.query_one(AlertTable)
        typed_together(app, "/ab\x7fcd")
        await until(pilot, lambda: app.screen.filter_box.value in ("acd", "abc"), "the letters in the filter box")
        assert app.screen.filter_box.value == "acd"
        await until(pilot, lambda: table.filter_text == "acd", "the alerts filtered")
    await app.warroom.close()
