"""The one place the Textual App is assembled: the dashboard, the journal follower, the tenant watcher.

`run_console` and `run_demo` are what `warroom` and `warroom demo` call (console/commands/console_cmd.py
imports them lazily): they open the WarRoom, start the simulated tenant when there is no real one, restore
the last known state from the journal, and let live data follow without blocking input. What they decide
before any UI (the demo journal, the scenario, connecting, watching) is headless, in console/startup.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import SystemCommand
from textual.screen import Screen

from .. import widgets
from ..console.actions import TYPING_PLACES
from ..console.config import Config
from ..console.heap import return_large_blocks
from ..console.journal import JournalError, is_shared, kinds
from ..console.journal.records import say_renumbered
from ..console.session import WarRoom
from ..console.startup import (
    DEFAULT_SCENARIO,
    NO_TENANT,
    Connect,
    Watcher,
    WatcherFactory,
    check_scenario,
    connect_graph,
    demo_config,
    start_tenant,
    tenant_watcher,
    with_simulated_tenant,
)
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, key_for, palette_entries, remap_keys
from ..widgets.safe import LiteralNotifications
from ..widgets.typed import KeysInOrder
from .dashboard import NOT_CONNECTED, DashboardScreen

if TYPE_CHECKING:
    from ..console.cli import Context
    from ..console.graph.auth import SignInFlow
    from ..console.graph.gateway import GraphGateway
    from ..console.graph.live import LiveState
    from ..console.sim.server import SimulatedTenant

THEMES = {"dark": "textual-dark", "light": "textual-light", "ansi": "ansi-dark"}
FOLLOW_RETRY_S = 2.0


class WarroomApp(KeysInOrder[int], LiteralNotifications[int]):
    """Routes messages between the headless WarRoom and the screens; owns the background tasks."""

    TITLE = "warroom"
    # Styles live next to what they style; the default screen is installed directly, so the App loads its sheet.
    CSS_PATH = [Path(widgets.__file__).with_name("widgets.tcss"), Path(__file__).with_name("dashboard.tcss"),
                Path(__file__).with_name("notices.tcss")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = bindings("app")

    def __init__(self, warroom: WarRoom, *, watcher_factory: WatcherFactory | None = None,
                 clock: Callable[[], datetime] = utc_now, follow_journal: bool = True,
                 restore: Callable[[], Awaitable[LiveState | None]] | None = None, connect: Connect = connect_graph,
                 sign_in: SignInFlow | None = None, connect_at_start: bool = False) -> None:
        super().__init__()
        # Connect to Graph after the first frame (importing the SDK and azure-identity takes ~0.2 s), in the
        # tenant worker: the console is on screen and usable from the journal while that happens.
        self.connect_at_start = connect_at_start
        self._polled_again = False          # a poll ended while the last one's work was still running
        self._after_polls_running = False
        self.connect = connect              # after an in-console sign-in: a new gateway with the new session
        self.sign_in = sign_in              # None: azure-identity's device code (tests pass a stand-in)
        self.warroom = warroom
        self.watcher_factory = watcher_factory
        self.restore = restore          # the last known state from the journal, on the first frame
        self.clock = clock
        self.follow = follow_journal
        self.dashboard: DashboardScreen | None = None
        self.watcher: Watcher | None = None
        # Set once the whole dashboard is on screen: Graph's first connection (importing the SDK, starting the
        # simulated tenant's thread) waits for it, so it never competes with drawing the first frames.
        self.panes_drawn = asyncio.Event()
        keys = warroom.config.get("ui.keys") or {}
        if keys:
            remap_keys(self, keys)
        # Off unless asked for: [ui] animations, WARROOM_ANIMATIONS, or Textual's own TEXTUAL_ANIMATIONS.
        if warroom.config.origins.get("ui.animations", "default") != "default" or not os.environ.get(
                "TEXTUAL_ANIMATIONS"):
            self.animation_level = warroom.config.get("ui.animations") or "none"
        theme = str(warroom.config.get("ui.theme") or "dark")
        self.theme = THEMES.get(theme, "textual-dark")
        if theme == "ansi":
            self.ansi_color = True

    def get_default_screen(self) -> Screen:
        self.dashboard = DashboardScreen(self.warroom)
        return self.dashboard

    async def on_load(self) -> None:
        """Before the dashboard is built: its panes are created with the state they show (and styled once)."""
        await self.restore_last_known()

    def on_mount(self) -> None:
        if self.follow:
            self.follow_journal()
        if self.watcher_factory is not None or self.connect_at_start:
            self.watch_tenant()

    # -- background work: never on the event loop's critical path ------------------------------------------

    @work(exclusive=True, group="journal", exit_on_error=False)
    async def follow_journal(self) -> None:
        """Entries from elsewhere (a second console, `warroom note`, another host) appear within a second.

        The journal says when something may have changed (SQLite's data_version, PostgreSQL's NOTIFY); a
        journal error is shown once and the follower starts again, from the last entry the book holds.
        """
        while True:
            try:
                async for _ in self.warroom.journal.changes():
                    await self.warroom.catch_up()
                    self.journal_state_changed()
                    self._say_renumbered()
            except Exception as error:  # following must outlive any one failure, and say why
                self.notify(str(error) or type(error).__name__, title="Journal", severity="error", markup=False)
                await asyncio.sleep(FOLLOW_RETRY_S)

    def _say_renumbered(self) -> None:
        """Entries typed during a shared journal's outage are shared now: which provisional number became which."""
        journal = self.warroom.journal
        done = list(journal.renumbered)
        if done:
            journal.renumbered.clear()   # type: ignore[attr-defined]   # only a shared journal renumbers
            self.notify(say_renumbered(done, shown=5), title="Journal", timeout=10, markup=False)

    def journal_state_changed(self) -> None:
        """A shared journal went unreachable, came back, or its spool changed: the status bar says so."""
        if self.dashboard is not None:
            self.dashboard.refresh_status()

    async def restore_last_known(self) -> bool:
        """The tenant's last known state from the journal, once; True when it replaced the live state.

        Done on Load, before the dashboard exists. A journal that cannot be read leaves the panes waiting for
        Graph and says why; the console stays up.
        """
        restore, self.restore = self.restore, None        # once: a restart after sign-in keeps what is shown
        if restore is None:
            return False
        try:
            state = await restore()
        except Exception as error:  # a journal that cannot be read must not end the session: say why, go on
            self.notify(f"Last known state not read: {error}", title="Journal", severity="error", markup=False)
            return False
        if state is None:
            return False
        self.warroom.live = state
        return True

    @work(exclusive=True, group="tenant", exit_on_error=False)
    async def watch_tenant(self) -> None:
        """Poll Graph until the app exits, once the dashboard (with the last known state) is drawn.

        The watcher turns every failure into freshness text; it fills the very LiveState the restore (on Load)
        produced.
        """
        await self.panes_drawn.wait()
        if self.connect_at_start and not await self._connect_at_start():
            return
        if self.watcher_factory is not None:
            self.watcher = self.watcher_factory(self.warroom, self.live_changed)
            await self.watcher.run()

    async def _connect_at_start(self) -> bool:
        """The first connection, after the first frame. On failure the console stays up, journal-only, and says why."""
        self.connect_at_start = False
        room = self.warroom
        try:
            room.gateway = await self.connect(room.config)
        except Exception as error:  # sign-in trouble: ctrl+g signs in from here
            room.mode = "OFFLINE"
            room.tenant_label += f"{NOT_CONNECTED}: {error}"
            self.watcher_factory = None
            self.live_changed(set())
            return False
        if self.watcher_factory is None:
            self.watcher_factory = tenant_watcher
        return True

    def live_changed(self, sources: Iterable[str]) -> None:
        """The watcher's on_change: hand the changed sources to the dashboard as a message, and tick the tasks
        whose live check the change met."""
        if self.dashboard is not None:
            self.dashboard.post_message(DashboardScreen.LiveChanged(set(sources)))
        if sources and self.warroom.incident is not None:
            self._polled_again = True
            if not self._after_polls_running:
                self._after_polls_running = True
                self.run_worker(self._after_polls(), group="settle", exit_on_error=False)

    async def _after_polls(self) -> None:
        """One poll's work at a time, never cancelled by the next poll's news (what it journaled would then go
        unannounced): polls that end meanwhile are handled by one more round."""
        try:
            while self._polled_again:
                self._polled_again = False
                await self._after_poll()
        finally:
            self._after_polls_running = False

    async def _after_poll(self) -> None:
        """What a poll changed for the incident: Microsoft's issue (announced when restored), its post-incident
        report, and the tasks whose live check is now met."""
        from ..console.microsoft import announces_restoration

        for entry in await self.warroom.follow_microsoft():
            body = entry.body
            if entry.kind == kinds.MICROSOFT_ISSUE and announces_restoration(body):
                self.notify(f"Microsoft marked {clean(body.get('issue'), 20)} {clean(body.get('status'), 40)}: "
                            "move to monitoring and send the resolution notice?", title="Microsoft",
                            severity="warning", timeout=30, markup=False)
            elif entry.kind == kinds.MICROSOFT_REPORT:
                self.notify(f"Microsoft's post-incident report for {clean(body.get('issue'), 20)} is kept "
                            "(attached to our report)", title="Microsoft", timeout=15, markup=False)
        await self.warroom.settle_checks()

    # -- leaving: never one stray key with an incident open ---------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Quit is off where letters are text (guided screens): its key types there, so no footer offers it."""
        if action == "quit" and TYPING_PLACES & set(getattr(self.screen, "ACTION_PLACES", ())):
            return False
        return True

    async def action_quit(self) -> None:
        """Quit at once when no incident is open; otherwise ask, naming the incident (y quits, n stays)."""
        from .quit import QuitScreen

        if isinstance(self.screen, QuitScreen):
            return
        incidents = self.warroom.book.open_incidents()
        if not incidents:
            self.exit()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit()

        self.push_screen(QuitScreen(incidents), answered)

    # -- sign-in inside the console (device code: the code and URL in a dialog) ------------------------------

    def sign_in_to_graph(self) -> None:
        from ..console.graph.connect import endpoint_for
        from .sign_in import SignInScreen

        config = self.warroom.config
        kwargs = {"sign_in": self.sign_in} if self.sign_in is not None else {}
        self.push_screen(SignInScreen(config, endpoint_for(config), **kwargs), self._signed_in)

    def _signed_in(self, user: str | None) -> None:
        if user:
            self.run_worker(self._reconnect(user), group="reconnect", exclusive=True, exit_on_error=False)

    async def _reconnect(self, user: str) -> None:
        """A new gateway on the new session, then the watcher again: the panes fill without a restart."""
        room = self.warroom
        try:
            gateway = await self.connect(room.config)
        except Exception as error:  # the session was saved but Graph still refuses: say why, keep running
            self.notify(f"Signed in as {user}, but not connected: {error}", title="Microsoft Graph",
                        severity="error", markup=False)
            return
        old, room.gateway = room.gateway, gateway
        if old is not None and old is not gateway:
            with contextlib.suppress(Exception):
                await old.close()
        if room.mode == "OFFLINE":
            room.mode = "READ-ONLY" if room.config.get("read_only") else "LIVE"
        room.tenant_label = room.tenant_label.split(NOT_CONNECTED)[0]
        if self.watcher_factory is None:
            self.watcher_factory = tenant_watcher
        self.watch_tenant()                       # exclusive: the old watcher (on the old session) is cancelled
        self.live_changed(set())
        self.notify(f"Signed in as {user}", title="Microsoft Graph", markup=False)

    # -- hooks the screens call -----------------------------------------------------------------------

    def open_guided(self, step: str, subject: Subject = NOTHING) -> None:
        """Guided response (declare, assess, contain, …) on what the responder selected: screens/steps.py."""
        from .steps import build

        self.push_screen(build(step, self.warroom, subject))

    def link_to_incident(self, subject: Subject) -> None:
        self.run_worker(self._link(subject), group="link", exit_on_error=False)

    async def _link(self, subject: Subject) -> None:
        incident = self.warroom.incident
        if incident is None:
            self.notify(f"No open incident to link to: press {key_for(self, 'dashboard.declare')} to declare one",
                        severity="warning", timeout=4, markup=False)
            return
        link = subject.link()
        if link is None:
            self.notify("Select an alert or a Microsoft issue first", severity="warning", timeout=4)
            return
        if any((known.get("type"), known.get("id")) == (link["type"], link["id"]) for known in incident.links):
            self.notify(f"{link['id']} is already linked to {incident.id}", timeout=3, markup=False)
            return
        try:
            await self.warroom.record(kinds.INCIDENT_LINKED, link, incident=incident.id)
        except JournalError as error:
            self.notify(str(error), title="Not linked", severity="error", markup=False)
            return
        self.notify(f"Linked {link['type'].replace('_', ' ')} {link['id']} to {incident.id}", timeout=4, markup=False)

    # -- command palette: the screen's actions that apply now, named as a responder would search -------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for entry in palette_entries(screen):
            yield SystemCommand(entry.title, entry.help, _runner(screen, entry.action.place, entry.action.run))


def _runner(screen: Screen, place: str, action: str) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        node = screen.action_node(place) if isinstance(screen, DashboardScreen) else screen
        await node.run_action(action)
    return run


# -- entry points for `warroom` and `warroom demo` ------------------------------------------------------------

def run_console(ctx: Context) -> int:
    """`warroom`: a configured tenant runs LIVE. With none, a shared journal opens journal-only (OFFLINE): the
    team's record never receives the simulator's data; otherwise the simulated tenant runs in DEMO mode."""
    config: Config = ctx.config
    if config.get("graph.url") or config.get("graph.tenant_id"):
        return asyncio.run(_main(config, scenario=None))
    if is_shared(str(config.get("journal"))):
        return asyncio.run(_main(config, scenario=None, tenant=False))
    return _demo(ctx.config, DEFAULT_SCENARIO)


def run_demo(ctx: Context) -> int:
    """`warroom demo [--scenario NAME]`: always the simulated tenant, clearly marked DEMO, on a journal of its own."""
    return _demo(ctx.config, ctx.args.scenario or DEFAULT_SCENARIO)


def _demo(config: Config, scenario: str) -> int:
    return asyncio.run(_main(demo_config(config), scenario=scenario))


async def _main(config: Config, *, scenario: str | None, tenant: bool = True) -> int:
    """Journal first (a bad path is a one-line error before anything starts), then the App; Graph after its first frame.

    In DEMO mode the simulated tenant starts on the first connection too: loading a scenario and importing the
    simulator stay off the path to the first frame, like the SDK. Without a tenant the console is journal-only.
    """
    if scenario is not None:
        check_scenario(scenario)
    # The modules imported so far live as long as the process: the collector need not walk them again (a full
    # collection over them otherwise lands on the path to the first frame, ~20 ms).
    gc.freeze()
    readonly = bool(config.get("read_only"))
    mode = "DEMO" if scenario else "OFFLINE" if not tenant else "READ-ONLY" if readonly else "LIVE"
    warroom = await WarRoom.open(config, mode=mode)
    tenants: list[SimulatedTenant] = []

    async def connect(current: Config) -> GraphGateway:
        if scenario is not None and not tenants:
            tenants.append(await asyncio.to_thread(start_tenant, scenario))
            warroom.config = current = with_simulated_tenant(current, tenants[0].base_url)
        return await connect_graph(current)

    try:
        return await _run_app(warroom, scenario, connect, tenant=tenant)
    finally:
        if warroom.gateway is not None:
            with contextlib.suppress(Exception):
                await warroom.gateway.close()
        await warroom.close()
        for simulated in tenants:
            await asyncio.to_thread(simulated.stop)


async def _collect_once_drawn(app: WarroomApp) -> None:
    """The collector was off while starting (console/launch.py): on again once the whole dashboard is drawn. From
    then on, Graph's large pages are given back to the system when freed (console/heap.py)."""
    await app.panes_drawn.wait()
    gc.freeze()     # what startup built lives as long as the process: never walk it again
    gc.enable()
    return_large_blocks()


async def _run_app(warroom: WarRoom, scenario: str | None, connect: Connect, *, tenant: bool = True) -> int:
    from ..console.graph.live import LiveState, restore_last_known

    config = warroom.config
    warroom.live = LiveState()
    warroom.tenant_label = f"simulated: {scenario}" if scenario else str(
        config.get("graph.tenant_id") or config.get("graph.url") or "tenant") + f" ({config.get('graph.cloud')})"
    if not tenant:
        warroom.tenant_label = NO_TENANT
    app = WarroomApp(warroom, watcher_factory=tenant_watcher if tenant else None, connect=connect,
                     restore=lambda: restore_last_known(warroom.journal, simulated=warroom.simulated),
                     connect_at_start=tenant)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGHUP, signal.SIGTERM):      # a closed terminal or a kill: leave cleanly, terminal restored
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, app.exit)
    collector = loop.create_task(_collect_once_drawn(app))
    try:
        await app.run_async()
    finally:
        collector.cancel()
        gc.enable()
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return app.return_code or 0
