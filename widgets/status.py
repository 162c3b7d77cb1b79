"""StatusBar: which mode, which tenant, how fresh each Graph source is, and where the journal lives.

When Graph has trouble this is where it shows — as words, never as a crash. A fresh source shows `✓` while its
last answer is under a minute old, then its age in whole minutes (`messages 7 min`), so an idle console over SSH
writes nothing between minutes; only a countdown (`retry in 30 s` while throttled) ticks every second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from ..console.graph.freshness import Freshness, SourceHealth
from ..console.incidents import ChannelTrouble
from ..console.text import clean
from .alerts import alert_age

SOURCE_ORDER = ("health", "issues", "messages", "alerts", "incidents", "risky_users")
TONES = {SourceHealth.FRESH: "ok", SourceHealth.WAITING: "muted", SourceHealth.STALE: "warn",
         SourceHealth.THROTTLED: "warn", SourceHealth.DENIED: "bad", SourceHealth.OFFLINE: "muted"}


def freshness_text(fresh: Freshness, now: datetime, zone: tzinfo | None = None) -> str:
    """`alerts ✓` (answered within the minute), `messages 7 min`; otherwise what the source says is wrong.

    Whole minutes, so the words change once a minute at most; the short ✓ keeps the bar to two lines at 80x24.
    """
    if fresh.health is SourceHealth.FRESH and fresh.last_success and fresh.loading is None:
        age = (now - fresh.last_success).total_seconds()
        mark = "partial" if fresh.partial else "✓"
        return f"{fresh.source.replace('_', ' ')} {mark if age < 60 else alert_age(age)}"
    return fresh.describe(now, tz=zone)


def needs_sign_in(fresh: Freshness) -> bool:
    """No usable session (SignInRequired), or a 401 even after a fresh token: only a person can fix it."""
    reason = fresh.last_error or ""
    return fresh.health is SourceHealth.DENIED and (reason == "sign-in required" or reason.startswith("401"))


class StatusBar(Widget):
    COMPONENT_CLASSES = {"status--mode", "status--ok", "status--warn", "status--bad", "status--muted"}
    DEFAULT_CSS = "StatusBar { height: auto; max-height: 3; }"
    MAX_LINES = 3

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines: list[Text] = []     # wrapped here, so a tick repaints only the line whose words changed

    def _style(self, tone: str) -> str:
        return str(self.get_component_rich_style(f"status--{tone}"))

    def show(self, *, mode: str, tenant: str, freshness: Mapping[str, Freshness], journal: str, entries: int,
             now: datetime, zone: tzinfo | None = None, hint: str = "",
             channels: Iterable[ChannelTrouble] = ()) -> None:
        text = Text(overflow="ellipsis")
        text.append(f" {mode} ", self._style("mode"))
        if hint:                      # first, so 80 columns still show it
            text.append(f" {hint} ", self._style("bad"))
        text.append(f" {clean(tenant, 60) or 'no tenant'} │ ")
        ordered = sorted(freshness.values(), key=lambda f: (SOURCE_ORDER.index(f.source)
                                                            if f.source in SOURCE_ORDER else 99, f.source))
        if not ordered:
            text.append("Graph offline: journal only", self._style("muted"))
        for index, fresh in enumerate(ordered):
            if index:
                text.append(" · ")
            tone = "warn" if fresh.partial and fresh.health is SourceHealth.FRESH else TONES.get(fresh.health, "muted")
            text.append(clean(freshness_text(fresh, now, zone), 80), self._style(tone))
        for trouble in channels:      # a notification channel whose last delivery failed
            since = trouble.since.astimezone(zone).strftime("%H:%M") if zone else trouble.since.strftime("%H:%M")
            text.append(" │ ")
            text.append(clean(f"{trouble.channel} failing since {since}", 60), self._style("bad"))
        text.append(f" │ {journal} · {entries:,} entries")
        if text.plain != self._text.plain or text.spans != self._text.spans:
            self._text = text
            self._rewrap()

    def _wrap(self, width: int) -> list[Text]:
        lines = list(self._text.wrap(self.app.console, width, overflow="ellipsis"))
        if len(lines) > self.MAX_LINES:
            lines = lines[: self.MAX_LINES]
            lines[-1] = lines[-1] + Text("…")
            lines[-1].truncate(width, overflow="ellipsis")
        return lines

    def _rewrap(self) -> None:
        """Repaint the changed lines only; a full layout (every pane) only when the line count changes."""
        width = max(1, self.size.width)
        lines, before = self._wrap(width), self._lines
        self._lines = lines
        if len(lines) != len(before):
            self.refresh(layout=True)
            return
        for y, (new, old) in enumerate(zip(lines, before, strict=True)):
            if new.plain != old.plain or new.spans != old.spans:
                self.refresh(Region(0, y, width, 1))

    def on_resize(self) -> None:
        self._lines = self._wrap(max(1, self.size.width))
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._wrap(max(1, width))))

    def render_line(self, y: int) -> Strip:
        width, base = self.size.width, self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, base)
        segments = [Segment(s.text, base + s.style if s.style else base)
                    for s in self._lines[y].render(self.app.console) if s.text != "\n"]
        return Strip(segments).crop_extend(0, width, base)

    def render(self) -> Text:
        """The whole text (tests and `str()` read it); the screen is drawn line by line above."""
        return self._text
