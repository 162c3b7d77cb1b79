"""Stakeholder communications: the seeds' notification template, per update kind and audience, pre-filled.

Templates are TOML files under data/templates/ (overridable by id from the user's template folder), with a text
per audience: user notices never name an affected account or a severity code, management briefings lead with
business impact, decisions and ETA, technical updates carry ids and actions. Text is filled from the journal and
Microsoft's latest post; anything unknown stays as a visible [placeholder], and a message that still holds one is
not sent. Every subject names the incident id. Cadence by severity comes from config (updates.sevN_minutes);
"next update by" counts from the moment of sending, as the banner does.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import platformdirs

from ..data import FOLDER
from .config import APP_NAME, Config
from .datafiles import DataFileError, load_each, toml_files
from .incidents import DEFAULT_CADENCE_MINUTES, SEVERITIES, Incident
from .journal import kinds
from .timefmt import display_zone, from_iso, utc_now

if TYPE_CHECKING:
    from .graph.live import LiveState
    from .graph.models import ServiceIssue
    from .session import WarRoom

# `warroom notify --kind` takes these short names too.
KIND_ALIASES = {"report": "post-incident-report", "lessons": "lessons-learned"}
UPDATE_KINDS = {
    "initial": "Initial notification",
    "progress": "Progress update",
    "resolution": "Resolution status",
    "post-incident-report": "Post-incident report",
    "lessons-learned": "Lessons learned",
}
AUDIENCES = {
    "stakeholders": "Stakeholder communications",
    "technical": "Technical updates",
    "users": "User notifications",
    "management": "Management briefings",
}
CATEGORY_NAMES = {
    "service-outage": "Service outage",
    "security-incident": "Security incident",
    "data-loss": "Data loss",
    "business-continuity": "Business continuity",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What the author must still fill: "[immediate steps]", never "[SEV2]" or "[RESOLVED]" (they start in capitals).
UNFILLED = re.compile(r"\[[a-z][^\[\]\n]{0,160}\]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SEVERITY_CODE = re.compile(r"\s*[\[(]?\bSEV[1-4]\b[\])]?", re.IGNORECASE)
QUOTE_LIMIT = 700                 # characters of Microsoft's post a message quotes


class TemplateError(DataFileError):
    """A notification template file is malformed."""


@dataclass(frozen=True)
class Template:
    id: str
    update_kind: str
    title: str
    text: str
    subject: str
    source: str
    audiences: tuple[str, ...] = tuple(AUDIENCES)
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)   # audience -> (subject, text)

    def for_audience(self, audience: str) -> tuple[str, str]:
        return self.variants.get(audience, (self.subject, self.text))


def _line(text: str, pattern: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(pattern, line):
            return number
    return None


def parse_template(text: str, source: str) -> Template:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+)", str(error))
        reason = str(error).split(" (at ")[0]
        raise TemplateError(source, int(found[1]) if found else None, f"invalid TOML: {reason}") from None
    head = data.get("template")
    if not isinstance(head, dict):
        raise TemplateError(source, None, "missing the [template] table (id, update_kind, text)")
    for key in ("id", "update_kind", "text"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise TemplateError(source, _line(text, rf"\s*{key}\s*=") or _line(text, r"\s*\[template\]"),
                                f"[template] {key} must be a non-empty string")
    if head["update_kind"] not in UPDATE_KINDS:
        raise TemplateError(source, _line(text, r"\s*update_kind\s*="),
                            f"update_kind must be one of {', '.join(UPDATE_KINDS)}, not {head['update_kind']!r}")
    audiences = tuple(head.get("audiences") or AUDIENCES)
    variants: dict[str, tuple[str, str]] = {}
    for audience, table in (data.get("audience") or {}).items():
        if audience not in AUDIENCES or not isinstance(table, dict) or not isinstance(table.get("text"), str):
            raise TemplateError(source, _line(text, rf"\s*\[audience\.{re.escape(audience)}\]"),
                                f"[audience.{audience}] must be one of {', '.join(AUDIENCES)} with a text")
        variants[audience] = (str(table.get("subject", head.get("subject", ""))), table["text"].strip() + "\n")
    for audience in audiences:
        if audience not in AUDIENCES:
            raise TemplateError(source, _line(text, r"\s*audiences\s*="), f"unknown audience {audience!r}")
    return Template(head["id"], head["update_kind"], str(head.get("title", head["id"])), head["text"].strip() + "\n",
                    str(head.get("subject", "")), source, audiences, variants)


def user_template_folder(config: Config | None = None) -> Path:
    configured = config.get("comms.templates") if config else None
    return Path(configured).expanduser() if configured else Path(platformdirs.user_config_dir(APP_NAME)) / "templates"


class Templates(dict[str, Template]):
    """Templates by id; `skipped` lists the files that could not be used (the rest still are)."""

    skipped: list[DataFileError]

    def __init__(self) -> None:
        super().__init__()
        self.skipped = []


def load_templates(config: Config | None = None) -> Templates:
    """Built-in templates by id, each replaced by a valid user template with the same id; bad files skipped."""
    found = Templates()
    builtin, problems = toml_files(FOLDER / "templates")
    sources = [(f, f"data/templates/{f.name}") for f in builtin]
    found.skipped += problems
    user, problems = toml_files(user_template_folder(config))
    sources += [(f, str(f)) for f in user]
    found.skipped += problems
    templates, skipped = load_each(sources, parse_template)
    found.skipped += skipped
    for template in templates:
        found[template.id] = template
    return found


def template_for(templates: dict[str, Template], update_kind: str) -> Template:
    for template in templates.values():
        if template.update_kind == update_kind:
            return template
    raise KeyError(f"no template for {update_kind!r}")


# -- cadence ------------------------------------------------------------------------------------------


def cadence_minutes(config: Config) -> dict[str, int]:
    """Minutes between updates by severity, from updates.sev1_minutes … (defaults 30/60/240/1440)."""
    table = dict(DEFAULT_CADENCE_MINUTES)
    for severity in SEVERITIES:
        value = config.get(f"updates.{severity.lower()}_minutes")
        if isinstance(value, int) and value > 0:
            table[severity] = value
    return table


def next_update_due(incident: Incident, config: Config) -> datetime | None:
    return incident.next_update_due(cadence_minutes(config))


# -- filling ------------------------------------------------------------------------------------------


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A post quoted whole, or cut after its last whole sentence that fits (never mid-word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]] + " […]"
    cut = head.rfind(" ")
    return (head[:cut] if cut > 0 else text[:limit]).rstrip(" ,;:") + " […]"


def root_cause(text: str) -> str | None:
    """Microsoft's stated root cause in a post ("Root cause: …"), up to the next labelled paragraph."""
    found = re.search(r"root cause\s*:\s*(.+?)(?=\n\s*\n|\n\s*[A-Z][A-Za-z /-]{2,40}:|$)", text,
                      re.IGNORECASE | re.DOTALL)
    return quote(found[1], 500) if found and found[1].strip() else None


def _linked_issues(incident: Incident, live: LiveState | None) -> list[ServiceIssue]:
    issues = live.issues if live else {}
    return [issues[str(link.get("id"))] for link in incident.links
            if link.get("type") == "service_issue" and str(link.get("id")) in issues]


def microsoft_latest(incident: Incident, live: LiveState | None) -> str:
    """Microsoft's newest post on a linked service issue: "is it us or Microsoft?" answered in one line."""
    issues = live.issues if live else {}
    for link in reversed(incident.links):
        if link.get("type") != "service_issue":
            continue
        issue = issues.get(str(link.get("id")))
        if issue is None:
            return f"{link.get('id')}: {link.get('title') or 'linked Microsoft service issue'}"
        posts = issue.posts_newest_first()
        latest = quote(posts[0].text) if posts else quote(issue.impact)
        return f"{issue.id} ({issue.status}): {latest}"
    return "no Microsoft service issue linked (investigating as our own)"


def microsoft_root_cause(incident: Incident, live: LiveState | None) -> str | None:
    for issue in reversed(_linked_issues(incident, live)):
        for post in issue.posts_newest_first():
            found = root_cause(post.text)
            if found:
                return f"{issue.id}: {found}"
    return None


def impact_start(incident: Incident, live: LiveState | None) -> datetime:
    """When impact began: the earliest of the linked Microsoft issue's start, the first related alert, the
    declared occurrence time."""
    moments = [incident.declared_at]
    source = incident.source or {}
    if isinstance(source.get("started"), str):
        try:
            moments.append(from_iso(source["started"]))
        except ValueError:
            pass
    moments += [issue.started for issue in _linked_issues(incident, live) if issue.started]
    alerts = live.alerts if live else {}
    for link in incident.links:
        alert = alerts.get(str(link.get("id"))) if link.get("type") == "alert" else None
        if alert is not None and alert.created:
            moments.append(alert.created)
    return min(moments)


def _fmt(moment: datetime | None, config: Config) -> str:
    if moment is None:
        return "[time]"
    zone = display_zone(str(config.get("timezone") or "UTC"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def due_after(incident: Incident, config: Config, sent_at: datetime) -> datetime | None:
    """The next update's time if a message leaves at `sent_at`: what the banner will count down to."""
    if not incident.is_open:
        return None
    return sent_at + incident.cadence(cadence_minutes(config))


def number_for(incident: Incident, audience: str) -> int:
    """This audience's next message number: "UPDATE 2" is the second message that audience receives."""
    return incident.sent_by_audience.get(audience, 0) + 1


def _duration(start: datetime, end: datetime) -> str:
    minutes = max(0, int((end - start).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _user_actions(incident: Incident) -> str:
    if incident.category == "security-incident":
        return "Our security team is investigating and has taken steps to protect the organisation."
    if any(link.get("type") == "service_issue" for link in incident.links):
        return "Our IT team is working with Microsoft to restore the service."
    return "Our IT team is working to restore the service."


def user_title(incident: Incident) -> str:
    """A title for everyone: the service and the kind of problem, never an account or a severity."""
    services = ", ".join(incident.services)
    if incident.category == "security-incident":
        return f"Security issue affecting {services}" if services else "Security issue"
    name = CATEGORY_NAMES.get(incident.category, "Service problem")
    return f"{name}: {services}" if services else name


async def build_context(warroom: WarRoom, incident: Incident, *, now: datetime | None = None,
                        audience: str = "stakeholders") -> dict[str, str]:
    """Everything a template may ask for, from the incident book, the journal and live data, as of `now`
    (the moment of sending: "next update by" counts from it)."""
    config = warroom.config
    now = now or utc_now()
    actions: list[str] = [t.text.split(":")[0] for t in incident.tasks.values() if t.status == "done"][-5:]
    entries = await warroom.journal.entries(incident=incident.id, kinds=[kinds.ACTION, kinds.FOLLOW_UP])
    for entry in entries:
        body = entry.body
        if entry.kind == kinds.ACTION and body.get("result") == "ok":
            actions.append(f"{body.get('action', '').replace('_', ' ')} for {body.get('target')}")
    follow_ups = [f"{e.body.get('text')} ({e.body.get('owner')}, due {e.body.get('due')})"
                  for e in entries if e.kind == kinds.FOLLOW_UP]
    impact = incident.details.get("impact") or {}
    resources = incident.details.get("resources") or {}
    contacts = config.get("comms.contacts") or {}
    escalation = config.get("comms.escalation") or []
    end = incident.closed_at or incident.reached("resolved") or now
    open_tasks = [f"{t.id} {t.text[:60]}" for t in incident.tasks.values() if not t.done][:5]
    blockers = [f"{t.id}: {t.blockers}" for t in incident.tasks.values() if t.status == "blocked" and t.blockers]
    user_impact = str(impact.get("user_impact") or "").replace("\n", "; ")
    linked = [f"{link.get('type', '').replace('_', ' ')} {link.get('id')}" for link in incident.links][:10]
    cause = microsoft_root_cause(incident, warroom.live)
    context = {
        "incident_id": incident.id,
        "title": incident.title,
        "user_title": user_title(incident),
        "category_name": CATEGORY_NAMES.get(incident.category, incident.category),
        "severity": incident.severity or "severity not assessed",
        "status": incident.status,
        "services": ", ".join(incident.services) or "[services]",
        "impact": user_impact or str(impact.get("affected_services") or "") or "[scope of impact]",
        "business_disruption": str(impact.get("business_disruption") or "[business disruption]"),
        "data_exposure": str(impact.get("data_exposure") or "[data exposure]"),
        "compliance": str(impact.get("compliance") or "[compliance implications]"),
        "eta": str(resources.get("estimate") or "[estimated time to resolution]"),
        "decisions": "[decisions needed, or none]",
        "actions": "; ".join(actions) or "[current actions]",
        "user_actions": _user_actions(incident),
        "linked": "; ".join(linked) or "none",
        "open_tasks": "; ".join(open_tasks) or "none",
        "blockers": "; ".join(blockers) or "none",
        "next_update": _fmt(due_after(incident, config, now), config),
        "update_number": str(number_for(incident, audience)),
        "immediate_steps": "[immediate steps]",
        "precautions": "[precautions]",
        "reporting": str(contacts.get("reporting") or "[how to report problems]"),
        "microsoft": microsoft_latest(incident, warroom.live),
        "root_cause": cause or "[root cause]",
        "microsoft_root_cause": f"Microsoft's root cause: {cause}" if cause else "",
        "incident_commander": incident.commander or "[incident commander]",
        "contact": str(contacts.get("reply_to") or incident.roles.get("communications_lead") or "[contact]"),
        "escalation": " → ".join(map(str, escalation)) or "[escalation path]",
        "declared_at": _fmt(incident.declared_at, config),
        "impact_started": _fmt(impact_start(incident, warroom.live), config),
        "duration": _duration(impact_start(incident, warroom.live), end),
        "follow_ups": "; ".join(follow_ups) or "[follow-up actions]",
    }
    if audience == "users":
        keep = {str(contacts.get("reply_to") or "")}
        context = {key: for_everyone(value, keep) for key, value in context.items()}
    return context


def for_everyone(value: str, keep: set[str]) -> str:
    """A value fit for an all-staff notice: no account names (e-mail addresses) and no severity codes."""
    value = _EMAIL.sub(lambda m: m[0] if m[0] in keep else "an affected account", value)
    return _SEVERITY_CODE.sub("", value).strip()


def with_incident_id(subject: str, incident_id: str) -> str:
    """Every subject names the incident: `[INC-20261204-01] [SEV2] INCIDENT NOTIFICATION: …`."""
    subject = " ".join(subject.split())
    return subject if incident_id in subject else f"[{incident_id}] {subject}".rstrip()


class Rendered(NamedTuple):
    subject: str
    text: str
    placeholders: tuple[str, ...]    # every [placeholder] the template or the filling left for the author
    next_update: str                 # the "next update by" text as filled, so sending can restate it


def render(template: Template, audience: str, context: dict[str, str]) -> Rendered:
    """Subject and text with every {field} filled; a field with no value becomes a [placeholder]."""
    subject, text = template.for_audience(audience)
    left: list[str] = UNFILLED.findall(subject + "\n" + text)

    def fill(match: re.Match[str]) -> str:
        value = context.get(match[1], f"[{match[1].replace('_', ' ')}]")
        left.extend(UNFILLED.findall(value) if match[1] not in _QUOTED else [])
        return value

    filled_subject = _PLACEHOLDER.sub(fill, subject)
    filled_text = re.sub(r"\n{3,}", "\n\n", _PLACEHOLDER.sub(fill, text))
    if context.get("incident_id"):
        filled_subject = with_incident_id(filled_subject, context["incident_id"])
    return Rendered(filled_subject, filled_text, tuple(dict.fromkeys(left)), context.get("next_update", ""))


_QUOTED = ("microsoft", "title", "user_title")     # other people's words: a bracket in them is not ours to fill


def unfilled(text: str, placeholders: tuple[str, ...] | list[str]) -> list[str]:
    """The template's placeholders still in `text`, in the order they appear."""
    present = [p for p in placeholders if p in text]
    return sorted(present, key=text.index)


def restamp(text: str, drafted: str, now_due: str) -> str:
    """The draft's "next update by" time, moved to the moment of sending (the text may have waited)."""
    if not drafted or drafted == now_due or drafted.startswith("["):
        return text
    return text.replace(drafted, now_due)


def recipients(config: Config, audience: str) -> str:
    """Who gets this audience's messages: [audiences.NAME] to, else comms.contacts (for copying by hand)."""
    routed = config.routing.recipients(audience)
    if routed:
        return ", ".join(routed)
    contacts = config.get("comms.contacts") or {}
    value = contacts.get(audience, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def save(text: str, folder: Path, incident: Incident, update_kind: str, audience: str) -> Path:
    """Write the message to a file a responder can attach or paste from (0600 in a 0700 folder); never
    overwrites an earlier one, nor writes through a symlink planted where it would go."""
    from .files import write_new

    return write_new(folder, f"{incident.id}-{update_kind}-{audience}", ".txt", text)


def check_message(audience: str, update_kind: str, subject: str, text: str) -> None:
    """Refuse what cannot be sent: an empty text, an unknown audience or kind."""
    if not text.strip():
        raise ValueError("the message is empty")
    if audience not in AUDIENCES or update_kind not in UPDATE_KINDS:
        raise ValueError("choose an audience and an update kind")
    if not subject.strip():
        raise ValueError("the subject is empty")


def next_update_text(incident: Incident, config: Config, sent_at: datetime) -> str:
    return _fmt(due_after(incident, config, sent_at), config)


def sent_body(audience: str, update_kind: str, subject: str, text: str, channel: str = "by hand") -> dict[str, Any]:
    """A message recorded as sent by hand (through a channel the console cannot reach)."""
    check_message(audience, update_kind, subject or "-", text)
    return {"audience": audience, "update_kind": update_kind, "subject": subject, "text": text, "channel": channel}
