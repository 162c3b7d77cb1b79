"""The list cursor stays on its alert while the filter, the order or a poll changes the rows around it; when its
alert is no longer shown it goes to the top of what is, and the cursor is always on screen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.worker import WorkerState
from warroom.console.graph.tracked import Tracked
from warroom.widgets import alerts as alerts_module
from warroom.widgets.alerts import SORT_KEYS, AlertTable

from ..waiting import until
from .scenes import alert, build_app_async, on_screen, zebras_and_lions


@contextlib.asynccontextmanager
async def lions_and_zebras_focused(journal_path: Path, size) -> AsyncIterator[tuple[Any, Any, AlertTable]]:
    """The console at `size` with the 300 Zebra and Lion alerts (the live alerts tracked) and their pane focused."""
    app = await build_app_async(journal_path)
    live = app.warroom.live
    live.alerts = Tracked(live.alerts)
    async with on_screen(app, size) as pilot:
        table = await zebras_and_lions(app, pilot)
        await pilot.press("2")
        await until(pilot, lambda: table.has_focus, "the alerts pane focused")
        yield app, pilot, table


def cursor_on_screen(table: AlertTable) -> bool:
    top = int(table.scroll_offset.y)
    return top <= table.cursor < top + max(1, table.size.height - 1)


async def down_to(pilot, table: AlertTable, wanted) -> str:
    """Press Down until the cursor is on the first row `wanted` accepts past the tenth: its id."""
    while table.cursor < 10 or not wanted(table.selected):
        await pilot.press("down")
    return table.selected.id


async def type_filter(pilot, table: AlertTable, text: str) -> None:
    await pilot.press("slash", *text)
    await until(pilot, lambda: table.filter_text == text and str(table.border_subtitle).endswith(text),
                f"the rows chosen by {text!r}")
    await pilot.pause()


async def clear_filter(pilot, table: AlertTable) -> None:
    await pilot.press("escape")
    await until(pilot, lambda: table.filter_text == "" and len(table.rows) == len(table.all_rows), "every row")
    await pilot.press("2")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("in_turns", [False, True], ids=["at-once", "in-turns"])
async def test_the_cursor_keeps_its_alert_through_a_filter_or_goes_to_the_top(journal_path: Path, size, in_turns,
                                                                             monkeypatch) -> None:
    if in_turns:      # the pass a large list takes: over turns of the event loop
        monkeypatch.setattr(alerts_module, "FILTER_STEP", 50)
    async with lions_and_zebras_focused(journal_path, size) as (app, pilot, table):
        live = app.warroom.live

        # The highlighted alert is filtered out: the cursor goes to the first row shown, and the list to its top.
        lion = await down_to(pilot, table, lambda r: r.title.startswith("Lion"))
        await type_filter(pilot, table, "zebra")
        assert lion not in {r.id for r in table.rows}
        assert table.cursor == 0 and table.selected == table.rows[0]
        assert int(table.scroll_offset.y) == 0 and cursor_on_screen(table)

        # The highlighted alert is still shown: the cursor follows it to its new place, on screen.
        await clear_filter(pilot, table)
        zebra = await down_to(pilot, table, lambda r: r.title.startswith("Zebra") and table.cursor > 20)
        await type_filter(pilot, table, "zebra")
        assert table.selected is not None and table.selected.id == zebra
        assert table.cursor < 20 and cursor_on_screen(table)

        # Narrowed further, it stays on it; widened again, too.
        await pilot.press("space", *"rule")
        await until(pilot, lambda: str(table.border_subtitle).endswith("zebra rule"), "the narrower filter")
        assert table.selected.id == zebra and cursor_on_screen(table)
        await clear_filter(pilot, table)
        assert table.selected.id == zebra and cursor_on_screen(table)

        # A poll that moves it (it becomes the most severe and newest) and re-sorting keep the cursor on it too.
        number = int(zebra[2:])
        live.alerts[zebra] = alert(number, "high", 0.1, f"Zebra rule {number} now first")
        app.live_changed({"alerts"})
        await until(pilot, lambda: table.rows[0].id == zebra, "the changed alert first")
        assert table.cursor == 0 and table.selected.id == zebra and cursor_on_screen(table)
        await pilot.press("S")
        await until(pilot, lambda: table.sort_reverse, "the reversed order")
        assert table.selected.id == zebra and table.cursor == len(table.rows) - 1 and cursor_on_screen(table)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_sort_over_many_rows_takes_turns_and_a_newer_one_supersedes_it(journal_path: Path, size,
                                                                               monkeypatch) -> None:
    """`s` over many rows sorts a few at a time between turns of the event loop: the pane shows the order it had
    until the new one is ready; another `s` meanwhile supersedes it; an alert arriving meanwhile takes its place in
    the new order; the cursor stays on its alert."""
    monkeypatch.setattr(alerts_module, "SORT_STEP", 50)
    monkeypatch.setattr(alerts_module, "PASS_ROWS", 20)
    monkeypatch.setattr(alerts_module, "TURN", 0)       # a turn of the event loop after every 20 rows
    async with lions_and_zebras_focused(journal_path, size) as (app, pilot, table):
        live = app.warroom.live
        zebra = await down_to(pilot, table, lambda r: r.title.startswith("Zebra") and table.cursor > 20)
        before = list(table.rows)

        table.action_sort_next()                        # by status: superseded before it is done
        await asyncio.sleep(0)
        first = [worker for worker in table.workers if worker.group == "alert-sort"]
        assert len(first) == 1 and list(table.rows) == before
        assert str(table.border_subtitle).startswith("sort: severity")
        table.action_sort_next()                        # by title
        second = [worker for worker in table.workers if worker.group == "alert-sort" and worker is not first[0]]
        live.alerts["da009999"] = alert(9999, "medium", 1, "Aardvark arrived")
        app.live_changed({"alerts"})

        turns = 0
        while not str(table.border_subtitle).startswith("sort: title"):
            assert [r for r in table.rows if r.id != "da009999"] == before     # the severity order meanwhile
            assert second[0].state in (WorkerState.PENDING, WorkerState.RUNNING), "the sort ended unseen"
            await asyncio.sleep(0)
            turns += 1
        assert turns > 5 and first[0].state == WorkerState.CANCELLED
        rows = list(table.rows)
        assert rows == sorted(table.all_rows, key=SORT_KEYS["title"]) and rows[0].id == "da009999"
        assert table.header_cells()[3].plain == "Title ▼"
        assert table.selected is not None and table.selected.id == zebra
        await pilot.pause()
        assert cursor_on_screen(table)
