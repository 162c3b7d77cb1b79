"""One declaration per action: bindings, palette, help, footers, buttons and hints all name the key in force."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button
from textual.widgets._footer import FooterKey
from warroom.console.actions import ACTIONS
from warroom.screens.alert_detail import AlertDetailScreen
from warroom.screens.app import WarroomApp
from warroom.screens.assess import AssessScreen
from warroom.screens.close import CloseScreen
from warroom.screens.communicate import CommunicateScreen
from warroom.screens.contain import ContainScreen
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.declare import DeclareIncidentScreen
from warroom.screens.defender import DefenderScreen
from warroom.screens.detail import DetailScreen
from warroom.screens.guided import GuidedScreen
from warroom.screens.handoff import HandoffScreen
from warroom.screens.help import HelpScreen, help_table
from warroom.screens.hunt import HuntScreen
from warroom.screens.investigate import InvestigateScreen
from warroom.screens.messages import MessageCenterScreen
from warroom.screens.prompt import PromptScreen
from warroom.screens.quit import QuitScreen
from warroom.screens.send_confirm import SendConfirmScreen
from warroom.screens.sign_in import SignInScreen
from warroom.screens.task_done import TaskDoneScreen
from warroom.widgets.actions import palette_entries
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane
from warroom.widgets.tasks import TaskList
from warroom.widgets.timeline import Timeline

from .scenes import drawn, fixed_clock, live_state, open_warroom

SIZE = (160, 48)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
HANDLERS = {
    "app": WarroomApp, "dashboard": DashboardScreen, "alerts": AlertTable, "health": HealthPane,
    "tasks": TaskList, "guided": GuidedScreen, "declare": DeclareIncidentScreen, "assess": AssessScreen,
    "contain": ContainScreen, "communicate": CommunicateScreen, "close": CloseScreen, "detail": DetailScreen,
    "alert_detail": AlertDetailScreen, "sign_in": SignInScreen, "prompt": PromptScreen, "help": HelpScreen,
    "send_confirm": SendConfirmScreen,
    "handoff": HandoffScreen, "messages": MessageCenterScreen,
    "quit_dialog": QuitScreen, "task_dialog": TaskDoneScreen,
    "investigate": InvestigateScreen, "hunt": HuntScreen, "defender": DefenderScreen,
}
REMAP = {"dashboard.declare": "D", "dashboard.note": "N", "dashboard.sign_in": "f9", "contain.execute": "f7",
         "guided.back": "f10", "dashboard.block_sign_in": "ctrl+b"}


def test_every_action_has_a_handler_where_it_is_bound() -> None:
    for action in ACTIONS:
        owner = DashboardScreen if action.run.startswith("screen.") else HANDLERS[action.place]
        name = action.run.removeprefix("screen.").split("(")[0]
        assert callable(getattr(owner, f"action_{name}", None)), action.id


async def _app(journal: Path, *, incident: bool, keys: dict[str, str] | None = None) -> WarroomApp:
    warroom = await open_warroom(journal, live=live_state("degraded"), incident=incident,
                                 extra={"ui.keys": keys or {}})
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False)


def footer_keys(app) -> dict[str, str]:
    return {key.description: key.key_display for key in app.screen.query(FooterKey)}


async def test_a_remap_is_named_in_footer_palette_help_banner_hints_and_buttons(journal_path: Path) -> None:
    app = await _app(journal_path, incident=False, keys=REMAP)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            assert footer_keys(app)["Declare"] == "D" and footer_keys(app)["Note"] == "N"
            palette = {e.title: e.help for e in palette_entries(app.screen)}
            assert palette["Declare incident"].endswith("(D)") and palette["Add note"].endswith("(N)")
            assert palette["Sign in to Microsoft Graph"].endswith("(F9)")
            assert "Press D to declare" in app.screen.query_one(IncidentBanner).render().plain
            assert "press N to add a note" in app.screen.query_one(Timeline).render_line(0).text
            await pilot.press("3", "plus")          # no incident yet: the hint names the declare key in force
            await pilot.pause()
            assert any("press D to declare" in n.message for n in app._notifications)
            await pilot.press("question_mark")
            console = Console(width=140, record=True, file=io.StringIO())
            console.print(help_table(app, app.screen.places))
            lines = [line.split() for line in console.export_text().splitlines()]
            assert ["D", "Declare", "incident"] in [line[:3] for line in lines]
            assert any(line[:3] == ["ctrl+b", "Block", "sign-in"] for line in lines)
    finally:
        await app.warroom.close()


async def test_a_remapped_guided_key_is_on_its_button_and_footer(journal_path: Path) -> None:
    app = await _app(journal_path, incident=True, keys=REMAP)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            app.open_guided("contain")
            await settle(pilot)
            assert str(app.screen.query_one("#contain-execute", Button).label) == "Run action (F7)"
            assert str(app.screen.query_one("#contain-back", Button).label) == "Back (F10)"
            assert footer_keys(app)["Run action"] == "f7"
            await pilot.press("f10")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen)
    finally:
        await app.warroom.close()


async def test_the_palette_offers_only_what_applies(journal_path: Path) -> None:
    app = await _app(journal_path, incident=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            titles = {e.title for e in palette_entries(app.screen)}
            assert "Declare incident" in titles
            assert not titles & {"Assess severity", "Close incident", "Draft notification", "Add task"}
    finally:
        await app.warroom.close()
    app = await _app(journal_path, incident=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            titles = {e.title for e in palette_entries(app.screen)}
            assert {"Assess severity", "Close incident", "Draft notification", "Add task"} <= titles
    finally:
        await app.warroom.close()


@pytest.mark.parametrize("step, live_f2", [("review", False), ("close", True)])
async def test_review_footer_offers_no_dead_f2(journal_path: Path, step: str, live_f2: bool) -> None:
    """On the review step F2 closes nothing: it is neither in the footer nor in the palette."""
    app = await _app(journal_path, incident=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await drawn(pilot)
            app.open_guided(step)
            await settle(pilot)
            assert ("f2" in app.screen.active_bindings) is live_f2
            assert ("Close incident" in footer_keys(app)) is live_f2
            assert ("Close the incident" in {e.title for e in palette_entries(app.screen)}) is live_f2
    finally:
        await app.warroom.close()
