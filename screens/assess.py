"""AssessScreen: severity from the four factors (reasoning shown), override with a reason, impact analysis
pre-filled from live data, resource allocation with a time estimate, and role hand-offs. F2 journals changes.

Only what changed is journaled: a new severity (incident.severity), the impact analysis and resources
(incident.updated), and each hand-off (incident.role with the previous holder). Titles and live text are
shown cleaned and as plain text, never as markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from ..console.incidents import ROLE_NAMES, SEVERITIES, Incident
from ..console.journal import Draft, kinds
from ..console.playbooks import handoff
from ..console.session import WarRoom
from ..console.severity import (
    IMPACT_FIELDS,
    RESOURCE_FIELDS,
    Assessment,
    assess,
    factors_for,
    impact_draft,
    suggest_factors,
    validate_override,
)
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..widgets.actions import bindings, labelled
from ..widgets.safe import safe_label, safe_options
from .guided import GuidedScreen, heading, plain


def assessment_drafts(incident: Incident, factors: dict[str, int], override: str | None, reason: str,
                      impact: dict[str, str], resources: dict[str, str], roles: dict[str, str]) -> list[Draft]:
    """The entries one save journals: only what differs from the incident as the journal has it."""
    result: Assessment = assess(factors, incident.category)
    if override and override != result.severity:
        validate_override(override, reason)
    drafts: list[Draft] = []
    body = result.body(override, reason)
    previous = incident.details.get("severity_factors")
    if body["severity"] != incident.severity or factors != previous:
        drafts.append(Draft(kinds.INCIDENT_SEVERITY, body, incident.id))
    changes: dict[str, Any] = {}
    if factors != previous:
        changes["severity_factors"] = dict(factors)
    if impact != (incident.details.get("impact") or {}):
        changes["impact"] = impact
    saved_resources = incident.details.get("resources") or {}
    if resources != saved_resources and (any(resources.values()) or saved_resources):
        changes["resources"] = resources
    if changes:
        drafts.append(Draft(kinds.INCIDENT_UPDATED, {"changes": changes}, incident.id))
    for role, person in roles.items():
        change = handoff(incident, role, person)
        if change:
            drafts.append(Draft(kinds.INCIDENT_ROLE, change, incident.id))
    return drafts


class AssessScreen(GuidedScreen):
    CSS_PATH = ["guided.tcss", "assess.tcss"]
    BINDINGS = bindings("assess")
    AUTO_FOCUS = "#assess-form Select"     # the first field (a factor); letters typed on a list are nothing
    ACTION_PLACES = ("assess", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        incident = self.incident
        assert incident is not None  # build() only opens Assess with an incident
        saved = incident.details.get("severity_factors")
        keys = {f.key for f in factors_for(incident.category)}
        self.factors: dict[str, int]
        if isinstance(saved, dict) and keys <= set(saved):
            self.factors = dict(saved)
        else:       # none saved, or saved before a change of category: ask again
            self.factors = suggest_factors(incident, warroom.live)
        self.saving = False

    def compose(self) -> ComposeResult:
        incident = self.incident
        assert incident is not None
        with VerticalScroll(id="assess-form"):
            yield Static(heading("Assess", incident), classes="heading")
            yield Static("Severity determination", classes="subheading")
            current = (f"Current: {incident.severity}. {incident.severity_reasoning}" if incident.severity
                       else "Not assessed yet: the levels below are suggested from live data.")
            yield Static(plain(current, limit=1000), id="assess-current")
            for factor in factors_for(incident.category):
                with Horizontal(classes="row"):
                    yield Label(safe_label(factor.name), classes="field-label")
                    yield Select(safe_options((text, n) for n, text in enumerate(factor.levels, start=1)),
                                 value=self.factors[factor.key], allow_blank=False, compact=True,
                                 id=f"factor-{factor.key}")
            yield Static(id="assess-result")
            with Horizontal(classes="row"):
                yield Label("Override severity", classes="field-label")
                yield Select(safe_options((s, s) for s in SEVERITIES), prompt="(computed)", compact=True,
                             id="assess-override")
                yield Input(placeholder="reason for the override", compact=True, id="assess-override-reason")
            yield Static("Impact analysis (pre-filled from live data; edit freely)", classes="subheading")
            impact = impact_draft(incident, self.warroom.live)
            for key, name in IMPACT_FIELDS.items():
                with Horizontal(classes="row"):
                    yield Label(safe_label(name), classes="field-label")
                    yield Input(value=clean(impact[key].replace("\n", "; "), None), compact=True,
                                id=f"impact-{key}")
            yield Static("Resource allocation", classes="subheading")
            resources = incident.details.get("resources") or {}
            for key, name in RESOURCE_FIELDS.items():
                with Horizontal(classes="row"):
                    yield Label(safe_label(name), classes="field-label")
                    yield Input(value=clean(resources.get(key, ""), None), compact=True, id=f"resource-{key}",
                                placeholder="e.g. 4 hours" if key == "estimate" else "")
            with Vertical(id="assess-roles"):
                yield Static("Roles (a change is journaled as a hand-off)", classes="subheading")
                for role, name in ROLE_NAMES.items():
                    with Horizontal(classes="row"):
                        yield Label(safe_label(name), classes="field-label")
                        yield Input(value=clean(incident.roles.get(role, ""), None), compact=True,
                                    id=f"role-{role}")
        yield Static("", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "assess.save"), id="assess-save",
                         action="screen.save", variant="primary", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="assess-back", action="screen.back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._show_result()

    def _show_result(self) -> None:
        result = assess(self.factors, self.incident.category if self.incident else "")
        self.query_one("#assess-result", Static).update(plain(f"→ {result.severity}: {result.reasoning}"))

    def on_select_changed(self, event: Select.Changed) -> None:
        select_id = event.select.id or ""
        if select_id.startswith("factor-") and isinstance(event.value, int):
            self.factors[select_id.removeprefix("factor-")] = event.value
            self._show_result()

    def _values(self, prefix: str, keys: Iterable[str]) -> dict[str, str]:
        return {key: self.query_one(f"#{prefix}-{key}", Input).value.strip() for key in keys}

    def action_save(self) -> None:
        incident = self.incident
        if incident is None or self.saving:
            return
        override = self.query_one("#assess-override", Select).value
        try:
            drafts = assessment_drafts(
                incident, dict(self.factors), override if isinstance(override, str) else None,
                self.query_one("#assess-override-reason", Input).value,
                self._values("impact", IMPACT_FIELDS), self._values("resource", RESOURCE_FIELDS),
                self._values("role", ROLE_NAMES),
            )
        except ValueError as error:
            self.outcome(str(error), error=True)
            return
        if not drafts:
            self.outcome("Nothing changed since the last save.")
            return
        self.saving = True
        self.run_worker(self._save(drafts), group="assess", exit_on_error=False)

    async def _save(self, drafts: list[Draft]) -> None:
        try:
            if await self.journaled(self.warroom.record_many(drafts), "Not saved") is None:
                return
        finally:
            self.saving = False
        incident = self.incident
        severity = incident.severity if incident else "?"
        self.outcome(f"Saved {len(drafts)} change(s); severity {severity}.")
