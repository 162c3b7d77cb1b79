"""Incidents, roles and tasks as projections of the journal: rebuilt by folding entries, never stored apart.

The journal is the source of truth; `IncidentBook.apply(entry)` is the only place that knows how an entry
changes an incident, so the console, `warroom status`, the review screens and reports all agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .journal import Entry, Journal, Unclaimed, kinds
from .timefmt import shift, stored_time

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
# Minutes between stakeholder updates by severity (seeds: regular updates; configurable as updates.sevN_minutes).
DEFAULT_CADENCE_MINUTES = {"SEV1": 30, "SEV2": 60, "SEV3": 240, "SEV4": 1440}
UNASSESSED_CADENCE_MINUTES = 30  # before assessment, the initial notification is due quickly
CATEGORIES = ("service-outage", "security-incident", "data-loss", "business-continuity")
ROLE_NAMES = {
    "incident_commander": "Incident commander",
    "communications_lead": "Communications lead",
    "scribe": "Scribe",
    "service_owner": "Service owner",
    "security_team": "Security team",
    "external_vendor": "External vendor",
    "microsoft_support_case": "Microsoft support case",
}


@dataclass
class Task:
    id: str
    text: str
    role: str | None = None
    owner: str | None = None
    status: str = "open"
    blockers: str = ""
    playbook: str | None = None
    step: str | None = None
    check: dict[str, Any] | None = None
    action: str | None = None
    added_at: datetime | None = None
    updated_at: datetime | None = None
    done_at: datetime | None = None
    after: tuple[str, ...] = ()             # task ids that must be done first (the playbook's `after`)
    milestone: str = ""                     # a milestone this task completes, shown in the banner's progress
    done_by: dict[str, Any] | None = None   # which entry does it: {kind, field: value...} (the step's `done_by`)
    ticked_by: dict[str, Any] | None = None  # what did it: {entry, kind, what} or {check, what}

    @property
    def done(self) -> bool:
        return self.status in ("done", "skipped")


class RecoveryRecord(NamedTuple):
    """One `recovery` entry as the Recovery screen shows it: what was seen, by whom, when."""

    result: str             # verified | not met | unknown
    text: str
    by: str                 # hand | check
    actor: str
    at: datetime
    seq: int
    check: dict[str, Any] | None = None


@dataclass
class RecoveryState:
    """A recovery option's record on one incident: the first verification stands; the last entry is news."""

    verified: RecoveryRecord | None = None
    last: RecoveryRecord | None = None


class StatusChange(NamedTuple):
    """One move on the lifecycle: when, to what, by whom and why (the incident.status entry's number)."""

    at: datetime
    status: str
    actor: str
    text: str
    seq: int


def watch_set(items: Iterable[Any] | None) -> frozenset[str]:
    """A watch list (UPNs and IPs) as lower-case strings: how alerts are matched against it."""
    return frozenset(str(item).strip().lower() for item in items or () if item is not None and str(item).strip())


@dataclass
class Incident:
    id: str
    title: str
    category: str
    declared_at: datetime
    declared_by: str
    services: list[str] = field(default_factory=list)
    source: dict[str, Any] | None = None
    playbook: str | None = None
    severity: str | None = None
    severity_reasoning: str = ""
    status: str = "declared"
    roles: dict[str, str] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, Task] = field(default_factory=dict)
    updates_sent: list[datetime] = field(default_factory=list)
    sent_by_audience: dict[str, int] = field(default_factory=dict)   # messages each audience received
    status_changes: list[tuple[datetime, str]] = field(default_factory=list)
    history: list[StatusChange] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)   # impact analysis, resources, estimate…
    closed_at: datetime | None = None
    summary: str = ""
    last_seq: int = 0
    # Writes sent to Graph with no recorded answer: (action, target casefolded) -> the "requested" entry's seq,
    # time and target as written.
    unsettled: dict[tuple[str, str], tuple[int, datetime, str]] = field(default_factory=dict)
    # Tasks an entry has done that nobody has ticked yet: task id -> {entry, kind, what}. The session journals
    # each as a task.ticked (lifecycle.due_ticks), claimed once across consoles.
    due_ticks: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Linked Microsoft issues as the timeline last said them: issue id -> {status, restored, at, seq, title}.
    microsoft: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Microsoft's post-incident reports kept: issue id -> {sha256, size, seq}.
    microsoft_reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Recovery options as the Recovery screen last recorded them: (service, option) -> RecoveryRecord.
    recovery: dict[tuple[str, str], RecoveryState] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def commander(self) -> str | None:
        return self.roles.get("incident_commander")

    @property
    def watched(self) -> frozenset[str]:
        """The watch list (enhanced monitoring: UPNs and IPs), lower-cased, as alerts are matched against it."""
        return watch_set(self.details.get("watch_list"))

    def cadence(self, minutes_by_severity: dict[str, int] | None = None) -> timedelta:
        table = {**DEFAULT_CADENCE_MINUTES, **(minutes_by_severity or {})}
        minutes = table.get(self.severity or "", UNASSESSED_CADENCE_MINUTES)
        try:
            return timedelta(minutes=minutes)
        except (OverflowError, TypeError):
            return timedelta(minutes=UNASSESSED_CADENCE_MINUTES)

    def next_update_due(self, minutes_by_severity: dict[str, int] | None = None) -> datetime | None:
        """When the next stakeholder update is due: the last one sent (or the declaration) plus the cadence."""
        if not self.is_open:
            return None
        last = self.updates_sent[-1] if self.updates_sent else self.declared_at
        return shift(last, self.cadence(minutes_by_severity))

    def reached(self, status: str) -> datetime | None:
        """When the incident first reached a status (for time-to-contain and time-to-resolve)."""
        return next((at for at, name in self.status_changes if name == status), None)

    def next_task_id(self) -> str:
        return f"T{len(self.tasks) + 1}"

    def support_case(self) -> dict[str, Any] | None:
        """The Microsoft support case as tracked: every recorded value, the newest standing."""
        case: dict[str, Any] = {}
        for link in self.links:
            if link.get("type") == "support_case":
                case.update({k: v for k, v in link.items() if v not in (None, "")})
        return case or None

    def waiting_on(self, task: Task) -> list[str]:
        """The tasks this one waits for (its `after`) that are not done yet."""
        return [other for other in task.after if other in self.tasks and not self.tasks[other].done]

    def milestones(self) -> list[tuple[str, bool]]:
        """Each milestone in playbook order, and whether every task that completes it is done."""
        reached: dict[str, bool] = {}
        for task in self.tasks.values():
            if task.milestone:
                reached[task.milestone] = reached.get(task.milestone, True) and task.done
        return list(reached.items())


class ChannelTrouble(NamedTuple):
    """A notification channel whose last attempt failed: since when, and what it said last."""

    channel: str
    since: datetime
    detail: str


@dataclass
class IncidentBook:
    """Every incident in a journal, kept current by applying entries in order."""

    incidents: dict[str, Incident] = field(default_factory=dict)
    last_seq: int = 0
    # Channels whose latest delivery failed (the status bar names them until one delivers again).
    channel_trouble: dict[str, ChannelTrouble] = field(default_factory=dict)

    @classmethod
    async def load(cls, journal: Journal) -> IncidentBook:
        book = cls()
        head, _ = await journal.head()
        async for entry in journal.iter_entries(kinds=INCIDENT_KINDS):
            book.apply(entry)
        book.last_seq = max(book.last_seq, head)  # entries of other kinds up to here need no folding
        return book

    def open_incidents(self) -> list[Incident]:
        return sorted((i for i in self.incidents.values() if i.is_open), key=lambda i: i.declared_at)

    def current(self) -> Incident | None:
        """The incident the console is about: the most recently declared open one."""
        open_ = self.open_incidents()
        return open_[-1] if open_ else None

    def new_id(self, now: datetime) -> str:
        prefix = f"INC-{now:%Y%m%d}-"
        taken = [int(i[len(prefix):]) for i in self.incidents if i.startswith(prefix) and i[len(prefix):].isdigit()]
        return f"{prefix}{max(taken, default=0) + 1:02d}"

    def apply(self, entry: Entry) -> str | None:
        """Fold one entry in, once: an entry at or before the last folded one is ignored."""
        if entry.seq <= self.last_seq:
            return None
        self.last_seq = entry.seq
        if entry.incident is None or entry.kind not in INCIDENT_KINDS:
            return None
        body, at = entry.body, stored_time(entry.occurred_at, entry.logged_at)
        if entry.kind == kinds.INCIDENT_DECLARED:
            if entry.incident in self.incidents:     # the first declaration stands; a repeat must not wipe it
                return None
            self.incidents[entry.incident] = Incident(
                id=entry.incident,
                title=str(body.get("title", "")),
                category=str(body.get("category", "")),
                declared_at=at,
                declared_by=entry.actor,
                services=list(body.get("services") or []),
                source=body.get("source"),
                playbook=body.get("playbook"),
                severity=body.get("severity"),
                roles=dict(body.get("roles") or {}),
                last_seq=entry.seq,
            )
            return entry.incident
        if entry.kind == kinds.COMMS_SENT:
            self._channel_results(entry.body, at)
        incident = self.incidents.get(entry.incident)
        if incident is None:
            return None
        incident.last_seq = entry.seq
        handler = _HANDLERS.get(entry.kind)
        if handler:
            handler(incident, body, at, entry)
        if entry.kind in TICKING_KINDS and incident.is_open:
            for task in incident.tasks.values():
                if not task.done and task.id not in incident.due_ticks and serves(task, entry):
                    incident.due_ticks[task.id] = {"entry": entry.seq, "kind": entry.kind,
                                                   "what": describe_cause(entry)}
        return incident.id


    def _channel_results(self, body: dict[str, Any], at: datetime) -> None:
        results = body.get("results")
        if not isinstance(results, dict):
            return
        for name, result in results.items():
            if not isinstance(result, dict):
                continue
            if result.get("ok"):
                self.channel_trouble.pop(str(name), None)
                continue
            earlier = self.channel_trouble.get(str(name))
            self.channel_trouble[str(name)] = ChannelTrouble(str(name), earlier.since if earlier else at,
                                                             str(result.get("detail") or "failed")[:200])


def incident_unclaimed(incident_id: str) -> Unclaimed:
    """A journal guard: refuse the append if any process already declared this incident id."""
    return Unclaimed(incident_id, kinds.INCIDENT_DECLARED,
                     message=f"incident id {incident_id} was just taken by another console")


def task_unclaimed(incident_id: str, task_id: str) -> Unclaimed:
    """A journal guard: refuse the append if any process already added this task id to the incident."""
    return Unclaimed(incident_id, kinds.TASK_ADDED, task_id,
                     message=f"task id {task_id} of {incident_id} was just taken by another console")


def _updated(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    for key, value in (body.get("changes") or {}).items():
        if key in ("title", "category", "services", "playbook"):
            setattr(incident, key, value)
        else:
            incident.details[key] = value


def _severity(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    incident.severity = body.get("severity")
    incident.severity_reasoning = str(body.get("reasoning", ""))
    if body.get("override_reason"):
        incident.severity_reasoning += f" (override: {body['override_reason']})"


def _role(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    role, person = body.get("role"), body.get("person")
    if role:
        if person:
            incident.roles[role] = person
        else:
            incident.roles.pop(role, None)


def _linked(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    incident.links.append(dict(body))


def _status(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    incident.status = str(body.get("status", incident.status))
    incident.status_changes.append((at, incident.status))
    incident.history.append(StatusChange(at, incident.status, entry.actor, str(body.get("text", "")), entry.seq))


def _closed(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    incident.closed_at = at
    incident.summary = str(body.get("summary", ""))
    incident.status = "closed"
    incident.status_changes.append((at, "closed"))
    incident.history.append(StatusChange(at, "closed", entry.actor, incident.summary, entry.seq))


def _task_added(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    task_id = str(body.get("task_id") or incident.next_task_id())
    if task_id in incident.tasks:       # the first one stands: a repeated claim must not reset its status
        return
    incident.tasks[task_id] = Task(
        id=task_id,
        text=str(body.get("text", "")),
        role=body.get("role"),
        owner=body.get("owner"),
        playbook=body.get("playbook"),
        step=body.get("step"),
        check=body.get("check"),
        action=body.get("action"),
        added_at=at,
        updated_at=at,
        after=tuple(str(t) for t in body.get("after") or ()),
        milestone=str(body.get("milestone") or ""),
        done_by=dict(body["done_by"]) if isinstance(body.get("done_by"), dict) else None,
    )


def _task_updated(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    task = incident.tasks.get(str(body.get("task_id")))
    if task is None:
        return
    for key in ("status", "owner", "blockers", "text"):
        if key in body:
            setattr(task, key, body[key])
    task.updated_at = at
    if task.done and task.done_at is None:
        task.done_at = at
    elif not task.done:
        task.done_at = None
        task.ticked_by = None
    if task.done:
        incident.due_ticks.pop(task.id, None)


def _task_ticked(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    """Done by what happened (an action, a sent update, a met live check): the first tick stands."""
    task = incident.tasks.get(str(body.get("task_id")))
    incident.due_ticks.pop(str(body.get("task_id")), None)
    if task is None or task.done:
        return
    task.status = "done"
    task.done_at = task.updated_at = at
    task.ticked_by = dict(body.get("by") or {})


def _recovery(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    key = (str(body.get("service", "")), str(body.get("option", "")))
    check = body.get("check") if isinstance(body.get("check"), dict) else None
    record = RecoveryRecord(str(body.get("result", "")), str(body.get("text", "")), str(body.get("by", "hand")),
                            entry.actor, at, entry.seq, check)
    state = incident.recovery.setdefault(key, RecoveryState())
    state.last = record
    if record.result == "verified" and state.verified is None:
        state.verified = record


def serves(task: Task, entry: Entry) -> bool:
    """Whether an entry did what a task asks: the entry names the task, or matches the step's `done_by`.

    A step with `action = "X"` is done by a successful action X (a dry run, refusal or failure is not); a step's
    `done_by = {kind = "comms.sent", update_kind = "initial"}` by any entry of that kind whose body has those values.
    """
    body = entry.body
    if entry.kind == kinds.ACTION and body.get("result") != "ok":
        return False
    if entry.kind == kinds.RECOVERY and body.get("result") != "verified":
        return False
    named = body.get("task_id")
    if named is not None:
        return str(named) == task.id
    matcher = task.done_by or ({"kind": kinds.ACTION, "action": task.action} if task.action else None)
    if not matcher or matcher.get("kind") != entry.kind:
        return False
    return all(body.get(key) == value for key, value in matcher.items() if key != "kind")


def describe_cause(entry: Entry) -> str:
    body = entry.body
    if entry.kind == kinds.ACTION:
        return f"{body.get('action')} {body.get('target', '')}".strip() + " succeeded"
    if entry.kind == kinds.COMMS_SENT:
        return f"{body.get('update_kind') or 'update'} sent to {body.get('audience') or 'stakeholders'}"
    if entry.kind == kinds.RECOVERY:
        how = "live check" if body.get("by") == "check" else "verified by hand"
        return f"{body.get('service', '')} recovery {body.get('option', '')} ({how}): {body.get('text', '')}"
    return str(body.get("text") or body.get("what") or entry.kind)



def reached_someone(body: dict[str, Any]) -> bool:
    """A comms.sent entry counts as an update when at least one channel delivered it (or it predates channels)."""
    if "results" not in body:
        return True
    return bool(body.get("delivered"))


def _microsoft_issue(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    issue = str(body.get("issue", ""))
    if issue:
        incident.microsoft[issue] = {"status": body.get("status"), "restored": bool(body.get("restored")),
                                     "at": at, "seq": entry.seq, "title": body.get("title", "")}


def _microsoft_report(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    issue = str(body.get("issue", ""))
    if issue and issue not in incident.microsoft_reports:
        incident.microsoft_reports[issue] = {"sha256": body.get("sha256"), "size": body.get("size"),
                                             "seq": entry.seq}


def _comms_sent(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    if not reached_someone(body):
        return                  # an update nobody got does not restart the countdown
    incident.updates_sent.append(at)
    audience = str(body.get("audience", ""))
    incident.sent_by_audience[audience] = incident.sent_by_audience.get(audience, 0) + 1


def _action(incident: Incident, body: dict[str, Any], at: datetime, entry: Entry) -> None:
    """A containment write is journaled "requested" before it is sent and its outcome after. Until an answer
    from Graph is recorded (the console stopped while it was in flight, or Graph never answered) it stays
    unsettled: nobody knows if the change was made. A dry run, a refusal or a failure before sending says
    nothing about it; a later write of the same action that Graph answered does."""
    target = str(body.get("target", ""))
    key = (str(body.get("action", "")), target.casefold())
    result = body.get("result")
    if result == "requested":
        incident.unsettled[key] = (entry.seq, at, target)
    elif result == "ok" or (result == "failed" and body.get("requested_seq") and body.get("status") is not None):
        incident.unsettled.pop(key, None)


_HANDLERS = {
    kinds.INCIDENT_UPDATED: _updated,
    kinds.INCIDENT_SEVERITY: _severity,
    kinds.INCIDENT_ROLE: _role,
    kinds.INCIDENT_LINKED: _linked,
    kinds.INCIDENT_STATUS: _status,
    kinds.INCIDENT_CLOSED: _closed,
    kinds.TASK_ADDED: _task_added,
    kinds.TASK_UPDATED: _task_updated,
    kinds.COMMS_SENT: _comms_sent,
    kinds.ACTION: _action,
    kinds.TASK_TICKED: _task_ticked,
    kinds.MICROSOFT_ISSUE: _microsoft_issue,
    kinds.MICROSOFT_REPORT: _microsoft_report,
    kinds.RECOVERY: _recovery,
}
# Entries that can do a task (lifecycle: a containment action, a sent update, captured evidence).
TICKING_KINDS = (kinds.ACTION, kinds.COMMS_SENT, kinds.EVIDENCE, kinds.RECOVERY)
INCIDENT_KINDS = (kinds.INCIDENT_DECLARED, *_HANDLERS, kinds.EVIDENCE)
