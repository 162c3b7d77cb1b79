"""CommunicateScreen: draft an audience's update from its template, edit it, send it through its channels.

The draft is filled from the journal and Microsoft's latest post; the countdown shows when the next update is
due at this severity's cadence. Above the draft: who gets it and through which channels ([audiences.*]). Send
refuses a text that still holds a template [placeholder], asks once naming audience, recipients and channels,
then delivers (console/notify.py) and shows each channel's result just above the buttons; an update no channel
delivered does not restart the countdown. Copy (OSC 52; tmux may swallow it, so the screen says what was copied)
and Save remain for channels the console cannot reach; "Sent by hand" then records it as sent.

Templates are read, messages saved and sent in workers; a journal refusal (a secret in the text, a full disk) is
said on the message line and the screen stays open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Input, Label, Select, Static, TextArea
from textual.widgets.text_area import Document
from textual.widgets.text_area import Selection as TextRange

from ..console import comms, notify
from ..console.config import APP_NAME
from ..console.datafiles import summary
from ..console.delivery import Journaled
from ..console.incidents import Incident
from ..console.journal import JournalError, kinds
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, labelled
from ..widgets.safe import safe_options
from .guided import GuidedScreen, heading, plain
from .send_confirm import SendConfirmScreen


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "No update due (incident closed)."
    seconds = int((due - now).total_seconds())
    when = due.strftime("%H:%M UTC")
    if seconds < 0:
        return f"Update OVERDUE by {-seconds // 60} min (was due {when})."
    return f"Next update due {when}: in {seconds // 60} min {seconds % 60:02d} s."


class CommunicateScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "communicate.tcss"]
    BINDINGS = bindings("communicate")
    AUTO_FOCUS = "#communicate-kind"    # the first field: typing there does nothing until the draft is filled
    ACTION_PLACES = ("communicate", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.clock = clock
        self.templates: dict[str, comms.Template] = {}
        self.load_error = ""
        self.recording = False      # a comms.sent entry is being journaled: F2 again must not record it twice
        self.prepared: notify.Prepared | None = None     # the draft as filled, with its placeholders and route

    def _default_kind(self) -> str:
        incident = self.incident
        if incident and incident.status == "resolved":
            return "resolution"
        return "progress" if incident and incident.updates_sent else "initial"

    def compose(self) -> ComposeResult:
        incident = self.incident
        with Vertical(id="communicate-form"):
            yield Static(heading("Communicate", incident), classes="heading")
            yield Static(id="communicate-due")
            with Horizontal(classes="row"):
                yield Label("Update", classes="field-label")
                yield Select(safe_options((name, key) for key, name in comms.UPDATE_KINDS.items()),
                             value=self._default_kind(),
                             allow_blank=False, compact=True, id="communicate-kind")
                yield Label("Audience", classes="field-label short")
                yield Select(safe_options((name, key) for key, name in comms.AUDIENCES.items()), value="stakeholders",
                             allow_blank=False, compact=True, id="communicate-audience")
            yield Static(id="communicate-recipients")
            with Horizontal(classes="row"):
                yield Label("Subject", classes="field-label")
                yield Input(compact=True, id="communicate-subject")
            yield TextArea(id="communicate-text", soft_wrap=True, show_line_numbers=False)
            yield Static(id="communicate-result")
        yield Static("loading templates…", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "communicate.send"), id="communicate-send",
                         action="screen.send", variant="primary", compact=True)
            yield Button(labelled(self.app, "communicate.copy"), id="communicate-copy",
                         action="screen.copy", compact=True)
            yield Button(labelled(self.app, "communicate.save"), id="communicate-save",
                         action="screen.save", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="communicate-back", action="screen.back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        self._load_templates()

    @work(exit_on_error=False, group="load")
    async def _load_templates(self) -> None:
        """Read the templates off the event loop, then fill the draft from the one for this update."""
        try:
            templates = await asyncio.to_thread(comms.load_templates, self.warroom.config)
        except Exception as error:     # never "loading templates…" for ever: say what went wrong
            self.load_error = f"Templates not loaded: {error}"
            self.say(self.load_error, error=True)
            return
        self.templates = templates
        skipped = summary(templates.skipped, "template")
        self.say(skipped, error=bool(skipped))
        self.action_refill()
        if skipped:
            self.notify(clean(skipped, 400), title="Templates", severity="warning", markup=False, timeout=15)

    def _tick(self) -> None:
        incident = self.incident
        if incident is None:
            return
        cadence = comms.cadence_minutes(self.warroom.config)
        due = incident.next_update_due(cadence)
        severity = incident.severity or "unassessed"
        minutes = cadence.get(incident.severity or "", 30)
        text = f"{countdown(due, self.clock())}  Cadence for {severity}: every {minutes} min."
        self.query_one("#communicate-due", Static).update(plain(text))

    @property
    def update_kind(self) -> str:
        return str(self.query_one("#communicate-kind", Select).value)

    @property
    def audience(self) -> str:
        return str(self.query_one("#communicate-audience", Select).value)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id in ("communicate-kind", "communicate-audience") and self.is_mounted:
            self.action_refill()

    def action_refill(self) -> None:
        """Fill subject and text from the template for this update kind and audience (replaces edits)."""
        if self.incident is None or not self.templates:
            return
        self._refill(self.update_kind, self.audience)

    @work(exclusive=True, group="refill", exit_on_error=False)
    async def _refill(self, update_kind: str, audience: str) -> None:
        incident = self.incident
        assert incident is not None
        try:
            prepared = await notify.prepare(self.warroom, incident, update_kind, audience, templates=self.templates,
                                            now=self.clock())
        except (JournalError, ValueError) as error:
            self.prepared = None
            self.say(f"Draft not filled: {error}", error=True)
            return
        self.prepared = prepared
        self.query_one("#communicate-subject", Input).value = prepared.rendered.subject
        self.query_one("#communicate-text", TextArea).text = prepared.rendered.text
        self.query_one("#communicate-recipients", Static).update(plain(self._route(prepared, audience)))
        self._show_result(None)

    def _route(self, prepared: notify.Prepared, audience: str) -> str:
        """Who gets it and through what: the audience's recipients and channels, or how to reach them by hand."""
        if prepared.channels:
            to = ", ".join(prepared.recipients) or "no one by mail"
            via = ", ".join(f"{c.name} ({c.kind})" for c in prepared.channels)
            return f"To: {to}  Via: {via}"
        to = comms.recipients(self.warroom.config, audience) or "no recipients configured"
        return (f"To: {to}  Via: no channel for {audience} ([audiences.{audience}]): "
                f"{labelled(self.app, 'communicate.copy')} or {labelled(self.app, 'communicate.save')}")

    # -- copy, save, sent -------------------------------------------------------------------------------

    def _message(self) -> tuple[str, str]:
        return self.query_one("#communicate-subject", Input).value, self.query_one("#communicate-text", TextArea).text

    def _full_text(self) -> str:
        subject, text = self._message()
        return f"Subject: {subject}\n\n{text}" if subject.strip() else text

    def action_copy(self) -> None:
        text = self._full_text()
        if not self._message()[1].strip():
            self.outcome("Nothing to copy: the message is empty.", error=True)
            return
        self.app.copy_to_clipboard(text)
        first = clean(text.strip().splitlines()[0], 60)
        self.outcome(f"Copied {len(text)} characters via OSC 52, starting “{first}”. "
                     "If the paste is empty, your terminal or tmux blocked it: use "
                     f"{labelled(self.app, 'communicate.save')}.")
        self._journal_draft("copied")

    def action_save(self) -> None:
        incident = self.incident
        if incident is None or not self._message()[1].strip():
            self.outcome("Nothing to save: the message is empty.", error=True)
            return
        configured = self.warroom.config.get("comms.folder")
        default = Path(platformdirs.user_data_dir(APP_NAME)) / "messages"
        folder = Path(configured).expanduser() if configured else default
        self.say("saving…")
        self.run_worker(self._save(self._full_text(), folder, incident, self.update_kind, self.audience),
                        group="save", exit_on_error=False)

    async def _save(self, text: str, folder: Path, incident: Incident, update_kind: str, audience: str) -> None:
        """Write the file in a thread (a slow or network folder must not freeze the console), then journal it."""
        try:
            path = await asyncio.to_thread(comms.save, text, folder, incident, update_kind, audience)
        except OSError as error:
            self.outcome(f"Not saved: {error}", error=True)
            return
        self.outcome(f"Saved to {path}")
        self._journal_draft(f"saved to {path}")

    def _journal_draft(self, channel: str) -> None:
        incident = self.incident
        subject, text = self._message()
        body = {"audience": self.audience, "update_kind": self.update_kind, "subject": subject, "text": text,
                "channel": channel}
        self.run_worker(self._record_draft(body, incident.id if incident else None), group="journal",
                        exit_on_error=False)

    async def _record_draft(self, body: dict[str, Any], incident_id: str | None) -> None:
        """The draft goes in the journal; if the journal refuses it (a secret in the text), say so and stay."""
        try:
            await self.warroom.record(kinds.COMMS_DRAFTED, body, incident=incident_id)
        except JournalError as error:
            channel = str(body["channel"])
            self.outcome(f"{channel[:1].upper()}{channel[1:]}, but not journaled: {error}", error=True)

    def _placeholders_left(self, subject: str, text: str) -> list[str]:
        if self.prepared is None:
            return []
        return comms.unfilled(f"{subject}\n{text}", self.prepared.rendered.placeholders)

    def _checked(self) -> tuple[str, str] | None:
        """The subject and text if they can go: not empty, every placeholder filled; otherwise say why."""
        subject, text = self._message()
        try:
            comms.check_message(self.audience, self.update_kind, subject, text)
        except ValueError as error:
            self.outcome(f"Not sent: {error}.", error=True)
            return None
        left = self._placeholders_left(subject, text)
        if left:
            self.outcome(f"Not sent: fill {', '.join(left)} first (the first is selected: type to replace it).",
                         error=True)
            self._select(text, left[0])
            return None
        return subject, text

    def _select(self, text: str, placeholder: str) -> None:
        """Put the author on the first placeholder, selected, so typing replaces it."""
        area = self.query_one("#communicate-text", TextArea)
        index = text.find(placeholder)
        if index >= 0 and isinstance(area.document, Document):     # the plain TextArea's document
            locate = area.document.get_location_from_index
            area.selection = TextRange(locate(index), locate(index + len(placeholder)))
        area.focus()

    def action_send(self) -> None:
        """Ask once, naming audience, recipients and channels; then deliver."""
        incident, prepared = self.incident, self.prepared
        if incident is None or self.recording or prepared is None:
            return
        checked = self._checked()
        if checked is None:
            return
        if not prepared.channels:
            self.outcome(f"No channel is configured for {self.audience}: {labelled(self.app, 'communicate.copy')} or "
                         f"{labelled(self.app, 'communicate.save')} it and send it yourself, then "
                         f"{labelled(self.app, 'communicate.sent')}.", error=True)
            return
        subject, text = checked
        audience, kind = self.audience, self.update_kind
        confirm = SendConfirmScreen(audience=comms.AUDIENCES[audience], recipients=prepared.recipients,
                                    channels=prepared.channels, subject=comms.with_incident_id(subject, incident.id))

        def answered(send: bool | None) -> None:
            if send and not self.recording:
                self.recording = True
                self.say(f"Sending to {audience} via {', '.join(c.name for c in prepared.channels)}…")
                self.run_worker(self._send(prepared, kind, audience, subject, text), group="sent",
                                exit_on_error=False)
            elif not send:
                self.outcome("Not sent.")

        self.say("")
        self.app.push_screen(confirm, answered)

    async def _send(self, prepared: notify.Prepared, kind: str, audience: str, subject: str, text: str) -> None:
        incident = self.incident
        try:
            assert incident is not None
            message = notify.outgoing(self.warroom, incident, prepared, kind, audience, subject, text,
                                      now=self.clock())
            result = await notify.send(self.warroom, message, gateway=self.warroom.gateway)
        except Exception as error:      # nothing left: the request could not be journaled
            self.outcome(f"Not sent: {clean(str(error), 300)}", error=True)
            return
        finally:
            self.recording = False
        self.query_one("#communicate-text", TextArea).text = message.text    # as sent ("next update by" restated)
        self._tick()
        self._show_result(result)

    def _show_result(self, result: Journaled | None) -> None:
        """One line per channel, just above the buttons, and a verdict on the message line."""
        box = self.query_one("#communicate-result", Static)
        box.display = result is not None
        if result is None:
            return
        lines = [("✓ " if r.ok else "✗ ") + r.line() for r in result.receipts]
        box.update(plain("\n".join(lines), limit=2000))
        delivered = [r.channel for r in result.receipts if r.ok]
        box.set_class(bool(result.failed), "failed")
        if result.journal_error:
            self.outcome(f"Delivered as shown, but not journaled: {result.journal_error}", error=True)
        elif not delivered:
            self.outcome("Not delivered: no channel took it; the countdown does not restart.", error=True)
        elif result.failed:
            self.outcome(f"Sent via {', '.join(delivered)}; {', '.join(r.channel for r in result.failed)} FAILED. "
                         "The countdown restarts.", error=True)
        else:
            self.outcome(f"Sent to {comms.AUDIENCES[self.audience].lower()} via {', '.join(delivered)}; the countdown "
                         "restarts.")

    def action_mark_sent(self) -> None:
        """Record a message delivered by hand (copied or saved, then sent from elsewhere)."""
        incident = self.incident
        if incident is None or self.recording:
            return
        checked = self._checked()
        if checked is None:
            return
        subject, text = checked
        try:
            body = comms.sent_body(self.audience, self.update_kind, comms.with_incident_id(subject, incident.id),
                                   text)
        except ValueError as error:
            self.outcome(str(error), error=True)
            return
        self.recording = True
        self.run_worker(self._sent(incident.id, body), group="sent", exit_on_error=False)

    async def _sent(self, incident_id: str, body: dict[str, Any]) -> None:
        try:
            if await self.journaled(self.warroom.record(kinds.COMMS_SENT, body, incident=incident_id),
                                    "Not recorded") is None:
                return
        finally:
            self.recording = False
        self._tick()
        self.outcome(f"Recorded as sent by hand to {comms.AUDIENCES[body['audience']].lower()}; the countdown "
                     "restarts.")
