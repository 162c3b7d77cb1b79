"""No single key ends the war room with an incident open, and on guided screens letters are text, never actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, SelectionList, Static
from warroom.console.subject import NOTHING, resolve
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.guided import GuidedScreen
from warroom.screens.quit import QuitScreen
from warroom.screens.steps import STEPS
from warroom.screens.task_done import TaskDoneScreen
from warroom.widgets.tasks import TaskList

from ..waiting import until
from .scenes import build_app_async, on_screen, settle

SIZE = (120, 40)
SENTENCE = "Required: quarantine q y n 4!"
STRAY = "q yn4x"        # what acts elsewhere: quit, Space, the questions' answers, a pane, a task tick


async def _type(pilot, text: str) -> None:
    """As a fast typist does: every key sent before the screen is waited on."""
    await pilot.press(*("space" if char == " " else char for char in text))


@pytest.mark.parametrize("answer, quits", [("n", False), ("escape", False), ("y", True), ("enter", True)])
async def test_q_with_an_incident_open_asks_naming_it(journal_path: Path, answer: str, quits: bool) -> None:
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        dashboard = app.screen
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen) and app.return_code is None
        assert "INC-20261124-01" in str(app.screen.query_one("#quit-body", Static).render())
        await pilot.press(answer)
        await pilot.pause()
        if quits:
            assert app.return_code == 0
        else:
            assert app.screen is dashboard and app.return_code is None


async def test_q_then_any_other_character_stays(journal_path: Path) -> None:
    """The q of a word typed on the dashboard ("quickly") is a stray: the next letter answers no, never yes."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        dashboard = app.screen
        await pilot.press("q", "u")
        await pilot.pause()
        assert app.screen is dashboard and app.return_code is None


async def _task_updates(app: WarroomApp) -> list[dict]:
    return [e.body for e in await app.warroom.journal.entries(kinds=["task.updated"])]


async def test_a_task_is_marked_done_only_when_the_question_naming_it_is_answered(journal_path: Path) -> None:
    """Space (typed between words) does nothing on the Tasks pane; x asks, naming the task; any answer but y or
    Enter leaves it; a done task asks to be opened again."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        await pilot.press("3", "home")
        await pilot.pause()
        before = await _task_updates(app)
        await pilot.press("space", "space", "space")
        await settle(pilot)
        assert await _task_updates(app) == before and not app.warroom.incident.tasks["T1"].done
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, TaskDoneScreen)
        asked = str(app.screen.query_one("#task-done-body", Static).render())
        assert "Confirm scope with Microsoft (EX226574)" in asked
        assert "Mark T1 done?" in str(app.screen.query_one(".heading", Static).render())
        await pilot.press("u")                  # a stray: the next letter of a word
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen) and await _task_updates(app) == before
        await pilot.press("x", "escape")
        await settle(pilot)
        assert await _task_updates(app) == before
        await pilot.press("x", "y")
        await settle(pilot)
        assert await _task_updates(app) == [*before, {"task_id": "T1", "status": "done"}]
        assert app.warroom.incident.tasks["T1"].done and app.screen.query_one(TaskList).has_focus
        await pilot.press("x")
        await pilot.pause()
        assert "Open T1 again?" in str(app.screen.query_one(".heading", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert not app.warroom.incident.tasks["T1"].done


async def test_q_without_an_incident_quits_at_once(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=False)
    async with on_screen(app, SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0


# The first field each guided screen focuses, opened on an alert that names an account (on nothing: the UPN field):
# the first one a responder types into (Declare's category and Contain's account are chosen from the subject).
FIRST = {"declare": "declare-title", "assess": "factor-service_scope", "contain": "contain-confirm",
         "block_sign_in": "contain-confirm", "revoke_sessions": "contain-confirm",
         "preserve_evidence": "contain-confirm", "communicate": "communicate-kind", "review": "review-timeline",
         "close": "review-timeline", "investigate": "investigate-upn", "hunt": "hunt-kql",
         "defender": "defender-status", "recovery": "recovery-options", "support_case": "case-number"}
ON_NOTHING = {"contain": "contain-upn", "block_sign_in": "contain-upn", "investigate": "investigate-upn",
              "declare": "declare-title", "hunt": "hunt-kql"}


def _in_view(app, widget) -> bool:
    region = widget.region
    return region.height > 0 and region.bottom <= app.size.height and region.right <= app.size.width


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("step, subject", [*((step, "alert") for step in STEPS),
                                           *((step, "nothing") for step in ON_NOTHING)])
async def test_each_guided_screen_focuses_its_first_field_in_view(journal_path: Path, step: str, subject: str,
                                                                   size) -> None:
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, size) as pilot:
        app.open_guided(step, resolve(app.warroom.live, "alert", "da000001") if subject == "alert" else NOTHING)
        await settle(pilot)
        focused = app.screen.focused
        want = FIRST[step] if subject == "alert" else ON_NOTHING[step]
        assert focused is not None and focused.id == want, focused
        assert _in_view(app, focused)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("step", STEPS)
async def test_a_sentence_typed_on_a_guided_screen_never_quits_or_acts(journal_path: Path, step: str, size) -> None:
    """Typed into the first field, the next one and (Shift+Tab round the end) the last two, the buttons: letters,
    digits and Space are text or nothing: no quit, no button pressed, no box ticked, nothing journaled."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, size) as pilot:
        app.open_guided(step, resolve(app.warroom.live, "alert", "da000001"))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GuidedScreen)
        entries = (await app.warroom.journal.head())[0]
        ticks = {box.id: box.value for box in screen.query(Checkbox)}
        services = [sorted(s.selected) for s in screen.query(SelectionList)]
        await _type(pilot, SENTENCE)
        for moves in (("tab",), ("shift+tab", "shift+tab"), ("shift+tab",)):
            await pilot.press(*moves)
            await _type(pilot, STRAY)
        await settle(pilot)
        assert app.return_code is None and app.screen is screen
        assert (await app.warroom.journal.head())[0] == entries
        assert {box.id: box.value for box in screen.query(Checkbox)} == ticks
        assert [sorted(s.selected) for s in screen.query(SelectionList)] == services
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


@pytest.mark.parametrize("keys, after_q", [
    ((), "asks"),                                       # the dashboard
    (("question_mark",), "closes"),                     # the keys list: q closes it, as Esc does
    (("2", "home", "enter"), "closes"),                 # an alert's details
    (("1", "home", "enter"), "closes"),                 # a Microsoft issue's details
    (("i",), "closes"),                                 # the message center
    (("H",), "closes"),                                 # the hand-off page
    (("3", "home", "enter"), "closes"),                 # a task in full: a reading card, like the details
    (("3", "home", "x"), "closes"),                     # the task question: q is a stray, the task is left
    (("colon",), "types"),                              # the note prompt: q is a letter of the note
])
async def test_q_with_an_incident_open_never_quits_from_any_screen(journal_path: Path, keys, after_q: str) -> None:
    """From every screen the dashboard opens, q closes that screen, is text, or asks naming the incident: it
    never ends the war room by itself."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
            # the hand-off page is read from the journal in a worker
            await until(pilot, lambda: not isinstance(app.screen, DashboardScreen), f"a screen opened by {keys}")
        opened = app.screen
        assert keys == () or not isinstance(opened, DashboardScreen), keys
        await pilot.press("q")
        await settle(pilot)
        assert app.return_code is None
        if after_q == "asks":
            assert isinstance(app.screen, QuitScreen)
            await pilot.press("n")
            await settle(pilot)
            assert app.screen is opened
        elif after_q == "closes":
            assert isinstance(app.screen, DashboardScreen)
        else:
            assert app.screen is opened and opened.query_one("Input").value == "q"
        assert (await _task_updates(app)) == [{"task_id": "T2", "status": "done"},
                                              {"task_id": "T3", "status": "blocked", "blockers": "no VPN to DC2"}]
