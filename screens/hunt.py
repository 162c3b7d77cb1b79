"""HuntScreen: Defender advanced hunting from the console, every run journaled (console/hunting.py).

Pick a saved query (its parameters are typed as `name=value; name=value`, each quoted safely into the KQL) or
type KQL; the run key sends it once; the table shows the schema and rows exactly as Graph returned them, as plain text.
The attach key adds the last result to the open incident as evidence, with its SHA-256.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Label, Select, Static

from ..console.containment import explain_graph
from ..console.graph.errors import GraphError, SignInRequired
from ..console.hunting import HuntResult, QueryLibrary, fill, hunt
from ..console.journal import kinds
from ..console.session import WarRoom
from ..console.subject import NOTHING, Subject
from ..console.text import clean
from ..widgets.actions import bindings, key_for
from ..widgets.safe import safe_options
from .guided import GuidedScreen, heading, plain

if TYPE_CHECKING:
    from ..console.graph.gateway import GraphGateway

AD_HOC = "(type KQL)"
MAX_ROWS_SHOWN = 2000
CELL = 60


def parse_param_line(text: str) -> dict[str, str]:
    """`ip=1.2.3.4; upn=a@b` as a dict (a value may hold '=', not ';')."""
    values: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"parameters are name=value; name=value, not {part.strip()[:40]!r}")
        values[name.strip()] = value.strip()
    return values


class HuntScreen(GuidedScreen):
    CSS_PATH = "hunt.tcss"
    BINDINGS = bindings("hunt")
    ACTION_PLACES = ("hunt", "guided")

    def __init__(self, warroom: WarRoom, subject: Subject = NOTHING, *, incident_id: str | None = None) -> None:
        super().__init__(warroom, subject, incident_id=incident_id)
        self.library = QueryLibrary({})
        self.last: tuple[str, str | None, HuntResult] | None = None    # (kql, saved name, result)
        self.running = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("run", "back") and self.running:
            return None
        return super().check_action(action, parameters)

    def condition(self, name: str) -> bool:
        return name != "incident" or self.incident is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="hunt-form"):
            yield Static(heading("Hunt", self.incident), classes="heading")
            with Horizontal(classes="row"):
                yield Label("Saved query", classes="field-label")
                yield Select(safe_options([(AD_HOC, AD_HOC)]), value=AD_HOC, allow_blank=False, compact=True,
                             id="hunt-saved")
            yield Static("", id="hunt-description")
            with Horizontal(classes="row"):
                yield Label("Parameters", classes="field-label")
                yield Input(placeholder="name=value; name=value", compact=True, id="hunt-params")
            with Horizontal(classes="row"):
                yield Label("KQL", classes="field-label")
                yield Input(placeholder="EmailEvents | where … | take 100", compact=True, id="hunt-kql")
            yield Static("", id="message")
        yield DataTable(id="hunt-results", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.run_worker(self._load_queries(), group="hunt-load", exit_on_error=False)
        self.query_one("#hunt-kql", Input).focus()

    async def _load_queries(self) -> None:
        import asyncio

        try:
            self.library = await asyncio.to_thread(QueryLibrary.load, self.warroom.config.get("hunting.folder"))
        except ValueError as error:
            self.say(f"Saved queries not loaded: {error}", error=True)
            return
        names = [(AD_HOC, AD_HOC)] + [(name, name) for name in sorted(self.library.queries)]
        self.query_one("#hunt-saved", Select).set_options(safe_options(names))     # a user's file names them
        upn = self.subject.account
        if upn:
            self.query_one("#hunt-params", Input).value = f"upn={upn}"

    @property
    def saved(self) -> str | None:
        value = self.query_one("#hunt-saved", Select).value
        return None if value in (AD_HOC, Select.BLANK) else str(value)

    def on_select_changed(self, event: Select.Changed) -> None:
        query = self.library.queries.get(self.saved or "")
        description = self.query_one("#hunt-description", Static)
        if query is None:
            description.update("")
            return
        params = ", ".join(query.params) or "none"
        steps = self._open_steps(query.serves)
        serves = f"; for the open task(s) {', '.join(steps)}" if steps else ""
        description.update(plain(f"{query.description} (parameters: {params}{serves})"))
        self.query_one("#hunt-kql", Input).value = " ".join(query.kql.split())

    def _open_steps(self, serves: tuple[str, ...]) -> list[str]:
        """The open incident's tasks (by id) whose playbook step this query serves."""
        incident = self.incident
        if incident is None:
            return []
        return [task.id for task in incident.tasks.values() if task.step in serves and not task.done]

    def action_run(self) -> None:
        if self.running:
            self.say("A query is running: wait for its result.", error=True)
            return
        gateway = self.warroom.gateway
        if gateway is None:
            self.say("Not connected to a tenant: nothing can be run.", error=True)
            return
        saved = self.saved
        try:
            values = parse_param_line(self.query_one("#hunt-params", Input).value) if saved else {}
            kql = fill(self.library.get(saved), values) if saved else self.query_one("#hunt-kql", Input).value
            if not kql.strip():
                raise ValueError("type a KQL query or choose a saved one")
        except ValueError as error:
            self.say(str(error), error=True)
            return
        self.running = True
        self.refresh_bindings()
        self.say("Running the query…")
        self.run_worker(self._run_query(gateway, kql, saved, values), group="hunt-run", exit_on_error=False)

    async def _run_query(self, gateway: GraphGateway, kql: str, saved: str | None, values: dict[str, str]) -> None:
        incident = self.incident.id if self.incident else None
        try:
            result, entries = await hunt(gateway, self.warroom.journal, kql, saved=saved,
                                         params=values or None, incident=incident)
            await self.warroom.catch_up()
        except (GraphError, SignInRequired) as error:
            self.say(explain_graph(error, "running the query") + " (journaled)", error=True)
            return
        except Exception as error:
            self.say(f"Failed: {error}", error=True)
            return
        finally:
            self.running = False
            self.refresh_bindings()
        self.last = (kql, saved, result)
        self._show_result(result)
        self.query_one("#hunt-results", DataTable).focus()      # the rows are what comes next: arrows scroll them
        more = f" (first {MAX_ROWS_SHOWN} shown)" if len(result.results) > MAX_ROWS_SHOWN else ""
        attach = f"; {key_for(self.app, 'hunt.attach')} attaches it as evidence" if incident else ""
        self.say(f"{len(result.results)} row(s){more}, sha256 {result.sha256[:16]}…; journaled as entry "
                 f"{entries[0].seq}{attach}.")

    def _show_result(self, result: HuntResult) -> None:
        table = self.query_one("#hunt-results", DataTable)
        table.clear(columns=True)
        columns = [str(c.get("name")) for c in result.schema] or sorted({k for r in result.results for k in r})
        for column in columns:
            table.add_column(Text(clean(column, 40)), key=column)
        for row in result.results[:MAX_ROWS_SHOWN]:
            table.add_row(*(Text(clean(row.get(c), CELL)) for c in columns))

    def action_attach(self) -> None:
        if self.last is None:
            self.say("Run a query first: its result is what gets attached.", error=True)
            return
        if self.incident is None:
            self.say("No open incident to attach the result to.", error=True)
            return
        self.run_worker(self._attach_evidence(self.incident.id), group="hunt-attach", exit_on_error=False)

    async def _attach_evidence(self, incident: str) -> None:
        assert self.last is not None
        kql, saved, result = self.last
        body = {"what": f"hunting: {saved or 'ad hoc query'}", "target": kql, "sha256": result.sha256,
                "content": result.content, "source": "POST security/runHuntingQuery"}
        try:
            entry = await self.warroom.record(kinds.EVIDENCE, body, incident=incident)
        except Exception as error:
            self.say(f"Not attached: {error}", error=True)
            return
        self.say(f"Attached to {incident} as evidence (entry {entry.seq}, sha256 {result.sha256[:16]}…).")

