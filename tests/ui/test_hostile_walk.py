"""Every screen on `warroom demo --scenario hostile`'s data, with a user playbook folder of hostile names.

What the terminal receives is checked, not what a widget holds: the bytes the compositor would write for the
whole screen carry no escape sequence from the data (no screen clear, no OSC 52 clipboard write, no window
title, no link), markup in a service or playbook name is shown as its brackets, and every screen still answers
keys (invalid markup in a prompt used to stop the screen's message pump).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Select, SelectionList, Static
from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import kinds
from warroom.console.session import WarRoom
from warroom.data import FOLDER
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.handoff import HandoffScreen
from warroom.screens.issue_detail import IssueDetailScreen
from warroom.screens.messages import MessageCenterScreen
from warroom.screens.prompt import PromptScreen
from warroom.screens.review import JournalBrowserApp
from warroom.screens.review_entry import EntryScreen
from warroom.screens.status_proposal import StatusProposalScreen
from warroom.screens.task_detail import TaskDetailScreen
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane
from warroom.widgets.tasks import TaskList

from ..waiting import until

pytestmark = pytest.mark.slow

PLAYBOOKS = Path(FOLDER) / "scenarios" / "hostile-playbooks"
LINK_SERVICE = "[link=https://evil.example]x[/link]"
# What the data holds and a terminal would act on; none of it may reach the terminal.
FORBIDDEN = ("\x1b]52", "\x1b]0;", "\x1b]8;", "\x1b[2J", "\x1b[3J", "\x1b[H\x1b", "\x1bc", "\x9b", "\x07",
             "\x00", "\u202e", "\x1b[?1049h", "\x1b[5m")
# (The review's whole entry shows the body as JSON, where an escape is the six visible characters `\u001b`.)


def terminal_bytes(app) -> str:
    """What the App would write to the terminal to draw its whole screen now (the headless driver drops it)."""
    return app.screen._compositor.render_update(full=True).render_segments(app.console)


def assert_inert(app, where: str) -> None:
    written = terminal_bytes(app)
    found = [f for f in FORBIDDEN if f in written]
    assert not found, f"{where}: {found} reached the terminal"
    for widget in app.screen.query("SelectionList, OptionList"):
        for index in range(widget.option_count):
            prompt = widget.get_option_at_index(index).prompt
            styles = " ".join(str(span.style) for span in getattr(prompt, "spans", ()))
            assert not any(word in styles for word in ("link", "blink", "click", "red")), (
                f"{where}: markup took effect in {prompt!r}")
    for select in app.screen.query(Select):
        for prompt, _value in select._options:
            assert "\x1b" not in str(prompt), where


async def answers_escape(pilot, where: str) -> None:
    """The screen still handles keys: Escape takes it off the stack."""
    screen = pilot.app.screen
    await pilot.press("escape")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert pilot.app.screen is not screen, f"{where} no longer answers keys"
    assert pilot.app.is_running


async def until_screen(pilot, kind: type, where: str) -> None:
    """Screens opened from a worker."""
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), f"{where}: {kind.__name__} to open")


async def lifecycle_walk(app, pilot, room) -> None:
    """The lifecycle's screens on hostile data: the hand-off page and a hand-over to a name made of markup, the
    Message center and a message's text, the linked Microsoft issue, the status prompt, the proposal and its
    acceptance, the close confirmation listing the open tasks (whose texts come from a hostile playbook)."""
    incident = room.incident
    hostile = room.live.issues["EX1666666"]
    await room.record(kinds.INCIDENT_LINKED, {"type": "service_issue", "id": hostile.id, "title": hostile.title},
                      incident=incident.id)
    await pilot.press("H")
    await until_screen(pilot, HandoffScreen, "H")
    assert_inert(app, "hand-off page")
    await pilot.press("O")
    await until_screen(pilot, PromptScreen, "O on the hand-off page")
    assert_inert(app, "hand-over question")
    app.screen.query_one(Input).value = "comms [red]Mallory[/red]\x1b[2J"
    await pilot.press("enter")
    await until_screen(pilot, HandoffScreen, "the hand-off page again")
    assert incident.roles["communications_lead"] == "[red]Mallory[/red]\x1b[2J"
    # The page opens from a worker: its text is there once the screen has composed it.
    await until(pilot, lambda: "[red]Mallory[/red]" in " ".join(str(s.render()) for s in app.screen.query(Static)),
                "the hand-over on the hand-off page")
    assert_inert(app, "hand-off page after a hand-over")
    await answers_escape(pilot, "hand-off page")
    await pilot.press("i")
    await until_screen(pilot, MessageCenterScreen, "i")
    assert_inert(app, "message center")
    await pilot.press("enter")
    await pilot.pause()
    assert_inert(app, "a message's text")
    await answers_escape(pilot, "message center")
    await pilot.press("M")
    await until_screen(pilot, IssueDetailScreen, "M")
    assert_inert(app, "the linked Microsoft issue")
    await answers_escape(pilot, "the linked Microsoft issue")
    await pilot.press("u")
    await until_screen(pilot, PromptScreen, "u")
    assert_inert(app, "status prompt")
    await answers_escape(pilot, "status prompt")
    room.live.issues[hostile.id] = hostile._replace(status="serviceRestored", is_resolved=True)
    app.live_changed({"issues"})
    banner = app.screen.query_one(IncidentBanner)
    await until(pilot, lambda: "A: monitoring?" in str(banner.render()), "the proposal in the banner")
    assert_inert(app, "the proposal in the banner")
    await pilot.press("A")
    await until_screen(pilot, StatusProposalScreen, "A")
    assert_inert(app, "the proposal question")
    await pilot.press("y")
    await until(pilot, lambda: incident.status == "monitoring", "the status accepted")
    assert_inert(app, "the proposal accepted")
    await pilot.press("X")
    await pilot.pause()
    await app.workers.wait_for_complete()
    app.screen.query_one("#close-summary", Input).value = "Hostile data seen literally"
    await pilot.press("f2")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert "still open" in str(app.screen.query_one("#message").render()) and incident.is_open
    assert_inert(app, "the close confirmation")
    await answers_escape(pilot, "the close confirmation")


@asynccontextmanager
async def hostile_warroom(make_tenant, folder: Path) -> AsyncIterator[WarRoom]:
    """A DEMO war room on the hostile tenant through the real gateway, with the hostile playbooks, every source read
    once (its observations journaled); the gateway and the journal are closed afterwards."""
    tenant = make_tenant("hostile")
    config = load_config(overrides={"journal": str(folder / "journal.db"), "graph.url": tenant.base_url,
                                    "playbooks.folder": str(PLAYBOOKS)})
    warroom = await WarRoom.open(config, mode="DEMO")
    try:
        warroom.gateway = await connect(config)
        warroom.live = LiveState()
        warroom.tenant_label = "simulated: hostile"
        watcher = TenantWatcher(warroom.gateway, warroom.journal, warroom.live)
        for source in watcher.sources:
            await watcher.poll_once(source)
        yield warroom
    finally:
        if warroom.gateway is not None:
            await warroom.gateway.close()
        await warroom.close()


@pytest.fixture
async def hostile_room(make_tenant, tmp_path: Path):
    async with hostile_warroom(make_tenant, tmp_path) as warroom:
        yield warroom


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_screen_shows_hostile_data_literally_and_answers_keys(hostile_room, tmp_path, size) -> None:
    app = WarroomApp(hostile_room, follow_journal=False)
    async with app.run_test(size=size) as pilot:
        await app.panes_drawn.wait()
        await pilot.pause()
        assert_inert(app, "dashboard")

        await pilot.press("d")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        services = app.screen.query_one("#declare-services", SelectionList)
        prompts = [services.get_option_at_index(i).prompt.plain for i in range(services.option_count)]
        assert any(p.startswith(LINK_SERVICE) and p.endswith("Intune") for p in prompts), prompts  # the playbook's
        assert any(p.startswith(LINK_SERVICE) and p.endswith("Teams") for p in prompts), prompts   # Graph's
        assert any(p.startswith("[bold red]Exchange[/]") for p in prompts), prompts
        assert_inert(app, "declare")
        services.select_all()
        app.screen.query_one("#declare-title").value = "Hostile"
        await pilot.press("f2")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen) and hostile_room.incident is not None
        assert any("[bold red]Check[/]" in t.text for t in hostile_room.incident.tasks.values())
        assert_inert(app, "dashboard with the incident")
        tasks = app.screen.query_one(TaskList)
        tasks.focus()
        for index, task in enumerate(list(tasks.tasks)):
            if "[" in task.text:
                tasks.move_cursor(row=index)
                await pilot.press("enter")
                await pilot.pause()
                assert isinstance(app.screen, TaskDetailScreen)
                assert_inert(app, f"task {task.id}")
                await answers_escape(pilot, f"task {task.id}")

        for step in ("assess", "contain", "communicate", "review", "close", "recovery", "support_case"):
            app.open_guided(step)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert_inert(app, step)
            await answers_escape(pilot, step)

        await lifecycle_walk(app, pilot, hostile_room)

        table = app.screen.query_one(AlertTable)
        table.focus()
        refused: list[str] = []
        for row in list(table.rows):
            table.action_jump([r.id for r in table.rows].index(row.id))
            await pilot.press("enter")
            await pilot.pause()
            assert_inert(app, f"details of {row.id}")
            await pilot.press("y")      # the portal links here are javascript: and a look-alike host
            await pilot.pause()
            assert app.clipboard == "", f"{row.id}: copied {app.clipboard!r}"
            refused += [n.message for n in app._notifications if n.message.startswith("Portal link not copied")]
            await answers_escape(pilot, f"details of {row.id}")

        health = app.screen.query_one(HealthPane)
        health.focus()
        for index, row in enumerate(list(health.rows)):
            health.cursor = index
            await pilot.press("enter")
            await pilot.pause()
            assert_inert(app, f"health row {row.id}")
            if not isinstance(app.screen, DashboardScreen):
                await answers_escape(pilot, f"issue of {row.id}")

        assert any("javascript: is not https" in m for m in refused), refused
        assert any("security.microsoft.com.evil.example is not a Microsoft portal" in m for m in refused), refused
        for key in ("question_mark", "colon", "exclamation_mark"):
            await pilot.press(key)
            await pilot.pause()
            assert_inert(app, key)
            await answers_escape(pilot, key)
        assert_inert(app, "dashboard at the end")

    review = JournalBrowserApp(hostile_room.config.get("journal"))
    async with review.run_test(size=size) as pilot:
        await pilot.pause()
        await review.workers.wait_for_complete()
        await pilot.pause()
        assert_inert(review, "review")
        incidents = review.screen.query_one("#incidents", OptionList)
        assert incidents.option_count >= 2
        await pilot.press("end")
        await pilot.pause()
        assert_inert(review, "review, last entry")
        for _ in range(3):
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(review.screen, EntryScreen)
            assert_inert(review, "review, a whole entry")
            await answers_escape(pilot, "review, a whole entry")
            await pilot.press("up")
        assert review.is_running
