"""IncidentBanner: the first thing a responder reads — which incident, how bad, how long, who leads, when to update."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from ..console.incidents import Incident
from ..console.text import clean
from .labels import INCIDENT_SEVERITY, label

if TYPE_CHECKING:
    from ..console.lifecycle import Proposal

MODE_NOTES = {
    "DEMO": "DEMO · simulated tenant",
    "DRILL": "DRILL · exercise",
    "READ-ONLY": "READ-ONLY",
    "OFFLINE": "OFFLINE · journal only",
    "REVIEW": "REVIEW",
}


def clock(delta: timedelta) -> str:
    """hh:mm:ss for elapsed and countdown times (hours grow past 99 rather than wrapping)."""
    seconds = max(0, int(delta.total_seconds()))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class IncidentBanner(Widget):
    """Two lines: the open incident and its clocks, or an invitation to declare one."""

    COMPONENT_CLASSES = {
        "banner--bad", "banner--warn", "banner--ok", "banner--info", "banner--muted", "banner--mode", "banner--overdue",
        "banner--id",
    }
    DEFAULT_CSS = """
    IncidentBanner { height: 2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self.overdue = False
        self.declare_key = "d"      # the key in force, set by the screen (a `[ui.keys]` remap changes it)
        self.proposal_key = "A"

    def _style(self, tone: str) -> str:
        return str(self.get_component_rich_style(f"banner--{tone}"))

    def show(self, incident: Incident | None, now: datetime, *, mode: str = "LIVE",
             cadence: dict[str, int] | None = None, others: int = 0,
             proposal: Proposal | None = None) -> None:
        """Re-render from state; repaints only when the words changed (clocks tick once a second at most)."""
        text = self.describe(incident, now, mode=mode, cadence=cadence)
        if others:
            text.append(f"  · +{others} more open", self._style("warn"))
        if incident is not None and proposal is not None:
            text.append(f"  · {self.proposal_key}: {proposal.status}? ({clean(proposal.why, 60)})",
                        self._style("info"))
        milestones = incident.milestones() if incident is not None else []
        if milestones:
            reached = sum(done for _, done in milestones)
            text.append(f"  · milestones {reached}/{len(milestones)}",
                        self._style("ok" if reached == len(milestones) else "muted"))
        if text.plain != self._text.plain or text.spans != self._text.spans:
            self._text = text
            self.refresh()

    def describe(self, incident: Incident | None, now: datetime, *, mode: str = "LIVE",
                 cadence: dict[str, int] | None = None) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if mode in MODE_NOTES:
            text.append(f" {MODE_NOTES[mode]} ", self._style("mode"))
            text.append("  ")
        self.overdue = False
        if incident is None:
            text.append("No open incident", self._style("muted"))
            text.append("\n")
            text.append("Press ", self._style("muted"))
            text.append(self.declare_key, "bold")
            text.append(" to declare one (or select an alert or Microsoft issue first).", self._style("muted"))
            return text
        # How bad and where it stands come first: a narrow terminal cuts the title and category, never those.
        text.append(incident.id, self._style("id"))
        text.append("  ")
        if incident.severity:
            glyph, word, tone = label(INCIDENT_SEVERITY, incident.severity)
            text.append(f"{glyph} {word}", self._style(tone))
        else:
            text.append("? not assessed", self._style("warn"))
        text.append(f" · {clean(incident.status, 30)}  ")
        text.append(clean(incident.title, 90), "bold")
        text.append(f"  · {clean(incident.category, 30) or 'uncategorised'}")
        text.append("\n")
        text.append(f"T+{clock(now - incident.declared_at)}", "bold")
        text.append(f"  · IC: {clean(incident.commander, 40) if incident.commander else 'unassigned'}")
        due = incident.next_update_due(cadence)
        if due is not None:
            text.append("  · next update ")
            if now >= due:
                self.overdue = True
                text.append(f"OVERDUE by {clock(now - due)}", self._style("overdue"))
            else:
                text.append(f"in {clock(due - now)}")
        return text

    def render(self) -> Text:
        """Each line cut to the width with an ellipsis: at 80 columns the clocks must stay on line two."""
        width = max(1, self.content_size.width)
        lines = self._text.split("\n")
        for line in lines:
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join(lines)
