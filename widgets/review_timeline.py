"""The review timeline: a DataTable that only ever holds a window of entries and asks for more at its edges.

The screen fetches pages by seq in a worker and calls `show()`; the table never touches the journal.
Every cell is a `rich.text.Text` built from cleaned strings, so a title like `[bold]` or an escape
sequence is shown as characters, never interpreted.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from warroom.console.journal import Entry
from warroom.console.journal_reader import clean, describe_entry
from warroom.console.timefmt import from_iso

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


class BrowserTimeline(DataTable):
    """Entries: seq, when it happened, discovered and logged (as offsets), actor, kind, what."""

    BINDINGS = [
        Binding("home", "first", "First", id="review.first", show=False),
        Binding("end", "last", "Last", id="review.last", show=False),
        Binding("enter", "select_cursor", "Read", id="review.read"),
    ]
    COMPONENT_CLASSES = {"review-timeline--broken"}    # the break and what follows it (screens/review.tcss)

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

    def __init__(self, *, zone: tzinfo = UTC, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.zone = zone
        self.window: list[Entry] = []
        self.broken_at: int | None = None

    def on_mount(self) -> None:
        self._layout(self.size.width)

    def on_resize(self) -> None:
        if self._layout(self.size.width):
            self.show(self.window, focus_seq=self.selected.seq if self.selected else None)

    def _layout(self, width: int) -> bool:
        """Fixed columns, and `What` takes the rest: the line a reviewer reads must stay on screen.

        Below 90 columns the occurred time drops its date and the discovered/logged offsets go: the entry
        pane below shows all three timestamps of the selected entry in full.
        """
        compact = width < 90
        if compact:
            fixed = [("#", "seq", 7), ("Occurred", "occurred", 8), ("Actor", "actor", 8), ("Kind", "kind", 14)]
        else:
            fixed = [("#", "seq", 7), ("Occurred", "occurred", 14), ("Disc.", "discovered", 5),
                     ("Logged", "logged", 6), ("Actor", "actor", 10), ("Kind", "kind", 17)]
        what = max(24, width - sum(w + 2 for _, _, w in fixed) - 2 - 2)  # cell padding, then the scrollbar
        shape = (compact, what)
        if shape == getattr(self, "_shape", None):
            return False
        self._shape, self._time_format = shape, "%H:%M:%S" if compact else "%m-%d %H:%M:%S"
        self.clear(columns=True)
        for label, key, column_width in [*fixed, ("What", "what", what)]:
            self.add_column(label, key=key, width=column_width)
        return True

    def _time(self, text: str) -> str:
        moment: datetime = from_iso(text).astimezone(self.zone)
        return moment.strftime(self._time_format)

    def _row(self, entry: Entry) -> list[Text]:
        marker = Text(f"⇲{entry.seq}" if entry.origin else str(entry.seq))   # first written in another journal
        if self.broken_at is not None and entry.seq >= self.broken_at:
            marker = Text(f"✗{entry.seq}" if entry.seq == self.broken_at else f"?{entry.seq}",
                          style=self.get_component_rich_style("review-timeline--broken", partial=True))
        cells = {
            "seq": marker,
            "occurred": Text(self._time(entry.occurred_at)),
            "discovered": Text(offset(entry.occurred_at, entry.discovered_at)),
            "logged": Text(offset(entry.occurred_at, entry.logged_at)),
            "actor": Text(clean(entry.actor)),
            "kind": Text(clean(entry.kind)),
            "what": Text(clean(describe_entry(entry))[:300], overflow="ellipsis", no_wrap=True),
        }
        return [cells[str(key.value)] for key in self.columns]

    def show(self, entries: list[Entry], *, focus_seq: int | None = None) -> None:
        """Replace the window; put the cursor on `focus_seq` (or the nearest entry after it)."""
        self.window = entries[:WINDOW] if len(entries) > WINDOW else entries
        self.clear()
        for entry in self.window:
            self.add_row(*self._row(entry), key=str(entry.seq))
        if not self.window:
            return
        row = 0
        if focus_seq is not None:
            row = next((i for i, e in enumerate(self.window) if e.seq >= focus_seq), len(self.window) - 1)
        self.move_cursor(row=row, animate=False, scroll=True)

    def newer(self, entries: list[Entry]) -> None:
        """Scrolled down past the end: keep the later half of the window, add the new page after it."""
        if entries:
            keep = max(0, WINDOW - len(entries))
            self.show([*self.window[len(self.window) - keep:], *entries], focus_seq=entries[0].seq)

    def older(self, entries: list[Entry]) -> None:
        if entries:
            self.show([*entries, *self.window[: max(0, WINDOW - len(entries))]], focus_seq=entries[-1].seq)

    @property
    def selected(self) -> Entry | None:
        if not self.window or not 0 <= self.cursor_row < len(self.window):
            return None
        return self.window[self.cursor_row]

    def action_cursor_down(self) -> None:
        if self.window and self.cursor_row >= len(self.window) - 1:
            self.post_message(self.Edge("newer", self.window[-1].seq))
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.window and self.cursor_row <= 0:
            self.post_message(self.Edge("older", self.window[0].seq))
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.window and self.cursor_row >= len(self.window) - 1:
            self.post_message(self.Edge("newer", self.window[-1].seq))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.window and self.cursor_row <= 0:
            self.post_message(self.Edge("older", self.window[0].seq))
        else:
            super().action_page_up()

    def action_first(self) -> None:
        self.post_message(self.Jump("first"))

    def action_last(self) -> None:
        self.post_message(self.Jump("last"))
