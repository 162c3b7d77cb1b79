"""StatusBar: which mode, which tenant, how fresh each Graph source is, and where the journal lives.

When Graph has trouble this is where it shows — as words, never as a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo

from rich.text import Text
from textual.widget import Widget

from ..console.graph.freshness import Freshness, SourceHealth
from ..console.text import clean

SOURCE_ORDER = ("health", "issues", "messages", "alerts", "incidents", "risky_users")
TONES = {SourceHealth.FRESH: "ok", SourceHealth.WAITING: "muted", SourceHealth.STALE: "warn",
         SourceHealth.THROTTLED: "warn", SourceHealth.DENIED: "bad", SourceHealth.OFFLINE: "muted"}


def needs_sign_in(fresh: Freshness) -> bool:
    """No usable session (SignInRequired), or a 401 even after a fresh token: only a person can fix it."""
    reason = fresh.last_error or ""
    return fresh.health is SourceHealth.DENIED and (reason == "sign-in required" or reason.startswith("401"))


class StatusBar(Widget):
    COMPONENT_CLASSES = {"status--mode", "status--ok", "status--warn", "status--bad", "status--muted"}
    DEFAULT_CSS = "StatusBar { height: auto; max-height: 3; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()

    def _style(self, tone: str) -> str:
        return str(self.get_component_rich_style(f"status--{tone}"))

    def show(self, *, mode: str, tenant: str, freshness: Mapping[str, Freshness], journal: str, entries: int,
             now: datetime, zone: tzinfo | None = None, hint: str = "") -> None:
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
            text.append(clean(fresh.describe(now, tz=zone), 80), self._style(TONES.get(fresh.health, "muted")))
        text.append(f" │ {journal} · {entries:,} entries")
        if text.plain != self._text.plain or text.spans != self._text.spans:
            width = max(1, self.size.width)
            relayout = -(-len(text.plain) // width) != -(-len(self._text.plain) // width)
            self._text = text
            self.refresh(layout=relayout)   # a full layout each second would repaint every pane

    def render(self) -> Text:
        return self._text
