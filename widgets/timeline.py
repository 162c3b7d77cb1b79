"""Timeline: the journal as a responder reads it — full date and time, who, what kind, what was said.

A Line-API view (the journal can hold thousands of entries). What was said wraps onto as many lines as it
needs (under the time when the pane is narrow), so a note is readable at any width. The view follows the
newest entry unless the responder scrolled up to read: that is remembered as a decision, so a layout change
(the status bar taking two lines, a 30-entry declaration) never stops it following. It toggles between UTC
and local time without re-reading anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..console.journal import Entry, kinds
from ..console.microsoft import describe_issue_entry
from ..console.text import clean
from .actions import bindings
from .folded import folded, folded_line
from .safe import safe_label

# Graph observations are journaled for the record but would drown the human entries.
HIDDEN_KINDS = frozenset({kinds.OBSERVATION})
KIND_TONES = {
    kinds.DECISION: "decision", kinds.INCIDENT_DECLARED: "incident", kinds.INCIDENT_CLOSED: "incident",
    kinds.INCIDENT_SEVERITY: "incident", kinds.INCIDENT_STATUS: "incident", kinds.ACTION: "action",
    kinds.COMMS_SENT: "comms", kinds.SOURCE_STATUS: "muted", kinds.TASK_TICKED: "action",
    kinds.MICROSOFT_ISSUE: "incident", kinds.MICROSOFT_REPORT: "incident", kinds.RECOVERY: "action",
}
MAX_KEPT = 5000
MAX_LINES = 40          # one entry's text at most; the review shows a whole entry
MIN_ROOM = 23           # narrower than this beside the time, actor and kind: the text goes under them (80 columns: 23)
INDENT = 2


def wrap_cells(text: str, first: int, rest: int, limit: int = MAX_LINES) -> list[str]:
    """Word-wrap by terminal cells: `first` cells on the first line, `rest` after; long words are cut."""
    lines: list[str] = []
    current, room = "", max(1, first)
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
            current, room = "", max(1, rest)
        while cell_len(word) > room:
            head = chop_cells(word, room)[0]
            lines.append(head)
            word, room = word[len(head):], max(1, rest)
        current = word
    lines.append(current)
    if len(lines) > limit:
        lines = [*lines[: limit - 1], "… (the whole entry is in warroom browse)"]
    return lines


def entry_line(entry: Entry) -> str:
    """The human line of an entry, with what the bare text leaves out for a few structured kinds."""
    body = entry.body
    if entry.kind == kinds.TASK_UPDATED:
        parts = [f"{k}={body[k]}" for k in ("status", "owner", "blockers") if body.get(k)]
        return f"{body.get('task_id', '?')}: " + ", ".join(parts)
    if entry.kind == kinds.TASK_ADDED:
        return f"{body.get('task_id', '?')}: {body.get('text', '')}"
    if entry.kind == kinds.INCIDENT_LINKED:
        return f"linked {body.get('type', '?')} {body.get('id', '')} {body.get('title', '')}".rstrip()
    if entry.kind == kinds.INCIDENT_SEVERITY:
        return f"{body.get('severity', '?')} {body.get('reasoning', '')}".rstrip()
    if entry.kind == kinds.INCIDENT_ROLE:
        handed = f"{body['previous']} → " if body.get("previous") else ""
        return f"{body.get('role', '?')}: {handed}{body.get('person') or 'unassigned'}"
    if entry.kind == kinds.SOURCE_STATUS:
        return f"{body.get('source', '?')} {body.get('state', '')} {body.get('reason', '')}".rstrip()
    if entry.kind == kinds.INCIDENT_STATUS:
        moved = f"{body['previous']} → " if body.get("previous") else ""
        return f"{moved}{body.get('status', '?')} {body.get('text', '')}".rstrip()
    if entry.kind == kinds.MICROSOFT_ISSUE:
        return describe_issue_entry(body)
    if entry.kind == kinds.MICROSOFT_REPORT:
        return f"Microsoft's post-incident report for {body.get('issue', '?')} kept, sha256 {body.get('sha256', '')}"
    if entry.kind == kinds.TASK_TICKED:
        by = body.get("by")
        by = by if isinstance(by, dict) else {}
        link = f" (#{by['entry']})" if by.get("entry") else ""
        return f"{body.get('task_id', '?')} done: {by.get('what', '')}{link}"
    if entry.kind == kinds.ACTION:
        return f"{body.get('action', '?')} {body.get('target', '')} → {body.get('result', '?')}"
    if entry.kind == kinds.RECOVERY:
        return f"{body.get('service', '?')} recovery {body.get('option', '?')} → {body.get('result', '?')}: " \
               f"{body.get('text', '')}"
    return entry.text


class Timeline(ScrollView, can_focus=True):
    """Journal entries, oldest at the top, newest at the bottom (and followed)."""

    BINDINGS = bindings("list")
    COMPONENT_CLASSES = {"timeline--time", "timeline--actor", "timeline--kind", "timeline--decision",
                         "timeline--incident", "timeline--action", "timeline--comms", "timeline--muted"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Timeline"
        self.entries: list[Entry] = []
        self.zone: tzinfo | None = None     # None: UTC
        self.zone_label = "UTC"
        self.last_seq = 0                   # entries arrive from the backlog and from listeners: each shown once
        self.note_key = ":"                 # the key in force, set by the screen (a `[ui.keys]` remap changes it)
        self.following = True               # False once the responder scrolls up; True again at the newest
        self._rows: list[tuple[int, str]] = []   # (entry index, text) per screen line; line 0 of an entry: -1-index
        self._wrapped_at = 0                # the width the rows were wrapped for

    def add_entries(self, entries: Iterable[Entry]) -> None:
        fresh = [e for e in entries if e.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = fresh[-1].seq
        shown = [e for e in fresh if e.kind not in HIDDEN_KINDS]
        if not shown:           # Graph observations only: nothing on screen changes, nothing is repainted
            return
        first = len(self.entries)
        self.entries.extend(shown)
        if len(self.entries) > MAX_KEPT:
            del self.entries[: len(self.entries) - MAX_KEPT]
            self._rows, self._wrapped_at = [], 0       # indexes moved: wrap again
        else:
            self._wrap(first)
        self._sized()
        self.border_subtitle = safe_label(f"{len(self.entries):,} entries · {self.zone_label}")
        self.refresh()

    def replace_entries(self, entries: Iterable[Entry]) -> None:
        """Show these entries instead: after a shared journal renumbered what this console had shown."""
        self.entries, self.last_seq, self._rows, self._wrapped_at = [], 0, [], 0
        self.add_entries(entries)
        self.refresh()

    def set_zone(self, zone: tzinfo | None, name: str) -> None:
        self.zone, self.zone_label = zone, name
        self.border_subtitle = safe_label(f"{len(self.entries):,} entries · {name}")
        self._rows, self._wrapped_at = [], 0            # a local time is wider than UTC's
        self._sized()
        self.refresh()

    # -- wrapping -----------------------------------------------------------------------------------

    def _prefix(self, entry: Entry) -> tuple[str, str, str]:
        """Time, actor and kind, padded to their columns."""
        return self.stamp(entry), clean(entry.actor, 14).ljust(12)[:14], clean(entry.kind, 17).ljust(17)

    def _room(self, entry: Entry, width: int) -> tuple[int, int]:
        """Cells beside the time, actor and kind; and where wrapped lines start (under the text, or near the
        left edge when the pane is too narrow for that)."""
        prefix = sum(len(part) + 1 for part in self._prefix(entry))
        return width - prefix, prefix if width - prefix >= MIN_ROOM else INDENT

    def line_width(self) -> int:
        """How wide a line is drawn: the pane's inside less its scrollbar, when one shows (a line drawn under the
        scrollbar loses a character at every cut of a long word)."""
        return self.scrollable_content_region.width

    def _wrap(self, start: int = 0) -> None:
        """Rows for entries[start:], for the current width (all of them again when the width changed)."""
        width = self.line_width()
        if width <= 0:
            return
        if width != self._wrapped_at:
            self._rows, self._wrapped_at, start = [], width, 0
        for index in range(start, len(self.entries)):
            entry = self.entries[index]
            room, hang = self._room(entry, width)
            text = clean(entry_line(entry), 4000)
            if room >= MIN_ROOM or cell_len(text) <= room:
                lines = wrap_cells(text, room, width - hang)
            else:
                lines = ["", *wrap_cells(text, width - INDENT, width - INDENT, MAX_LINES - 1)]
            self._rows.append((-1 - index, lines[0]))
            self._rows.extend((index, line) for line in lines[1:])

    def _sized(self) -> None:
        """Rows for the width now, the scrollable size, and the newest entry in view when following."""
        if self.line_width() != self._wrapped_at:
            self._wrap()
        self.virtual_size = Size(self.line_width(), len(self._rows))
        if self.following:
            self._to_newest()
            self.call_after_refresh(self._to_newest)

    def _to_newest(self) -> None:
        self.scroll_to(y=max(0, len(self._rows) - self.scrollable_content_region.height), animate=False,
                       immediate=True, force=True)

    # -- following ----------------------------------------------------------------------------------

    def _unfollow(self) -> None:
        if self.max_scroll_y > 0:
            self.following = False

    def _follow_if_at_end(self) -> None:
        self.call_after_refresh(lambda: setattr(self, "following", self.is_vertical_scroll_end))

    def action_scroll_up(self) -> None:
        self._unfollow()
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self._unfollow()
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self._unfollow()
        super().action_scroll_home()

    def action_scroll_down(self) -> None:
        super().action_scroll_down()
        self._follow_if_at_end()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._follow_if_at_end()

    def action_scroll_end(self) -> None:
        self.following = True
        super().action_scroll_end()

    # The list keys (console/actions.py "list"): the timeline has no row cursor, so they scroll.

    def action_cursor(self, delta: int) -> None:
        if delta < 0:
            self.action_scroll_up()
        else:
            self.action_scroll_down()

    def action_page(self, direction: int) -> None:
        if direction < 0:
            self.action_page_up()
        else:
            self.action_page_down()

    def action_jump(self, index: int) -> None:
        if index == 0:
            self.action_scroll_home()
        else:
            self.action_scroll_end()

    def on_mouse_scroll_up(self) -> None:
        self._unfollow()

    def on_mouse_scroll_down(self) -> None:
        self._follow_if_at_end()

    def stamp(self, entry: Entry) -> str:
        moment = entry.occurred
        if self.zone is None:
            return moment.strftime("%Y-%m-%d %H:%M:%SZ")
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %z")

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"timeline--{name}")

    def summary(self) -> Text:
        """Folded to one line: the newest entry, its time without the date."""
        text = folded("Timeline")
        if not self.entries:
            text.append(f"no notes or actions yet: press {self.note_key} to add a note", self._style("muted"))
            return text
        entry = self.entries[-1]
        tone = KIND_TONES.get(entry.kind)
        text.append(self.stamp(entry)[11:19], self._style("time"))
        text.append(f" {clean(entry.actor, 14)} ", self._style("actor"))
        text.append(clean(entry_line(entry), 200), self._style(tone) if tone else "")
        return text

    def render_line(self, y: int) -> Strip:
        width, base = self.line_width(), self.rich_style
        if self.content_size.height == 1:        # folded: the newest entry
            return folded_line(self.summary(), width, base, self.app.console) if y == 0 else Strip.blank(width, base)
        row = int(self.scroll_offset.y) + y
        if row >= len(self._rows):
            if not self.entries and y == 0:
                empty = f" No notes or actions yet: press {self.note_key} to add a note"
                return Strip([Segment(empty, base + self._style("muted"))]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        index, line = self._rows[row]
        entry = self.entries[index if index >= 0 else -1 - index]
        tone = KIND_TONES.get(entry.kind)
        text = Text(no_wrap=True, end="")
        if index < 0:
            for part, style in zip(self._prefix(entry), ("time", "actor", "kind"), strict=True):
                text.append(part, self._style(style))
                text.append(" ")
        else:
            text.append(" " * self._room(entry, width)[1])
        text.append(line, self._style(tone) if tone else "")
        text.truncate(width, overflow="ellipsis")
        segments = [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console)]
        return Strip(segments).crop_extend(0, width, base)

    def on_resize(self) -> None:
        self._sized()

    def watch_show_vertical_scrollbar(self) -> None:
        """The scrollbar came or went: the lines are wrapped again for the room beside it."""
        self._sized()
