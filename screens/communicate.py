"""CommunicateScreen: draft a stakeholder update from the template, edit it, copy or save it, mark it sent.

The draft is filled from the journal and Microsoft's latest post; the countdown shows when the next update is
due at this severity's cadence. Copy uses OSC 52 (tmux may swallow it, so the screen says what was copied);
"Mark as sent" journals comms.sent with the full text, which restarts the countdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea

from ..console import comms
from ..console.config import APP_NAME
from ..console.journal import kinds
from ..console.session import WarRoom
from ..console.timefmt import utc_now
from .guided import GuidedScreen


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "No update due (incident closed)."
    seconds = int((due - now).total_seconds())
    when = due.strftime("%H:%M UTC")
    if seconds < 0:
        return f"Update OVERDUE by {-seconds // 60} min (was due {when})."
    return f"Next update due {when}: in {seconds // 60} min {seconds % 60:02d} s."


class CommunicateScreen(GuidedScreen):
    CSS_PATH = "communicate.tcss"
    BINDINGS = [
        Binding("f2", "mark_sent", "Mark as sent", id="communicate.sent"),
        Binding("f3", "copy", "Copy", id="communicate.copy"),
        Binding("f4", "save", "Save to file", id="communicate.save"),
        Binding("f5", "refill", "Refill from template", id="communicate.refill"),
    ]

    def __init__(self, warroom: WarRoom, *, clock: Callable[[], datetime] = utc_now, **context: Any) -> None:
        super().__init__(warroom, **context)
        self.clock = clock
        self.templates: dict[str, comms.Template] = {}
        self.load_error = ""
        try:
            self.templates = comms.load_templates(warroom.config)
        except (comms.TemplateError, OSError) as error:
            self.load_error = f"Templates not loaded: {error}"

    def _default_kind(self) -> str:
        incident = self.incident
        if incident and incident.status == "resolved":
            return "resolution"
        return "progress" if incident and incident.updates_sent else "initial"

    def compose(self) -> ComposeResult:
        incident = self.incident
        with Vertical(id="communicate-form"):
            title = f"Communicate {incident.id}: {incident.title}" if incident else "Communicate"
            yield Static(title, classes="heading")
            yield Static(id="communicate-due")
            with Horizontal(classes="row"):
                yield Label("Update", classes="field-label")
                yield Select([(name, key) for key, name in comms.UPDATE_KINDS.items()], value=self._default_kind(),
                             allow_blank=False, compact=True, id="communicate-kind")
                yield Label("Audience", classes="field-label short")
                yield Select([(name, key) for key, name in comms.AUDIENCES.items()], value="stakeholders",
                             allow_blank=False, compact=True, id="communicate-audience")
            yield Static(id="communicate-recipients")
            with Horizontal(classes="row"):
                yield Label("Subject", classes="field-label")
                yield Input(compact=True, id="communicate-subject")
            yield TextArea(id="communicate-text", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="buttons"):
                yield Button("Mark as sent (F2)", id="communicate-sent", variant="primary")
                yield Button("Copy (F3)", id="communicate-copy")
                yield Button("Save (F4)", id="communicate-save")
                yield Button("Back (Esc)", id="communicate-back")
            yield Static(self.load_error, id="message", classes="error" if self.load_error else "")
        yield Footer()

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self.action_refill()

    def _tick(self) -> None:
        incident = self.incident
        if incident is None:
            return
        cadence = comms.cadence_minutes(self.warroom.config)
        due = incident.next_update_due(cadence)
        severity = incident.severity or "unassessed"
        minutes = cadence.get(incident.severity or "", 30)
        text = f"{countdown(due, self.clock())}  Cadence for {severity}: every {minutes} min."
        self.query_one("#communicate-due", Static).update(text)

    @property
    def update_kind(self) -> str:
        return str(self.query_one("#communicate-kind", Select).value)

    @property
    def audience(self) -> str:
        return str(self.query_one("#communicate-audience", Select).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("communicate-kind", "communicate-audience") and self.is_mounted:
            self.action_refill()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        handlers = {"communicate-sent": self.action_mark_sent, "communicate-copy": self.action_copy,
                    "communicate-save": self.action_save, "communicate-back": self.action_back}
        handler = handlers.get(event.button.id or "")
        if handler:
            handler()

    def action_refill(self) -> None:
        """Fill subject and text from the template for this update kind and audience (replaces edits)."""
        if self.incident is None or not self.templates:
            return
        self._refill(self.update_kind, self.audience)

    @work(exclusive=True, group="refill")
    async def _refill(self, update_kind: str, audience: str) -> None:
        incident = self.incident
        assert incident is not None
        context = await comms.build_context(self.warroom, incident)
        try:
            template = comms.template_for(self.templates, update_kind)
        except KeyError as error:
            self.say(str(error), error=True)
            return
        subject, text = comms.render(template, audience, context)
        self.query_one("#communicate-subject", Input).value = subject
        self.query_one("#communicate-text", TextArea).text = text
        to = comms.recipients(self.warroom.config, audience) or "(no contacts for this audience: comms.contacts)"
        escalation = " → ".join(map(str, self.warroom.config.get("comms.escalation") or [])) or "(comms.escalation)"
        self.query_one("#communicate-recipients", Static).update(f"To: {to}   Escalation: {escalation}")

    # -- copy, save, sent -------------------------------------------------------------------------------

    def _message(self) -> tuple[str, str]:
        return self.query_one("#communicate-subject", Input).value, self.query_one("#communicate-text", TextArea).text

    def _full_text(self) -> str:
        subject, text = self._message()
        return f"Subject: {subject}\n\n{text}" if subject.strip() else text

    def action_copy(self) -> None:
        text = self._full_text()
        if not self._message()[1].strip():
            self.say("Nothing to copy: the message is empty.", error=True)
            return
        self.app.copy_to_clipboard(text)
        first = text.strip().splitlines()[0][:60]
        self.say(f"Copied {len(text)} characters via OSC 52, starting “{first}”. "
                 "If the paste is empty, your terminal or tmux blocked it: use Save (F4).")
        self._journal_draft("copied")

    def action_save(self) -> None:
        incident = self.incident
        if incident is None or not self._message()[1].strip():
            self.say("Nothing to save: the message is empty.", error=True)
            return
        configured = self.warroom.config.get("comms.folder")
        default = Path(platformdirs.user_data_dir(APP_NAME)) / "messages"
        folder = Path(configured).expanduser() if configured else default
        try:
            path = comms.save(self._full_text(), folder, incident, self.update_kind, self.audience)
        except OSError as error:
            self.say(f"Not saved: {error}", error=True)
            return
        self.say(f"Saved to {path}")
        self._journal_draft(f"saved to {path}")

    def _journal_draft(self, channel: str) -> None:
        incident = self.incident
        subject, text = self._message()
        body = {"audience": self.audience, "update_kind": self.update_kind, "subject": subject, "text": text,
                "channel": channel}
        self.run_worker(self.warroom.record(kinds.COMMS_DRAFTED, body, incident=incident.id if incident else None),
                        group="journal")

    def action_mark_sent(self) -> None:
        incident = self.incident
        if incident is None:
            return
        subject, text = self._message()
        try:
            body = comms.sent_body(self.audience, self.update_kind, subject, text)
        except ValueError as error:
            self.say(str(error), error=True)
            return
        self.run_worker(self._sent(incident.id, body), exclusive=True, group="sent")

    async def _sent(self, incident_id: str, body: dict[str, Any]) -> None:
        try:
            await self.warroom.record(kinds.COMMS_SENT, body, incident=incident_id)
        except Exception as error:
            self.say(f"Not recorded: {error}", error=True)
            return
        self._tick()
        self.say(f"Recorded as sent to {comms.AUDIENCES[body['audience']].lower()}; the countdown restarts.")
