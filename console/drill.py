"""Drill scoring: how fast the team declared, assessed, contained and notified, against the configured targets.

A drill plays a simulated-tenant scenario; the journal records `drill.started`, the response as usual, then
`drill.finished` with these metrics. Times run from the drill's start (declare) or from the declaration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from .config import Config
from .incidents import Incident, IncidentBook, reached_someone
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


class Persistence(NamedTuple):
    """Something the attacker left that eradication should remove: an inbox rule, a method, a consent."""

    kind: str           # inbox rule | authentication method | consent
    id: str             # Graph's object id: how a journaled request or evidence names it
    label: str
    upn: str


class EradicationResult(NamedTuple):
    item: Persistence
    found: bool         # journaled as evidence, or acted on (even a dry run)
    done: bool          # removed: an eradication request for it that Graph answered with success

    def line(self) -> str:
        verdict = "removed" if self.done else "found, NOT removed" if self.found else "NOT found"
        return f"  {self.item.kind:<22} {self.item.label[:40]:<40} {verdict}"


def planted(investigation: Any) -> list[Persistence]:
    """What an investigation flags as persistence (console/investigate.py's findings), as drill targets."""
    upn = investigation.upn
    items = []
    for rule in (investigation.sections.get("inbox_rules") or {}).get("rules", []):
        if rule["suspicious"]:
            items.append(Persistence("inbox rule", str(rule["id"]), repr(rule["name"]), upn))
    for method in investigation.sections.get("auth_methods") or []:
        if method.get("after_suspicious_sign_in"):
            items.append(Persistence("authentication method", str(method["id"]),
                                     f"{method['type']} {method.get('display_name') or ''}".strip(), upn))
    for grant in investigation.sections.get("oauth_grants") or []:
        if grant["high_risk_scopes"]:
            items.append(Persistence("consent", str(grant["id"]), f"{grant['app']} ({len(grant['scopes'])} scopes)",
                                     upn))
    return items


def eradication(items: list[Persistence], entries: list[Entry]) -> tuple[EradicationResult, ...]:
    """Per planted item: found (evidence or an action named it) and done (a successful removal)."""
    from urllib.parse import unquote

    out = []
    for item in items:
        found = done = False
        for entry in entries:
            if entry.kind == kinds.EVIDENCE and item.id in str(entry.body.get("content", "")):
                found = True
            if entry.kind == kinds.ACTION:
                url = unquote(str((entry.body.get("request") or {}).get("url", "")))
                if url.endswith("/" + item.id):
                    found = True
                    done = done or (entry.body.get("result") == "ok" and
                                    str((entry.body.get("request") or {}).get("method")) == "DELETE")
        out.append(EradicationResult(item, found, done))
    return tuple(out)


@dataclass(frozen=True)
class DrillCheck:
    """One thing a good response does in this scenario (its [drill] table), and whether the team did it."""

    key: str
    name: str
    done: bool
    detail: str

    def line(self) -> str:
        return f"{'done' if self.done else 'NOT DONE':<9} {self.name}: {self.detail}"


@dataclass(frozen=True)
class DrillReport:
    scenario: str
    incident: str | None
    results: tuple[DrillResult, ...]
    checks: tuple[DrillCheck, ...] = ()
    eradication: tuple[EradicationResult, ...] = ()

    @property
    def score(self) -> str:
        text = f"{sum(r.met for r in self.results)}/{len(self.results)} targets met"
        if self.checks:
            text += f"; {sum(c.done for c in self.checks)}/{len(self.checks)} of what the scenario needed done"
        return text

    def text(self) -> str:
        head = f"Drill report: {self.scenario}" + (f" (incident {self.incident})" if self.incident else "")
        lines = [head, "=" * len(head), *(r.line() for r in self.results)]
        if self.checks:
            lines += ["", "What was done", *(c.line() for c in self.checks)]
        lines += ["", self.score]
        if self.incident is None:
            lines.append("No incident was declared during the drill.")
        if self.eradication:
            found = sum(r.found for r in self.eradication)
            done = sum(r.done for r in self.eradication)
            lines += ["", f"Eradication: {len(self.eradication)} left by the attacker, {found} found, {done} removed",
                      *(r.line() for r in self.eradication)]
        return "\n".join(lines)

    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = {r.key: {"minutes": r.minutes, "target": r.target, "met": r.met}
                                   for r in self.results}
        if self.eradication:
            metrics["eradication"] = {"planted": len(self.eradication),
                                      "found": sum(r.found for r in self.eradication),
                                      "removed": sum(r.done for r in self.eradication),
                                      "items": [{"kind": r.item.kind, "id": r.item.id, "found": r.found,
                                                 "removed": r.done} for r in self.eradication]}
        return metrics

    def done(self) -> dict[str, Any]:
        return {c.key: {"done": c.done, "detail": c.detail} for c in self.checks}


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0.0, (end - start).total_seconds() / 60), 2)


def _checks(expected: dict[str, Any], mine: list[Entry], incident: Incident | None) -> tuple[DrillCheck, ...]:
    """Score what was done, not only how fast: the scenario's [drill] table says what a good response does."""
    checks: list[DrillCheck] = []
    if expected.get("contain"):
        wanted = {str(u).casefold() for u in expected["contain"]}
        contained = {str(e.body.get("target", "")).casefold() for e in mine if e.kind == kinds.ACTION
                     and e.body.get("action") in CONTAINING_ACTIONS and e.body.get("result") == "ok"}
        right, wrong = sorted(contained & wanted), sorted(contained - wanted - {""})
        detail = f"contained {', '.join(right) or 'nobody'} (expected {', '.join(sorted(wanted))})"
        if wrong:
            detail += f"; also contained {', '.join(wrong)}, whom the scenario did not compromise"
        checks.append(DrillCheck("right_account", "The right account contained", bool(right) and not wrong, detail))
    if expected.get("restored_issue"):
        issue = str(expected["restored_issue"])
        restored = next((e for e in mine if e.kind == kinds.MICROSOFT_ISSUE and e.body.get("issue") == issue
                         and e.body.get("restored")), None)
        moved = restored is not None and any(
            e.seq > restored.seq and ((e.kind == kinds.INCIDENT_STATUS and e.body.get("status") in
                                       ("monitoring", "resolved")) or e.kind == kinds.COMMS_SENT) for e in mine)
        detail = ("Microsoft's restoration was never seen on the timeline (was the issue linked?)" if restored is None
                  else "seen, and acted on (monitoring, resolved or an update sent)" if moved
                  else "seen on the timeline, but nothing followed it")
        checks.append(DrillCheck("restoration_noticed", f"Microsoft's restoration of {issue} noticed", moved,
                                 detail))
    if expected.get("resolution_notice"):
        sent = [e for e in mine if e.kind == kinds.COMMS_SENT and e.body.get("update_kind") == "resolution"]
        checks.append(DrillCheck("resolution_notice", "Resolution notice sent", bool(sent),
                                 f"sent to {', '.join(str(e.body.get('audience')) for e in sent)}" if sent
                                 else "no resolution update was sent"))
    if expected.get("verify_recovery"):
        checks.append(_recovery_check([str(s) for s in expected["verify_recovery"]], mine))
    if expected.get("eradicate"):
        steps = [str(s) for s in expected["eradicate"]]
        tasks = [t for t in (incident.tasks.values() if incident else []) if t.step in steps]
        done = [t.step for t in tasks if t.done and t.step]
        missing = [s for s in steps if s not in done]
        checks.append(DrillCheck("eradication", "Eradication steps done", not missing,
                                 f"done: {', '.join(done) or 'none'}" + (f"; not done: {', '.join(missing)}"
                                                                         if missing else "")))
    return tuple(checks)


def _recovery_check(services: list[str], mine: list[Entry]) -> DrillCheck:
    """Each named service's recovery verified (by hand or by a live check met), not only assumed."""
    runs = [e for e in mine if e.kind == kinds.RECOVERY]
    said: list[str] = []
    missing: list[str] = []
    for service in services:
        about = [e for e in runs if str(e.body.get("service", "")).casefold() == service.casefold()]
        verified = next((e for e in about if e.body.get("result") == "verified"), None)
        if verified is not None:
            how = "by a live check" if verified.body.get("by") == "check" else "by hand"
            said.append(f"{service} verified {how} ({verified.body.get('option', '')}, entry {verified.seq})")
        else:
            missing.append(service)
            said.append(f"{service} NOT verified" + (f" (last check: {about[-1].body.get('result', '')})"
                                                     if about else ""))
    return DrillCheck("recovery_verified", "Recovery verified", not missing, "; ".join(said))


def score(scenario: str, entries: list[Entry], config: Config, expected: dict[str, Any] | None = None,
          persistence: list[Persistence] | None = None
          ) -> DrillReport:
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
    if expected is None:
        from .sim.scenario import load_scenario

        try:
            expected = load_scenario(scenario).drill
        except (ValueError, OSError):       # a scenario file gone or broken: the times still count
            expected = {}
    book = IncidentBook()
    for entry in entries:
        book.apply(entry)
    checks = _checks(expected, mine, book.incidents.get(incident) if incident else None)
    return DrillReport(scenario, incident, results, checks, eradication(persistence or [], entries))
