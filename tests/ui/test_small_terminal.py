"""80x24 is a first-class size: the dashboard's answer is on one screen, nothing to scroll to.

A responder on a jump host reads, without scrolling: the incident (or that there is none) and when the next
update is due, what service health adds up to (how many workloads are not operational and the worst one), the
alerts with room for several rows, the tasks, and the status bar on one line. The pane a responder moves to
(`1`-`4`, Tab) opens in place; the others keep their one-line summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widget import Widget
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane
from warroom.widgets.status import StatusBar
from warroom.widgets.tasks import TaskList
from warroom.widgets.timeline import Timeline

from ..waiting import until
from .scenes import build_app_async, on_screen, screen_lines

SMALL = (80, 24)


def _panes(app) -> list[Widget]:
    screen = app.screen
    return [screen.query_one(kind) for kind in (IncidentBanner, HealthPane, TaskList, AlertTable, Timeline,
                                                StatusBar)]


def _whole_on_screen(app) -> None:
    """Every pane lies inside the screen, the middle needs no scrolling, and no two panes overlap."""
    screen = app.screen
    panes = screen.query_one("#panes")
    assert panes.max_scroll_y == 0, f"the panes need {panes.max_scroll_y} lines of scrolling"
    regions = [(type(pane).__name__, pane.region) for pane in _panes(app)]
    for name, region in regions:
        assert region.height >= 1 and screen.region.contains_region(region), f"{name} at {region} is off screen"
    for index, (name, region) in enumerate(regions):
        for other, there in regions[index + 1:]:
            assert not region.overlaps(there), f"{name} {region} overlaps {other} {there}"


@pytest.mark.parametrize(("kind", "incident"), [("degraded", True), ("healthy", False), ("hostile", True)])
async def test_at_80x24_the_dashboard_answers_without_scrolling(journal_path: Path, kind: str,
                                                               incident: bool) -> None:
    app = await build_app_async(journal_path, kind=kind, incident=incident)
    async with on_screen(app, SMALL) as pilot:
        _whole_on_screen(app)
        screen = app.screen
        text = "\n".join(screen_lines(app))
        assert screen.query_one(StatusBar).size.height == 1
        assert screen.query_one(AlertTable).content_region.height - 1 >= 6     # six alert rows under the header
        if incident:
            assert "INC-20261124-01" in text and "next update" in text
            assert screen.query_one(TaskList).content_region.height - 1 >= 3     # three tasks under the header
            assert "▸ Timeline  13:47:00 alice Do not fail over to the backup MX" in text      # the newest entry
        else:
            assert "No open incident" in text and "▸ Tasks  none: no open incident" in text
        if kind == "healthy":
            assert "all 5 operational" in text
        else:       # Exchange is degraded, Entra investigating: the worst is named, with its Microsoft issue
            assert re.search(r"▸ Health +▲ \d of \d not operational · worst: Exchange Online degraded EX226574", text)
        for _ in range(4):                # round every pane: each opens where it is, nothing scrolls
            await pilot.press("tab")
            await pilot.pause()
            _whole_on_screen(app)
            if app.focused.id == "tasks" and not incident:
                assert "▸ Tasks  none: no open incident" in "\n".join(screen_lines(app))   # nothing to open
            else:
                assert app.focused.content_region.height >= 3, f"{app.focused.id} did not open"


async def test_at_80x24_the_pane_jumped_to_opens_and_closes_to_its_summary(journal_path: Path) -> None:
    """`1` opens service health where its line was; the tasks fold to theirs meanwhile, so the alerts keep several
    rows. `4` opens the timeline and folds health back; `2` folds both and the tasks open again."""
    app = await build_app_async(journal_path, kind="degraded", incident=True)
    async with on_screen(app, SMALL) as pilot:
        screen = app.screen
        health, timeline = screen.query_one(HealthPane), screen.query_one(Timeline)
        tasks, alerts = screen.query_one(TaskList), screen.query_one(AlertTable)
        assert health.size.height == 1 and timeline.size.height == 1 and tasks.size.height > 1
        await pilot.press("1")
        await until(pilot, lambda: health.content_region.height >= 6 and tasks.size.height == 1,
                    "service health opened, the tasks folded")
        _whole_on_screen(app)
        lines = "\n".join(screen_lines(app))
        assert "OneDrive for Business" in lines                       # every workload, not only the worst
        assert "▸ Tasks  1/3 done · 1 blocked · next: T1 Confirm scope with Microsoft" in lines
        assert alerts.content_region.height - 1 >= 6
        await pilot.press("4")
        await until(pilot, lambda: health.size.height == 1 and timeline.content_region.height >= 5,
                    "the timeline opened and health folded back")
        _whole_on_screen(app)
        assert tasks.size.height == 1 and alerts.content_region.height - 1 >= 3
        await pilot.press("2")
        await until(pilot, lambda: timeline.size.height == 1 and tasks.content_region.height >= 4,
                    "the timeline folded back, the tasks open again")
        _whole_on_screen(app)


async def test_at_160x48_the_panes_stay_side_by_side_in_full(journal_path: Path) -> None:
    app = await build_app_async(journal_path, kind="degraded", incident=True)
    async with on_screen(app, (160, 48)):
        health, alerts = app.screen.query_one(HealthPane), app.screen.query_one(AlertTable)
        timeline = app.screen.query_one(Timeline)
        assert health.region.right <= alerts.region.x
        assert health.size.height > 10 and timeline.size.height > 10
        assert app.screen.query_one(StatusBar).size.height == 1
        _whole_on_screen(app)
