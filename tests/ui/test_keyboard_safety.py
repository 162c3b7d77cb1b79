"""No single key ends the war room with an incident open, and on guided screens letters are text, never actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, SelectionList, Static
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.guided import GuidedScreen
from warroom.screens.quit import QuitScreen

from .scenes import drawn, fixed_clock, live_state, open_warroom

SIZE = (120, 40)
SENTENCE = "Required: quarantine q y n 4!"
STEPS = ("declare", "assess", "contain", "block_sign_in", "preserve_evidence", "communicate", "review", "close")


async def _app(journal: Path, *, incident: bool) -> WarroomApp:
    warroom = await open_warroom(journal, live=live_state("degraded"), incident=incident)
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False)


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _type(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


@pytest.mark.parametrize("answer, quits", [("n", False), ("escape", False), ("y", True), ("enter", True)])
async def test_q_with_an_incident_open_asks_naming_it(journal_path: Path, answer: str, quits: bool) -> None:
    app = await _app(journal_path, incident=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            dashboard = app.screen
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, QuitScreen) and app.return_code is None
            assert "INC-20261124-01" in str(app.screen.query_one("#quit-incident", Static).render())
            await pilot.press(answer)
            await pilot.pause()
            if quits:
                assert app.return_code == 0
            else:
                assert app.screen is dashboard and app.return_code is None
    finally:
        await app.warroom.close()


async def test_q_without_an_incident_quits_at_once(journal_path: Path) -> None:
    app = await _app(journal_path, incident=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            await pilot.press("q")
            await pilot.pause()
            assert app.return_code == 0
    finally:
        await app.warroom.close()


@pytest.mark.parametrize("step", STEPS)
async def test_a_sentence_typed_on_a_guided_screen_never_quits_or_acts(journal_path: Path, step: str) -> None:
    """Typed into every place focus can be (the first field, then each Tab stop), letters and Space are text or
    nothing: no quit, no button pressed, no box ticked, nothing journaled."""
    app = await _app(journal_path, incident=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            app.open_guided(step)
            await _settle(pilot)
            screen = app.screen
            assert isinstance(screen, GuidedScreen)
            assert screen.focused is not None, "a guided screen opens with its first field focused"
            entries = (await app.warroom.journal.head())[0]
            ticks = {box.id: box.value for box in screen.query(Checkbox)}
            services = [sorted(s.selected) for s in screen.query(SelectionList)]
            for _ in range(8):
                await _type(pilot, SENTENCE)
                await pilot.press("tab")
            await _settle(pilot)
            assert app.return_code is None and app.screen is screen
            assert (await app.warroom.journal.head())[0] == entries
            assert {box.id: box.value for box in screen.query(Checkbox)} == ticks
            assert [sorted(s.selected) for s in screen.query(SelectionList)] == services
            await pilot.press("escape")
            await _settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
    finally:
        await app.warroom.close()
