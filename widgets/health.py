"""HealthPane: one row per Microsoft 365 workload — "is it us or Microsoft?" at a glance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual.message import Message

from ..console.graph.models import ServiceHealth, ServiceIssue
from ..console.text import clean
from ..console.timefmt import ago
from .actions import bindings
from .folded import folded
from .labels import SERVICE_STATUS, label, service_name
from .row_table import Column, RowTable

# 46 columns, the left column of the two-column layout at 120 wide (its scrollbar is hidden: the cursor scrolls
# it). Microsoft issue ids are up to 9 long (EX1195322): they are never cut; workload names may be. Wider panes
# (160 columns, or 80 where the panes stack) give the status, workload and issue columns what their words need.
COLUMNS = (Column("status", " Status", 14), Column("service", "Workload", 15), Column("issues", "Issues", 9),
           Column("changed", "Since", 5, "right"))
GROWS = (0, 2, 1)        # the columns that take room beyond COLUMNS' widths, in this order: issue ids first
# Which workload a folded pane names as the worst: by tone, then an interruption before a degradation.
TONE_RANK = {"bad": 0, "warn": 1, "info": 2, "muted": 3, "ok": 4}
GRAVEST = ("serviceInterruption", "serviceDegradation")


def short_age(seconds: float) -> str:
    """`12s`, `4m`, `3h`, `2d`: the Since column is five columns wide."""
    number, unit = ago(seconds).split(" ")
    return number + unit[0]


class HealthRow(NamedTuple):
    id: str
    status: str
    service: str
    issue_ids: tuple[str, ...]
    changed: datetime | None

    @property
    def key(self) -> str:
        return self.id


def worst(rows: Sequence[HealthRow]) -> tuple[int, HealthRow | None]:
    """How many workloads are not operational, and the gravest of them (None when all are)."""
    unwell = [r for r in rows if label(SERVICE_STATUS, r.status)[2] != "ok"]

    def gravity(row: HealthRow) -> tuple[int, int]:
        rank = GRAVEST.index(row.status) if row.status in GRAVEST else len(GRAVEST)
        return TONE_RANK.get(label(SERVICE_STATUS, row.status)[2], 0), rank

    return len(unwell), min(unwell, key=gravity, default=None)


def health_rows(health: Mapping[str, ServiceHealth], issues: Mapping[str, ServiceIssue],
                first_seen: Mapping[str, tuple[str, datetime | None]],
                since: Mapping[str, datetime] | None = None) -> list[HealthRow]:
    """Unhealthy workloads first, then by name; "changed" is when the workload's status changed (from the journal
    and the polls), else when this console saw it change, else unknown (—): never the age of Microsoft's last post."""
    rows = []
    for item in health.values():
        seen = first_seen.get(item.id)
        changed = (since or {}).get(item.id) or (seen[1] if seen else None)
        rows.append(HealthRow(item.id, item.status, item.service, item.issue_ids, changed))
    return sorted(rows, key=lambda r: (r.status in SERVICE_STATUS and SERVICE_STATUS[r.status][2] == "ok",
                                       r.service.lower()))


class HealthPane(RowTable[HealthRow]):
    """Service health from Graph; Enter opens the selected workload's Microsoft issue."""

    BINDINGS = bindings("health")
    COMPONENT_CLASSES = {"health--header", "health--cursor", "health--ok", "health--warn", "health--bad",
                         "health--muted", "health--info"}
    PREFIX = "health"
    OPEN_ACTION = "open_issue"
    COLUMNS = COLUMNS
    EMPTY = "No service health yet"

    class IssueRequested(Message):
        """The responder wants to read a Microsoft issue (posts newest first)."""

        def __init__(self, issue_id: str, service: str) -> None:
            super().__init__()
            self.issue_id = issue_id
            self.service = service

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Service health"
        self.now: datetime | None = None
        self._first_seen: dict[str, tuple[str, datetime | None]] = {}
        self._painted: list[tuple[str, ...]] = []
        self._wanted = [c.width for c in COLUMNS]      # what the longest cell of each column needs

    def show(self, health: Mapping[str, ServiceHealth], issues: Mapping[str, ServiceIssue], now: datetime,
             since: Mapping[str, datetime] | None = None) -> None:
        """The new state; repainted only when a line would read differently (an idle console writes nothing)."""
        for item in health.values():
            known = self._first_seen.get(item.id)
            if known is None:
                self._first_seen[item.id] = (item.status, None)     # unknown since when: shown as —
            elif known[0] != item.status:
                self._first_seen[item.id] = (item.status, now)
        rows = health_rows(health, issues, self._first_seen, since)
        self.now = now
        painted = [tuple(cell.plain for cell in self.row_cells(row)) for row in rows]
        if rows != self.rows or painted != self._painted:
            self._painted = painted
            self._wanted = [max([c.width, *(len(line[i]) for line in painted)]) for i, c in enumerate(COLUMNS)]
            self.show_rows(rows)

    def summary(self) -> Text:
        """Folded to one line: how many workloads are not operational and the worst, with its Microsoft issue."""
        text = folded("Health")
        rows = self.rows
        count, gravest = worst(rows)
        if not rows:
            text.append(self.EMPTY.lower(), self.component_style("muted"))
        elif gravest is None:
            text.append(f"✓ all {len(rows)} operational", self.component_style("ok"))
        else:
            glyph, word, tone = label(SERVICE_STATUS, gravest.status)
            text.append(f"{glyph} {count} of {len(rows)} not operational", self.component_style(tone))
            text.append(f" · worst: {service_name(gravest.service)} {word.lower()}")
            if gravest.issue_ids:
                more = f" +{len(gravest.issue_ids) - 1}" if len(gravest.issue_ids) > 1 else ""
                text.append(f" {clean(gravest.issue_ids[0], 16)}{more}")
        return text

    def column_widths(self, width: int) -> list[int]:
        """Each column as wide as its longest cell needs, while the pane has room; else COLUMNS' widths."""
        widths = [c.width for c in COLUMNS]
        room = width - sum(widths) - len(widths) + 1
        for index in GROWS:
            grow = min(room, max(0, self._wanted[index] - widths[index]))
            widths[index] += grow
            room -= grow
        return widths

    @property
    def selected_row(self) -> HealthRow | None:
        return self.selected

    def row_key(self, row: HealthRow) -> str:
        return row.key

    def row_cells(self, row: HealthRow) -> list[Text]:
        glyph, word, tone = label(SERVICE_STATUS, row.status)
        ids = ", ".join(clean(i, 16) for i in row.issue_ids[:3]) + (" …" if len(row.issue_ids) > 3 else "")
        changed = short_age((self.now - row.changed).total_seconds()) if row.changed and self.now else "—"
        return [Text(f" {glyph} {word}", style=self.component_style(tone)), Text(service_name(row.service)),
                Text(ids or "—", style=Style() if ids else self.component_style("muted")), Text(changed)]

    def action_open_issue(self) -> None:
        row = self.selected
        if row is None:
            return
        if not row.issue_ids:
            self.notify(f"{service_name(row.service)}: no open Microsoft issue", timeout=3, markup=False)
            return
        self.post_message(self.IssueRequested(row.issue_ids[0], row.service))
