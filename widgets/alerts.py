"""AlertTable: Defender alerts, incidents and risky users in one virtual table, responsive at 50,000 rows.

A RowTable (Line API): rows are plain records, filtering and sorting are list operations, and only the lines on
screen are ever rendered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from sys import intern
from typing import Any, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from ..console.graph.models import SEVERITY_ORDER, Alert, RiskyUser, SecurityIncident
from ..console.graph.tracked import Tracked
from ..console.text import clean
from ..console.timefmt import ago
from .actions import bindings
from .labels import ALERT_SEVERITY, label
from .row_table import Column, OrderedRows, RowTable

STATUS_WORDS = {"new": "new", "inProgress": "in progress", "resolved": "resolved", "active": "active",
                "redirected": "redirected", "awaitingAction": "awaiting"}
SOURCE_WORDS = {
    "microsoftDefenderForEndpoint": "Defender Endpoint",
    "microsoftDefenderForIdentity": "Defender Identity",
    "microsoftDefenderForCloudApps": "Defender Cloud Apps",
    "microsoftDefenderForOffice365": "Defender Office",
    "microsoft365Defender": "Microsoft 365 Def.",
    "azureAdIdentityProtection": "Entra ID Protect.",
    "microsoftAppGovernance": "App governance",
    "dataLossPrevention": "DLP",
    "microsoftDefenderForCloud": "Defender Cloud",
    "microsoftSentinel": "Sentinel",
    "microsoftInsiderRiskManagement": "Insider risk",
}
# Width 0 is the flexible title column.
COLUMNS = (
    Column("new", "", 1), Column("severity", "Severity", 10), Column("status", "Status", 11),
    Column("title", "Title", 0), Column("source", "Source", 17), Column("age", "Age", 6),
)
SORTABLE = ("severity", "status", "title", "source", "age")


class AlertRow(NamedTuple):
    """One line of the table: an alert or a Defender incident, already cleaned for display."""

    key: str
    kind: str          # "alert" | "incident" | "risky_user"
    id: str
    severity: str
    rank: int
    status: str
    title: str
    source: str
    created: float     # POSIX seconds; 0 when Graph sent no time
    haystack: str      # lower-case title and id: what the `/` filter searches besides `facets`
    # Lower-case severity, status, source and users, which the filter searches too: one string for all the rows
    # that share them (thousands of alerts name the same few accounts), not a copy per row.
    facets: str = ""
    # Lower-case UPNs and IPs, matched against the watch list. A tuple, not a set: a row of strings and tuples is
    # not tracked by the garbage collector, and 50,000 rows must not be walked by every full collection. Shared
    # like `facets`.
    watch_keys: tuple[str, ...] = ()

    def matches(self, word: str) -> bool:
        """`word` (lower-case, no spaces) is in the row's text: its title, id, severity, status, source or users."""
        return word in self.haystack or word in self.facets

    def watched_by(self, watch: frozenset[str]) -> list[str]:
        """The watch-list entries this row names (sorted): empty when nobody on it is involved."""
        return sorted(watch.intersection(self.watch_keys))

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertRow:
        title = clean(alert.title)
        source = SOURCE_WORDS.get(alert.service_source) or intern(clean(alert.service_source, 18)) or "Defender"
        status = STATUS_WORDS.get(alert.status) or clean(alert.status, 12)
        facets, watch_keys = _facets(alert.severity, status, source, alert.users, alert.ips)
        return cls(f"alert:{alert.id}", "alert", alert.id, alert.severity, alert.severity_rank, status, title, source,
                   alert.created.timestamp() if alert.created else 0.0, f"{title} {clean(alert.id, 80)}".lower(),
                   facets, watch_keys)

    @classmethod
    def from_incident(cls, incident: SecurityIncident) -> AlertRow:
        title = clean(incident.display_name)
        status = STATUS_WORDS.get(incident.status) or clean(incident.status, 12)
        return cls(f"incident:{incident.id}", "incident", incident.id, incident.severity,
                   SEVERITY_ORDER.get(incident.severity, 5), status, title, "Defender incident",
                   incident.created.timestamp() if incident.created else 0.0,
                   f"{title} {clean(incident.id, 80)}".lower(), _facets(incident.severity, status, "incident")[0])


    @classmethod
    def from_risky_user(cls, user: RiskyUser) -> AlertRow:
        """Entra ID Protection's risky users sit with the alerts: the same triage, and `B`/`R` act on them."""
        upn = clean(user.upn, 120)
        detail = clean(user.risk_detail, 40)
        title = f"Risky user {upn}" + (f" ({detail})" if detail and detail != "none" else "")
        status = RISK_STATES.get(user.risk_state) or clean(user.risk_state, 12)
        return cls(f"risky_user:{user.id}", "risky_user", user.id, user.risk_level,
                   SEVERITY_ORDER.get(user.risk_level, 5), status, title, "Entra risky user",
                   user.last_updated.timestamp() if user.last_updated else 0.0, title.lower(),
                   _facets(user.risk_level, status, "risky user")[0],
                   (intern(user.upn.strip().lower()),) if user.upn else ())


@lru_cache(maxsize=4096)
def _facets(severity: str, status: str, source: str, users: tuple[str, ...] = (),
            ips: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """A row's `facets` and `watch_keys`: made once for each combination rows share, and shared by them."""
    facets = " ".join((clean(severity, 24), status, source, *(clean(u, 120) for u in users))).lower()
    watch_keys = tuple(dict.fromkeys(intern(str(v).strip().lower()) for v in (*users, *ips) if v))
    return facets, watch_keys


RISK_STATES = {"atRisk": "at risk", "confirmedCompromised": "compromised", "remediated": "remediated",
               "dismissed": "dismissed", "confirmedSafe": "safe"}
QUIET_RISK = frozenset({"none", "hidden", ""})


class RowChanges(NamedTuple):
    """What a refresh changed in the alerts pane: rows new or rebuilt, and the keys of rows that went away."""

    rows: list[AlertRow]
    gone: list[str]


class RowCache:
    """Rows by record identity: the watcher keeps unchanged records as the same objects, so a poll that
    changed 3 of 50,000 alerts cleans 3 titles, not 50,000 (0.4 s on the event loop otherwise).

    Records in a `Tracked` dict (the live state's) say which keys changed, so only those are looked at; any other
    mapping (a test's, a new state's first look) is compared record by record.
    """

    SOURCES = (("incident", AlertRow.from_incident), ("alert", AlertRow.from_alert),
               ("risky_user", AlertRow.from_risky_user))

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, tuple[object, AlertRow]]] = {kind: {} for kind, _ in self.SOURCES}
        self._seen: dict[str, Mapping[str, object]] = {}    # the mapping each kind was last read from

    def changes(self, alerts: Mapping[str, Alert], incidents: Mapping[str, SecurityIncident],
                risky_users: Mapping[str, RiskyUser]) -> RowChanges:
        rows: list[AlertRow] = []
        gone: list[str] = []
        by_kind: dict[str, Mapping[str, Any]] = {"incident": incidents, "alert": alerts, "risky_user": risky_users}
        for kind, make in self.SOURCES:
            records, cached = by_kind[kind], self._rows[kind]
            told = records.take_changed() if isinstance(records, Tracked) else None
            known = self._seen.get(kind) is records
            self._seen[kind] = records
            keys: Iterable[str] = told if told is not None and known else [
                *records, *(key for key in cached if key not in records)]
            for key in keys:
                record = records.get(key)
                if kind == "risky_user" and record is not None and record.risk_level in QUIET_RISK:
                    record = None
                held = cached.get(key)
                if record is None:
                    if held is not None:
                        del cached[key]
                        gone.append(held[1].key)
                    continue
                if held is not None and held[0] is record:
                    continue
                row = make(record)
                cached[key] = (record, row)
                rows.append(row)
        return RowChanges(rows, gone)


FILTER_STEP = 5000      # a filter keystroke over more rows than this passes over them in turns of the event loop
SORT_STEP = 5000        # so does a sort (`s`) of more rows than this
PASS_ROWS = 1000        # such a pass looks at the clock after this many rows
TURN = 0.02             # and gives the event loop a turn after this many seconds (with a full collection
                        # of the garbage collector, ~20 ms, inside it, still under 50 ms)

KIND_ORDER = {"incident": 0, "alert": 1, "risky_user": 2}


def _sort_key(column: str) -> Callable[[AlertRow], tuple[Any, ...]]:
    """Each column's order; ties end on the row's kind and key, so every row has a place of its own."""
    if column == "severity":
        return lambda r: (r.rank, -r.created, KIND_ORDER.get(r.kind, 3), r.key)
    if column == "age":
        return lambda r: (-r.created, KIND_ORDER.get(r.kind, 3), r.key)
    return lambda r: (getattr(r, column).lower(), r.rank, -r.created, KIND_ORDER.get(r.kind, 3), r.key)


SORT_KEYS = {column: _sort_key(column) for column in SORTABLE}


class WordFilter(NamedTuple):
    """The `/` filter: every word must be in the row's lower-case text."""

    words: tuple[str, ...]

    def __call__(self, row: AlertRow) -> bool:
        return all(row.matches(word) for word in self.words)

    def select(self, rows: Iterable[AlertRow]) -> list[AlertRow]:
        """The rows that match, in their order: one plain pass per word (a keystroke over 50,000 rows)."""
        chosen = list(rows)
        for word in self.words:
            chosen = [row for row in chosen if word in row.haystack or word in row.facets]
        return chosen


def matcher(text: str) -> WordFilter | None:
    """The filter for what was typed (None: no words, every row)."""
    words = tuple(text.lower().split())
    return WordFilter(words) if words else None


def alert_age(seconds: float) -> str:
    """Whole minutes (`<1 min`, `7 min`), then hours and days: an idle table repaints once a minute at most."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "<1 min"
    return f"{seconds // 60} min" if seconds < 90 * 60 else ago(seconds)


class AlertTable(RowTable[AlertRow]):
    """Alerts and incidents: severity, status, title, source, age; `/` filters, `s` sorts, Enter opens."""

    BINDINGS = bindings("alerts")
    COMPONENT_CLASSES = {
        "alert-table--header", "alert-table--cursor", "alert-table--new", "alert-table--bad", "alert-table--warn",
        "alert-table--info", "alert-table--muted", "alert-table--ok", "alert-table--incident",
        "alert-table--watched",
    }
    PREFIX = "alert-table"
    OPEN_ACTION = "open_selected"
    COLUMNS = COLUMNS
    # The watched style lives here with the component it belongs to; colours are theme variables.
    WATCHED_GLYPH = "◉"     # reads without colour: the marker column says "someone on the watch list"

    sort_column: reactive[str] = reactive("severity")
    sort_reverse: reactive[bool] = reactive(False)
    filter_text: reactive[str] = reactive("")

    class Selected(Message):
        """Enter on a row: open its details."""

        def __init__(self, row: AlertRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Alerts"
        self._by_key: dict[str, AlertRow] = {}
        self._ordered: OrderedRows[AlertRow] = OrderedRows(SORT_KEYS["severity"])
        self._filtered_by = ""                   # the filter text the shown rows were chosen by (as typed)
        self._sorted_by = ("severity", False)    # the column and direction the shown rows are in order by
        self._sorting: str | None = None         # the column a sort in turns is under way for
        self._loaded = False                     # the first load is in: what arrives later is new
        self._first_load = False                 # the first load is still arriving page by page
        self.fresh: set[str] = set()             # keys that arrived after the first load, not looked at yet
        self._watched: set[str] = set()          # keys of rows naming someone on the watch list
        # Alerts per (severity, minute since the epoch of their creation): the rate chart's counts, kept as rows
        # come and go instead of counted over every row.
        self.minute_counts: Counter[tuple[str, int]] = Counter()
        self.now = 0.0
        self._ages: list[str] = []
        self.watching: frozenset[str] = frozenset()     # the incident's watch list, lower-case

    def set_watch(self, watch: frozenset[str]) -> None:
        """The incident's watch list changed: repaint so matching rows gain or lose their marker."""
        if watch != self.watching:
            self.watching = watch
            self._watched = {key for key, row in self._by_key.items() if not watch.isdisjoint(row.watch_keys)}
            self._update_title()
            self.refresh()

    @property
    def watched_count(self) -> int:
        return len(self._watched)

    # -- data ---------------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[AlertRow], now: datetime, *, loading: bool = False) -> list[AlertRow]:
        """Show exactly these rows; returns those not seen before (see `apply`)."""
        rows = list(rows)
        keys = {row.key for row in rows}
        return self.apply(RowChanges([r for r in rows if self._by_key.get(r.key) != r],
                                     [key for key in self._by_key if key not in keys]), now, loading=loading)

    def apply(self, changes: RowChanges, now: datetime, *, loading: bool = False) -> list[AlertRow]:
        """Rows new or changed, and rows gone (after a poll, or a page of a long first read); returns the rows
        that arrived (or changed) since the responder last looked.

        Only the changed rows move: the order and the filter are kept, not redone. A poll that changed nothing
        repaints nothing (an idle console over SSH writes nothing); ages move with `tick`. The first load is the
        baseline, however many pages it arrives in (`loading` while more are coming): none of its rows count as new.
        """
        self.now = now.timestamp()
        first = not self._loaded or self._first_load
        self._loaded, self._first_load = True, first and loading
        if not changes.rows and not changes.gone:
            return []
        removed: list[AlertRow] = []
        for key in changes.gone:
            old = self._by_key.pop(key, None)
            if old is not None:
                removed.append(old)
                self._count(old, -1)
                self.fresh.discard(key)
                self._watched.discard(key)
        arrived: list[AlertRow] = []
        watch = self.watching
        for row in changes.rows:
            old = self._by_key.get(row.key)
            if old is not None:
                removed.append(old)
                self._count(old, -1)
            self._by_key[row.key] = row
            self._count(row, 1)
            if not first and (old is None or row.key in self.fresh):
                self.fresh.add(row.key)
                arrived.append(row)
            if watch and not watch.isdisjoint(row.watch_keys):
                self._watched.add(row.key)
            else:
                self._watched.discard(row.key)
        self._ordered.change(changes.rows, removed)
        self.show_rows(self._ordered)
        self._update_title()
        return arrived

    def _count(self, row: AlertRow, step: int) -> None:
        if row.kind != "alert" or not row.created:
            return
        minute = (row.severity, int(row.created // 60))
        left = self.minute_counts[minute] + step
        if left:
            self.minute_counts[minute] = left
        else:
            del self.minute_counts[minute]

    @property
    def all_rows(self) -> Sequence[AlertRow]:
        """Every row, before the filter."""
        return self._ordered.every

    @property
    def new_count(self) -> int:
        return len(self.fresh)

    def index_of(self, key: Any) -> int | None:
        row = self._by_key.get(key)
        return self._ordered.position(row) if row is not None and self.rows is self._ordered else super().index_of(key)

    def _update_title(self) -> None:
        shown, total = len(self.rows), len(self._by_key)
        applied = self._filtered_by             # the title and subtitle say what the rows shown were chosen by
        count = f"{shown:,} of {total:,}" if applied else f"{total:,}"
        fresh = self.new_count
        column, reverse = self._sorted_by
        arrow = "▲" if reverse else "▼"
        watched = self.watched_count
        self.border_title = Text(f"Alerts ({count})" + (f" · {fresh} new" if fresh else "")
                                 + (f" · {watched} watched" if watched else ""))
        wanted = f" · filter: {clean(applied, 40)}" if applied else ""
        coming = f" · sorting by {self._sorting}…" if self._sorting else ""     # a sort in turns under way
        self.border_subtitle = Text(f"sort: {column} {arrow}{coming}{wanted}")  # Text: typed filters are not markup

    def watch_filter_text(self, text: str) -> None:
        """A keystroke in the filter: the one time every row is matched (only the rows shown when it narrows).
        Over more than `FILTER_STEP` rows the pass is shared out over turns of the event loop (`set_filter_in_steps`),
        so the console stays responsive; the rows, the count and the subtitle change together when it is done."""
        before = self._filtered_by.lower()
        narrower = bool(before.split()) and text.lower().startswith(before)
        matches = matcher(text)
        if not self.is_mounted:
            self._ordered.set_filter(matches, narrower=narrower)
            self._filtered(text)
            return
        self.workers.cancel_group(self, "alert-filter")     # a pass for an earlier keystroke: superseded
        if matches is None or self._ordered.filter_cost(narrower) <= FILTER_STEP:
            self._ordered.set_filter(matches, narrower=narrower)
            self._filtered(text)
            return
        self.run_worker(self._filter_in_steps(matches, narrower, text), group="alert-filter", exclusive=True)

    async def _filter_in_steps(self, matches: WordFilter, narrower: bool, text: str) -> None:
        await self._ordered.set_filter_in_steps(matches, narrower=narrower, step=PASS_ROWS, turn=TURN)
        self._filtered(text)

    def _filtered(self, text: str) -> None:
        self._filtered_by = text
        self.show_rows(self._ordered)
        self._update_title()

    def watch_sort_column(self) -> None:
        self._resort()

    def watch_sort_reverse(self) -> None:
        self._resort()

    def _resort(self) -> None:
        """Another order (`s`, `S`). Over more than `SORT_STEP` rows the sort is shared out over turns of the event
        loop (`set_key_in_steps`), and a newer order supersedes it; the rows, the header and the subtitle change
        together when it is done. The direction alone is a switch; one chosen while the sort is under way is the
        one it ends in."""
        column = self.sort_column
        if column == self._sorting:
            return
        key = SORT_KEYS[column]
        if self.is_mounted:
            self.workers.cancel_group(self, "alert-sort")     # a sort for an earlier key: superseded
        self._sorting = None
        if not self.is_mounted or key is self._ordered.key or len(self._ordered.every) <= SORT_STEP:
            self._ordered.set_key(key, reverse=self.sort_reverse)
            self._sorted(column)
            return
        self._sorting = column
        self._update_title()
        self.run_worker(self._sort_in_steps(column), group="alert-sort", exclusive=True)

    async def _sort_in_steps(self, column: str) -> None:
        await self._ordered.set_key_in_steps(SORT_KEYS[column], step=PASS_ROWS, turn=TURN)
        self._sorting = None
        self._ordered.reverse = self.sort_reverse
        self._sorted(column)

    def _sorted(self, column: str) -> None:
        self._sorted_by = (column, self._ordered.reverse)
        self.show_rows(self._ordered)
        self._update_title()

    def tick(self, now: datetime) -> None:
        """Called once a second: repaint only if an age on screen would read differently."""
        self.now = now.timestamp()
        ages = [self._age(r) for r in self.visible_rows()]
        if ages != self._ages:
            self.refresh()

    def mark_seen(self) -> None:
        if self.fresh:
            self.fresh.clear()
            self._update_title()
            self.refresh()

    # -- actions ------------------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        """The pane's subtitle and header say the order (no notification: five `s` would stack five over it)."""
        self.sort_column = SORTABLE[(SORTABLE.index(self.sort_column) + 1) % len(SORTABLE)]

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse

    def action_mark_seen(self) -> None:
        self.mark_seen()

    def action_open_selected(self) -> None:
        if self.selected:
            self.post_message(self.Selected(self.selected))

    def on_blur(self) -> None:
        """Leaving the pane means you looked: what was new is no longer marked."""
        self.mark_seen()

    # -- rendering ----------------------------------------------------------------------------------

    def _age(self, row: AlertRow) -> str:
        return alert_age(self.now - row.created) if row.created else "—"

    def empty_message(self) -> str:
        return "No alerts match the filter" if self._filtered_by else "No alerts"

    def header_cells(self) -> list[Text]:
        cells = [Text(c.heading) for c in COLUMNS]
        column, reverse = self._sorted_by
        cells[next(i for i, c in enumerate(COLUMNS) if c.key == column)].append(" ▲" if reverse else " ▼")
        return cells

    def render_line(self, y: int) -> Strip:
        if y == 1:
            self._ages = []     # the ages on screen, as painted: `tick` repaints when one would read differently
        return super().render_line(y)

    def row_key(self, row: AlertRow) -> str:
        return row.key

    def row_cells(self, row: AlertRow) -> list[Text]:
        age = self._age(row)
        self._ages.append(age)
        glyph, word, tone = label(ALERT_SEVERITY, row.severity)
        new = row.key in self.fresh
        watched = bool(self.watching) and not self.watching.isdisjoint(row.watch_keys)
        marker = Text(self.WATCHED_GLYPH, style=self.component_style("watched")) if watched else Text(
            "•" if new else " ", style=self.component_style("new"))
        title_style = self.component_style("incident") if row.kind == "incident" else Style()
        if watched:
            title_style += self.component_style("watched")
        return [
            marker,
            Text(f"{glyph} {word}", style=self.component_style(tone)),
            Text(row.status),
            Text(row.title, style=title_style),
            Text(row.source),
            Text(age),
        ]
