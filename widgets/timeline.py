"""Timeline: the journal as a responder reads it — full date and time, who, what kind, what was said.

A Line-API view (the journal can hold thousands of entries); it follows the newest entry unless the
responder has scrolled up to read, and toggles between UTC and local time without re-reading anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..console.journal import Entry, kinds
from ..console.microsoft import describe_issue_entry
from ..console.text import clean
from .safe import safe_label

# Graph observations are journaled for the record but would drown the human entries.
HIDDEN_KINDS = frozenset({kinds.OBSERVATION})
KIND_TONES = {
    kinds.DECISION: "decision", kinds.INCIDENT_DECLARED: "incident", kinds.INCIDENT_CLOSED: "incident",
    kinds.INCIDENT_SEVERITY: "incident", kinds.INCIDENT_STATUS: "incident", kinds.ACTION: "action",
    kinds.COMMS_SENT: "comms", kinds.SOURCE_STATUS: "muted", kinds.TASK_TICKED: "action",
    kinds.MICROSOFT_ISSUE: "incident", kinds.MICROSOFT_REPORT: "incident",
}
MAX_KEPT = 5000


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
        return f"{body.get('role', '?')}: {body.get('person') or 'unassigned'}"
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
        by = body.get("by") if isinstance(body.get("by"), dict) else {}
        link = f" (#{by['entry']})" if by.get("entry") else ""
        return f"{body.get('task_id', '?')} done: {by.get('what', '')}{link}"
    if entry.kind == kinds.ACTION:
        return f"{body.get('action', '?')} {body.get('target', '')} → {body.get('result', '?')}"
    return entry.text


class Timeline(ScrollView, can_focus=True):
    """Journal entries, oldest at the top, newest at the bottom (and followed)."""

    BINDINGS = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Oldest", show=False),
        Binding("end", "scroll_end", "Newest", show=False),
    ]
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

    def add_entries(self, entries: Iterable[Entry]) -> None:
        follow = self.is_vertical_scroll_end or self.max_scroll_y == 0
        fresh = [e for e in entries if e.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = fresh[-1].seq
        shown = [e for e in fresh if e.kind not in HIDDEN_KINDS]
        if not shown:           # Graph observations only: nothing on screen changes, nothing is repainted
            return
        self.entries.extend(shown)
        if len(self.entries) > MAX_KEPT:
            del self.entries[: len(self.entries) - MAX_KEPT]
        self.virtual_size = Size(self.size.width, len(self.entries))
        self.border_subtitle = safe_label(f"{len(self.entries):,} entries · {self.zone_label}")
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()

    def replace_entries(self, entries: Iterable[Entry]) -> None:
        """Show these entries instead: after a shared journal renumbered what this console had shown."""
        self.entries, self.last_seq = [], 0
        self.add_entries(entries)
        self.refresh()

    def set_zone(self, zone: tzinfo | None, name: str) -> None:
        self.zone, self.zone_label = zone, name
        self.border_subtitle = safe_label(f"{len(self.entries):,} entries · {name}")
        self.refresh()

    def stamp(self, entry: Entry) -> str:
        moment = entry.occurred
        if self.zone is None:
            return moment.strftime("%Y-%m-%d %H:%M:%SZ")
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S %z")

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"timeline--{name}")

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        index = int(self.scroll_offset.y) + y
        if index >= len(self.entries):
            if not self.entries and y == 0:
                empty = f" No notes or actions yet: press {self.note_key} to add a note"
                return Strip([Segment(empty, base + self._style("muted"))]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        entry = self.entries[index]
        tone = KIND_TONES.get(entry.kind)
        text = Text(no_wrap=True, end="")
        text.append(self.stamp(entry), self._style("time"))
        text.append(" ")
        text.append(clean(entry.actor, 14).ljust(12)[:14], self._style("actor"))
        text.append(" ")
        text.append(clean(entry.kind, 17).ljust(17), self._style("kind"))
        text.append(" ")
        text.append(clean(entry_line(entry), 400), self._style(tone) if tone else "")
        text.truncate(width, overflow="ellipsis")
        segments = [Segment(s.text, base + s.style if s.style else base) for s in text.render(self.app.console)]
        return Strip(segments).crop_extend(0, width, base)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.entries))
