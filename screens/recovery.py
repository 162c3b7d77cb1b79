"""RecoveryScreen: one affected service at a time, its recovery options from the playbooks as a checklist.

Each option shows how to verify it; an option that needs a service that is down is listed apart with the reason and
cannot be ticked (console/recovery.py decides, from the playbooks' `needs`). Ticking one journals what the responder
saw, in their words; where Graph can verify it, the live-check key reads the tenant now and journals what it said: a
met check does the option's task. The Microsoft support case is shown, and recorded or updated from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..console import recovery
from ..console.containment import explain_graph
from ..console.graph.errors import GraphError, SignInRequired
from ..console.journal import kinds
from ..console.playbooks import PlaybookLibrary
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, key_for, labelled
from .guided import GuidedScreen, heading, plain

if TYPE_CHECKING:
    from ..console.graph.gateway import GraphGateway

REFRESH_SECONDS = 5.0       # health and other consoles' ticks change what is offered: looked at this often


def _stamp(moment: datetime) -> str:
    return f"{moment:%H:%M} UTC"


class RecoveryScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "recovery.tcss"]
    BINDINGS = bindings("recovery")
    ACTION_PLACES = ("recovery", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.clock = clock or utc_now
        self.library = PlaybookLibrary()
        self.services: list[str] = []
        self.service_index = 0
        self.items: list[recovery.Offer] = []
        self.lines: list[str] = []
        self.shown: dict[str, str] = {}         # selector -> the words last painted there
        self.running = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("verify", "check", "back") and self.running:
            return None
        return super().check_action(action, parameters)

    def action_back(self) -> None:
        if self.running:
            self.outcome("A live check is running: wait for its result before leaving this screen.", error=True)
            return
        super().action_back()

    @property
    def service(self) -> str:
        return self.services[self.service_index] if self.services else ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="recovery-form"):
            yield Static(heading("Recovery", self.incident), classes="heading")
            yield Static("", id="recovery-service")
            yield Static("", id="recovery-case")
            yield OptionList(id="recovery-options")
            yield Static("", id="recovery-detail")
            with Horizontal(classes="row"):
                yield Label("What you saw", classes="field-label")
                yield Input(placeholder="the verification result, in your words", compact=True, id="recovery-text")
        yield Static("", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "recovery.verify"), id="recovery-verify", variant="primary", compact=True)
            yield Button(labelled(self.app, "recovery.check"), id="recovery-check", compact=True)
            yield Button(labelled(self.app, "recovery.next_service"), id="recovery-next", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="recovery-back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#recovery-options", OptionList).focus()
        self.run_worker(self._load(), group="recovery-load", exit_on_error=False)

    async def _load(self) -> None:
        """The playbooks are files: read off the event loop, then the first service shown."""
        self.library = await asyncio.to_thread(PlaybookLibrary.load, self.warroom.config.get("playbooks.folder"))
        incident = self.incident
        if incident is not None:
            self.services = recovery.services(incident, self.library)
            named = [s for s in self.services if any(self.library.for_service(n) is self.library.for_service(s)
                                                     for n in self.subject.services)]
            if named:
                self.service_index = self.services.index(named[0])
        self._show(force=True)
        self.set_interval(REFRESH_SECONDS, self._show)
        if incident is None:
            self.say("No open incident: declare one first.", error=True)
        elif not self.services:
            self.say(f"No recovery options for a {incident.category} incident on "
                     f"{', '.join(incident.services) or 'no named service'}: name the affected services "
                     "when declaring.", error=True)

    def on_screen_resume(self) -> None:
        self._show()

    # -- what is shown --------------------------------------------------------------------------------------

    def _show(self, force: bool = False) -> None:
        incident = self.incident
        if incident is None:
            return
        live = self.warroom.live
        self.items = recovery.offers(incident, self.library, self.service, live) if self.service else []
        lines = [self._line(item) for item in self.items]
        options = self.query_one("#recovery-options", OptionList)
        if force or lines != self.lines:
            highlighted = options.highlighted
            options.clear_options()
            options.add_options(Option(Text(line, style="dim" if item.blocked else ""), id=item.option.id)
                                for line, item in zip(lines, self.items, strict=True))
            if self.items:
                options.highlighted = min(highlighted or 0, len(self.items) - 1)
            self.lines = lines
        where = f"{self.service_index + 1} of {len(self.services)}" if self.services else "none"
        health = recovery.health_line(self.service, live, self.library) if self.service else ""
        nxt = f" · {key_for(self.app, 'recovery.next_service')} next" if len(self.services) > 1 else ""
        self._put("#recovery-service", f"Service {where}: {health}{nxt}")
        case = recovery.case_line(incident.support_case())
        self._put("#recovery-case", f"{case} · {key_for(self.app, 'recovery.case')} to record or update")
        self._show_detail()

    def _put(self, selector: str, text: str) -> None:
        """Repaint a line only when its words change: the periodic look must not redraw an idle screen over SSH."""
        text = clean(text, 2000, keep_newlines=True)
        if self.shown.get(selector) != text:
            self.shown[selector] = text
            self.query_one(selector, Static).update(plain(text))

    def _line(self, item: recovery.Offer) -> str:
        task = f"{item.task.id} " if item.task else ""
        if item.blocked:
            return clean(f"✗ {task}{item.option.text} — not offered: {item.blocked}", 300)
        mark = "✓" if item.verified else "○"
        check = " [live check]" if item.option.check else ""
        return clean(f"{mark} {task}{item.option.text}{check}", 300)

    def _selected(self) -> recovery.Offer | None:
        index = self.query_one("#recovery-options", OptionList).highlighted
        return self.items[index] if index is not None and 0 <= index < len(self.items) else None

    def _show_detail(self) -> None:
        item = self._selected()
        if item is None:
            self._put("#recovery-detail", "")
            return
        lines = [f"Verify: {item.option.verify}"]
        if item.blocked:
            lines.append(f"Not offered now: {item.blocked}.")
        elif item.option.check:
            what = recovery.CHECK_NAMES.get(str(item.option.check.get("type")), "live check")
            lines.append(f"Live check: {what} ({key_for(self.app, 'recovery.check')} reads the tenant now)")
        else:
            lines.append(f"No live check: type what you saw, then {key_for(self.app, 'recovery.verify')}")
        state = item.state
        if state and state.verified:
            done = state.verified
            lines.append(f"Verified {_stamp(done.at)} by {done.actor}: {done.text}")
        if state and state.last and state.last is not state.verified:
            last = state.last
            lines.append(f"Last {'check' if last.by == 'check' else 'entry'} {_stamp(last.at)} ({last.result}): "
                         f"{last.text}")
        if item.task and item.task.done and not (state and state.verified):
            lines.append(f"Its task {item.task.id} is done.")
        self._put("#recovery-detail", "\n".join(clean(line, 400) for line in lines))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on an option: the words are what comes next."""
        self.query_one("#recovery-text", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"recovery-verify": self.action_verify, "recovery-check": self.action_check,
                   "recovery-next": self.action_next_service,
                   "recovery-back": self.action_back}
        handler = actions.get(event.button.id or "")
        if handler:
            handler()

    # -- actions --------------------------------------------------------------------------------------------

    def action_next_service(self) -> None:
        if len(self.services) < 2:
            self.outcome(f"{self.service or 'No service'} is the only affected service with recovery options.",
                         error=not self.services)
            return
        self.service_index = (self.service_index + 1) % len(self.services)
        self._show(force=True)
        self.say(f"Now showing {self.service}.")

    def _chosen(self) -> recovery.Offer | None:
        item = self._selected()
        if item is None:
            self.outcome("Nothing to verify: this service has no recovery options here.", error=True)
        return item

    def action_verify(self) -> None:
        item, incident = self._chosen(), self.incident
        if item is None or incident is None:
            return
        text = self.query_one("#recovery-text", Input).value
        try:
            body = recovery.verified_body(item, text)
        except ValueError as error:
            self.outcome(f"Not verified: {error}", error=True)
            return
        self.run_worker(self._record(body, incident.id, f"Verified: {item.option.text}"), group="recovery-write",
                        exit_on_error=False)

    async def _record(self, body: dict, incident_id: str, what: str) -> None:
        try:
            entry = await self.warroom.record(kinds.RECOVERY, body, incident=incident_id)
        except Exception as error:
            self.outcome(f"Not journaled: {error}", error=True)
            return
        self.query_one("#recovery-text", Input).value = ""
        task = f"; {body['task_id']} done" if body.get("task_id") else ""
        self._show()
        self.outcome(f"{what} (entry {entry.seq}{task}).", error=body.get("result") == "not met")

    def action_check(self) -> None:
        item, incident = self._chosen(), self.incident
        if item is None or incident is None:
            return
        if item.blocked:
            self.outcome(f"Not offered now: {item.blocked}.", error=True)
            return
        if not item.option.check:
            self.outcome(f"No live check for this option: type what you saw and press "
                         f"{key_for(self.app, 'recovery.verify')}.", error=True)
            return
        gateway = self.warroom.gateway
        if gateway is None:
            self.outcome("Not connected to a tenant: no live check can run. Verify by hand.", error=True)
            return
        if self.running:
            self.outcome("A live check is running: wait for its result.", error=True)
            return
        self.running = True
        self.refresh_bindings()
        self.say(f"Reading the tenant for {item.option.text}…")
        text = self.query_one("#recovery-text", Input).value
        self.run_worker(self._check(gateway, item, incident.id, text), group="recovery-check", exit_on_error=False)

    async def _check(self, gateway: GraphGateway, item: recovery.Offer, incident_id: str, text: str) -> None:
        try:
            incident = self.warroom.book.incidents[incident_id]
            entries = await self.warroom.journal.entries(incident=incident_id)
            result = await recovery.run_check(gateway, item, incident, library=self.library,
                                              live=self.warroom.live, entries=entries, now=self.clock())
        except (GraphError, SignInRequired) as error:
            self.outcome(explain_graph(error, "running the live check") + " Nothing was journaled.", error=True)
            return
        except Exception as error:
            self.outcome(f"Live check failed: {error}. Nothing was journaled.", error=True)
            return
        finally:
            self.running = False
            self.refresh_bindings()
        said = {"met": "Live check met", "not met": "Live check NOT met", "unknown": "Live check inconclusive"}
        await self._record(recovery.check_body(item, result, text), incident_id,
                           f"{said.get(result.state, result.state)}: {result.detail}")

    def action_case(self) -> None:
        if self.incident is None:
            self.outcome("No open incident to record a support case on.", error=True)
            return
        from .support_case import SupportCaseScreen

        def saved(message: str | None) -> None:
            self._show()
            if message:
                self.outcome(message)

        self.app.push_screen(SupportCaseScreen(self.warroom, self.subject, incident_id=self.incident.id,
                                               clock=self.clock), saved)
