"""Readable at any width: the banner's severity and status, whole tasks, wrapped timeline entries that follow
the newest one whatever happens to the layout, and the Tasks pane's End key."""

from __future__ import annotations

import string
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from textual.widget import Widget
from warroom.console.journal import Draft, kinds
from warroom.screens.app import WarroomApp
from warroom.screens.task_detail import TaskDetailScreen
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.status import StatusBar
from warroom.widgets.tasks import TaskList
from warroom.widgets.timeline import Timeline, wrap_cells

from .scenes import NOW, fixed_clock, live_state, on_screen, open_warroom, pane_lines

INC = "INC-20261124-01"
LONG_TITLE = "Exchange Online mail flow outage affecting every mailbox in the EMEA and APAC regions since 06:00"
RECOVERY = ("SharePoint Online recovery: Restore the deleted site collection from the recycle bin within 93 days. "
            "Verify: the site opens for a member and its document libraries list the expected files")
NOTE = "Service desk reports forty tickets about outbound mail to partners; the queue keeps growing quickly"
W = TypeVar("W", bound=Widget)
SCROLLBAR = str.maketrans("", "", "▁▂▃▄▅▆▇█▔▕▏▎▍▌▋▊▉")      # a scrollbar's thumb, as drawn

pytestmark = pytest.mark.usefixtures("paris_time")


async def make_app(journal: Path, *, mode: str = "LIVE", drafts: list[Draft] = ()) -> WarroomApp:
    warroom = await open_warroom(journal, live=live_state("degraded"), incident=True, mode=mode)
    if drafts:
        await warroom.record_many(list(drafts))
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False)


async def focus_pane(pilot, key: str, pane: type[W]) -> W:
    """Press the pane's number key: the pane, focused."""
    await pilot.press(key)
    await pilot.pause()
    return pilot.app.screen.query_one(pane)


def banner_lines(app: WarroomApp) -> list[str]:
    return app.screen.query_one(IncidentBanner).render().plain.split("\n")


def timeline_text(timeline: Timeline) -> str:
    """What the timeline's visible lines show, joined (wrapped lines back into one text)."""
    return " ".join(" ".join(s.text for s in timeline.render_line(y)).strip() for y in range(timeline.size.height))


async def settle(pilot) -> None:
    """Journal listeners post their messages; the timeline scrolls after its refresh."""
    for _ in range(4):
        await pilot.pause()


# -- the banner ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [80, 120, 160])
@pytest.mark.parametrize("mode", ["LIVE", "DEMO"])
async def test_the_banner_shows_severity_and_status_first_and_cuts_the_title(journal_path: Path, width: int,
                                                                              mode: str) -> None:
    title = Draft(kinds.INCIDENT_STATUS, {"status": "mitigating"}, INC, "alice", NOW - timedelta(minutes=1))
    app = await make_app(journal_path, mode=mode, drafts=[title])
    app.warroom.book.incidents[INC].title = LONG_TITLE
    async with on_screen(app, (width, 30)):
        first = banner_lines(app)[0]
        assert INC in first and "SEV2" in first and "mitigating" in first, first
        assert first.index("SEV2") < first.index("mitigating") < first.index("Exchange")
        assert len(first) <= width


# -- tasks --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_enter_on_a_task_shows_all_of_it(journal_path: Path, size) -> None:
    drafts = [Draft(kinds.TASK_ADDED, {"task_id": "T4", "text": RECOVERY, "role": "service_owner",
                                       "playbook": "sharepoint-online", "step": "recovery:recycle-bin",
                                       "check": {"type": "service_restored", "service": "Exchange Online"}},
                    INC, "alice", NOW - timedelta(minutes=5)),
              Draft(kinds.TASK_UPDATED, {"task_id": "T4", "owner": "dave", "status": "blocked",
                                         "blockers": "waiting for the site owner to confirm which version"},
                    INC, "carol", NOW - timedelta(minutes=2))]
    app = await make_app(journal_path, drafts=drafts)
    async with on_screen(app, size) as pilot:
        tasks = await focus_pane(pilot, "3", TaskList)
        tasks.move_cursor(row=[t.id for t in tasks.tasks].index("T4"))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskDetailScreen)
        body = str(app.screen.query_one("#task-detail-body").render())
        shown = " ".join(body.split())
        assert "Restore the deleted site collection from the recycle bin within 93 days" in shown
        assert "Verify the site opens for a member and its document libraries list the expected files" in shown
        assert "dave (role: Service owner)" in shown
        assert "waiting for the site owner to confirm which version" in shown
        assert "service restored (Exchange Online): not met" in shown
        assert "Added" in shown and "Updated" in shown and "2026-11-24" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TaskDetailScreen) and app.screen.query_one(TaskList).has_focus


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_end_in_the_tasks_pane_keeps_the_tasks_on_screen(journal_path: Path, size) -> None:
    drafts = [Draft(kinds.TASK_ADDED, {"task_id": f"T{n}", "text": f"Recovery step number {n}"}, INC, "alice",
                    NOW - timedelta(minutes=30 - n)) for n in range(4, 16)]
    app = await make_app(journal_path, drafts=drafts)
    async with on_screen(app, size) as pilot:
        tasks = await focus_pane(pilot, "3", TaskList)
        await pilot.press("end")
        await pilot.pause()
        assert tasks.cursor_row == len(tasks.tasks) - 1
        lines = [" ".join(s.text for s in tasks.render_line(y)).strip() for y in range(tasks.size.height)]
        assert any("T15" in line for line in lines), lines
        assert tasks.scroll_offset.y <= tasks.max_scroll_y


# -- the timeline -------------------------------------------------------------------------------------------


def test_wrap_cells_keeps_every_word_and_cuts_long_ones() -> None:
    assert wrap_cells("one two three", 7, 5) == ["one two", "three"]
    assert wrap_cells("x" * 12, 5, 5) == ["xxxxx", "xxxxx", "xx"]
    assert wrap_cells("漢字漢字", 4, 4) == ["漢字", "漢字"]
    assert len(wrap_cells("word " * 1000, 10, 10)) == 40


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_a_long_note_is_readable_at_every_width(journal_path: Path, size) -> None:
    drafts = [Draft(kinds.NOTE, {"text": NOTE}, INC, "bob", NOW - timedelta(minutes=1))]
    app = await make_app(journal_path, drafts=drafts)
    async with on_screen(app, size) as pilot:
        timeline = await focus_pane(pilot, "4", Timeline)
        shown = " ".join(timeline_text(timeline).split())
        assert NOTE in shown, shown


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_long_word_wraps_beside_the_timelines_scrollbar_not_under_it(journal_path: Path, size) -> None:
    """Enough entries for a scrollbar, then one long word (a URL, a hash): every character of it is on screen, the
    lines cut beside the scrollbar."""
    word = (string.digits + string.ascii_letters) * 2
    drafts = [*(Draft(kinds.NOTE, {"text": f"filler {n:02d}"}, INC, "bob", NOW - timedelta(minutes=40 - n))
                for n in range(30)),
              Draft(kinds.NOTE, {"text": word}, INC, "bob", NOW - timedelta(minutes=1))]
    app = await make_app(journal_path, drafts=drafts)
    async with on_screen(app, size) as pilot:
        timeline = await focus_pane(pilot, "4", Timeline)
        await settle(pilot)
        assert timeline.show_vertical_scrollbar
        drawn = "".join(pane_lines(app, timeline))
        assert word in "".join(drawn.translate(SCROLLBAR).split()), drawn


async def test_the_timeline_follows_the_newest_entry_through_layout_changes(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with on_screen(app, (120, 40)) as pilot:
        timeline = app.screen.query_one(Timeline)
        room = app.warroom

        async def note(text: str) -> None:
            await room.record(kinds.NOTE, {"text": text}, incident=INC)
            await settle(pilot)

        for n in range(12):
            await note(f"filler note {n:02d} to fill the pane")
        assert timeline.max_scroll_y > 0 and timeline.is_vertical_scroll_end
        # The status bar takes two lines: the timeline is shorter, and still shows the newest entry.
        status = app.screen.query_one(StatusBar)
        height = timeline.size.height
        status.styles.max_height, status.styles.height = 10, 8     # any layout change: the bar grows
        await settle(pilot)
        assert timeline.size.height < height and timeline.is_vertical_scroll_end
        # A declaration writes thirty entries at once: the newest is on screen.
        await room.record_many([Draft(kinds.NOTE, {"text": f"batch entry {n:02d}"}, INC) for n in range(30)])
        await settle(pilot)
        assert "batch entry 29" in timeline_text(timeline)
        # Scrolled up to read: new entries do not pull the view away...
        timeline.focus()
        await pilot.press("pageup")
        await pilot.pause()
        top = timeline.scroll_offset.y
        await note("arrives while reading")
        status.styles.height = 2
        await settle(pilot)
        assert timeline.scroll_offset.y == top and "arrives while reading" not in timeline_text(timeline)
        # ...and End follows again.
        await pilot.press("end")
        await pilot.pause()
        await note("the newest")
        assert "the newest" in timeline_text(timeline)
