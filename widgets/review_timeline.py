"""The journal browser's timeline: a RowTable that only ever holds a window of entries and asks for more at its edges.

The screen fetches pages by seq in a worker and calls `show()`; the table never touches the journal. A Line-API
table: only the lines on screen are rendered, so a window of 200 entries costs what 30 visible lines cost. Every
cell is a `rich.text.Text` built from cleaned strings, so a title like `[bold]` or an escape sequence is shown as
characters, never interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from rich.style import Style
from rich.text import Text
from textual.message import Message
from warroom.console.journal import Entry
from warroom.console.journal_reader import describe_entry
from warroom.console.text import clean_uncut
from warroom.console.timefmt import from_iso

from .actions import bindings
from .row_table import Column, RowTable

WINDOW = 200  # rows held at most; scrolling past an edge swaps half of them


def offset(base: str, other: str) -> str:
    """`+30s`, `-2m`, `+3h`: how far a timestamp is from when the entry happened."""
    seconds = int((from_iso(other) - from_iso(base)).total_seconds())
    if seconds == 0:
        return "·"
    sign, size = ("+" if seconds > 0 else "-"), abs(seconds)
    for unit, span in (("d", 86400), ("h", 3600), ("m", 60)):
        if size >= span:
            return f"{sign}{size // span}{unit}"
    return f"{sign}{size}s"


# Below 90 columns the occurred time drops its date and the discovered/logged offsets go: the entry pane below
# shows all three timestamps of the selected entry in full. `What` (width 0) takes the rest.
COMPACT = (Column("seq", "#", 7), Column("occurred", "Occurred", 8), Column("actor", "Actor", 8),
           Column("kind", "Kind", 14), Column("what", "What", 0))
WIDE = (Column("seq", "#", 7), Column("occurred", "Occurred", 14), Column("discovered", "Disc.", 5),
        Column("logged", "Logged", 6), Column("actor", "Actor", 10), Column("kind", "Kind", 17),
        Column("what", "What", 0))
COMPACT_BELOW = 90


class BrowserTimeline(RowTable[Entry]):
    """Entries: seq, when it happened, discovered and logged (as offsets), actor, kind, what.

    Up, down and the page keys move within the window and ask for the next page past its edges; Home and End ask
    for the first and the last page of the current filter.
    """

    # The break and what follows it, a stripe on every other line (screens/review.tcss).
    COMPONENT_CLASSES = {"review-timeline--header", "review-timeline--cursor", "review-timeline--muted",
                         "review-timeline--broken", "review-timeline--stripe"}
    # The browser's keys bubble (its incident list takes Enter first): its list keys bubble with them, so keys typed
    # together act in the order typed (Enter and `j`: the entry Enter was pressed on is read, then `j` moves).
    BINDINGS = bindings("list", priority=False)
    PREFIX = "review-timeline"
    OPEN_ACTION = "read"
    COLUMNS = WIDE
    EMPTY = "No entries match."

    class Edge(Message):
        """The cursor ran past the window: `direction` is "older" or "newer"."""

        def __init__(self, direction: str, seq: int) -> None:
            super().__init__()
            self.direction = direction
            self.seq = seq

    class Jump(Message):
        """Home or End: the first or the last page of the current filter."""

        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where

    class Highlighted(Message):
        """The cursor is on another entry, or a new window put it on one."""

    class Read(Message):
        """A double click: read the selected entry whole (Enter is the screen's `review.read`)."""

    def __init__(self, *, zone: tzinfo = UTC, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.broken_at: int | None = None

    @property
    def window(self) -> Sequence[Entry]:
        """The entries held, oldest first (at most WINDOW)."""
        return self.rows

    def columns(self) -> tuple[Column, ...]:
        return COMPACT if self.size.width < COMPACT_BELOW else WIDE

    def _time(self, text: str, compact: bool) -> str:
        moment: datetime = from_iso(text).astimezone(self.zone)
        return moment.strftime("%H:%M:%S" if compact else "%m-%d %H:%M:%S")

    def row_key(self, row: Entry) -> int:
        return row.seq

    def row_cells(self, entry: Entry) -> list[Text]:
        compact = self.columns() is COMPACT
        marker = Text(f"⇲{entry.seq}" if entry.origin else str(entry.seq))   # first written in another journal
        if self.broken_at is not None and entry.seq >= self.broken_at:
            marker = Text(f"✗{entry.seq}" if entry.seq == self.broken_at else f"?{entry.seq}",
                          style=self.component_style("broken"))
        cells = [marker, Text(self._time(entry.occurred_at, compact))]
        if not compact:
            cells += [Text(offset(entry.occurred_at, entry.discovered_at)),
                      Text(offset(entry.occurred_at, entry.logged_at))]
        return [*cells, Text(clean_uncut(entry.actor)), Text(clean_uncut(entry.kind)),
                Text(clean_uncut(describe_entry(entry))[:300])]

    def row_style(self, index: int) -> Style | None:
        return self.component_style("stripe") if index % 2 else None

    def show(self, entries: Sequence[Entry], *, focus_seq: int | None = None) -> None:
        """Replace the window; put the cursor on `focus_seq` (or the nearest entry after it)."""
        window = entries[:WINDOW] if len(entries) > WINDOW else entries
        row = 0
        if window and focus_seq is not None:
            row = next((i for i, e in enumerate(window) if e.seq >= focus_seq), len(window) - 1)
        self.set_reactive(BrowserTimeline.cursor, row)     # one Highlighted below, not one per change
        self.show_rows(window, window[row].seq if window else None)
        self.post_message(self.Highlighted())

    def newer(self, entries: list[Entry]) -> None:
        """Scrolled down past the end: keep the later half of the window, add the new page after it."""
        if entries:
            keep = max(0, WINDOW - len(entries))
            self.show([*self.window[len(self.window) - keep:], *entries], focus_seq=entries[0].seq)

    def older(self, entries: list[Entry]) -> None:
        if entries:
            self.show([*entries, *self.window[: max(0, WINDOW - len(entries))]], focus_seq=entries[-1].seq)

    def watch_cursor(self) -> None:
        super().watch_cursor()
        self.post_message(self.Highlighted())

    def action_cursor(self, delta: int) -> None:
        """Past the window's edge, the next page (older or newer) is asked for instead."""
        if self.rows and delta > 0 and self.cursor >= len(self.rows) - 1:
            self.post_message(self.Edge("newer", self.rows[-1].seq))
        elif self.rows and delta < 0 and self.cursor <= 0:
            self.post_message(self.Edge("older", self.rows[0].seq))
        else:
            super().action_cursor(delta)

    def action_jump(self, index: int) -> None:
        self.post_message(self.Jump("first" if index == 0 else "last"))

    def action_read(self) -> None:
        if self.selected is not None:
            self.post_message(self.Read())
