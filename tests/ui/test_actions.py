"""One declaration per action: bindings, palette, help, footers, buttons and hints all name the key in force."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.widgets import Button, Input, Static
from textual.widgets._footer import FooterKey
from warroom.console.actions import ACTIONS, TOGETHER, in_place, is_fkey_or_chord, keys_of
from warroom.console.subject import resolve
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
from warroom.screens.issue_detail import IssueDetailScreen
from warroom.screens.messages import MessageCenterScreen
from warroom.screens.prompt import PromptScreen
from warroom.screens.quit import QuitScreen
from warroom.screens.recovery import RecoveryScreen
from warroom.screens.review import JournalBrowserApp, JournalBrowserScreen
from warroom.screens.review_entry import EntryScreen
from warroom.screens.send_confirm import SendConfirmScreen
from warroom.screens.sign_in import SignInScreen
from warroom.screens.status_proposal import StatusProposalScreen
from warroom.screens.steps import STEPS
from warroom.screens.support_case import SupportCaseScreen
from warroom.screens.task_detail import TaskDetailScreen
from warroom.screens.task_done import TaskDoneScreen
from warroom.widgets.actions import palette_entries
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane
from warroom.widgets.review_timeline import BrowserTimeline
from warroom.widgets.row_table import RowTable
from warroom.widgets.tasks import TaskList
from warroom.widgets.timeline import Timeline

from .scenes import build_app_async, on_screen, settle

SIZE = (160, 48)
HANDLERS = {
    "app": WarroomApp, "dashboard": DashboardScreen, "alerts": AlertTable, "health": HealthPane,
    "tasks": TaskList, "guided": GuidedScreen, "declare": DeclareIncidentScreen, "assess": AssessScreen,
    "contain": ContainScreen, "communicate": CommunicateScreen, "close": CloseScreen, "detail": DetailScreen,
    "alert_detail": AlertDetailScreen, "sign_in": SignInScreen, "prompt": PromptScreen, "help": HelpScreen,
    "send_confirm": SendConfirmScreen,
    "handoff": HandoffScreen, "messages": MessageCenterScreen,
    "quit_dialog": QuitScreen, "task_dialog": TaskDoneScreen, "status_dialog": StatusProposalScreen,
    "task_detail": TaskDetailScreen,
    "investigate": InvestigateScreen, "hunt": HuntScreen, "defender": DefenderScreen,
    "recovery": RecoveryScreen, "support_case": SupportCaseScreen, "list": RowTable,
    "review": JournalBrowserScreen, "review_entry": EntryScreen,
}
REMAP = {"dashboard.declare": "D", "dashboard.note": "N", "dashboard.sign_in": "f9", "contain.execute": "f7",
         "guided.back": "f10", "dashboard.block_sign_in": "ctrl+b"}


def test_every_action_has_a_handler_where_it_is_bound() -> None:
    for action in ACTIONS:
        owner = DashboardScreen if action.run.startswith("screen.") else HANDLERS[action.place]
        name = action.run.removeprefix("screen.").split("(")[0]
        assert callable(getattr(owner, f"action_{name}", None)), action.id


@pytest.mark.parametrize("widget", [RowTable, Timeline, TaskList])
def test_every_list_moves_with_the_list_keys(widget: type) -> None:
    """The panes bind the "list" actions by id (so `[ui.keys]` remaps them) and each answers to every one."""
    ids = {binding.id for binding in widget.BINDINGS if isinstance(binding, Binding)}
    for action in in_place("list"):
        assert action.id in ids, (widget.__name__, action.id)
        assert callable(getattr(widget, f"action_{action.run.split('(')[0]}", None)), (widget.__name__, action.id)


async def test_remapped_list_keys_move_the_alerts(journal_path: Path) -> None:
    # g goes to a time in the journal browser, where the lists' keys work too: it moves there to free g.
    app = await build_app_async(journal_path, incident=False,
                                keys={"list.last": "G", "list.first": "g", "review.goto": "f5"})
    async with on_screen(app, SIZE) as pilot:
        alerts = app.screen.query_one(AlertTable)
        alerts.focus()
        await pilot.press("G")
        assert len(alerts.rows) > 1 and alerts.cursor == len(alerts.rows) - 1
        await pilot.press("g")
        assert alerts.cursor == 0
        await pilot.press("end")            # the default key answers no more
        assert alerts.cursor == 0


def footer_keys(app) -> dict[str, str]:
    return {key.description: key.key_display for key in app.screen.query(FooterKey)}


async def test_a_remap_is_named_in_footer_palette_help_banner_hints_and_buttons(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=False, keys=REMAP)
    async with on_screen(app, SIZE) as pilot:
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


async def test_a_remapped_guided_key_is_on_its_button_and_footer(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=True, keys=REMAP)
    async with on_screen(app, SIZE) as pilot:
        app.open_guided("contain")
        await settle(pilot)
        assert str(app.screen.query_one("#contain-execute", Button).label) == "Run action (F7)"
        assert str(app.screen.query_one("#contain-back", Button).label) == "Back (F10)"
        assert footer_keys(app)["Run action"] == "f7"
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_the_palette_offers_only_what_applies(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=False)
    async with on_screen(app, SIZE):
        titles = {e.title for e in palette_entries(app.screen)}
        assert "Declare incident" in titles
        assert not titles & {"Assess severity", "Close incident", "Draft notification", "Add task"}
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE):
        titles = {e.title for e in palette_entries(app.screen)}
        assert {"Assess severity", "Close incident", "Draft notification", "Add task"} <= titles


@pytest.mark.parametrize("step, live_f2", [("review", False), ("close", True)])
async def test_review_footer_offers_no_dead_f2(journal_path: Path, step: str, live_f2: bool) -> None:
    """On the review step F2 closes nothing: it is neither in the footer nor in the palette."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        app.open_guided(step)
        await settle(pilot)
        assert ("f2" in app.screen.active_bindings) is live_f2
        assert ("Close incident" in footer_keys(app)) is live_f2
        assert ("Close the incident" in {e.title for e in palette_entries(app.screen)}) is live_f2


# -- no two actions answer to one key where they work together ------------------------------------------------

def _declared(cls: type) -> list[Binding]:
    """The bindings a class and its warroom ancestors declare (Textual's own widgets' keys aside), merged as Textual
    merges them: a class's binding for a key replaces its ancestors' (the journal browser's timeline declares the
    list keys again, bubbling). No class declares a key twice, nor takes one an ancestor gave another action."""
    by_key: dict[str, Binding] = {}
    for klass in reversed(cls.__mro__):
        if not klass.__module__.startswith("warroom."):
            continue
        own: dict[str, Binding] = {}
        for binding in vars(klass).get("BINDINGS", ()):
            for key in _keys(binding):
                assert key not in own, f"{klass.__name__}: {key!r} is {own[key].id} and {binding.id}"
                own[key] = binding
        for key, binding in own.items():
            inherited = by_key.get(key)
            assert inherited is None or inherited.id == binding.id, \
                f"{klass.__name__}: {key!r} is {inherited.id} and {binding.id}"
            by_key[key] = binding
    return list({id(binding): binding for binding in by_key.values()}.values())


def _keys(binding: Binding) -> list[str]:
    return [key.strip() for key in binding.key.split(",")]


GUIDED = (DeclareIncidentScreen, AssessScreen, ContainScreen, CommunicateScreen, CloseScreen, InvestigateScreen,
          HuntScreen, DefenderScreen)
MODALS = (AlertDetailScreen, IssueDetailScreen, HelpScreen, QuitScreen, TaskDoneScreen, StatusProposalScreen,
          SendConfirmScreen, SignInScreen, PromptScreen, HandoffScreen, MessageCenterScreen, TaskDetailScreen)
# The focus chains a key travels: the focused node first, the App last.
CHAINS = [*((pane, DashboardScreen, WarroomApp) for pane in (AlertTable, HealthPane, TaskList, Timeline)),
          *((screen, WarroomApp) for screen in (*GUIDED, *MODALS)),
          (BrowserTimeline, JournalBrowserScreen, JournalBrowserApp), (EntryScreen, JournalBrowserApp)]
# Nearer bindings that answer before a farther one on purpose, with why.
SHADOWS = {
    # A dialog or reading screen closes with q: the App's quit is one key further, on the dashboard.
    ("detail.close", "app.quit"), ("help.close", "app.quit"), ("messages.close", "app.quit"),
    ("handoff.close", "app.quit"), ("task_detail.close", "app.quit"),
    # The journal browser is an app of its own: q closes it, and no quit key waits beyond it.
    ("review.close", "app.quit"), ("review_entry.close", "app.quit"),
    # Enter and Esc leave the filter box only while it has focus (check_action): then no pane has focus.
    ("alerts.open", "dashboard.leave_filter"), ("health.open_issue", "dashboard.leave_filter"),
    ("tasks.open", "dashboard.leave_filter"),
}


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: "-".join(c.__name__ for c in chain))
def test_no_two_bindings_on_a_focus_chain_share_a_key(chain) -> None:
    """Every key a responder presses reaches one action: within a node, and between the focused node, its screen
    and the App (a nearer binding hides a farther one only where SHADOWS says so)."""
    seen: dict[str, Binding] = {}
    for node in chain:
        here: dict[str, Binding] = {}
        for binding in _declared(node):
            for key in _keys(binding):
                assert key not in here, f"{node.__name__}: {key!r} is {here[key].id} and {binding.id}"
                here[key] = binding
        for key, binding in here.items():
            nearer = seen.get(key)
            assert nearer is None or (nearer.id, binding.id) in SHADOWS, \
                f"{key!r}: {nearer.id} ({nearer.action}) hides {binding.id} ({binding.action})"
            seen.setdefault(key, binding)


@pytest.mark.parametrize("place", sorted({action.place for action in ACTIONS}))
def test_no_two_registered_actions_share_a_default_key_where_they_work(place: str) -> None:
    """The registry's view: the actions live together with a place (TOGETHER, and the App's) answer to distinct
    default keys (a dashboard action never takes a key the lists move with: "list" lives with the dashboard)."""
    mine = [action for action in ACTIONS if action.place == place]
    together = [action for action in ACTIONS if action.place in TOGETHER.get(place, {place}) | {"app"}]
    pairs = {frozenset(pair) for pair in SHADOWS}
    for action in mine:
        for other in together:
            if other.id == action.id or frozenset((action.id, other.id)) in pairs:
                continue
            if place in ("dashboard", "guided") and other.place not in (place, "app"):
                continue        # the panes and the guided screens are never live together: each is checked apart
            shared = set(keys_of(action.key)) & set(keys_of(other.key))
            assert not shared, f"{action.id} and {other.id} both answer to {shared}"


@pytest.mark.parametrize("step", STEPS)
async def test_a_guided_screens_footer_names_no_letter(journal_path: Path, step: str) -> None:
    """Letters are text on guided screens: the footer offers F-keys, Esc and chords only (never "q Quit")."""
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        app.open_guided(step, resolve(app.warroom.live, "alert", "da000001"))
        await settle(pilot)
        shown = {key.key for key in app.screen.query(FooterKey)}
        assert shown and all(is_fkey_or_chord(key) for key in shown), shown
        assert "Quit" not in footer_keys(app)


async def test_a_remapped_key_is_named_in_the_hints_guided_screens_and_dialogs_write(journal_path: Path) -> None:
    """Close's "press it again" and the sign-in dialog's failure line name the key in force, not F2 and Esc."""
    from warroom.console.graph.connect import endpoint_for

    async def refused(*_args) -> str:
        raise RuntimeError("AADSTS50076: MFA required")

    app = await build_app_async(journal_path, incident=True, keys={"close.close": "f7", "sign_in.cancel": "f11"})
    async with on_screen(app, SIZE) as pilot:
        app.open_guided("close")
        await settle(pilot)
        app.screen.query_one("#close-summary", Input).value = "Mail flows again"
        await pilot.press("f7")
        await settle(pilot)
        said = str(app.screen.query_one("#message", Static).render())
        assert "still open" in said and "F7 again closes" in said, said
        await pilot.press("escape")
        await settle(pilot)
        config = app.warroom.config
        app.push_screen(SignInScreen(config, endpoint_for(config), sign_in=refused))
        await settle(pilot)
        said = str(app.screen.query_one("#sign-in-message", Static).render())
        assert "MFA required" in said and "F11 to close" in said, said


@pytest.mark.parametrize("step", ["declare", "assess", "contain", "communicate", "close"])
async def test_each_guided_button_runs_an_action_of_its_screen_and_back_leaves(journal_path: Path, step: str) -> None:
    app = await build_app_async(journal_path, incident=step != "declare")
    async with on_screen(app, SIZE) as pilot:
        app.open_guided(step)
        await settle(pilot)
        screen = app.screen
        buttons = list(screen.query(Button))
        assert buttons
        for button in buttons:
            namespace, _, name = (button.action or "").partition(".")
            assert namespace == "screen" and callable(getattr(screen, f"action_{name}", None)), button.id
        await pilot.click(f"#{step}-back")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_the_tasks_pane_moves_with_the_list_keys(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, SIZE) as pilot:
        tasks = app.screen.query_one(TaskList)
        tasks.focus()
        assert len(tasks.tasks) > 2
        await pilot.press("j", "down")
        assert tasks.cursor_row == 2
        await pilot.press("k")
        assert tasks.cursor_row == 1
        await pilot.press("end")
        assert tasks.cursor_row == len(tasks.tasks) - 1
        await pilot.press("j")
        assert tasks.cursor_row == len(tasks.tasks) - 1
        await pilot.press("pageup", "home")
        assert tasks.cursor_row == 0


async def test_the_task_card_closes_with_its_remapped_key_and_says_so(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=True, keys={"task_detail.close": "f9"})
    async with on_screen(app, SIZE) as pilot:
        app.screen.query_one(TaskList).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        assert str(app.screen.query_one("VerticalScroll").border_subtitle) == "F9 close"
        await pilot.press("escape")         # the default key answers no more
        await settle(pilot)
        assert isinstance(app.screen, TaskDetailScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
