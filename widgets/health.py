"""HealthPane: one row per Microsoft 365 workload — "is it us or Microsoft?" at a glance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ..console.graph.models import ServiceHealth, ServiceIssue
from ..console.text import clean
from ..console.timefmt import ago
from .labels import SERVICE_STATUS, label, service_name

# Cell padding is ours (a trailing space, none after the last column) so the pane fits 46 columns: the left
# column of the two-column layout at 120 wide (its scrollbar is hidden: the cursor scrolls it).
COLUMNS = (("status", "Status", 15), ("service", "Workload", 17), ("issues", "Issues", 9), ("changed", "Since", 5))


def short_age(seconds: float) -> str:
    """`12s`, `4m`, `3h`, `2d`: the Since column is five columns wide."""
    number, unit = ago(seconds).split(" ")
    return number + unit[0]


@dataclass(frozen=True)
class HealthRow:
    id: str
    status: str
    service: str
    issue_ids: tuple[str, ...]
    changed: datetime | None


def health_rows(health: Mapping[str, ServiceHealth], issues: Mapping[str, ServiceIssue],
                first_seen: Mapping[str, tuple[str, datetime | None]]) -> list[HealthRow]:
    """Unhealthy workloads first, then by name; "changed" is the newest post on an open issue, else when we saw it."""
    rows = []
    for item in health.values():
        stamps = [i.last_modified for i in (issues.get(x) for x in item.issue_ids) if i and i.last_modified]
        seen = first_seen.get(item.id)
        changed = max(stamps) if stamps else (seen[1] if seen else None)
        rows.append(HealthRow(item.id, item.status, item.service, item.issue_ids, changed))
    return sorted(rows, key=lambda r: (r.status in SERVICE_STATUS and SERVICE_STATUS[r.status][2] == "ok",
                                       r.service.lower()))


class HealthPane(DataTable):
    """Service health from Graph; Enter opens the selected workload's Microsoft issue."""

    BINDINGS = [
        Binding("enter", "open_issue", "Open issue", id="health.open_issue"),
    ]
    COMPONENT_CLASSES = {"health--ok", "health--warn", "health--bad", "health--muted", "health--info"}

    class IssueRequested(Message):
        """The responder wants to read a Microsoft issue (posts newest first)."""

        def __init__(self, issue_id: str, service: str) -> None:
            super().__init__()
            self.issue_id = issue_id
            self.service = service

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, show_cursor=True, cell_padding=0)
        self.border_title = "Service health"
        self._rows: list[HealthRow] = []
        self._first_seen: dict[str, tuple[str, datetime | None]] = {}
        self._shown: dict[str, tuple[Text, ...]] = {}

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            header = f" {title}" if key == "status" else title
            self.add_column(Text(header, justify="right") if key == "changed" else header, key=key, width=width)

    def _tone(self, tone: str) -> str:
        return str(self.get_component_rich_style(f"health--{tone}"))

    def _cells(self, row: HealthRow, now: datetime) -> tuple[Text, ...]:
        glyph, word, tone = label(SERVICE_STATUS, row.status)
        ids = ", ".join(clean(i, 16) for i in row.issue_ids[:3]) + (" …" if len(row.issue_ids) > 3 else "")
        changed = short_age((now - row.changed).total_seconds()) if row.changed else "—"
        cells = (Text(f" {glyph} {word}", style=self._tone(tone)), Text(service_name(row.service)),
                 Text(ids or "—", style="" if ids else self._tone("muted")), Text(changed.rjust(5)))
        for cell, (_, _, width) in zip(cells[:-1], COLUMNS, strict=False):
            cell.truncate(width - 1, overflow="ellipsis")
            cell.append(" ")
        cells[-1].truncate(COLUMNS[-1][2], overflow="ellipsis")
        return cells

    def show(self, health: Mapping[str, ServiceHealth], issues: Mapping[str, ServiceIssue], now: datetime) -> None:
        """Diff the table against the new state: update changed cells, add and remove rows, keep the cursor."""
        for item in health.values():
            known = self._first_seen.get(item.id)
            if known is None:
                self._first_seen[item.id] = (item.status, None)     # unknown since when: shown as —
            elif known[0] != item.status:
                self._first_seen[item.id] = (item.status, now)
        rows = health_rows(health, issues, self._first_seen)
        order_changed = [r.id for r in rows] != [r.id for r in self._rows]
        self._rows = rows
        if order_changed:
            selected = self.selected_row.id if self.selected_row else None
            self.clear()
            self._shown.clear()
            for row in rows:
                cells = self._cells(row, now)
                self._shown[row.id] = cells
                self.add_row(*cells, key=row.id)
            if selected:
                index = next((i for i, r in enumerate(rows) if r.id == selected), 0)
                self.move_cursor(row=index)
            return
        for row in rows:
            cells = self._cells(row, now)
            old = self._shown.get(row.id, ())
            for (key, _, _), cell, before in zip(COLUMNS, cells, old or (None,) * len(COLUMNS), strict=True):
                if before is None or cell.plain != before.plain or cell.style != before.style:
                    self.update_cell(row.id, key, cell)
            self._shown[row.id] = cells

    @property
    def selected_row(self) -> HealthRow | None:
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= len(self._rows):
            return None
        return self._rows[self.cursor_row]

    def action_open_issue(self) -> None:
        row = self.selected_row
        if row is None:
            return
        if not row.issue_ids:
            self.notify(f"{service_name(row.service)}: no open Microsoft issue", timeout=3, markup=False)
            return
        self.post_message(self.IssueRequested(row.issue_ids[0], row.service))
