"""The review app: read-only by construction, filters, search, jumps, paging, what-we-knew-when, a broken chain."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from textual import events
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from warroom.console.actions import BY_ID, in_place, keys_of
from warroom.console.journal import Draft, kinds
from warroom.console.journal_reader import Filter, JournalReader
from warroom.screens.review import JournalBrowserApp, JournalBrowserScreen
from warroom.widgets.review_timeline import WINDOW, BrowserTimeline
from warroom.widgets.row_table import RowTable

from ..waiting import until
from .review_tools import HOSTILE, INCIDENT, at, digests, write

HOLD_OPEN = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("INSERT INTO meta(key, value) VALUES ('held', 'in the wal')")
print("ready", flush=True)
sys.stdin.read()
"""


def hold_open(journal: Path) -> subprocess.Popen:
    writer = subprocess.Popen([sys.executable, "-c", HOLD_OPEN, str(journal)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    return writer


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def gone_to(pilot, moment: str) -> None:
    """`g`, a time typed, Enter: the page around the first entry at or after it, shown."""
    await pilot.press("g", *moment, "enter")
    await settle(pilot)


async def pressed(pilot, key: str):
    """Press `key`, let what it started finish: the screen on top then."""
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen


def timeline(app: JournalBrowserApp) -> BrowserTimeline:
    return app.screen.query_one("#timeline", BrowserTimeline)


def bound_keys() -> list[str]:
    keys: set[str] = set()
    for cls in (JournalBrowserApp, JournalBrowserScreen, BrowserTimeline, RowTable, OptionList):
        for klass in cls.__mro__:
            for binding in klass.__dict__.get("BINDINGS", []):
                key = binding.key if isinstance(binding, Binding) else binding[0]
                keys.update(part.strip() for part in key.split(","))
    return sorted(keys)


def test_the_connection_cannot_write(journal: Path) -> None:
    before, listing = digests(journal), files_in(journal.parent)
    with JournalReader(journal) as reader:
        with pytest.raises(sqlite3.OperationalError):
            reader.conn.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
        assert reader.after(Filter(), 0, 5)
    assert digests(journal) == before and files_in(journal.parent) == listing


@pytest.mark.parametrize("live_writer", [False, True], ids=["closed-journal", "journal-with-wal"])
async def test_pressing_every_key_changes_no_byte(journal: Path, live_writer: bool) -> None:
    writer = None
    if live_writer:
        # Another process (not this one: SQLite shares one -shm mapping per process) holds the journal
        # open with a write in its WAL, as a running console does.
        writer = hold_open(journal)
        assert {"journal.db-wal", "journal.db-shm"} <= files_in(journal.parent)
    try:
        before, listing = digests(journal), files_in(journal.parent)
        keys = bound_keys()
        assert {"slash", "g", "b", "v", "home", "end", "q"} <= set(keys)
        app = JournalBrowserApp(journal)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            for number, key in enumerate(k for k in keys if k not in ("q", "ctrl+q", "ctrl+c")):
                await pilot.press("i" if number % 2 else "t", key)   # each key on the incidents and the timeline
                if app.screen.query("#query") and app.screen.query_one("#query", Input).display:
                    await pilot.press(*"mail", "enter")
                await pilot.press("escape")
            await settle(pilot)
            await pilot.press("q")
        assert digests(journal) == before
        assert files_in(journal.parent) == listing
    finally:
        if writer is not None:
            writer.stdin.close()
            writer.wait(timeout=30)


async def test_filter_search_and_incident(journal: Path) -> None:
    write(journal, [Draft(kinds.NOTE, {"text": "lunch order"}, None, "sam", at(5))])
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(timeline(app).window) == 22
        await pilot.press("slash", *"kind:action", "enter")
        await settle(pilot)
        assert [e.kind for e in timeline(app).window] == [kinds.ACTION]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("slash", *"mallory actor:sam", "enter")
        await settle(pilot)
        assert [e.seq for e in timeline(app).window] == [8, 9]
        await pilot.press("a", "i", "down", "enter")   # all entries, then the incident in the list
        await settle(pilot)
        assert {e.incident for e in timeline(app).window} == {INCIDENT}
        assert len(timeline(app).window) == 21


async def test_goto_a_time_and_what_we_knew_then(journal: Path) -> None:
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await gone_to(pilot, "2026-11-24T09:08Z")
        assert timeline(app).selected.seq == 7
        knowledge = str(app.screen.query_one("#knowledge", Static).render())
        assert "investigating" in knowledge and "serviceRestored" not in knowledge
        await gone_to(pilot, "2026-11-24T09:21Z")
        assert timeline(app).selected.seq == 12
        assert "serviceRestored" in str(app.screen.query_one("#knowledge", Static).render())


async def test_hostile_text_is_shown_literally(journal: Path) -> None:
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await gone_to(pilot, "2026-11-24T09:55Z")
        entry = app.screen.query_one("#entry", Static).render()
        assert "[bold]x[/bold]" in str(entry) and "<script>" in str(entry)
        assert "\x1b" not in str(entry) and HOSTILE not in str(entry)   # the escape sequence is gone


async def test_a_broken_chain_is_shown_where_it_breaks(journal: Path) -> None:
    conn = sqlite3.connect(journal, isolation_level=None)
    conn.execute("DROP TRIGGER entries_refuse_update")
    conn.execute("UPDATE entries SET body = replace(body, 'block_sign_in', 'no_action') WHERE seq = 8")
    conn.close()
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        banner = str(app.screen.query_one("#integrity", Static).render())
        assert "BROKEN at entry 8" in banner
        await pilot.press("b")
        await settle(pilot)
        assert timeline(app).selected.seq == 8
        assert "the chain breaks here" in str(app.screen.query_one("#entry", Static).render())


async def test_scrolling_pages_in_sql_and_keeps_a_window(tmp_path: Path) -> None:
    path = tmp_path / "big.db"
    write(path, [Draft(kinds.NOTE, {"text": f"note {n}"}, None, "alex", at(n)) for n in range(1, 1001)])
    app = JournalBrowserApp(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert len(timeline(app).window) == WINDOW
        while timeline(app).selected.seq < WINDOW:   # page down to the window's last row
            await pilot.press("pagedown")
        await pilot.press("down", "down")
        await settle(pilot)
        assert timeline(app).selected.seq == WINDOW + 2
        assert len(timeline(app).window) <= WINDOW
        await pilot.press("up", "up")
        assert timeline(app).selected.seq == WINDOW
        await pilot.press("end")
        await settle(pilot)
        assert timeline(app).selected.seq == 1000
        await pilot.press("end", "down")
        await settle(pilot)
        assert timeline(app).selected.seq == 1000
        await pilot.press("home", "up")
        await settle(pilot)
        assert timeline(app).selected.seq == 1


def timeline_text(app: JournalBrowserApp) -> list[str]:
    """The timeline as drawn: its header and the lines on screen."""
    table = timeline(app)
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_the_timeline_draws_imports_hostile_text_and_its_columns_by_width(journal: Path) -> None:
    write(journal, [Draft(kinds.NOTE, {"text": HOSTILE}, INCIDENT, "sam", at(70), origin="f" * 64)])
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)
        lines = timeline_text(app)
        assert lines[0].split()[:4] == ["#", "Occurred", "Disc.", "Logged"]
        imported = next(line for line in lines if line.startswith("⇲22 "))
        assert "<script>alert(1)</script> [bold]x[/bold]" in imported and "\x1b" not in imported
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert timeline_text(app)[0].split()[:4] == ["#", "Occurred", "Actor", "Kind"]   # offsets go below 90


async def test_a_click_selects_an_entry_and_a_double_click_reads_it(journal: Path) -> None:
    from warroom.screens.review_entry import EntryScreen

    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#timeline", offset=(10, 3))       # the header, then entries 1, 2, 3
        await settle(pilot)
        assert timeline(app).selected.seq == 3
        assert str(app.screen.query_one("#entry", Static).render()).startswith("#3 ")
        await pilot.double_click("#timeline", offset=(10, 4))
        await settle(pilot)
        assert isinstance(app.screen, EntryScreen)


# -- keys: the browser's actions are in the registry, so [ui.keys] remaps them ----------------------------------

BROWSER_ACTIONS = [action.id for place in ("review", "review_entry") for action in in_place(place)]


@pytest.mark.parametrize("action_id", BROWSER_ACTIONS)
async def test_each_browser_key_can_be_remapped(journal: Path, action_id: str) -> None:
    """The remapped key runs the action where it works (the browser, or an entry read in full); its default does
    not, and the help screen names the new key."""
    from warroom.screens.help import help_table
    from warroom.screens.review_entry import EntryScreen

    default = keys_of(BY_ID[action_id].key)
    app = JournalBrowserApp(journal, keys={action_id: "f9"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if action_id.startswith("review_entry."):
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, EntryScreen)
        bound = app.screen.active_bindings
        assert bound["f9"].binding.id == action_id
        assert all(key not in bound or bound[key].binding.id != action_id for key in default)
        console = Console(width=140, record=True, file=io.StringIO())
        console.print(help_table(app, ("review", "list", "review_entry")))
        rows = [line.split() for line in console.export_text().splitlines()]
        assert any(row[:1] == ["F9"] and BY_ID[action_id].title.split()[0] in row for row in rows), rows


async def test_remapped_browser_keys_read_and_close_and_are_named(journal: Path) -> None:
    from warroom.screens.review_entry import EntryScreen

    app = JournalBrowserApp(journal, keys={"review.read": "r", "review_entry.close": "x", "review.filter": "f",
                                           "review.goto": "ctrl+t", "review.close": "f10"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "f to filter or search, ctrl+t to go to a time" in str(app.screen.query_one("#scope").render())
        assert not isinstance(await pressed(pilot, "enter"), EntryScreen)      # the default key answers no more
        assert isinstance(await pressed(pilot, "r"), EntryScreen)
        assert str(app.screen.query_one("#entry-scroll").border_subtitle).endswith("· x close")
        assert isinstance(await pressed(pilot, "escape"), EntryScreen)
        assert isinstance(await pressed(pilot, "x"), JournalBrowserScreen)
        await pressed(pilot, "q")
        assert app.is_running
        await pressed(pilot, "f10")
        assert not app.is_running


async def test_the_browsers_help_lists_its_keys(journal: Path) -> None:
    from textual.containers import VerticalScroll
    from warroom.screens.help import HelpScreen

    from ..response.pilot_steps import shown

    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = shown(pilot, "#help-table")
        assert "Go to a time" in text and "Verify again" in text and "Read the entry" in text, text
        assert str(app.screen.query_one(VerticalScroll).border_title) == "Keys  (Esc to close)"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, JournalBrowserScreen)



async def test_enter_and_j_typed_together_read_the_entry_enter_was_pressed_on(journal: Path) -> None:
    """Enter and `j` in one read (fast typing over SSH): Enter reads the entry the cursor was on; `j` comes after it,
    so it neither moves the timeline first nor changes which entry is read. The browser's keys act in order."""
    from warroom.screens.review_entry import EntryScreen

    app = JournalBrowserApp(journal)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = timeline(app)
        assert entries.has_focus and entries.selected.seq == 1
        app.post_message(events.Key("enter", "\r"))
        app.post_message(events.Key("j", "j"))
        await until(pilot, lambda: isinstance(app.screen, EntryScreen), "the entry read")
        await settle(pilot)
        assert app.screen.title_text == "Entry #1" and entries.selected.seq == 1


async def test_t_and_j_typed_together_from_the_incident_list_move_in_the_timeline(journal: Path) -> None:
    """`t` and `j` in one read from the incident list: `t` goes back to the timeline and `j` moves it a row (it is
    not given to the incident list `t` left)."""
    app = JournalBrowserApp(journal)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        entries = timeline(app)
        await pilot.press("i")
        await until(pilot, lambda: app.screen.query_one("#incidents", OptionList).has_focus, "the incident list")
        assert entries.selected.seq == 1
        for key in "tj":
            app.post_message(events.Key(key, key))
        await until(pilot, lambda: entries.selected.seq == 2, "the timeline's second entry")
        assert entries.has_focus
