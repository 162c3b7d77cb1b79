"""An alert whose id and title hold a lone UTF-16 surrogate (.NET's JSON can carry one): the pane and the alert's
details show it as its escape (`\\udc00`), and what the terminal is sent is text UTF-8 can carry. The terminal
would otherwise be sent six characters where the layout counted one cell, pushing the row past the pane's border.

The alert is as the watcher keeps it (tests/graph/test_observation_bytes.py): its id the key it is journaled by,
the surrogate written as its escape; its title as Graph sent it.
"""

from __future__ import annotations

import pytest

from .scenes import alert, build_app_async, drawn, on_screen, screen_lines
from .test_hostile_walk import terminal_bytes

WIDE, NARROW = (160, 48), (80, 24)
KEY = "da\\udc00000009"          # the watcher's key for the id "da\udc00000009"
TITLE = "Lone \udc00 surrogate from Graph"


def add_lone_surrogate_alert(app) -> None:
    """The newest high alert: the pane's first row."""
    app.warroom.live.alerts[KEY] = alert(9, "high", 0.5, TITLE)._replace(id=KEY)


async def open_the_alert(pilot) -> None:
    await drawn(pilot)
    await pilot.press("2", "home", "enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
async def test_a_lone_surrogate_reaches_the_terminal_as_its_escape(ui_journal, size) -> None:
    app = await build_app_async(ui_journal)
    add_lone_surrogate_alert(app)
    async with on_screen(app, size) as pilot:
        terminal_bytes(app).encode("utf-8")             # raises for a lone surrogate
        assert any("Lone \\udc00 surrogate" in line for line in screen_lines(app))
        await open_the_alert(pilot)
        terminal_bytes(app).encode("utf-8")
        shown = "\n".join(screen_lines(app))
        assert "Lone \\udc00 surrogate from Graph" in shown and "da\\udc00000009" in shown, shown


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_lone_surrogate_alert_details(snap_compare, app_for, size) -> None:
    app = app_for()
    add_lone_surrogate_alert(app)
    assert snap_compare(app, terminal_size=size, run_before=open_the_alert)
