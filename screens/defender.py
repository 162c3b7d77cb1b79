"""DefenderScreen: write the war room's verdict back to Defender, so the portal and the console agree.

For the selected Defender alert or incident: status, classification, determination and assignee
(PATCH security/alerts_v2/{id} or security/incidents/{id}) and, for an incident, a comment (POST
security/incidents/{id}/comments, sent raw: msgraph-sdk has no builder). Each is previewed exactly, confirmed by
typing the object's id, sent once and journaled like every containment action (console/eradication.py).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Input, Label, Select, Static

from ..console import eradication as er
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean, literal
from ..widgets.actions import bindings, key_for
from ..widgets.safe import safe_options
from .guided import GuidedScreen, heading, plain

UNCHANGED = "(unchanged)"


def _options(values: tuple[str, ...]) -> list[tuple[Text, str]]:
    return safe_options([(UNCHANGED, UNCHANGED), *((value, value) for value in values)])


class DefenderScreen(GuidedScreen):
    CSS_PATH = "defender.tcss"
    BINDINGS = bindings("defender")
    AUTO_FOCUS = "#defender-status"
    ACTION_PLACES = ("defender", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.kind = "incident" if subject.kind == "defender_incident" else "alert"
        self.running = False
        self.last_reversal: dict[str, Any] | None = None

    def condition(self, name: str) -> bool:
        if name == "defender_incident":
            return self.kind == "incident"
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("update", "comment", "back") and self.running:
            return None
        return super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        what = "Defender incident" if self.kind == "incident" else "Defender alert"
        with VerticalScroll(id="defender-form"):
            yield Static(heading("Defender write-back", self.incident), classes="heading")
            yield Static(plain(f"{what} {self.subject.id}: {clean(self.subject.title, 100)}"), id="defender-what")
            with Horizontal(classes="row"):
                yield Label("Status", classes="field-label")
                yield Select(_options(er.STATUSES[self.kind]), value=UNCHANGED, allow_blank=False, compact=True,
                             id="defender-status")
            with Horizontal(classes="row"):
                yield Label("Classification", classes="field-label")
                yield Select(_options(er.CLASSIFICATIONS), value=UNCHANGED, allow_blank=False, compact=True,
                             id="defender-classification")
            with Horizontal(classes="row"):
                yield Label("Determination", classes="field-label")
                yield Select(_options(er.DETERMINATIONS), value=UNCHANGED, allow_blank=False, compact=True,
                             id="defender-determination")
            with Horizontal(classes="row"):
                yield Label("Assigned to", classes="field-label")
                yield Input(placeholder="(unchanged) name@contoso.com", compact=True, id="defender-assigned")
            if self.kind == "incident":
                with Horizontal(classes="row"):
                    yield Label("Comment", classes="field-label")
                    yield Input(placeholder="what the war room found or did", compact=True, id="defender-comment")
            with Horizontal(classes="row"):
                yield Label("Type the id to confirm", classes="field-label")
                yield Input(placeholder=self.subject.id, compact=True, id="defender-confirm")
            yield Static("", id="message")
            yield Static("", id="defender-preview")
        yield Footer()

    def on_mount(self) -> None:
        if self.subject.kind not in ("alert", "defender_incident") or not self.subject.id:
            self.say("Select a Defender alert or incident on the dashboard first.", error=True)
        self._refresh_preview()

    def _changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for field in ("status", "classification", "determination"):
            value = self.query_one(f"#defender-{field}", Select).value
            if value not in (UNCHANGED, Select.BLANK):
                changes[field] = value
        assigned = self.query_one("#defender-assigned", Input).value.strip()
        if assigned:
            changes["assignedTo"] = assigned
        return changes

    def _before(self) -> dict[str, Any] | None:
        live = self.warroom.live
        if live is None:
            return None
        found = (live.incidents if self.kind == "incident" else live.alerts).get(self.subject.id)
        raw = dict(getattr(found, "raw", None) or {})
        return {k: raw.get(k) for k in er.ALERT_FIELDS} if raw else None

    def _update_plan(self) -> er.EradicationPlan:
        planner = er.plan_update_incident if self.kind == "incident" else er.plan_update_alert
        return planner(self.subject.id, self._changes(), before=self._before())

    def _comment_plan(self) -> er.EradicationPlan:
        return er.plan_comment(self.subject.id, self.query_one("#defender-comment", Input).value)

    def _refresh_preview(self) -> None:
        lines = []
        for make in (self._update_plan, *((self._comment_plan,) if self.kind == "incident" else ())):
            try:
                plan = make()
            except ValueError:
                continue
            request = er.preview(plan, self.warroom.gateway)
            lines.append(f"{plan.title}: {literal(request['method'])} {literal(request['url'])}\n"
                         f"Body: {literal(request['body'] or '(no body)', 600)}")
        keys = f"{key_for(self.app, 'defender.update')} updates"
        if self.kind == "incident":
            keys += f", {key_for(self.app, 'defender.comment')} comments"
        self.query_one("#defender-preview", Static).update(plain(
            "\n".join(lines) or f"Choose what to change (or write a comment); {keys}."))

    def on_select_changed(self, event: Select.Changed) -> None:
        self._refresh_preview()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "defender-confirm":
            self._refresh_preview()

    def action_update(self) -> None:
        try:
            self._start(self._update_plan())
        except ValueError as error:
            self.say(str(error), error=True)

    def action_comment(self) -> None:
        try:
            self._start(self._comment_plan())
        except ValueError as error:
            self.say(str(error), error=True)

    def _start(self, plan: er.EradicationPlan) -> None:
        if self.running:
            self.say("A request is running: wait for its result. Nothing else was sent.", error=True)
            return
        typed = self.query_one("#defender-confirm", Input).value
        if typed.strip().casefold() != plan.confirm.casefold():
            self.say(f"Type {plan.confirm} exactly to confirm. Nothing was sent.", error=True)
            return
        self.running = True
        self.refresh_bindings()
        self.say(f"{plan.title} {plan.target}…")
        self.run_worker(self._run(plan, typed), group="defender-write", exit_on_error=False)

    async def _run(self, plan: er.EradicationPlan, typed: str) -> None:
        incident = self.incident.id if self.incident else None
        try:
            outcome = await er.execute(self.warroom, plan, typed=typed, incident=incident)
        except Exception as error:
            self.say(f"Failed: {error}", error=True)
            return
        finally:
            self.running = False
            self.refresh_bindings()
            self.query_one("#defender-confirm", Input).value = ""
        self.say(outcome.message, error=outcome.result in ("failed", "refused"))
        if outcome.result == "ok" and plan.action == "comment_incident":
            self.query_one("#defender-comment", Input).value = ""
