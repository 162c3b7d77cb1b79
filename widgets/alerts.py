"""AlertTable: Defender alerts, incidents and risky users in one virtual table, responsive at 50,000 rows.

A RowTable (Line API): rows are plain records, filtering and sorting are list operations, and only the lines on
screen are ever rendered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip

from ..console.graph.models import SEVERITY_ORDER, Alert, RiskyUser, SecurityIncident
from ..console.text import clean
from ..console.timefmt import ago
from .actions import bindings
from .labels import ALERT_SEVERITY, label
from .row_table import Column, RowTable

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
    haystack: str      # lower-case text the `/` filter searches
    # Lower-case UPNs and IPs, matched against the watch list. A tuple, not a set: a row of strings and tuples is
    # not tracked by the garbage collector, and 50,000 rows must not be walked by every full collection.
    watch_keys: tuple[str, ...] = ()

    def watched_by(self, watch: frozenset[str]) -> list[str]:
        """The watch-list entries this row names (sorted): empty when nobody on it is involved."""
        return sorted(watch.intersection(self.watch_keys))

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertRow:
        title = clean(alert.title)
        source = SOURCE_WORDS.get(alert.service_source) or clean(alert.service_source, 18) or "Defender"
        status = STATUS_WORDS.get(alert.status) or clean(alert.status, 12)
        return cls(f"alert:{alert.id}", "alert", alert.id, alert.severity, alert.severity_rank, status, title, source,
                   alert.created.timestamp() if alert.created else 0.0,
                   " ".join((title, clean(alert.severity, 24), status, source, clean(alert.id, 80),
                             *(clean(u, 120) for u in alert.users))).lower(),
                   tuple(dict.fromkeys(str(v).strip().lower() for v in (*alert.users, *alert.ips) if v)))

    @classmethod
    def from_incident(cls, incident: SecurityIncident) -> AlertRow:
        title = clean(incident.display_name)
        status = STATUS_WORDS.get(incident.status) or clean(incident.status, 12)
        return cls(f"incident:{incident.id}", "incident", incident.id, incident.severity,
                   SEVERITY_ORDER.get(incident.severity, 5), status, title, "Defender incident",
                   incident.created.timestamp() if incident.created else 0.0,
                   " ".join((title, clean(incident.severity, 24), status, "incident", clean(incident.id, 80))).lower())


    @classmethod
    def from_risky_user(cls, user: RiskyUser) -> AlertRow:
        """Entra ID Protection's risky users sit with the alerts: the same triage, and `B`/`R` act on them."""
        upn = clean(user.upn, 120)
        detail = clean(user.risk_detail, 40)
        title = f"Risky user {upn}" + (f" ({detail})" if detail and detail != "none" else "")
        status = RISK_STATES.get(user.risk_state) or clean(user.risk_state, 12)
        return cls(f"risky_user:{user.id}", "risky_user", user.id, user.risk_level,
                   SEVERITY_ORDER.get(user.risk_level, 5), status, title, "Entra risky user",
                   user.last_updated.timestamp() if user.last_updated else 0.0,
                   " ".join((title, clean(user.risk_level, 24), status, "risky user", upn)).lower(),
                   (user.upn.strip().lower(),) if user.upn else ())


RISK_STATES = {"atRisk": "at risk", "confirmedCompromised": "compromised", "remediated": "remediated",
               "dismissed": "dismissed", "confirmedSafe": "safe"}
QUIET_RISK = frozenset({"none", "hidden", ""})


class RowCache:
    """Rows by record identity: the watcher keeps unchanged records as the same objects, so a poll that
    changed 3 of 50,000 alerts cleans 3 titles, not 50,000 (0.4 s on the event loop otherwise)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], tuple[object, AlertRow]] = {}

    def rows(self, alerts: Mapping[str, Alert], incidents: Mapping[str, SecurityIncident],
             risky_users: Mapping[str, RiskyUser]) -> list[AlertRow]:
        kept: dict[tuple[str, str], tuple[object, AlertRow]] = {}
        out: list[AlertRow] = []
        sources = (("incident", incidents, AlertRow.from_incident), ("alert", alerts, AlertRow.from_alert),
                   ("risky_user", risky_users, AlertRow.from_risky_user))
        for kind, records, make in sources:
            for key, record in records.items():
                if kind == "risky_user" and record.risk_level in QUIET_RISK:
                    continue
                cached = self._rows.get((kind, key))
                row = cached[1] if cached is not None and cached[0] is record else make(record)
                kept[(kind, key)] = (record, row)
                out.append(row)
        self._rows = kept
        return out


def _sort_key(column: str):
    if column == "severity":
        return lambda r: (r.rank, -r.created)
    if column == "age":
        return lambda r: -r.created
    return lambda r: (getattr(r, column).lower(), r.rank, -r.created)


def alert_age(seconds: float) -> str:
    """Whole minutes (`<1 min`, `7 min`), then hours and days: an idle table repaints once a minute at most."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return "<1 min"
    return f"{seconds // 60} min" if seconds < 90 * 60 else ago(seconds)


class AlertTable(RowTable):
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
        self._all: list[AlertRow] = []
        self._sorted: list[AlertRow] = []
        self.seen: set[str] | None = None        # None until the first load: what was there at start counts as seen
        self._first_load = False                 # the first load is still arriving page by page
        self.now = 0.0
        self._ages: list[str] = []
        self.watch: frozenset[str] = frozenset()   # the incident's watch list, lower-case

    def set_watch(self, watch: frozenset[str]) -> None:
        """The incident's watch list changed: repaint so matching rows gain or lose their marker."""
        if watch != self.watch:
            self.watch = watch
            self._update_title()
            self.refresh()

    @property
    def watched_count(self) -> int:
        watch = self.watch
        return sum(1 for r in self._all if not watch.isdisjoint(r.watch_keys)) if watch else 0

    # -- data ---------------------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[AlertRow], now: datetime, *, loading: bool = False) -> list[AlertRow]:
        """Replace the data (after a poll, or a page of a long first read); returns rows not seen before.

        A poll that changed nothing (the same rows, in the same order) repaints nothing: an idle console over
        SSH writes nothing. Ages move with `tick`. The first load is the baseline, however many pages it
        arrives in (`loading` while more are coming): none of its rows count as new.
        """
        rows = list(rows)
        self.now = now.timestamp()
        if self.seen is not None and rows == self._all and not self._first_load:
            return []
        self._all = rows
        if self.seen is None or self._first_load:
            self.seen = (self.seen or set()) | {r.key for r in self._all}
            self._first_load = loading
            arrived: list[AlertRow] = []
        else:
            arrived = [r for r in self._all if r.key not in self.seen]
        self._resort()
        return arrived

    @property
    def all_rows(self) -> list[AlertRow]:
        """Every row, before the filter (the rate chart counts these)."""
        return self._all

    @property
    def new_count(self) -> int:
        return sum(1 for r in self._all if self.seen is not None and r.key not in self.seen)

    def _resort(self) -> None:
        keep = self.selected.key if self.selected else None
        self._sorted = sorted(self._all, key=_sort_key(self.sort_column), reverse=self.sort_reverse)
        self._refilter(keep)

    def _refilter(self, keep: str | None = None) -> None:
        words = self.filter_text.lower().split()
        rows = self._sorted
        for word in words:
            rows = [r for r in rows if word in r.haystack]
        self.show_rows(rows, keep)
        self._update_title()

    def _update_title(self) -> None:
        shown, total = len(self.rows), len(self._all)
        count = f"{shown:,} of {total:,}" if self.filter_text else f"{total:,}"
        fresh = self.new_count
        arrow = "▲" if self.sort_reverse else "▼"
        watched = self.watched_count
        self.border_title = Text(f"Alerts ({count})" + (f" · {fresh} new" if fresh else "")
                                 + (f" · {watched} watched" if watched else ""))
        wanted = f" · filter: {clean(self.filter_text, 40)}" if self.filter_text else ""
        self.border_subtitle = Text(f"sort: {self.sort_column} {arrow}{wanted}")  # Text: typed filters are not markup

    def watch_filter_text(self) -> None:
        self._refilter(self.selected.key if self.selected else None)

    def watch_sort_column(self) -> None:
        self._resort()

    def watch_sort_reverse(self) -> None:
        self._resort()

    def tick(self, now: datetime) -> None:
        """Called once a second: repaint only if an age on screen would read differently."""
        self.now = now.timestamp()
        ages = [self._age(r) for r in self.visible_rows()]
        if ages != self._ages:
            self.refresh()

    def mark_seen(self) -> None:
        self.seen = {r.key for r in self._all}
        self._update_title()
        self.refresh()

    # -- actions ------------------------------------------------------------------------------------

    def action_sort_next(self) -> None:
        self.sort_column = SORTABLE[(SORTABLE.index(self.sort_column) + 1) % len(SORTABLE)]
        self.notify(f"Alerts sorted by {self.sort_column}", timeout=2)

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
        return "No alerts match the filter" if self.filter_text else "No alerts"

    def header_cells(self) -> list[Text]:
        cells = [Text(c.heading) for c in COLUMNS]
        cells[next(i for i, c in enumerate(COLUMNS) if c.key == self.sort_column)].append(
            " ▲" if self.sort_reverse else " ▼")
        return cells

    def render_line(self, y: int) -> Strip:
        if y == 1:
            self._ages = []     # the ages on screen, as painted: `tick` repaints when one would read differently
        return super().render_line(y)

    def row_cells(self, row: AlertRow) -> list[Text]:
        age = self._age(row)
        self._ages.append(age)
        glyph, word, tone = label(ALERT_SEVERITY, row.severity)
        new = self.seen is not None and row.key not in self.seen
        watched = bool(self.watch) and not self.watch.isdisjoint(row.watch_keys)
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
