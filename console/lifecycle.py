"""The incident lifecycle: which statuses an incident moves through, what a change journals, what the evidence
proposes, and which tasks what happened has done.

declared → investigating → contained (security, data loss) or mitigated (outages) → monitoring → resolved → closed.
Every change is an `incident.status` entry (who and when are the entry's actor and time; why is its text). The
tenant's own evidence (Microsoft restored its issue, every linked alert resolved, containment done) only
*proposes* a change: a person confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from .incidents import Incident, Task
from .journal import Draft, kinds

if TYPE_CHECKING:  # the live picture is optional: the console works without a tenant
    from .graph.live import LiveState
    from .graph.models import ServiceIssue

STATUSES = ("declared", "investigating", "contained", "mitigated", "monitoring", "resolved", "closed")
STATUS_MEANINGS = {
    "declared": "declared, not yet worked on",
    "investigating": "people are on it: scope, cause, impact",
    "contained": "the threat or the loss can spread no further",
    "mitigated": "users can work again, perhaps by a workaround",
    "monitoring": "fixed or restored; watching that it holds",
    "resolved": "the cause is dealt with; only the paperwork remains",
    "closed": "reviewed and closed",
}
# The middle step by category: a threat is contained, an outage mitigated.
HOLDING_STATUS = {"security-incident": "contained", "data-loss": "contained",
                  "service-outage": "mitigated", "business-continuity": "mitigated"}
# Microsoft's words for an issue whose service is back.
RESTORED_ISSUE_STATES = frozenset({"serviceRestored", "falsePositive", "resolved", "postIncidentReviewPublished",
                                   "resolvedExternal"})
CONTAINING_ACTIONS = ("block_sign_in", "revoke_sessions", "confirm_compromised")


def path(category: str) -> tuple[str, ...]:
    """The statuses an incident of this category passes through, in order."""
    holding = HOLDING_STATUS.get(category, "mitigated")
    return tuple(s for s in STATUSES if s not in ("contained", "mitigated") or s == holding)


def rank(incident: Incident, status: str) -> int:
    """Where a status stands on the incident's path (unknown, older words such as 'recovering' count as early)."""
    steps = path(incident.category)
    return steps.index(status) if status in steps else 1


def status_body(incident: Incident, status: str, text: str = "", *, proposal: Proposal | None = None
                ) -> dict[str, Any]:
    """The incident.status body for a change, or ValueError saying plainly why it cannot be made."""
    status = status.strip().lower()
    steps = path(incident.category)
    if not incident.is_open:
        raise ValueError(f"{incident.id} is closed; its status no longer changes")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}: {' → '.join(steps)}")
    if status not in steps:
        raise ValueError(f"a {incident.category or 'this'} incident is {HOLDING_STATUS.get(incident.category)}, "
                         f"not {status}: {' → '.join(steps)}")
    if status == "closed":
        raise ValueError("closing needs a summary: use the Close screen (X) or `warroom incident close`")
    if status == incident.status:
        raise ValueError(f"{incident.id} is already {status}")
    text = text.strip()
    if steps.index(status) < rank(incident, incident.status) and not text:
        raise ValueError(f"going back from {incident.status} to {status}: say why (--text)")
    body: dict[str, Any] = {"status": status, "previous": incident.status}
    if text:
        body["text"] = text
    if proposal is not None:
        body["proposed"] = {"why": proposal.why, "evidence": list(proposal.evidence)}
    return body


def close_drafts(incident: Incident, summary: str) -> list[Draft]:
    """Closing: 'resolved' first when it was never reached (time to resolve then says 'at closing'), then closed."""
    summary = summary.strip()
    if not summary:
        raise ValueError("write a one-line closing summary first")
    if not incident.is_open:
        raise ValueError(f"{incident.id} is already closed")
    drafts = []
    if incident.status != "resolved":
        drafts.append(Draft(kinds.INCIDENT_STATUS, {"status": "resolved", "previous": incident.status,
                                                    "text": summary, "at_closing": True}, incident.id))
    drafts.append(Draft(kinds.INCIDENT_CLOSED, {"summary": summary, "open_tasks": [t.id for t in open_tasks(incident)]},
                        incident.id))
    return drafts


def open_tasks(incident: Incident) -> list[Task]:
    return [task for task in incident.tasks.values() if not task.done]


# -- proposals: what the evidence says, for a person to confirm -------------------------------------------


class Proposal(NamedTuple):
    """A status change (or a notice to send) the evidence supports; never applied without a person's key."""

    status: str                 # the status to move to, or "" when only a notice is proposed
    why: str
    evidence: tuple[str, ...]   # what it rests on: "EX1195322 serviceRestored", "alert da1 resolved"
    notice: str = ""            # an update kind to send with it ("resolution")


def _linked(incident: Incident, kind: str) -> list[str]:
    return [str(link.get("id")) for link in incident.links if link.get("type") == kind and link.get("id")]


def issue_restored(issue: ServiceIssue) -> bool:
    return issue.is_resolved or issue.status in RESTORED_ISSUE_STATES


def proposals(incident: Incident, live: LiveState | None) -> list[Proposal]:
    """Status changes the tenant's evidence supports now, later statuses first; only forward moves."""
    if not incident.is_open:
        return []
    found: list[Proposal] = []
    here = rank(incident, incident.status)
    steps = path(incident.category)

    def ahead(status: str) -> bool:
        return status in steps and steps.index(status) > here

    known = [live.issue(i) if live else None for i in _linked(incident, "service_issue")]
    restored = [issue for issue in known if issue is not None and issue_restored(issue)]
    if restored and ahead("monitoring"):
        found.append(Proposal("monitoring", "Microsoft marked its issue restored",
                              tuple(f"{i.id} {i.status}" for i in restored), notice="resolution"))
    alerts = live.alerts if live else {}
    linked_alerts = [alerts[a] for a in _linked(incident, "alert") if a in alerts]
    if linked_alerts and all(a.status == "resolved" for a in linked_alerts):
        status = "monitoring" if incident.status == HOLDING_STATUS.get(incident.category) else \
            HOLDING_STATUS.get(incident.category, "mitigated")
        if ahead(status):
            found.append(Proposal(status, "every linked alert is resolved",
                                  tuple(f"alert {a.id} resolved" for a in linked_alerts)))
    if incident.category == "security-incident" and ahead("contained"):
        containment = [t for t in incident.tasks.values() if t.action in CONTAINING_ACTIONS]
        if containment and all(t.done for t in containment):
            found.append(Proposal("contained", "every containment task is done",
                                  tuple(f"{t.id} {t.action} done" for t in containment)))
    best: dict[str, Proposal] = {}
    for proposal in found:
        best.setdefault(proposal.status, proposal)
    return sorted(best.values(), key=lambda p: -steps.index(p.status) if p.status in steps else 0)


# -- tasks done by what happens ----------------------------------------------------------------------------


def tick_body(task: Task, cause: dict[str, Any]) -> dict[str, Any]:
    """The task.ticked body: which task, done by what (an entry's number and kind, or a live check)."""
    return {"task_id": task.id, "by": dict(cause)}


def check_cause(task: Task, incident: Incident) -> dict[str, Any]:
    check = task.check or {}
    what = str(check.get("type", "")).replace("_", " ")
    services = [check["service"]] if check.get("service") else incident.services
    if services and check.get("type") == "service_restored":
        what += f": {', '.join(map(str, services))}"
    return {"check": check.get("type"), "what": f"live check met ({what})"}


def due_ticks(incidents: Iterable[Incident]) -> list[Draft]:
    """task.ticked drafts for every open task an entry has done and nobody has ticked yet."""
    drafts = []
    for incident in incidents:
        if not incident.is_open:
            continue
        for task_id, cause in incident.due_ticks.items():
            task = incident.tasks.get(task_id)
            if task is not None and not task.done:
                drafts.append(Draft(kinds.TASK_TICKED, tick_body(task, cause), incident.id))
    return drafts
