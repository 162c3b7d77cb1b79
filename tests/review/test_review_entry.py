"""Review shows a whole entry on demand: Enter on a timeline row opens it in full, scrollable, literal."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.journal import Draft, kinds
from warroom.screens.review import JournalBrowserApp
from warroom.screens.review_entry import EntryScreen

from .review_tools import INCIDENT, at, incident_drafts, write

WORDS = [f"word{n:04d}" for n in range(900)]      # far more than the entry pane's nine lines can hold


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.db"
    long_note = Draft(kinds.NOTE, {"text": " ".join(WORDS) + " [bold]x[/bold] \x1b]52;c;ZXZpbA==\x07end"},
                      INCIDENT, "bob", at(90))
    write(path, [*incident_drafts(), long_note])
    return path


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_enter_shows_the_whole_entry_and_it_scrolls(journal: Path, size) -> None:
    app = JournalBrowserApp(journal)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        assert "word0899" not in str(app.screen.query_one("#entry").render())     # the pane cuts it
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryScreen)
        shown = str(app.screen.query_one("#entry-full").render())
        assert all(word in shown for word in WORDS) and "[bold]x[/bold]" in shown
        assert "\x1b" not in shown and "\x07" not in shown     # the body's JSON shows them as \u001b, inert
        assert "occurred" in shown and "discovered" in shown and "logged" in shown
        scroll = app.screen.query_one("#entry-scroll")
        assert scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert scroll.scroll_y > 0
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, EntryScreen) and app.is_running
