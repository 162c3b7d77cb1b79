"""Response metrics from the journal (time to detect, acknowledge, contain, resolve; updates on time) and the
post-incident checklist the Close screen walks through.

Everything is computed from journaled entries, so a report, a review and the Close screen agree.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..data import FOLDER
from .incidents import Incident, reached_someone
from .journal import Entry, kinds
from .lifecycle import CONTAINING_ACTIONS, HOLDING_STATUS
from .timefmt import clamp, from_iso, shift, utc_now

__all__ = ["CONTAINING_ACTIONS", "Metric", "response_metrics", "updates_on_time"]


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    section: str
    title: str
    prompt: str


def load_checklist() -> list[ChecklistItem]:
    """The seeds' post-incident review and improvement items (data/checklists/post-incident.toml)."""
    source = FOLDER / "checklists" / "post-incident.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    items = []
    for index, table in enumerate(data.get("items") or []):
        missing = [k for k in ("id", "section", "title", "prompt") if not table.get(k)]
        if missing:
            raise ValueError(f"data/checklists/post-incident.toml: item {index + 1} lacks {', '.join(missing)}")
        items.append(ChecklistItem(table["id"], table["section"], table["title"], table["prompt"]))
    return items


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    start: datetime | None
    end: datetime | None
    basis: str = ""                 # which entries it came from: "#3 incident.declared → #41 incident.status resolved"

    @property
    def minutes(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(0.0, (self.end - self.start).total_seconds() / 60)

    def text(self) -> str:
        minutes = self.minutes
        if minutes is None:
            return "not reached"
        whole = round(minutes)
        return f"{whole // 60} h {whole % 60:02d} min" if whole >= 60 else f"{minutes:.0f} min"


def _first(entries: list[Entry], test: Any) -> Entry | None:
    return next((e for e in entries if test(e)), None)


def _label(entry: Entry | None, fallback: str = "not reached") -> str:
    if entry is None:
        return fallback
    body = entry.body
    what = body.get("status") or body.get("severity") or body.get("action") or ""
    if entry.kind == kinds.TASK_UPDATED:
        what = f"{body.get('task_id')} {body.get('status')}"
    if body.get("at_closing"):
        what += " (at closing: no earlier resolved status)"
    return f"#{entry.seq} {entry.kind} {what}".rstrip()


def detected_at(incident: Incident) -> datetime | None:
    """When the first signal appeared: the linked alert's creation or Microsoft's issue start."""
    source = incident.source or {}
    started = source.get("started")
    if started:
        try:
            return clamp(from_iso(str(started)))
        except (ValueError, OverflowError):
            return None
    return None


def response_metrics(incident: Incident, entries: list[Entry]) -> list[Metric]:
    """Entries are the incident's, in journal order. Each metric names the entries it runs between, so a
    reader can check it: time to resolve runs to the first 'resolved' status, not to the closing."""
    declared_entry = _first(entries, lambda e: e.kind == kinds.INCIDENT_DECLARED)
    declared = incident.declared_at
    start = _label(declared_entry, "the declaration")
    acknowledged = _first(entries, lambda e: e.kind == kinds.INCIDENT_SEVERITY or (
        e.kind == kinds.TASK_UPDATED and e.body.get("status") in ("doing", "done")))
    holding = HOLDING_STATUS.get(incident.category, "mitigated")
    contained = _first(entries, lambda e: (e.kind == kinds.INCIDENT_STATUS
                                           and e.body.get("status") in ("contained", "mitigated"))
                       or (e.kind == kinds.ACTION and e.body.get("result") == "ok"
                           and e.body.get("action") in CONTAINING_ACTIONS))
    resolved = _first(entries, lambda e: e.kind == kinds.INCIDENT_STATUS and e.body.get("status") == "resolved")
    source = incident.source or {}
    detect_basis = (f"{source.get('type')} {source.get('id')} started → {start}" if detected_at(incident)
                    else "no first signal recorded")

    def between(entry: Entry | None) -> str:
        return f"{start} → {_label(entry)}"

    return [
        Metric("detect", "Time to detect (first signal → declared)", detected_at(incident), declared, detect_basis),
        Metric("acknowledge", "Time to acknowledge (declared → assessed or first task started)", declared,
               acknowledged.occurred if acknowledged else None, between(acknowledged)),
        Metric("contain", f"Time to {'contain' if holding == 'contained' else 'mitigate'} (declared → {holding})",
               declared, contained.occurred if contained else None, between(contained)),
        Metric("resolve", "Time to resolve (declared → resolved)", declared,
               resolved.occurred if resolved else None, between(resolved)),
    ]


@dataclass(frozen=True)
class UpdatesOnTime:
    sent: int
    on_time: int
    late: list[str]
    overdue_now: bool

    def text(self) -> str:
        late = f"; late: {', '.join(self.late)}" if self.late else ""
        overdue = "; an update is overdue now" if self.overdue_now else ""
        return f"{self.on_time} of {self.sent} updates on time{late}{overdue}"


def updates_on_time(incident: Incident, entries: list[Entry], cadence: dict[str, int],
                    now: datetime | None = None) -> UpdatesOnTime:
    """Each comms.sent against the cadence of the severity in force when it was due."""
    severity: str | None = None
    last = incident.declared_at
    sent = on_time = 0
    late: list[str] = []

    def due_after(moment: datetime) -> datetime:
        try:
            return shift(moment, timedelta(minutes=cadence.get(severity or "", 30)))
        except (OverflowError, TypeError):
            return shift(moment, timedelta(minutes=30))

    for entry in entries:
        if entry.kind == kinds.INCIDENT_SEVERITY:
            severity = entry.body.get("severity")
        elif entry.kind == kinds.COMMS_SENT and reached_someone(entry.body):
            sent += 1
            if entry.occurred <= due_after(last):
                on_time += 1
            else:
                late.append(f"#{sent} ({int((entry.occurred - due_after(last)).total_seconds() // 60)} min late)")
            last = entry.occurred
    overdue = incident.is_open and (now or utc_now()) > due_after(last)
    return UpdatesOnTime(sent, on_time, late, overdue)


def follow_up_body(text: str, owner: str, due: str) -> dict[str, str]:
    """A follow-up action needs an owner and a due date, or it will not happen."""
    if not text.strip():
        raise ValueError("describe the follow-up action")
    if not owner.strip():
        raise ValueError("every follow-up action needs an owner")
    try:
        datetime.strptime(due.strip(), "%Y-%m-%d")
    except ValueError:
        raise ValueError("due date as YYYY-MM-DD") from None
    return {"text": text.strip(), "owner": owner.strip(), "due": due.strip()}
