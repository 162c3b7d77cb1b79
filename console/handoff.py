"""The hand-off page: what a new incident commander needs to take over, on one page, from the journal alone.

Status (since when, who, why), severity and why, roles, the next update due, milestones, open tasks with their
blockers and what they wait for, decisions, actions done and pending, Microsoft's linked issues. The same
lines serve `warroom handoff` (printed inert with text.literal) and the console's hand-off screen (text.clean).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from .incidents import ROLE_NAMES, Incident
from .journal import Entry, kinds
from .lifecycle import open_tasks, proposals
from .recovery import case_line

if TYPE_CHECKING:  # the live picture is optional: the console works without a tenant
    from .graph.live import LiveState
    from .session import WarRoom

MAX_ITEMS = 40          # per list: a hand-off is one page, the journal has the rest


class HandoffSection(NamedTuple):
    title: str
    lines: list[str]


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _capped(lines: list[str], what: str) -> list[str]:
    if len(lines) <= MAX_ITEMS:
        return lines
    return [*lines[:MAX_ITEMS], f"… and {len(lines) - MAX_ITEMS} more {what} (see the journal)"]


def handoff_sections(incident: Incident, entries: list[Entry], *, cadence: dict[str, int], now: datetime,
                     live: LiveState | None = None) -> list[HandoffSection]:
    """The page as sections of plain lines (not yet sanitised: the caller renders them for its medium)."""
    last = incident.history[-1] if incident.history else None
    status = f"{incident.status} since {_at(last.at if last else incident.declared_at)}"
    status += f" ({last.actor}{': ' + last.text if last and last.text else ''})" if last else \
        f" ({incident.declared_by})"
    due = incident.next_update_due(cadence)
    due_text = "—" if due is None else _at(due) + (" — OVERDUE" if due < now else "")
    head = [
        f"{incident.id}: {incident.title}",
        f"Category: {incident.category}    Services: {', '.join(map(str, incident.services)) or '—'}",
        f"Status: {status}",
        f"Severity: {incident.severity or 'not assessed'}" + (
            f" — {incident.severity_reasoning}" if incident.severity_reasoning else ""),
        f"Next stakeholder update due: {due_text}",
    ]
    roles = [f"{ROLE_NAMES.get(role, role)}: {person}" for role, person in incident.roles.items()]
    handed = [f"{_at(e.occurred)} {ROLE_NAMES.get(str(e.body.get('role')), str(e.body.get('role')))}: "
              f"{e.body.get('previous') or 'nobody'} → {e.body.get('person') or 'nobody'} (by {e.actor})"
              for e in entries if e.kind == kinds.INCIDENT_ROLE and ("previous" in e.body or "handoff" in e.body)]
    milestones = [f"{'✓' if done else '·'} {name}" for name, done in incident.milestones()]
    tasks = []
    for task in open_tasks(incident):
        line = f"{task.id} [{task.status}] {task.text}"
        who = task.owner or ROLE_NAMES.get(task.role or "", "")
        if who:
            line += f" — {who}"
        if task.blockers:
            line += f" — BLOCKED: {task.blockers}"
        waiting = incident.waiting_on(task)
        if waiting:
            line += f" — waits for {', '.join(waiting)}"
        tasks.append(line)
    decisions = [f"{_at(e.occurred)} {e.actor}: {e.body.get('text', '')}"
                 + (f" (because {e.body['reason']})" if e.body.get("reason") else "")
                 for e in entries if e.kind == kinds.DECISION]
    done = [f"{_at(e.occurred)} {e.body.get('action')} {e.body.get('target', '')} ({e.actor})"
            for e in entries if e.kind == kinds.ACTION and e.body.get("result") == "ok"]
    pending = [f"{action} {target}: sent {_at(at)}, OUTCOME UNKNOWN" for (action, _), (_, at, target)
               in incident.unsettled.items()]
    pending += [f"{task.id} {task.action}: not done yet" for task in open_tasks(incident) if task.action]
    microsoft = []
    for link in incident.links:
        if link.get("type") == "service_issue":
            issue = live.issue(str(link.get("id"))) if live is not None else None
            state = f"{issue.status}, last changed {_at(issue.last_modified)}" if issue else "no state known"
            microsoft.append(f"{link.get('id')}: {link.get('title') or (issue.title if issue else '')} — {state}")
    case = incident.support_case()
    if case:
        microsoft.append(case_line(case))
    suggested = [f"→ {p.status or p.notice}: {p.why} ({'; '.join(p.evidence)})" for p in proposals(incident, live)]
    return [
        HandoffSection("Incident", head),
        HandoffSection("Roles", roles or ["none named"]),
        HandoffSection("Hand-offs", _capped(handed, "hand-offs") or ["no role has changed hands"]),
        HandoffSection("Milestones", milestones or ["none in this playbook"]),
        HandoffSection(f"Open tasks ({len(tasks)})", _capped(tasks, "tasks") or ["none"]),
        HandoffSection("Decisions", _capped(decisions, "decisions") or ["none recorded"]),
        HandoffSection("Actions done", _capped(done, "actions") or ["none"]),
        HandoffSection("Actions pending", _capped(pending, "actions") or ["none"]),
        HandoffSection("Microsoft", microsoft or ["no Microsoft issue or support case linked"]),
        HandoffSection("The evidence suggests", suggested or ["nothing new"]),
    ]


# What responders call the roles in a hurry.
ROLE_WORDS = {"ic": "incident_commander", "comms": "communications_lead", "support": "microsoft_support_case",
              "vendor": "external_vendor", "security": "security_team"}


def role_named(word: str) -> str:
    """The role a responder means: its id (`incident_commander`), the start of it (`communi`), one of its words
    (`commander`, `scribe`) or a usual short name (`ic`, `comms`); ValueError naming the roles when none or several
    fit."""
    wanted = "_".join(word.strip().casefold().replace("-", " ").split())
    if wanted in ROLE_NAMES:
        return wanted
    if wanted in ROLE_WORDS:
        return ROLE_WORDS[wanted]
    fits = [role for role in ROLE_NAMES if role.startswith(wanted) or wanted in role.split("_")] if wanted else []
    if len(fits) == 1:
        return fits[0]
    known = ", ".join(ROLE_NAMES)
    if not fits:
        raise ValueError(f"no role {word.strip()!r}: {known}")
    raise ValueError(f"{word.strip()!r} could be {' or '.join(fits)}: say which")


async def hand_over(room: WarRoom, incident: Incident, role: str, person: str, *, cadence: dict[str, int],
                    now: datetime) -> tuple[Entry, str]:
    """A role changes hands: journaled (who had it, who takes it) with the page as it stood when it was given.

    Returns the entry and the page; ValueError when the person already holds the role or none is named."""
    from .playbooks import handoff

    if not person.strip():
        raise ValueError(f"say who takes over as {ROLE_NAMES.get(role, role)}")
    if not incident.is_open:
        raise ValueError(f"{incident.id} is closed")
    change = handoff(incident, role, person)
    if change is None:
        raise ValueError(f"{person.strip()} already holds {ROLE_NAMES[role]}")
    entries = await room.journal.entries(incident=incident.id)
    page = handoff_text(handoff_sections(incident, entries, cadence=cadence, now=now, live=room.live))
    entry = await room.record(kinds.INCIDENT_ROLE, {**change, "handoff": page}, incident=incident.id)
    return entry, page


def handoff_text(sections: list[HandoffSection]) -> str:
    """Plain text for a terminal or a journal entry (the caller makes it inert)."""
    out: list[str] = []
    for section in sections:
        out += [section.title, "-" * len(section.title), *section.lines, ""]
    return "\n".join(out)
