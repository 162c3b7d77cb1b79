"""DeclareIncidentScreen: declare from nothing, or from what is selected: a Defender alert or incident, a risky
user, a Microsoft service issue (console/subject.py resolves it).

Declaring journals, in one transaction, incident.declared, an incident.role per named role, the link to the
alert or Microsoft issue ("is it us or Microsoft?"), the support case, and the playbook's tasks.

The alert or issue title is the tenant's text: it is cleaned and shown as plain text, never as markup. The
playbook library is read in a worker (files), so the screen opens at once with "loading playbooks…".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from ..console.comms import CATEGORY_NAMES
from ..console.datafiles import summary
from ..console.incidents import CATEGORIES, ROLE_NAMES
from ..console.journal import Draft
from ..console.playbooks import PlaybookLibrary, declaration
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject, describe_subject
from ..console.text import clean
from ..console.timefmt import utc_now
from ..widgets.actions import bindings, key_for, labelled
from ..widgets.safe import safe_label, safe_options
from .guided import GuidedScreen, plain

ROLE_HINTS = {
    "incident_commander": "who decides (required)",
    "communications_lead": "who writes the updates",
    "scribe": "who keeps the timeline",
    "service_owner": "owner of the affected service(s)",
    "security_team": "security contact",
    "external_vendor": "vendor and contact",
    "microsoft_support_case": "case number, if opened",
}


class DeclareIncidentScreen(GuidedScreen):
    """Category, title, affected services and the people in each role; F2 declares."""

    CSS_PATH = ["guided.tcss", "declare.tcss"]
    AUTO_FOCUS = "#declare-title"  # the title is what a responder types first; the category is pre-chosen
    BINDINGS = bindings("declare")
    ACTION_PLACES = ("declare", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, notice: str = "") -> None:
        super().__init__(warroom, subject)
        self.notice = notice
        self.source = subject.source()
        self.library: PlaybookLibrary | None = None
        self.library_error = ""
        self.declaring = False      # a declaration is being journaled: F2 again must not declare twice

    def _services(self) -> list[str]:
        names = list(self.library.services()) if self.library else []
        live = self.warroom.live
        for service in [*(h.service for h in (live.health.values() if live else [])), *self.subject.services]:
            if service and service not in names:
                names.append(service)
        return names

    @staticmethod
    def _service_options(names: list[str], chosen: set[str]) -> list[Selection[str]]:
        """A service name is the tenant's or a playbook's text: the prompt is literal, the value kept as sent."""
        return [Selection(safe_label(name, 60), name, name in chosen) for name in names]

    def _preselected(self) -> set[str]:
        """Every workload the subject names: all of a Microsoft issue's, the site's for a SharePoint incident."""
        return set(self.subject.services)

    def _default_category(self) -> str:
        category = self.subject.category
        return category if category in CATEGORIES else "service-outage"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="declare-form"):
            yield Static("Declare an incident", classes="heading")
            if self.notice:
                yield Static(plain(self.notice), classes="notice")
            yield Static(plain(describe_subject(self.subject)), id="declare-source")
            with Horizontal(classes="row"):
                yield Label("Category", classes="field-label")
                yield Select(safe_options((CATEGORY_NAMES[c], c) for c in CATEGORIES), value=self._default_category(),
                             allow_blank=False, compact=True, id="declare-category")
            with Horizontal(classes="row"):
                yield Label("Title", classes="field-label")
                yield Input(value=clean(self.subject.title if self.source else ""),
                            placeholder="what is happening, in a line", compact=True, id="declare-title")
            with Horizontal(classes="row services"):
                yield Label("Affected services", classes="field-label")
                chosen = self._preselected()
                yield SelectionList[str](*self._service_options(self._services(), chosen),
                                         compact=True, id="declare-services")
            with Vertical(id="declare-roles"):
                yield Static("Roles", classes="subheading")
                for role, name in ROLE_NAMES.items():
                    default = self.warroom.actor if role == "incident_commander" else ""
                    with Horizontal(classes="row"):
                        yield Label(safe_label(name), classes="field-label")
                        yield Input(value=default, placeholder=ROLE_HINTS[role], compact=True,
                                    id=f"role-{role}")
        yield Static("loading playbooks…", id="message")
        with Horizontal(classes="buttons"):
            yield Button(labelled(self.app, "declare.submit"), id="declare-submit",
                         action="screen.declare", variant="error", compact=True)
            yield Button(labelled(self.app, "guided.back"), id="declare-back", action="screen.back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._load_library()

    @work(exit_on_error=False, group="load")
    async def _load_library(self) -> None:
        """Read the playbooks off the event loop; then offer their services and say what failed, if anything."""
        try:
            self.library = await asyncio.to_thread(PlaybookLibrary.load, self.warroom.config.get("playbooks.folder"))
        except Exception as error:     # never "loading playbooks…" for ever: say what went wrong
            self.library_error = f"Playbooks not loaded: {error}"
            self.say(self.library_error, error=True)
            return
        services = self.query_one("#declare-services", SelectionList)
        chosen, present = self._preselected(), {str(o.value) for o in services.options if isinstance(o, Selection)}
        services.add_options(self._service_options([n for n in self._services() if n not in present], chosen))
        if services.highlighted is None and services.option_count:
            services.highlighted = 0    # as if composed with them: the cursor on the first service
        skipped = summary(self.library.skipped, "playbook")
        self.say(skipped, error=bool(skipped))
        if skipped:
            self.notify(clean(skipped, 400), title="Playbooks", severity="warning", markup=False, timeout=15)

    def action_declare(self) -> None:
        if self.declaring:
            return
        library = self.library
        if library is None:
            again = key_for(self.app, "declare.submit")
            self.outcome(self.library_error or f"Playbooks are still loading: press {again} again in a moment.",
                         error=True)
            return
        category = self.query_one("#declare-category", Select).value
        roles = {role: self.query_one(f"#role-{role}", Input).value for role in ROLE_NAMES}
        services = list(self.query_one("#declare-services", SelectionList).selected)
        title = self.query_one("#declare-title", Input).value

        def build(incident_id: str) -> list[Draft]:
            return declaration(incident_id, title=title, category=str(category), services=services, roles=roles,
                               library=library, source=self.source)

        try:
            drafts = build(self.warroom.book.new_id(utc_now()))  # checks the input before anything is written
        except ValueError as error:
            self.outcome(str(error), error=True)
            return
        self.declaring = True
        self.query_one("#declare-submit", Button).disabled = True
        tasks = sum(d.kind == "task.added" for d in drafts)
        self.run_worker(self._declare(build, tasks), group="declare", exit_on_error=False)

    async def _declare(self, build: Callable[[str], list[Draft]], tasks: int) -> None:
        # The id is claimed inside the write transaction: two consoles declaring at once get two ids.
        incident_id = await self.journaled(self.warroom.record_new_incident(build), "Not declared")
        if incident_id is None:     # said; the form stays as typed
            self.declaring = False
            self.query_one("#declare-submit", Button).disabled = False
            return
        self.app.notify(f"Declared {incident_id} with {tasks} tasks")
        self.dismiss(incident_id)


DeclareScreen = DeclareIncidentScreen
