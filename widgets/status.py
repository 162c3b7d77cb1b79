"""StatusBar: which mode, which tenant, how fresh each Graph source is, and where the journal lives.

When Graph has trouble this is where it shows — as words, never as a crash. A fresh source shows `✓` while its
last answer is under a minute old, then its age in whole minutes (`messages 7 min`), so an idle console over SSH
writes nothing between minutes; only a countdown (`retry in 30 s` while throttled) ticks every second.

One line: where the whole text does not fit (80 columns), the bar says the same more briefly: the sources that are
fine as one word (`Graph ✓`), each source in trouble in full, and the journal's file name. It wraps (up to three
lines) only when even that does not fit: trouble is never cut to keep the line.
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


def brief_state(fresh: Freshness) -> str | None:
    """The one word a source that needs no reading shares with the others (`✓` fresh, `…` waiting, `offline`);
    None for a source whose words matter (stale, throttled, denied, partial, loading)."""
    if fresh.loading is not None or fresh.partial:
        return None
    if fresh.health is SourceHealth.FRESH and fresh.last_success:
        return "✓"
    return {SourceHealth.WAITING: "…", SourceHealth.OFFLINE: "offline"}.get(fresh.health)


class StatusBar(Widget):
    COMPONENT_CLASSES = {"status--mode", "status--ok", "status--warn", "status--bad", "status--muted"}
    DEFAULT_CSS = "StatusBar { height: auto; max-height: 3; }"
    MAX_LINES = 3

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._texts: list[Text] = []    # the whole text, then the same in fewer words (a narrow terminal)
        self._lines: list[Text] = []     # wrapped here, so a tick repaints only the line whose words changed

    def _style(self, tone: str) -> str:
        return str(self.get_component_rich_style(f"status--{tone}"))

    def show(self, *, mode: str, tenant: str, freshness: Mapping[str, Freshness], journal: str, entries: int,
             now: datetime, zone: tzinfo | None = None, hint: str = "",
             channels: Iterable[ChannelTrouble] = (), journal_brief: str | None = None) -> None:
        """`journal_brief`: where the journal lives in fewer words (its file name), for the brief line."""
        ordered = sorted(freshness.values(), key=lambda f: (SOURCE_ORDER.index(f.source)
                                                            if f.source in SOURCE_ORDER else 99, f.source))
        troubles = list(channels)
        texts = [Text(overflow="ellipsis") for _ in range(3)]     # whole; brief; brief with the journal's name
        for index, text in enumerate(texts):
            text.append(f" {mode} ", self._style("mode"))
            if hint:                      # first, so 80 columns still show it
                text.append(f" {hint} ", self._style("bad"))
            text.append(f" {clean(tenant, 60) or 'no tenant'}")
            if ordered:
                text.append(" │ ")
                (self._brief_sources if index else self._sources)(text, ordered, now, zone)
            elif not (index and mode == "OFFLINE"):       # in brief words, the mode says it
                text.append(" │ ")
                text.append("Graph offline: journal only", self._style("muted"))
            for trouble in troubles:      # a notification channel whose last delivery failed
                since = trouble.since.astimezone(zone) if zone else trouble.since
                text.append(" │ ")
                text.append(clean(f"{trouble.channel} failing since {since:%H:%M}", 60), self._style("bad"))
            where = journal_brief if index == 2 and journal_brief else journal
            text.append(f" │ {where} · {entries:,} entries")
        if [(t.plain, t.spans) for t in texts] != [(t.plain, t.spans) for t in self._texts]:
            self._texts = texts
            self._text = texts[0]
            self._rewrap()

    def _tone(self, fresh: Freshness) -> str:
        return "warn" if fresh.partial and fresh.health is SourceHealth.FRESH else TONES.get(fresh.health, "muted")

    def _sources(self, text: Text, ordered: list[Freshness], now: datetime, zone: tzinfo | None) -> None:
        for index, fresh in enumerate(ordered):
            if index:
                text.append(" · ")
            text.append(clean(freshness_text(fresh, now, zone), 80), self._style(self._tone(fresh)))

    def _brief_sources(self, text: Text, ordered: list[Freshness], now: datetime, zone: tzinfo | None) -> None:
        """Each source in trouble in full, then the others counted by their shared word: `Graph ✓` when all are
        fresh, `alerts stale since 14:02 (429, retry in 30 s) · 5 others ✓` when one is not."""
        words = [brief_state(fresh) for fresh in ordered]
        shown = [fresh for fresh, word in zip(ordered, words, strict=True) if word is None]
        counts = {word: words.count(word) for word in dict.fromkeys(words) if word is not None}
        parts = [(clean(freshness_text(fresh, now, zone), 80), self._tone(fresh)) for fresh in shown]
        tones = {"✓": "ok", "…": "muted", "offline": "muted"}
        for word, count in counts.items():
            if not shown and len(counts) == 1:
                parts.append((f"Graph {word}", tones[word]))
            else:
                noun = ("other" if shown else "source") + ("s" if count > 1 else "")
                parts.append((f"{count} {noun} {word}", tones[word]))
        for index, (part, tone) in enumerate(parts):
            if index:
                text.append(" · ")
            text.append(part, self._style(tone))

    def _wrap(self, width: int) -> list[Text]:
        """The first of the texts that fits one line, else the briefest, wrapped."""
        texts = self._texts or [self._text]
        text = next((t for t in texts if t.cell_len <= width), texts[-1])
        lines = list(text.wrap(self.app.console, width, overflow="ellipsis"))
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
