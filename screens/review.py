"""`warroom browse`: the journal browser, read-only, for the post-incident review and for investigators.

The journal is opened by `JournalReader`, which cannot write or create a byte. Every query runs in a
thread worker and posts its result back; the table holds one window of entries, paged by seq. The
chain is verified in the background on open and the verdict shown at the top; if it breaks, the
entry where it breaks is marked and `b` jumps there.
"""

from __future__ import annotations

import contextlib
import gc
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, get_current_worker
from warroom.console.incidents import Incident
from warroom.console.journal import Entry, JournalError, VerifyResult
from warroom.console.journal_reader import (
    PAGE_SIZE,
    Filter,
    JournalReader,
    Knowledge,
    body_lines,
    imported_by,
    parse_filter,
)
from warroom.console.text import clean_uncut
from warroom.console.timefmt import display_zone, parse_when, to_iso
from warroom.widgets.actions import bindings, key_for, remap_keys
from warroom.widgets.review_timeline import WINDOW, BrowserTimeline
from warroom.widgets.safe import LiteralNotifications, safe_label
from warroom.widgets.typed import KeysInOrder

from .review_entry import BODY_LINES, BODY_WIDTH, EntryScreen

ALL = "__all__"
NARROW_BELOW = 130      # columns: narrower, the incident list gives its room to the timeline until `i` asks for it


@dataclass
class Loaded(Message):
    """A page arrived: `mode` says how it joins the window (replace, newer, older)."""

    entries: list[Entry]
    mode: str
    focus_seq: int | None
    generation: int


@dataclass
class Verified(Message):
    result: VerifyResult | None
    error: str = ""


@dataclass
class IncidentsLoaded(Message):
    incidents: list[Incident]
    imports: list[Entry]          # the journal.imported entries: which entries came from other journals


@dataclass
class KnowledgeLoaded(Message):
    knowledge: Knowledge
    seq: int


def incident_label(incident: Incident) -> Text:
    """An incident in the list: id, severity and state, then its title (the responder's or the tenant's words)."""
    label = Text()
    label.append(clean_uncut(incident.id), style="bold")
    label.append(f" {clean_uncut(incident.severity or '—')} {'open' if incident.is_open else 'closed'}\n")
    label.append(clean_uncut(incident.title)[:80])
    return label


class JournalBrowserScreen(Screen):
    """Incidents on the left, the timeline in the middle, the selected entry and what we knew then below."""

    CSS_PATH = "review.tcss"
    COMPONENT_CLASSES = {"review--break", "review--untrusted"}   # in an entry: where the chain breaks, and after
    BINDINGS = bindings("review")

    def __init__(self, journal: JournalReader, *, incident: str | None = None, zone: tzinfo = UTC) -> None:
        super().__init__()
        self.journal = journal
        self.zone = zone
        self.filter = Filter(incident=incident)
        self.verdict: VerifyResult | None = None
        self.imports: list[Entry] = []
        self.generation = 0           # bumps on each new filter, so late pages of an old one are dropped
        self.input_mode = ""
        self.started = False          # the first page was shown (the incident list and verify follow it)

    def compose(self) -> ComposeResult:
        self.set_class(self.app.size.width < NARROW_BELOW, "narrow", update=False)    # styled once, not twice
        yield Static(Text("Verifying the hash chain…"), id="integrity")
        with Horizontal(id="body"):
            yield OptionList(id="incidents")
            with Vertical(id="main"):
                yield Static(id="scope")
                yield BrowserTimeline(zone=self.zone, id="timeline")
        with Horizontal(id="details"):
            yield Static(id="entry")
            yield Static(id="knowledge")

    def on_mount(self) -> None:
        self.query_one("#incidents", OptionList).border_title = "Incidents"
        self.query_one("#entry", Static).border_title = "Entry"
        self.query_one("#knowledge", Static).border_title = "What we knew then"
        self.query_one("#timeline", BrowserTimeline).focus()
        self._show_scope()
        self.load("first")

    async def _after_first_page(self) -> None:
        """The footer, the incident list and the chain check come once the first page is on screen: verifying a
        million entries hashes in Python, and a thread doing it at the same time slows the first page by holding
        the GIL; the footer's keys are a dozen widgets styled again each time the bindings change. `warroom browse`
        starts with the garbage collector off (console/launch.py): it would walk every object startup made."""
        if not gc.isenabled():
            gc.freeze()     # what startup built lives as long as the browser: never walk it again
            gc.enable()
        self.load_incidents()
        self.verify()
        from textual.widgets import Footer

        with contextlib.suppress(MountError):     # `q` pressed in the first instant: the screen is going away
            await self.mount(Footer())
        self.refresh_bindings()     # the footer lists the keys when the bindings are next published

    # -- workers: every query off the event loop -----------------------------------------------------

    @work(thread=True, exclusive=True, group="page", exit_on_error=False)
    def load(self, where: str, seq: int | None = None, moment: str | None = None) -> None:
        generation, flt = self.generation, self.filter
        focus = None
        if where == "first":
            entries, mode = self.journal.after(flt, 0, WINDOW), "replace"
        elif where == "last":
            entries, mode = self.journal.before(flt, None, WINDOW), "replace"
            focus = entries[-1].seq if entries else None
        elif where == "newer":
            entries, mode = self.journal.after(flt, seq or 0, PAGE_SIZE), "newer"
        elif where == "older":
            entries, mode = self.journal.before(flt, seq, PAGE_SIZE), "older"
        else:  # "at": a seq, or the first entry that happened at or after a moment
            target = self.journal.seq_at(moment) if moment else seq
            entries = self.journal.around(flt, target or 1, WINDOW)
            mode, focus = "replace", target
        self.post_message(Loaded(entries, mode, focus, generation))

    @work(thread=True, exclusive=True, group="incidents", exit_on_error=False)
    def load_incidents(self) -> None:
        reader = self.journal.reader()
        try:
            self.post_message(IncidentsLoaded(reader.incidents(), reader.imports()))
        finally:
            reader.close()

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False)
    def verify(self) -> None:
        try:
            self.post_message(Verified(self.journal.verify(check_index=True)))
        except (JournalError, OSError) as error:
            self.post_message(Verified(None, str(error)))

    @work(thread=True, exclusive=True, group="knowledge", exit_on_error=False)
    def load_knowledge(self, entry: Entry) -> None:
        time.sleep(0.05)  # scrolling fast: only the row the cursor stops on is worth a query
        if get_current_worker().is_cancelled:
            return
        reader = self.journal.reader()
        try:
            self.post_message(KnowledgeLoaded(reader.knowledge_at(entry.occurred_at), entry.seq))
        finally:
            reader.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A query that failed (a journal that changed under us, a bad search) says so instead of vanishing."""
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR:
            self.notify(clean_uncut(f"{event.worker.name}: {event.worker.error}"), severity="error", timeout=8,
                        markup=False)
            if not self.started:        # no first page: the chain is checked all the same
                self.started = True
                self.call_after_refresh(self._after_first_page)

    # -- results ------------------------------------------------------------------------------------

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.generation != self.generation:
            return
        timeline = self.query_one("#timeline", BrowserTimeline)
        if message.mode == "newer":
            if not message.entries:
                self.notify("End of the timeline", timeout=2)
            timeline.newer(message.entries)
        elif message.mode == "older":
            if not message.entries:
                self.notify("Start of the timeline", timeout=2)
            timeline.older(message.entries)
        else:
            timeline.show(message.entries, focus_seq=message.focus_seq)
            if not message.entries:
                self._show_entry(None)
        if not self.started:
            self.started = True
            self.call_after_refresh(self._after_first_page)

    @on(Verified)
    def _verified(self, message: Verified) -> None:
        banner = self.query_one("#integrity", Static)
        banner.remove_class("ok", "broken")
        result = message.result
        self.verdict = result
        self.refresh_bindings()
        if result is None:
            banner.update(Text(f"✗ Cannot verify: {clean_uncut(message.error)}"))
            banner.add_class("broken")
            return
        warnings = f" ({len(result.warnings)} warning(s): {clean_uncut(result.warnings[0])})" if result.warnings else ""
        if result.ok:
            banner.update(Text(f"✓ Chain intact: {result.entries} entries, head {result.head[:16]}…{warnings}"))
            banner.add_class("ok")
        else:
            where = f"entry {result.bad_seq}" if result.bad_seq is not None else "the journal"
            banner.update(Text(f"✗ Chain BROKEN at {where}: {clean_uncut(result.reason)}. "
                               f"{result.entries} entries verified before it. "
                               f"Press {key_for(self.app, 'review.break')} to go there."))
            banner.add_class("broken")
        timeline = self.query_one("#timeline", BrowserTimeline)
        timeline.broken_at = None if result.ok else result.bad_seq
        if not result.ok and timeline.window:
            timeline.show(timeline.window, focus_seq=timeline.selected.seq if timeline.selected else None)

    @on(IncidentsLoaded)
    def _incidents(self, message: IncidentsLoaded) -> None:
        self.imports = message.imports
        options = self.query_one("#incidents", OptionList)
        options.clear_options()
        options.add_option(Option(Text("All entries"), id=ALL))
        for incident in message.incidents:
            options.add_option(Option(incident_label(incident), id=incident.id))
        ids = [ALL, *(i.id for i in message.incidents)]
        options.highlighted = ids.index(self.filter.incident) if self.filter.incident in ids else 0

    @on(KnowledgeLoaded)
    def _knowledge(self, message: KnowledgeLoaded) -> None:
        selected = self.query_one("#timeline", BrowserTimeline).selected
        if selected is None or selected.seq != message.seq:
            return
        pane = self.query_one("#knowledge", Static)
        pane.border_title = safe_label(f"What we knew at {self._time(message.knowledge.at)}")
        if not message.knowledge.observations:
            pane.update(Text("No Graph observations yet at this moment."))
            return
        text = Text()
        for entry, observed in zip(message.knowledge.observations, message.knowledge.objects, strict=True):
            body = entry.body
            data = observed.missing or json.dumps(observed.data, ensure_ascii=False, sort_keys=True)
            text.append(f"{clean_uncut(body.get('source', ''))} {clean_uncut(body.get('key', ''))}", style="bold")
            text.append(f" (#{entry.seq}, {self._time(entry.occurred_at)})\n")
            text.append(f"  {clean_uncut(data)[:200]}\n")
        pane.update(text)

    # -- the selected entry -------------------------------------------------------------------------

    @on(BrowserTimeline.Highlighted)
    def _highlighted(self) -> None:
        entry = self.query_one("#timeline", BrowserTimeline).selected
        self._show_entry(entry)
        if entry is not None:
            self.load_knowledge(entry)

    def _time(self, text: str) -> str:
        from warroom.console.timefmt import from_iso

        return from_iso(text).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def _show_entry(self, entry: Entry | None) -> None:
        pane = self.query_one("#entry", Static)
        pane.update(self._entry_text(entry) if entry is not None else Text("No entries match."))

    @on(BrowserTimeline.Read)
    def _read_entry(self) -> None:
        """A double click on a row reads it, as Enter does."""
        self.action_read()

    def action_read(self) -> None:
        """The whole entry, scrollable (the pane below the timeline shows its first lines)."""
        entry = self.query_one("#timeline", BrowserTimeline).selected
        if entry is not None:
            self.app.push_screen(EntryScreen(f"Entry #{entry.seq}",
                                             self._entry_text(entry, lines=BODY_LINES, width=BODY_WIDTH)))

    def _entry_text(self, entry: Entry, *, lines: int = 200, width: int = 400) -> Text:
        """Who, the three timestamps, where it came from, what the chain says, then its body as JSON lines."""
        text = Text()
        text.append(f"#{entry.seq} {clean_uncut(entry.kind)}", style="bold")
        text.append(f" by {clean_uncut(entry.actor)}")
        if entry.incident:
            text.append(f" · {clean_uncut(entry.incident)}")
        text.append(f"\noccurred   {self._time(entry.occurred_at)}\n")
        text.append(f"discovered {self._time(entry.discovered_at)}\n")
        text.append(f"logged     {self._time(entry.logged_at)}\n")
        if entry.origin:
            by = imported_by(entry, self.imports)
            if by is not None:
                text.append(f"⇲ imported by entry {by.seq} ({clean_uncut(by.actor)}, "
                            f"file {clean_uncut(by.body.get('file'))}, "
                            f"sha256 {clean_uncut(by.body.get('sha256'))[:16]}…), "
                            f"first written as {entry.origin[:16]}…\n",
                            style="bold")
            else:
                text.append(f"⇲ first written in another journal as {entry.origin[:16]}…\n", style="bold")
        if self.verdict and not self.verdict.ok and self.verdict.bad_seq is not None:
            if entry.seq == self.verdict.bad_seq:
                text.append(f"✗ the chain breaks here: {clean_uncut(self.verdict.reason)}\n",
                            style=self.get_component_rich_style("review--break", partial=True))
            elif entry.seq > self.verdict.bad_seq:
                text.append("? after the break: cannot be trusted\n",
                            style=self.get_component_rich_style("review--untrusted", partial=True))
        text.append("\n".join(body_lines(entry, limit=lines, width=width)))
        return text

    def _show_scope(self) -> None:
        described = self.filter.describe()
        scope = Text()
        scope.append(f"{self.filter.incident or 'All entries'}", style="bold")
        scope.append(f"   filter: {clean_uncut(described)}" if described
                     else f"   {key_for(self.app, 'review.filter')} to filter or search, "
                          f"{key_for(self.app, 'review.goto')} to go to a time")
        self.query_one("#scope", Static).update(scope)

    # -- actions ------------------------------------------------------------------------------------

    def _refilter(self, flt: Filter, where: str = "first", **where_args: object) -> None:
        self.filter = flt
        self.generation += 1
        self._show_scope()
        self.load(where, **where_args)

    @on(OptionList.OptionSelected, "#incidents")
    def _incident_selected(self, event: OptionList.OptionSelected) -> None:
        incident = None if event.option.id == ALL else event.option.id
        base = self.filter
        self._refilter(Filter(base.kinds, base.actor, incident, base.since, base.until, base.text))
        self.action_focus_timeline()

    @on(BrowserTimeline.Edge)
    def _edge(self, message: BrowserTimeline.Edge) -> None:
        self.load(message.direction, message.seq)

    @on(BrowserTimeline.Jump)
    def _jump(self, message: BrowserTimeline.Jump) -> None:
        self.load(message.where)

    def _field(self) -> Input | None:
        """The search/time box, once it has been asked for (it is not part of the first page)."""
        fields = self.query("#query").results(Input)
        return next(fields, None)

    async def _ask(self, mode: str, placeholder: str, value: str = "") -> None:
        self.input_mode = mode
        field = self._field()
        if field is None:
            field = Input(id="query")
            await self.mount(field)
        field.placeholder, field.value, field.display = placeholder, value, True
        field.focus()

    async def action_filter(self) -> None:
        await self._ask("filter", "words to search, kind:action actor:sam incident:INC-… since:-2h until:…",
                  self.filter.describe() if not self.filter.incident else
                  self.filter.describe().replace(f"incident:{self.filter.incident}", "").strip())

    async def action_goto(self) -> None:
        await self._ask("goto", "a time: 2026-11-24T14:02Z, -90m, now")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`b` is live only when the chain is broken (shown dimmed otherwise)."""
        if action == "goto_break":
            return True if self.verdict is not None and not self.verdict.ok else None
        return True

    def on_resize(self) -> None:
        """Below 130 columns the incident list gives its room to the timeline's text until `i` asks for it."""
        self.set_class(self.size.width < NARROW_BELOW, "narrow")

    def action_focus_incidents(self) -> None:
        self.add_class("picking")
        self.query_one("#incidents", OptionList).focus()

    def action_focus_timeline(self) -> None:
        self.remove_class("picking")
        self.query_one("#timeline", BrowserTimeline).focus()

    def action_all_entries(self) -> None:
        self._refilter(Filter())

    def action_clear(self) -> None:
        field = self._field()
        if field is not None and field.display:
            field.display = False
            self.action_focus_timeline()
        elif self.filter.describe():
            self._refilter(Filter(incident=self.filter.incident))

    def action_goto_break(self) -> None:
        if self.verdict is not None and self.verdict.bad_seq is not None:
            self._refilter(Filter(), "at", seq=self.verdict.bad_seq)

    def action_close(self) -> None:
        """Back to whatever pushed the review (the dashboard), or out of `warroom browse`."""
        if isinstance(self.app, JournalBrowserApp):
            self.app.exit()
        else:
            self.app.pop_screen()

    def action_help(self) -> None:
        from .help import HelpScreen

        self.app.push_screen(HelpScreen(("review", "list", "review_entry")))

    def action_verify(self) -> None:
        banner = self.query_one("#integrity", Static)
        banner.remove_class("ok", "broken")
        banner.update(Text("Verifying the hash chain…"))
        self.verify()

    @on(Input.Submitted, "#query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.action_focus_timeline()
        try:
            if self.input_mode == "goto":
                if event.value.strip():
                    self.load("at", moment=to_iso(parse_when(event.value)))
            else:
                self._refilter(parse_filter(event.value, base=self.filter))
        except ValueError as error:
            self.notify(clean_uncut(error), severity="error", markup=False)


class JournalBrowserApp(KeysInOrder[None], LiteralNotifications[None]):
    """Hosts the journal browser; `warroom browse` runs this, the dashboard may push JournalBrowserScreen itself."""

    TITLE = "warroom browse"
    # The screen's styles, read with the App's own: a screen that brings a stylesheet the App has not read makes
    # Textual parse every stylesheet again and restyle the whole app before the screen's first frame.
    CSS_PATH = Path(__file__).with_name("review.tcss")

    def __init__(self, path: str | Path, *, incident: str | None = None, timezone: str = "UTC",
                 source: str = "", keys: Mapping[str, str] | None = None) -> None:
        """Opens the journal here, before the event loop runs: a bad path fails as a one-line CLI error.

        `source` says what the file is when it is not the journal itself (a shared journal's local copy, how old);
        `keys` are the `[ui.keys]` remaps, checked when the configuration loaded.
        """
        super().__init__()
        if keys:
            remap_keys(self, keys)
        self.path = Path(path)
        self.source = source
        self.incident = incident
        self.zone = display_zone(timezone)
        self.journal = JournalReader(self.path)

    def on_mount(self) -> None:
        self.sub_title = f"{self.path.name} (read-only)" + (f" · {self.source}" if self.source else "")
        self.push_screen(JournalBrowserScreen(self.journal, incident=self.incident, zone=self.zone))

    def on_unmount(self) -> None:
        self.journal.close()
