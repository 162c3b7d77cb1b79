"""Drill scoring: how fast the team declared, assessed, contained and notified, against the configured targets.

A drill plays a simulated-tenant scenario; the journal records `drill.started`, the response as usual, then
`drill.finished` with these metrics. Times run from the drill's start (declare) or from the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import Config
from .incidents import reached_someone
from .journal import Entry, kinds
from .metrics import CONTAINING_ACTIONS

MEASURES = (
    ("declare", "Time to declare", "drill start → incident declared"),
    ("assess", "Time to assess", "declared → severity set"),
    ("contain", "Time to contain", "declared → first containment action (or status contained)"),
    ("notify", "Time to first notification", "declared → first update marked as sent"),
)


@dataclass(frozen=True)
class DrillResult:
    key: str
    name: str
    minutes: float | None
    target: int

    @property
    def met(self) -> bool:
        return self.minutes is not None and self.minutes <= self.target

    def line(self) -> str:
        got = "not done" if self.minutes is None else f"{self.minutes:.1f} min"
        verdict = "met" if self.met else "MISSED"
        return f"{self.name:<28} {got:>10}   target {self.target:>3} min   {verdict}"


@dataclass(frozen=True)
class DrillReport:
    scenario: str
    incident: str | None
    results: tuple[DrillResult, ...]

    @property
    def score(self) -> str:
        return f"{sum(r.met for r in self.results)}/{len(self.results)} targets met"

    def text(self) -> str:
        head = f"Drill report: {self.scenario}" + (f" (incident {self.incident})" if self.incident else "")
        lines = [head, "=" * len(head), *(r.line() for r in self.results), "", self.score]
        if self.incident is None:
            lines.append("No incident was declared during the drill.")
        return "\n".join(lines)

    def metrics(self) -> dict[str, Any]:
        return {r.key: {"minutes": r.minutes, "target": r.target, "met": r.met} for r in self.results}


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds() / 60), 2)


def score(scenario: str, entries: list[Entry], config: Config) -> DrillReport:
    """Score the entries journaled since `drill.started` (they must start with it, or the first entry counts)."""
    started_entry = next((e for e in entries if e.kind == kinds.DRILL_STARTED), None)
    started = started_entry.occurred if started_entry else (entries[0].occurred if entries else None)
    declared_entry = next((e for e in entries if e.kind == kinds.INCIDENT_DECLARED), None)
    incident = declared_entry.incident if declared_entry else None
    declared = declared_entry.occurred if declared_entry else None
    mine = [e for e in entries if incident and e.incident == incident]

    def first(test: Any) -> datetime | None:
        return next((e.occurred for e in mine if test(e)), None)

    times = {
        "declare": _minutes(started, declared),
        "assess": _minutes(declared, first(lambda e: e.kind == kinds.INCIDENT_SEVERITY)),
        "contain": _minutes(declared, first(
            lambda e: (e.kind == kinds.ACTION and e.body.get("action") in CONTAINING_ACTIONS
                       and e.body.get("result") in ("ok", "dry-run"))
            or (e.kind == kinds.INCIDENT_STATUS and e.body.get("status") == "contained"))),
        "notify": _minutes(declared, first(lambda e: e.kind == kinds.COMMS_SENT and reached_someone(e.body))),
    }
    results = tuple(
        DrillResult(key, name, times[key], int(config.get(f"drill.target_{key}_minutes") or 0))
        for key, name, _ in MEASURES
    )
    return DrillReport(scenario, incident, results)
