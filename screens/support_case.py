"""SupportCaseScreen: the Microsoft support case tracked on the incident (number, severity, opened, last contact).

Each save is one `incident.linked` entry of type support_case holding what was typed (console/recovery.py checks it,
the same as `warroom incident case`); the newest value of each field stands, so a later contact only adds a line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from ..console import recovery
from ..console.journal import kinds
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, labelled
from ..widgets.safe import safe_options
from .guided import GuidedScreen, heading, plain

UNCHANGED = "(as recorded)"


class SupportCaseScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "support_case.tcss"]
    BINDINGS = bindings("support_case")
    ACTION_PLACES = ("support_case", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.clock = clock or utc_now
        self.saving = False

    def compose(self) -> ComposeResult:
        incident = self.incident
        case = incident.support_case() if incident else None
        with VerticalScroll(id="case-form"):
            yield Static(heading("Microsoft support case", incident), classes="heading")
            yield Static(plain(recovery.case_line(case), limit=400), id="case-now")
            with Horizontal(classes="row"):
                yield Label("Case number", classes="field-label")
                yield Input(value=str((case or {}).get("id", "")), placeholder="as Microsoft gave it", compact=True,
                            id="case-number")
            with Horizontal(classes="row"):
                yield Label("Severity", classes="field-label")
                yield Select(safe_options([(UNCHANGED, UNCHANGED), *((f"{s}", s) for s in recovery.CASE_SEVERITIES)]),
                             value=UNCHANGED, allow_blank=False, compact=True, id="case-severity")
            with Horizontal(classes="row"):
                yield Label("Opened", classes="field-label")
                yield Input(placeholder="now, -15m or 2026-11-24T14:02Z (blank: as recorded)", compact=True,
                            id="case-opened")
            with Horizontal(classes="row"):
                yield Label("Last contact", classes="field-label")
                yield Input(placeholder="who said what (blank: none new)", compact=True, id="case-contact")
        yield Static("", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "support_case.save"), id="case-save", variant="primary", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="case-back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """With a case recorded, the next thing is usually a new contact: the cursor waits there."""
        recorded = bool(self.incident and self.incident.support_case())
        self.query_one("#case-contact" if recorded else "#case-number", Input).focus()
        if self.incident is None:
            self.say("No open incident: declare one first.", error=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "case-save":
            self.action_save()
        elif event.button.id == "case-back":
            self.action_back()

    def action_save(self) -> None:
        incident = self.incident
        if incident is None:
            self.outcome("No open incident to record a support case on.", error=True)
            return
        if self.saving:
            return
        severity = self.query_one("#case-severity", Select).value
        try:
            body = recovery.support_case_body(
                self.query_one("#case-number", Input).value,
                severity="" if severity in (UNCHANGED, Select.BLANK) else str(severity),
                opened=self.query_one("#case-opened", Input).value,
                contact=self.query_one("#case-contact", Input).value, now=self.clock())
        except ValueError as error:
            self.outcome(f"Not recorded: {error}", error=True)
            return
        self.saving = True
        self.run_worker(self._save(body, incident.id), group="case-save", exit_on_error=False)

    async def _save(self, body: dict, incident_id: str) -> None:
        try:
            entry = await self.warroom.record(kinds.INCIDENT_LINKED, body, incident=incident_id)
        except Exception as error:
            self.outcome(f"Not recorded: {error}", error=True)
            return
        finally:
            self.saving = False
        self.dismiss(f"Support case {body['id']} recorded on {incident_id} (entry {entry.seq}).")
