"""DashboardScreen: the war room on one screen — banner, health, alerts, rate chart, tasks, timeline, status.

The screen composes the panes and turns keys into journal entries (through `WarRoom.record`) or into
guided-response screens (through `App.open_guided`). Panes only render what they are handed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widget import MountError, Widget

from ..console.graph.freshness import SourceHealth
from ..console.graph.live import WATCHED_SIGN_INS
from ..console.journal import Draft, Entry, JournalError, is_shared, kinds
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject, of_issue, resolve
from ..console.text import clean
from ..console.timefmt import display_zone
from ..widgets.actions import bindings, key_for
from ..widgets.alerts import AlertRow, AlertTable, RowCache
from ..widgets.banner import IncidentBanner
from ..widgets.health import HealthPane
from ..widgets.status import StatusBar, needs_sign_in
from .console_app import console_app

if TYPE_CHECKING:     # mounted right after the first frame (see `_mount_the_rest`), imported then
    from textual.widget import AwaitMount
    from textual.widgets import Input

    from ..console.graph.models import Alert, RiskyUser, SecurityIncident
    from ..console.incidents import Task
    from ..console.lifecycle import Proposal
    from ..widgets.chart import AlertRate
    from ..widgets.tasks import TaskList
    from ..widgets.timeline import Timeline

ALL_SOURCES = frozenset({"health", "issues", "messages", "alerts", "incidents", "risky_users"})
PANE_SOURCES = {"health": ("health", "issues"), "alerts": ("alerts", "incidents", "risky_users")}
GREYED = (SourceHealth.STALE, SourceHealth.THROTTLED, SourceHealth.DENIED, SourceHealth.OFFLINE)
TIMELINE_BACKLOG = 500
NOT_CONNECTED = " · not connected"     # the App appends it (and the reason) to the tenant label when offline


class DashboardScreen(Screen):
    """The war-room dashboard. Its actions, keys and palette entries are declared in console/actions.py.

    The footer shows the few keys that start a response (it must fit 80 columns); `?` lists them all.

    Its styles are in dashboard.tcss, loaded by the App (the default screen never goes through push_screen).

    The first frame holds what answers "what is broken, what is attacking us" (banner, service health, alerts,
    status, with the journal's last known state); the rate chart, tasks, timeline, filter box and footer are
    mounted right after it, which keeps their styling, layout and imports off the path to the first frame.
    Until then `rate`, `tasks`, `timeline` and `filter_box` are None.
    """

    AUTO_FOCUS = "#alerts"
    BINDINGS = bindings("dashboard")
    ACTION_PLACES = ("dashboard", "alerts", "health", "tasks")
    PANES = {"alerts": "#alerts", "health": "#health", "tasks": "#tasks"}
    UNFOLDING = frozenset({"health", "timeline"})    # the panes a narrow terminal folds to one line until focused

    # Keys that open a place to type: in the filter box they are characters. The letters typed right after them (a
    # fast typist, a paste) land in the box: the App hands each key over once the last has settled (widgets/typed.py).
    TYPING_ACTIONS = frozenset({"note", "decision", "filter"})

    class JournalRebuilt(Message):
        """The session rebuilt its book from the journal: what was shown by sequence number is read again."""

    class JournalChanged(Message):
        def __init__(self, entries: list[Entry]) -> None:
            super().__init__()
            self.entries = entries

    class LiveChanged(Message):
        def __init__(self, sources: set[str]) -> None:
            super().__init__()
            self.sources = sources

    def __init__(self, warroom: WarRoom) -> None:
        super().__init__()
        self.warroom = warroom
        configured = str(warroom.config.get("timezone") or "UTC")
        self.local_zone: tzinfo = display_zone("local" if configured.upper() == "UTC" else configured)
        self.local_name = "local" if configured.upper() == "UTC" else configured
        self.use_local = configured.upper() != "UTC"
        self.entry_count = 0
        self.high_seen: set[str] = set()
        self.watch_told: set[str] = set()  # alerts already announced as naming someone on the watch list
        self.sign_ins_seen: dict[str, set[str]] = {}   # watched upn -> sign-in ids already shown or baseline
        self.sign_in_told = False          # the "press ctrl+g" notification, once per loss of the session
        self.row_cache = RowCache()
        self.rate: AlertRate | None = None
        self.tasks: TaskList | None = None
        self.timeline: Timeline | None = None
        self.filter_box: Input | None = None
        self._filter_mounted: AwaitMount | None = None
        # Set once `_mount_the_rest` is done: keys typed in that instant (a paste, type-ahead) wait for it.
        self.rest_mounted = asyncio.Event()
        self.early_entries: list[Entry] = []   # journal entries that arrived before the timeline was mounted

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a text box has focus, `:`, `!` and `/` are characters, not commands."""
        typing = self.focused is not None and self.focused is self.filter_box   # the screen's one text box
        if action in self.TYPING_ACTIONS and typing:
            return False
        if action in ("leave_filter", "clear_filter"):
            # `focused`, not `has_focus`: has_focus follows the Focus event, one message too late.
            return typing
        return True

    def condition(self, name: str) -> bool:
        """Whether an action's condition holds now (the palette offers only what applies)."""
        if name == "incident":
            return self.warroom.incident is not None
        if name == "selection":
            return self.subject().kind != "nothing"
        if name == "proposal":
            return self._proposal() is not None
        if name == "microsoft_issue":
            return bool(self._linked_issue_ids())
        if name == "defender_selection":
            return self.subject().kind in ("alert", "defender_incident")
        return True

    def _proposal(self) -> Proposal | None:
        """The status change the tenant's evidence supports now (never applied without the responder's key)."""
        incident = self.warroom.incident
        if incident is None:
            return None
        from ..console.lifecycle import proposals

        found = proposals(incident, self.warroom.live)
        return next((p for p in found if p.status), None)

    def _linked_issue_ids(self) -> list[str]:
        incident = self.warroom.incident
        return [str(link["id"]) for link in (incident.links if incident else [])
                if link.get("type") == "service_issue" and link.get("id")]

    def action_node(self, place: str) -> Widget | Screen:
        """Where a place's actions run from the palette: the pane that owns them, or the screen."""
        selector = self.PANES.get(place)
        if selector is None:
            return self
        try:
            return self.query_one(selector)
        except NoMatches:       # tasks before they are mounted: their actions run on the screen
            return self

    # -- layout ---------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The first frame's panes; `_mount_the_rest` adds the others in their places right after it."""
        # The App's breakpoint class now, before the panes are styled: Textual sets it on the first Resize,
        # which would style every pane a second time before the first frame.
        width = self.app.size.width
        names = [name for minimum, name in sorted(self.app.HORIZONTAL_BREAKPOINTS or ()) if width >= minimum]
        if names:
            self.add_class(names[-1])
        banner = IncidentBanner(id="banner")
        banner.declare_key = key_for(self.app, "dashboard.declare")
        yield banner
        with Container(id="panes"):
            with Vertical(id="left"):
                yield HealthPane(id="health", classes="-stale" if self._greyed("health") else "")
            with Vertical(id="right"):
                yield AlertTable(id="alerts", classes="-stale" if self._greyed("alerts") else "")
        yield StatusBar(id="status")

    async def _mount_the_rest(self) -> None:
        """After the first frame: chart, tasks, timeline, the (hidden) filter box and the footer, then Graph."""
        from textual.widgets import Footer

        from ..widgets.chart import AlertRate
        from ..widgets.tasks import TaskList
        from ..widgets.timeline import Timeline

        try:
            rate, tasks, timeline = AlertRate(id="rate"), TaskList(id="tasks"), Timeline(id="timeline")
            timeline.note_key = key_for(self.app, "dashboard.note")
            try:
                health, alerts = self.query_one(HealthPane), self.query_one(AlertTable)
                await self.query_one("#left", Vertical).mount(rate, tasks, after=health)
                await self.query_one("#right", Vertical).mount(timeline, after=alerts)
                await self._ensure_filter_box()
                await self.mount(Footer())
                self.refresh_bindings()     # the footer lists the keys when the bindings are next published
            except (MountError, NoMatches):     # `q` pressed in the first instant: the screen is going away
                return
            timeline.set_zone(self.zone, self.local_name if self.use_local else "UTC")
            backlog = await self.warroom.journal.last(TIMELINE_BACKLOG)
            early, self.early_entries = self.early_entries, []
            timeline.add_entries(sorted([*backlog, *early], key=lambda e: e.seq))
            self.rate, self.tasks, self.timeline = rate, tasks, timeline
            rate.show(alerts.minute_counts, self.now)
            self.refresh_incident()
            if self.focused is not None:    # on a terminal too short for the panes, those above it pushed it down
                self.call_after_refresh(self.focused.scroll_visible, animate=False, top=True)
        finally:
            self.rest_mounted.set()
            self.call_after_refresh(self._drawn)

    def _drawn(self) -> None:
        """Once laid out with every pane: the focused pane in view again (the footer and the panes mounted above
        it may have moved it after the first scroll, depending on timing), then the dashboard counts as drawn."""
        if self.focused is not None and self.is_current:
            self.focused.scroll_visible(animate=False, top=True, immediate=True)
        self.call_after_refresh(console_app(self.app).panes_drawn.set)
        self._warn_unsettled()

    def _warn_unsettled(self) -> None:
        """At start: a containment write that was sent but has no recorded outcome (the console stopped while
        it was in flight) may or may not have changed the account. Say so before anyone acts on it again."""
        for incident in self.warroom.book.open_incidents():
            for (action, _), (_, at, target) in sorted(incident.unsettled.items(), key=lambda item: item[1]):
                from ..console.containment import ACTION_TITLES

                title = ACTION_TITLES.get(action, clean(action, 40))
                self.notify(f"{title} for {clean(target, 120)} ({incident.id}) was sent at {self.zone_stamp(at)} "
                            "and no answer from Graph was recorded (the console stopped while it was in flight, "
                            "or Graph never answered). Check the account's state before acting on it again.",
                            title="Outcome unknown", severity="warning", timeout=120, markup=False)

    async def _ensure_filter_box(self) -> Input:
        """The alert filter, above the alerts; `/` pressed before `_mount_the_rest` got to it mounts it at once."""
        if self.filter_box is None:
            from textual.widgets import Input

            self.filter_box = Input(placeholder="filter alerts: words match title, severity, status, source, user",
                                    id="alert-filter")
            alerts = self.query_one(AlertTable)
            self._filter_mounted = self.query_one("#right", Vertical).mount(self.filter_box, before=alerts)
        if not self.filter_box.is_mounted and self._filter_mounted is not None:
            await self._filter_mounted
        return self.filter_box

    @property
    def now(self) -> datetime:
        return console_app(self.app).clock()

    @property
    def zone(self) -> tzinfo | None:
        return self.local_zone if self.use_local else None

    def zone_stamp(self, moment: datetime | None) -> str:
        if moment is None:
            return "—"
        if self.zone is None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %z")

    async def on_mount(self) -> None:
        """Awaited before the first frame: the journal's last known state of the tenant (restored by the app on
        Load) is on it."""
        self.warroom.listeners.append(self._journal_listener)
        self.warroom.rebuild_listeners.append(self._journal_rebuilt)
        self.entry_count = (await self.warroom.journal.head())[0]
        self.refresh_live(set(ALL_SOURCES))
        self.refresh_incident()
        self.tick()
        self.set_interval(1.0, self.tick)
        self.call_after_refresh(self._mount_the_rest)

    def on_screen_resume(self) -> None:
        if self.rest_mounted.is_set():      # back from another screen: clocks and ages now, not a second later
            self.tick()

    def on_unmount(self) -> None:
        if self._journal_listener in self.warroom.listeners:
            self.warroom.listeners.remove(self._journal_listener)
        if self._journal_rebuilt in self.warroom.rebuild_listeners:
            self.warroom.rebuild_listeners.remove(self._journal_rebuilt)

    # -- state in -----------------------------------------------------------------------------------

    def _journal_listener(self, entries: list[Entry]) -> None:
        self.post_message(self.JournalChanged(entries))

    def _journal_rebuilt(self) -> None:
        self.post_message(self.JournalRebuilt())

    async def on_dashboard_screen_journal_rebuilt(self, message: JournalRebuilt) -> None:
        """A shared journal's spool was uploaded: the timeline is read again in the shared numbering."""
        backlog = await self.warroom.journal.last(TIMELINE_BACKLOG)
        self.entry_count = (await self.warroom.journal.head())[0]
        if self.timeline is not None:
            self.timeline.replace_entries(backlog)
        else:
            self.early_entries.clear()      # in the old numbering; `_mount_the_rest` reads the journal afresh
        self.refresh_incident()
        self.refresh_status()

    def on_dashboard_screen_journal_changed(self, message: JournalChanged) -> None:
        self.entry_count = max([self.entry_count, *(e.seq for e in message.entries)])
        if self.timeline is None:
            self.early_entries.extend(message.entries)
        else:
            self.timeline.add_entries(message.entries)
        self.refresh_incident()
        self.refresh_status()

    def on_dashboard_screen_live_changed(self, message: LiveChanged) -> None:
        self.refresh_live(message.sources)

    def refresh_incident(self) -> None:
        incident = self.warroom.incident
        if self.tasks is not None:
            self.tasks.show(incident)
        self.query_one(AlertTable).set_watch(self._watch())
        self._show_banner()

    def _watch(self) -> frozenset[str]:
        """The open incident's watch list (enhanced monitoring), as the alerts pane matches it."""
        incident = self.warroom.incident
        return incident.watched if incident else frozenset()

    def _show_banner(self) -> None:
        banner = self.query_one(IncidentBanner)
        incident = self.warroom.incident
        cadence = None
        if incident is not None:    # comms (the templates' module) loads only once there is an update to time
            from ..console.comms import cadence_minutes

            cadence = cadence_minutes(self.warroom.config)
        others = max(0, len(self.warroom.book.open_incidents()) - 1)   # the banner shows the newest open one
        proposal = self._proposal()
        banner.proposal_key = key_for(self.app, "dashboard.accept_proposal")
        banner.show(incident, self.now, mode=self.warroom.mode, cadence=cadence, others=others, proposal=proposal)
        banner.set_class(banner.overdue, "-overdue")

    def _greyed(self, pane_id: str) -> bool:
        """A pane whose primary source (health, alerts) is stale, throttled, denied or offline shows greyed."""
        live = self.warroom.live
        primary = live.freshness.get(PANE_SOURCES[pane_id][0]) if live else None
        return live is None or (primary is not None and primary.health in GREYED)

    def refresh_live(self, sources: Iterable[str]) -> None:
        """Repaint only the panes whose sources changed; grey out panes whose source is not fresh."""
        live, sources = self.warroom.live, set(sources)
        freshness = live.freshness if live else {}
        for pane_id in PANE_SOURCES:
            self.query_one(f"#{pane_id}").set_class(self._greyed(pane_id), "-stale")
        if live is None:
            self.refresh_status()
            return
        if sources & {"health", "issues"}:
            self.query_one(HealthPane).show(live.health, live.issues, self.now, live.health_since)
        alerts_known = "alerts" in freshness and freshness["alerts"].health is not SourceHealth.WAITING
        if sources & {"alerts", "incidents", "risky_users"} and (alerts_known or live.alerts or live.incidents):
            # The first load (last known state or first poll) is the baseline: only later arrivals are "new".
            table = self.query_one(AlertTable)
            table.set_watch(self._watch())
            first = freshness.get("alerts")         # its first read may arrive over many pages: one baseline
            loading = first is not None and first.last_success is None and first.health is SourceHealth.WAITING
            arrived = table.apply(self.row_cache.changes(live.alerts, live.incidents, live.risky_users), self.now,
                                  loading=loading)
            if self.rate is not None:
                self.rate.show(table.minute_counts, self.now)
            self._announce(arrived)
        if WATCHED_SIGN_INS in sources:
            self._announce_sign_ins(live.watched_sign_ins)
        self.refresh_status()

    def _announce_sign_ins(self, by_user: dict[str, list]) -> None:
        """A watched user's new sign-in: one notification per user and poll. The first poll is the baseline."""
        for upn, sign_ins in by_user.items():
            seen = self.sign_ins_seen.get(upn)
            self.sign_ins_seen[upn] = (seen or set()) | {s.id for s in sign_ins}
            fresh = [s for s in sign_ins if seen is not None and s.id not in seen]
            if not fresh:
                continue
            newest = fresh[0]
            outcome = "signed in" if newest.succeeded else "failed to sign in"
            where = f" from {clean(newest.ip, 45)}" if newest.ip else ""
            place = f" ({clean(newest.location, 60)})" if newest.location else ""
            app = f" to {clean(newest.app, 60)}" if newest.app else ""
            more = f" (+{len(fresh) - 1} more)" if len(fresh) > 1 else ""
            self.notify(f"Watched user {clean(upn, 80)} {outcome}{where}{place}{app}{more}", title="Watch list",
                        severity="warning", timeout=10, markup=False)
        for upn in set(self.sign_ins_seen) - set(by_user):
            del self.sign_ins_seen[upn]      # taken off the watch list: a later watch starts a new baseline

    def _announce(self, arrived: list[AlertRow]) -> None:
        """A new high-severity alert interrupts: a notification, and the bell if the responder asked for it."""
        self._announce_watched(arrived)
        high = [r for r in arrived if r.severity == "high" and r.key not in self.high_seen]
        if not high:
            return
        self.high_seen.update(r.key for r in high)
        more = f" (+{len(high) - 1} more)" if len(high) > 1 else ""
        self.notify(f"{clean(high[0].title, 100)}{more}", title="New high-severity alert", severity="error",
                    timeout=10, markup=False)
        if self.warroom.config.get("ui.bell"):
            self.app.bell()

    def _announce_watched(self, arrived: list[AlertRow]) -> None:
        """A new alert naming a watched user or IP: one notification per alert, whatever its severity."""
        table = self.query_one(AlertTable)
        for row in arrived:
            names = row.watched_by(table.watching)
            if not names or row.key in self.watch_told:
                continue
            self.watch_told.add(row.key)
            who = "user" if "@" in names[0] else "IP"
            more = f" (+{len(names) - 1} more)" if len(names) > 1 else ""
            self.notify(f"Watched {who} {clean(names[0], 80)}{more} in new alert {clean(row.title, 100)}",
                        title="Watch list", severity="warning", timeout=10, markup=False)

    def refresh_status(self) -> None:
        live = self.warroom.live
        freshness = live.freshness if live else {}
        hint = self._sign_in_hint(freshness)
        self.query_one(StatusBar).show(
            mode=self.warroom.mode, tenant=self.warroom.tenant_label, freshness=freshness,
            # The session's book has counted every entry up to the head, observations included (never told).
            journal=self._journal_label(), entries=max(self.entry_count, self.warroom.book.last_seq), now=self.now,
            zone=self.zone or UTC, hint=hint,   # zone None would mean the host's zone
            channels=self.warroom.book.channel_trouble.values(), journal_brief=self._journal_label(brief=True))

    def _sign_in_hint(self, freshness: dict) -> str:
        """"press ctrl+g to sign in" when Graph wants a person: the status bar says it, and a notification once."""
        needed = NOT_CONNECTED in self.warroom.tenant_label or any(needs_sign_in(f) for f in freshness.values())
        if not needed:
            self.sign_in_told = False
            return ""
        hint = f"press {key_for(self.app, 'dashboard.sign_in')} to sign in"
        if not self.sign_in_told:
            self.sign_in_told = True
            self.notify(f"Microsoft Graph needs a sign-in: {hint}", title="Sign-in required", severity="warning",
                        timeout=10, markup=False)
        return hint

    def _journal_label(self, *, brief: bool = False) -> str:
        """Where the journal lives; for a shared one also whether it is reachable and what waits in the spool.
        `brief`: a journal file by its name alone (the status bar at 80 columns)."""
        journal = self.warroom.journal
        where = journal.location if len(journal.location) <= 40 else "…" + journal.location[-39:]
        if brief and not is_shared(journal.location):
            where = clean(Path(journal.location).name, 40)
        if journal.setup_error:          # not an outage: a certificate, a password or a grant to fix
            reason = journal.setup_error.removeprefix(f"{journal.location}: ")
            where += f" · shared journal refused: {clean(reason, 160)}, {journal.pending} spooled"
        elif journal.unreachable_since is not None:
            since = self.zone_stamp(journal.unreachable_since)[11:16]
            where += f" · shared journal unreachable since {since}, {journal.pending} spooled"
        elif journal.upload_error:
            where += f" · shared journal refuses this host's entries, {journal.pending} spooled"
        elif journal.write_error and journal.write_error_since is not None:
            since = self.zone_stamp(journal.write_error_since)[11:16]
            where += f" · JOURNAL {journal.write_error} since {since}: nothing new recorded"
        if journal.readonly:
            where += " · read-only: this role may only read" if is_shared(journal.location) else " · read-only"
        return where

    def tick(self) -> None:
        """Once a second: clocks and ages. Each pane repaints only if its words changed.

        Nothing while another screen is on top (a detail, a guided step): the dimmed dashboard below is not
        rewritten over SSH, and the first tick back catches up.
        """
        if not self.is_current:
            return
        now = self.now
        self._show_banner()
        self.refresh_status()
        self.query_one(AlertTable).tick(now)
        if now.second == 0 and self.warroom.live:
            if self.rate is not None:
                self.rate.show(self.query_one(AlertTable).minute_counts, now)
            self.query_one(HealthPane).show(self.warroom.live.health, self.warroom.live.issues, now,
                                            self.warroom.live.health_since)

    # -- what is selected --------------------------------------------------------------------------------

    def subject(self) -> Subject:
        """What the responder is acting on, resolved once from the live state: the service-health row when that
        pane has focus, else the selected alert, Defender incident or risky user; NOTHING when none."""
        focused = self.focused
        live = self.warroom.live
        if isinstance(focused, HealthPane) and focused.selected_row:
            workload = focused.selected_row
            return resolve(live, "service_issue", workload.issue_ids[0]) if workload.issue_ids else resolve(
                live, "service", workload.service)
        row = self.query_one(AlertTable).selected
        if row is None:
            return NOTHING
        return resolve(live, row.kind, row.id)

    # -- guided response (screens/steps.py, through one hook on the App) -----------------------------

    def _guided(self, step: str) -> None:
        console_app(self.app).open_guided(step, self.subject())

    def action_declare(self) -> None:
        self._guided("declare")

    def action_assess(self) -> None:
        self._guided("assess")

    def action_contain(self) -> None:
        self._guided("contain")

    def action_block_sign_in(self) -> None:
        self._guided("block_sign_in")

    def action_revoke_sessions(self) -> None:
        self._guided("revoke_sessions")

    def action_preserve_evidence(self) -> None:
        self._guided("preserve_evidence")

    def action_investigate(self) -> None:
        self._guided("investigate")

    def action_hunt(self) -> None:
        self._guided("hunt")

    def action_defender(self) -> None:
        self._guided("defender")

    def action_communicate(self) -> None:
        self._guided("communicate")

    def action_recovery(self) -> None:
        self._guided("recovery")

    def action_support_case(self) -> None:
        self._guided("support_case")

    def action_review(self) -> None:
        self._guided("review")

    def action_close(self) -> None:
        self._guided("close")

    def action_sign_in(self) -> None:
        console_app(self.app).sign_in_to_graph()

    def action_link(self) -> None:
        console_app(self.app).link_to_incident(self.subject())

    # -- the lifecycle ----------------------------------------------------------------------------------

    def action_set_status(self) -> None:
        """A prompt prefilled with the next status on the incident's path; the words after it say why."""
        from ..console.lifecycle import path, rank, status_body
        from .prompt import PromptScreen

        incident = self.warroom.incident
        if incident is None:
            return
        steps = [s for s in path(incident.category) if s not in ("declared", "closed")]
        following = next((s for s in steps if path(incident.category).index(s) > rank(incident, incident.status)),
                         steps[-1])

        async def save(text: str | None) -> None:
            if not text:
                return
            status, _, why = text.partition(" ")
            try:
                body = status_body(incident, status, why)
            except ValueError as error:
                self.notify(str(error), title="Status not changed", severity="warning", markup=False)
                return
            if await self._record(kinds.INCIDENT_STATUS, body, incident=incident.id):
                self.notify(f"{incident.id}: {body['previous']} → {body['status']}", timeout=4, markup=False)

        close = key_for(self.app, "dashboard.close")
        self.app.push_screen(PromptScreen(
            f"Status of {incident.id} (now {incident.status})", value=f"{following} ",
            placeholder="status, then why", hint=f"{' → '.join(steps)} · then why · closing: {close}"), save)

    def action_accept_proposal(self) -> None:
        """The proposed status once the responder answers the question naming the incident and both statuses."""
        from ..console.lifecycle import status_body
        from .status_proposal import StatusProposalScreen

        incident, proposal = self.warroom.incident, self._proposal()
        if incident is None or proposal is None:
            self.notify("Nothing proposed now", timeout=3)
            return

        async def answered(accept: bool | None) -> None:
            if not accept:
                return
            if self._proposal() != proposal:        # another console moved the incident meanwhile
                self.notify(f"{incident.id} is {incident.status} now: nothing written", title="Proposal gone",
                            severity="warning", timeout=6, markup=False)
                return
            body = status_body(incident, proposal.status, proposal.why, proposal=proposal)
            if await self._record(kinds.INCIDENT_STATUS, body, incident=incident.id):
                notice = (f"; now send the {proposal.notice} notice: "
                          f"press {key_for(self.app, 'dashboard.communicate')}") if proposal.notice else ""
                self.notify(f"{incident.id} is {proposal.status}{notice}", timeout=8, markup=False)
                self._show_banner()

        self.app.push_screen(StatusProposalScreen(incident, proposal), answered)

    def action_open_linked_issue(self) -> None:
        """The incident's Microsoft issue, restored or not, as Graph last said it (or the journal, offline)."""
        from .issue_detail import IssueDetailScreen

        live = self.warroom.live
        for issue_id in self._linked_issue_ids():
            issue = live.issue(issue_id) if live else None
            if issue is not None:
                self.app.push_screen(IssueDetailScreen(issue, zone_stamp=self.zone_stamp,
                                                       subject=of_issue(issue, live)))
                return
        self.notify("The linked Microsoft issue has not been read yet", severity="warning", timeout=4)

    def action_messages(self) -> None:
        from .messages import MessageCenterScreen

        live = self.warroom.live
        incident = self.warroom.incident
        self.app.push_screen(MessageCenterScreen((live.messages if live else {}).values(),
                                                 incident.services if incident else []))

    def action_handoff(self) -> None:
        incident = self.warroom.incident
        if incident is None:
            return

        async def show() -> None:
            from ..console.comms import cadence_minutes
            from ..console.handoff import handoff_sections
            from .handoff import HandoffScreen

            try:
                entries = await self.warroom.journal.entries(incident=incident.id)
            except JournalError as error:
                self.notify(str(error), title="Journal not read", severity="error", markup=False)
                return
            sections = handoff_sections(incident, entries, cadence=cadence_minutes(self.warroom.config),
                                        now=self.now, live=self.warroom.live)

            def closed(then: str | None) -> None:
                if then == "hand_over":
                    self._ask_hand_over(reopen=True)

            self.app.push_screen(HandoffScreen(incident.id, sections), closed)

        self.run_worker(show(), group="handoff", exclusive=True, exit_on_error=False)

    def action_hand_over(self) -> None:
        self._ask_hand_over(reopen=False)

    def _ask_hand_over(self, *, reopen: bool) -> None:
        """Which role, then who takes it: journaled with the hand-off page as it stood (console/handoff.py)."""
        from ..console.incidents import ROLE_NAMES
        from .prompt import PromptScreen

        incident = self.warroom.incident
        if incident is None:
            return

        async def save(text: str | None) -> None:
            from ..console.comms import cadence_minutes
            from ..console.handoff import hand_over, role_named

            if not text:
                return
            word, _, person = text.partition(" ")
            try:
                role = role_named(word)
                await hand_over(self.warroom, incident, role, person, cadence=cadence_minutes(self.warroom.config),
                                now=self.now)
            except ValueError as error:
                self.notify(str(error), title="Not handed over", severity="warning", markup=False)
                return
            except JournalError as error:
                self.notify(str(error), title="Not written to the journal", severity="error", markup=False)
                return
            self.notify(f"{ROLE_NAMES[role]} of {incident.id} handed over to {person.strip()}", timeout=6,
                        markup=False)
            if reopen:
                self.action_handoff()

        holders = ", ".join(f"{ROLE_NAMES.get(role, role)} {person}" for role, person in incident.roles.items())
        self.app.push_screen(PromptScreen(
            f"Hand a role over · {incident.id}", value="incident_commander ",
            placeholder="role, then who takes it",
            hint=f"now: {holders or 'no roles named'} · roles: {', '.join(ROLE_NAMES)} (or ic, comms) · then who "
                 "takes it · Enter hands it over"), save)

    # -- journal entries without leaving the screen -----------------------------------------------------

    async def _record(self, kind: str, body: dict[str, Any], *, incident: str | None) -> bool:
        try:
            await self.warroom.record(kind, body, incident=incident)
        except JournalError as error:
            self.notify(str(error), title="Not written to the journal", severity="error", markup=False)
            return False
        return True

    def _incident_id(self) -> str | None:
        incident = self.warroom.incident
        return incident.id if incident else None

    def action_note(self) -> None:
        from .prompt import PromptScreen

        async def save(text: str | None) -> None:
            if text and await self._record(kinds.NOTE, {"text": text}, incident=self._incident_id()):
                self.notify("Note added to the journal", timeout=3)

        self.app.push_screen(PromptScreen("Note", placeholder="what happened, what you saw"), save)

    def action_decision(self) -> None:
        from .prompt import PromptScreen

        async def save(text: str | None) -> None:
            if not text:
                return
            decision, _, reason = text.partition(" because ")
            body = {"text": text} if not reason else {"text": decision.strip(), "reason": reason.strip()}
            if await self._record(kinds.DECISION, body, incident=self._incident_id()):
                self.notify("Decision recorded", timeout=3)

        self.app.push_screen(PromptScreen("Decision", placeholder="we will … because …",
                                          hint="“… because …” records the reason too · Enter to save"), save)

    def _need_incident(self) -> str | None:
        incident_id = self._incident_id()
        if incident_id is None:
            self.notify(f"No open incident: press {key_for(self.app, 'dashboard.declare')} to declare one",
                        severity="warning", timeout=4, markup=False)
        return incident_id

    def action_add_task(self) -> None:
        from .prompt import PromptScreen

        incident_id = self._need_incident()
        if incident_id is None:
            return

        async def save(text: str | None) -> None:
            """The task id is claimed inside the write transaction: two consoles never add the same T<n>."""
            if not text:
                return
            try:
                task_id = await self.warroom.record_new_task(
                    incident_id, lambda task_id: Draft(kinds.TASK_ADDED, {"task_id": task_id, "text": text},
                                                       incident_id))
            except (JournalError, ValueError) as error:
                self.notify(str(error), title="Not written to the journal", severity="error", markup=False)
                return
            self.notify(f"Added {task_id}", timeout=3, markup=False)

        self.app.push_screen(PromptScreen("Add task", placeholder="what needs doing"), save)

    async def _selected_task(self) -> tuple[str | None, Task | None]:
        await self.rest_mounted.wait()
        incident_id = self._need_incident()
        task = self.tasks.selected if self.tasks is not None else None
        if incident_id and task is None:
            self.notify("No task selected", severity="warning", timeout=3)
        return (incident_id, task) if incident_id and task else (None, None)

    async def action_open_task(self) -> None:
        """Enter on the Tasks pane: the task in full (the pane has room for a few words of it)."""
        from .task_detail import TaskDetailScreen

        incident_id, task = await self._selected_task()
        if incident_id is not None and task is not None:
            incident = self.warroom.book.incidents.get(incident_id)
            self.app.push_screen(TaskDetailScreen(task, incident, self.warroom.live, self.zone_stamp))

    async def action_toggle_task(self) -> None:
        """Mark the selected task done (or open again) once the responder answers the question naming it."""
        from .task_done import TaskDoneScreen

        incident_id, task = await self._selected_task()
        if task is None:
            return

        async def answered(mark: bool | None) -> None:
            status = "open" if task.done else "done"
            if mark and await self._record(kinds.TASK_UPDATED, {"task_id": task.id, "status": status},
                                           incident=incident_id):
                self.notify(f"{task.id} {'open again' if task.done else 'done'}: {clean(task.text, 80)}", timeout=4,
                            markup=False)

        self.app.push_screen(TaskDoneScreen(task), answered)

    async def action_assign_task(self) -> None:
        from .prompt import PromptScreen

        incident_id, task = await self._selected_task()
        if task is None:
            return

        async def save(owner: str | None) -> None:
            if owner:
                await self._record(kinds.TASK_UPDATED, {"task_id": task.id, "owner": owner}, incident=incident_id)

        self.app.push_screen(PromptScreen(f"Owner of {task.id}", value=task.owner or self.warroom.actor), save)

    async def action_block_task(self) -> None:
        from .prompt import PromptScreen

        incident_id, task = await self._selected_task()
        if task is None:
            return

        async def save(blockers: str | None) -> None:
            body = {"task_id": task.id, "status": "blocked", "blockers": blockers} if blockers else {
                "task_id": task.id, "status": "open", "blockers": ""}
            await self._record(kinds.TASK_UPDATED, body, incident=incident_id)

        self.app.push_screen(PromptScreen(f"What blocks {task.id}?", value=task.blockers,
                                          hint="Empty clears the blocker · Enter to save"), save)

    # -- navigation and view ------------------------------------------------------------------------

    async def action_filter(self) -> None:
        box = await self._ensure_filter_box()
        box.add_class("-visible")
        self.set_focus(box)   # now, not after the queue: letters typed right after / must not reach the bindings

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "alert-filter":
            self.query_one(AlertTable).filter_text = event.value

    def action_leave_filter(self) -> None:
        box = self.filter_box
        if box is not None and not box.value:
            box.remove_class("-visible")
        self.set_focus(self.query_one(AlertTable))

    def action_clear_filter(self) -> None:
        box = self.filter_box
        if box is not None:
            box.value = ""
            box.remove_class("-visible")
        self.set_focus(self.query_one(AlertTable))

    def action_sort_alerts(self) -> None:
        self.query_one(AlertTable).action_sort_next()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """At 80x24 an opened summary pane (service health, the timeline) takes its rows from the tasks, which fold
        to their own summary, rather than from the alerts (dashboard.tcss)."""
        self.set_class(event.widget.id in self.UNFOLDING, "-unfolded")

    async def action_focus_pane(self, pane: str) -> None:
        """Focus moves now, not after the queue: a key typed right after `3` belongs to the Tasks pane."""
        await self.rest_mounted.wait()
        self.set_focus(self.query_one(f"#{pane}"))

    def action_toggle_zone(self) -> None:
        self.use_local = not self.use_local
        name = self.local_name if self.use_local else "UTC"
        if self.timeline is not None:
            self.timeline.set_zone(self.zone, name)
        self.refresh_status()
        self.notify(f"Times shown in {name}", timeout=2, markup=False)   # name is from config

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(("dashboard", "alerts", "health", "list", "tasks", "guided", "app")))

    def on_health_pane_issue_requested(self, message: HealthPane.IssueRequested) -> None:
        from .issue_detail import IssueDetailScreen

        live = self.warroom.live
        issue = live.issue(message.issue_id) if live else None
        if issue is None:
            self.notify(f"{message.issue_id}: not loaded yet", severity="warning", markup=False)
            return
        subject = of_issue(issue, live)
        self.app.push_screen(IssueDetailScreen(issue, zone_stamp=self.zone_stamp, subject=subject))

    def on_alert_table_selected(self, message: AlertTable.Selected) -> None:
        from .alert_detail import AlertDetailScreen

        live = self.warroom.live
        if live is None:
            return
        row = message.row
        item: Alert | SecurityIncident | RiskyUser | None = (
            live.alerts.get(row.id) if row.kind == "alert" else live.incidents.get(row.id) if row.kind == "incident"
            else live.risky_users.get(row.id))
        if item is None:
            return
        subject = resolve(live, row.kind, row.id)
        self.app.push_screen(AlertDetailScreen(item, zone_stamp=self.zone_stamp, subject=subject))
