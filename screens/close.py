"""CloseScreen: response metrics, the post-incident checklist, follow-up actions, then incident.closed.

Opened as "review" it saves answers without closing; opened as "close" it also asks for a summary. Each answer
is a kinds.REVIEW entry and each follow-up a kinds.FOLLOW_UP entry with an owner and a due date.

The checklist file and the journal are read in a worker when the screen opens ("reading the journal…"); a
journal that refuses or fails is said on the message line, and the console stays open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from ..console import eradication
from ..console.comms import cadence_minutes
from ..console.journal import Draft, Entry, JournalError, kinds
from ..console.lifecycle import close_drafts, open_tasks
from ..console.metrics import ChecklistItem, follow_up_body, load_checklist, response_metrics, updates_on_time
from ..console.playbooks import check_state
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, key_for, labelled
from .guided import GuidedScreen, heading, plain


class CloseScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "close.tcss"]
    BINDINGS = bindings("close")
    # The first field there when it opens; the checklist's first field takes the focus once it is read.
    AUTO_FOCUS = "#follow-text"
    ACTION_PLACES = ("close", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, closing: bool = True,
                 incident_id: str | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.closing = closing
        self.clock = clock
        self.checklist: list[ChecklistItem] = []
        self.closing_now = False    # incident.closed is being journaled: F2 again must not close twice
        self.open_tasks_seen: tuple[str, ...] | None = None     # the open tasks listed when F2 asked
        self.answers: dict[str, str] = {}
        self.follow_ups: list[str] = []
        self.linked_open: list[Any] = []    # Defender alerts still open there: closing offers to resolve them
        self.resolving = False
        self.resolved: set[str] = set()

    def condition(self, name: str) -> bool:
        """F2 closes only when opened to close: on the review step it is neither shown nor live."""
        if name == "linked_alerts":
            return bool(self.linked_open) and not self.resolving
        return self.closing if name == "closing" else True

    def compose(self) -> ComposeResult:
        incident = self.incident
        with VerticalScroll(id="close-form"):
            verb = "Close" if self.closing else "Review"
            yield Static(heading(verb, incident), classes="heading")
            yield Static("Metrics", classes="subheading")
            yield Static("reading the journal…", id="close-metrics")
            yield Static("Follow-up actions", classes="subheading", id="close-follow-heading")
            with Horizontal(classes="row"):
                yield Input(placeholder="action", compact=True, id="follow-text")
                yield Input(placeholder="owner", compact=True, id="follow-owner", classes="narrow")
                yield Input(placeholder="due YYYY-MM-DD", compact=True, id="follow-due", classes="narrow")
            yield Static("", id="close-follow-ups")
            if self.closing:
                yield Static("", id="close-defender")
                with Horizontal(classes="row", id="close-defender-row"):
                    yield Label("Type the incident id", classes="field-label")
                    yield Input(placeholder="to resolve them in Defender", compact=True, id="close-defender-confirm")
                with Horizontal(classes="row"):
                    yield Label("Closing summary", classes="field-label")
                    yield Input(placeholder="one line: what happened and how it ended", compact=True,
                                id="close-summary")
        yield Static("", id="message")
        with Horizontal(classes="buttons"):
            if self.closing:
                yield Button(labelled(self.app, "close.close"), id="close-submit",
                             action="screen.close_incident", variant="error", compact=True)
            yield Button(labelled(self.app, "close.save"), id="close-save",
                         action="screen.save_review", variant="primary", compact=True)
            yield Button(labelled(self.app, "close.follow_up"), id="close-add",
                         action="screen.add_follow_up", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="close-back", action="screen.back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._offer_defender()
        self.run_worker(self._load(), exclusive=True, group="load", exit_on_error=False)

    def _offer_defender(self) -> None:
        """Closing offers to resolve, in Defender, the linked alerts Defender still has open."""
        if not self.closing:
            return
        incident = self.incident
        found = eradication.open_linked_alerts(self.warroom, incident.id) if incident else []
        self.linked_open = [alert for alert in found if alert.id not in self.resolved]
        line = self.query_one("#close-defender", Static)
        self.query_one("#close-defender-row").display = bool(self.linked_open)
        line.display = bool(self.linked_open)
        if self.linked_open:
            names = "; ".join(f"{clean(a.title, 60)} ({clean(a.status, 20)})" for a in self.linked_open[:5])
            more = f" and {len(self.linked_open) - 5} more" if len(self.linked_open) > 5 else ""
            line.update(plain(f"{len(self.linked_open)} linked Defender alert(s) still open in Defender: {names}"
                              f"{more}. To resolve them there too (one PATCH security/alerts_v2/{{id}} "
                              f"{{\"status\":\"resolved\"}} each, sent once), type the incident id and press "
                              f"{key_for(self.app, 'close.resolve_alerts')}."))
        self.refresh_bindings()

    def action_resolve_alerts(self) -> None:
        incident = self.incident
        if incident is None or not self.linked_open or self.resolving:
            return
        typed = self.query_one("#close-defender-confirm", Input).value
        if typed.strip().casefold() != incident.id.casefold():
            self.say(f"Type {incident.id} exactly to resolve the linked alerts in Defender. Nothing was sent.",
                     error=True)
            return
        self.resolving = True
        self.refresh_bindings()
        plans = eradication.plans_to_resolve(self.linked_open, incident.id)
        self.run_worker(self._resolve(plans, typed, incident.id), group="defender", exit_on_error=False)

    async def _resolve(self, plans: list[eradication.EradicationPlan], typed: str, incident_id: str) -> None:
        done, failed = 0, []
        try:
            for plan in plans:
                outcome = await eradication.execute(self.warroom, plan, typed=typed, incident=incident_id)
                if outcome.result in ("ok", "dry-run"):
                    done += 1
                else:
                    failed.append(outcome.message)
                    break       # a 403 or 429 for one is the same for the next: stop, say it
        except Exception as error:
            failed.append(str(error))
        finally:
            self.resolving = False
            self.query_one("#close-defender-confirm", Input).value = ""
        if failed:
            self.say(f"Resolved {done} of {len(plans)} in Defender; stopped: {failed[0]}", error=True)
        else:
            self.say(f"Resolved {done} linked alert(s) in Defender (each journaled with its request id).")
        self.resolved.update(plan.target for plan in plans[:done])    # until the next poll says so too
        self._offer_defender()

    def _checklist_widgets(self) -> list[Static | Horizontal]:
        widgets: list[Static | Horizontal] = []
        section = ""
        for item in self.checklist:
            if item.section != section:
                section = item.section
                widgets.append(Static(plain(section), classes="subheading"))
            widgets.append(Horizontal(Label(plain(item.title), classes="field-label"),
                                      Input(placeholder=clean(item.prompt), compact=True, id=f"review-{item.id}"),
                                      classes="row"))
        return widgets

    async def _load(self) -> None:
        """Checklist (a file) and the incident's entries, read off the event loop; failures are said, not fatal."""
        incident = self.incident
        if incident is None:
            return
        try:
            self.checklist = await asyncio.to_thread(load_checklist)
        except (ValueError, OSError) as error:
            self.say(f"Checklist not loaded: {error}", error=True)
        if self.checklist:
            form = self.query_one("#close-form", VerticalScroll)
            await form.mount_all(self._checklist_widgets(), before=self.query_one("#close-follow-heading"))
            self._focus_first_answer()
        try:
            entries = await self.warroom.journal.entries(incident=incident.id)
        except JournalError as error:
            self.query_one("#close-metrics", Static).update(plain(f"Journal not read: {error}"))
            self.say(f"Journal not read: {error}", error=True)
            return
        self._show_metrics(entries)
        for entry in entries:
            if entry.kind == kinds.REVIEW:
                self.answers[str(entry.body.get("item"))] = str(entry.body.get("text", ""))
            elif entry.kind == kinds.FOLLOW_UP:
                self.follow_ups.append(self._follow_up_line(entry.body))
        for item in self.checklist:
            if item.id in self.answers:
                self.query_one(f"#review-{item.id}", Input).value = self.answers[item.id]
        self._show_follow_ups()

    def _focus_first_answer(self) -> None:
        """The checklist's first field once it is there, unless the responder has already moved or typed."""
        follow = self.query_one("#follow-text", Input)
        if self.focused is follow and not follow.value:
            self.query_one(f"#review-{self.checklist[0].id}", Input).focus(scroll_visible=False)
            self.query_one("#close-form", VerticalScroll).scroll_home(animate=False)

    def _show_metrics(self, entries: list[Entry]) -> None:
        """Two columns, the values never wrapped: at 80 columns a metric's name wraps, "not reached" stays whole."""
        incident = self.incident
        assert incident is not None
        grid = Table.grid(padding=(0, 2))
        grid.add_column(ratio=1, overflow="fold")
        grid.add_column(no_wrap=True)
        for metric in response_metrics(incident, entries):
            grid.add_row(plain(metric.name), plain(metric.text()))
        lines = []
        for task in incident.tasks.values():
            state = check_state(task.check, incident, self.warroom.live)
            if state is not None and task.check is not None:
                lines.append(f"Live check {task.id} ({task.check.get('type', '').replace('_', ' ')}): {state}")
        lines.append(updates_on_time(incident, entries, cadence_minutes(self.warroom.config), self.clock()).text())
        self.query_one("#close-metrics", Static).update(Group(grid, plain("\n".join(lines))))

    @staticmethod
    def _follow_up_line(body: dict[str, Any]) -> str:
        return f"• {body.get('text')} — {body.get('owner')}, due {body.get('due')}"

    def _show_follow_ups(self) -> None:
        self.query_one("#close-follow-ups", Static).update(plain("\n".join(self.follow_ups) or "none yet"))

    def _review_drafts(self) -> list[Draft]:
        incident = self.incident
        assert incident is not None
        drafts = []
        for item in self.checklist:
            text = self.query_one(f"#review-{item.id}", Input).value.strip()
            if text and text != self.answers.get(item.id):
                drafts.append(Draft(kinds.REVIEW, {"item": item.id, "title": item.title, "text": text}, incident.id))
        return drafts

    def action_add_follow_up(self) -> None:
        incident = self.incident
        if incident is None:
            return
        fields = [self.query_one(f"#follow-{key}", Input) for key in ("text", "owner", "due")]
        try:
            body = follow_up_body(*(f.value for f in fields))
        except ValueError as error:
            self.outcome(str(error), error=True)
            return
        self.run_worker(self._record([Draft(kinds.FOLLOW_UP, body, incident.id)], f"Follow-up added: {body['text']}"),
                        group="journal", exit_on_error=False)
        for field in fields:
            field.value = ""

    def action_save_review(self) -> None:
        drafts = self._review_drafts()
        if not drafts:
            self.outcome("No new answers to save.")
            return
        self.run_worker(self._record(drafts, f"Saved {len(drafts)} review answer(s)."), group="journal",
                        exit_on_error=False)

    def action_close_incident(self) -> None:
        incident = self.incident
        if not self.closing or incident is None or self.closing_now:
            return
        summary = self.query_one("#close-summary", Input).value.strip()
        if not summary:
            self.outcome("Write a one-line closing summary first.", error=True)
            return
        still_open = tuple(task.id for task in open_tasks(incident))
        if still_open and still_open != self.open_tasks_seen:     # ask, listing them; F2 again closes anyway
            self.open_tasks_seen = still_open
            listed = "; ".join(f"{task.id} {clean(task.text, 40)}" for task in open_tasks(incident)[:8])
            listed += f"; and {len(still_open) - 8} more" if len(still_open) > 8 else ""
            again = key_for(self.app, "close.close")
            self.outcome(f"{len(still_open)} task(s) still open: {listed}. {again} again closes with them open "
                         "(the report lists them as open).", error=True)
            return
        drafts = self._review_drafts() + close_drafts(incident, summary)
        self.closing_now = True
        self.run_worker(self._close(drafts), group="close", exit_on_error=False)

    async def _record(self, drafts: list[Draft], done: str) -> None:
        if await self.journaled(self.warroom.record_many(drafts), "Not saved") is None:
            return
        for draft in drafts:      # shown as saved only once the journal has them
            if draft.kind == kinds.REVIEW:
                self.answers[draft.body["item"]] = draft.body["text"]
            elif draft.kind == kinds.FOLLOW_UP:
                self.follow_ups.append(self._follow_up_line(draft.body))
                self._show_follow_ups()
        self.outcome(done)

    async def _close(self, drafts: list[Draft]) -> None:
        incident_id = self.incident.id if self.incident else None
        if await self.journaled(self.warroom.record_many(drafts), "Not closed") is None:
            self.closing_now = False
            return
        self.app.notify(f"Closed {incident_id}")
        self.dismiss(incident_id)
