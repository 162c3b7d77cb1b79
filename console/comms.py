"""Stakeholder communications: the seeds' notification template, per update kind and audience, pre-filled.

Templates are TOML files under data/templates/ (overridable by id from the user's template folder). Text is
filled from the journal and Microsoft's latest post; anything unknown stays as a visible [placeholder] for the
author to complete. Cadence by severity comes from config (updates.sevN_minutes).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from ..data import FOLDER
from .config import APP_NAME, Config
from .datafiles import DataFileError, load_each, toml_files
from .incidents import DEFAULT_CADENCE_MINUTES, SEVERITIES, Incident
from .journal import kinds
from .timefmt import display_zone, utc_now

if TYPE_CHECKING:
    from .session import WarRoom

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


def microsoft_latest(incident: Incident, live: Any) -> str:
    """Microsoft's newest post on a linked service issue: "is it us or Microsoft?" answered in one line."""
    issues = getattr(live, "issues", None) or {}
    for link in reversed(incident.links):
        if link.get("type") != "service_issue":
            continue
        issue = issues.get(link.get("id"))
        if issue is None:
            return f"{link.get('id')}: {link.get('title') or 'linked Microsoft service issue'}"
        posts = issue.posts_newest_first()
        latest = posts[0].text.replace("\n", " ")[:400] if posts else issue.impact
        return f"{issue.id} ({issue.status}): {latest}"
    return "no Microsoft service issue linked (investigating as our own)"


def _fmt(moment: datetime | None, config: Config) -> str:
    if moment is None:
        return "[time]"
    zone = display_zone(str(config.get("timezone") or "UTC"))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


async def build_context(warroom: WarRoom, incident: Incident) -> dict[str, str]:
    """Everything a template may ask for, from the incident book, the journal and live data."""
    config = warroom.config
    actions: list[str] = [t.text.split(":")[0] for t in incident.tasks.values() if t.status == "done"][-5:]
    entries = await warroom.journal.entries(incident=incident.id, kinds=[kinds.ACTION, kinds.FOLLOW_UP])
    for entry in entries:
        body = entry.body
        if entry.kind == kinds.ACTION and body.get("result") == "ok":
            actions.append(f"{body.get('action', '').replace('_', ' ')} for {body.get('target')}")
    follow_ups = [f"{e.body.get('text')} ({e.body.get('owner')}, due {e.body.get('due')})"
                  for e in entries if e.kind == kinds.FOLLOW_UP]
    impact = incident.details.get("impact") or {}
    contacts = config.get("comms.contacts") or {}
    escalation = config.get("comms.escalation") or []
    end = incident.closed_at or incident.reached("resolved") or utc_now()
    minutes = int((end - incident.declared_at).total_seconds() // 60)
    open_tasks = [f"{t.id} {t.text[:60]}" for t in incident.tasks.values() if not t.done][:5]
    blockers = [f"{t.id}: {t.blockers}" for t in incident.tasks.values() if t.status == "blocked" and t.blockers]
    user_impact = str(impact.get("user_impact") or "").replace("\n", "; ")
    return {
        "incident_id": incident.id,
        "title": incident.title,
        "category_name": CATEGORY_NAMES.get(incident.category, incident.category),
        "severity": incident.severity or "severity not assessed",
        "status": incident.status,
        "services": ", ".join(incident.services) or "[services]",
        "impact": user_impact or str(impact.get("affected_services") or "") or "[scope of impact]",
        "business_disruption": str(impact.get("business_disruption") or "[business disruption]"),
        "data_exposure": str(impact.get("data_exposure") or "[data exposure]"),
        "compliance": str(impact.get("compliance") or "[compliance implications]"),
        "actions": "; ".join(actions) or "[current actions]",
        "open_tasks": "; ".join(open_tasks) or "none",
        "blockers": "; ".join(blockers) or "none",
        "next_update": _fmt(next_update_due(incident, config), config),
        "update_number": str(len(incident.updates_sent) + 1),
        "immediate_steps": "[immediate steps]",
        "precautions": "[precautions]",
        "reporting": "[how to report problems]",
        "microsoft": microsoft_latest(incident, warroom.live),
        "incident_commander": incident.commander or "[incident commander]",
        "contact": str(contacts.get("reply_to") or incident.roles.get("communications_lead") or "[contact]"),
        "escalation": " → ".join(map(str, escalation)) or "[escalation path]",
        "declared_at": _fmt(incident.declared_at, config),
        "duration": f"{minutes // 60} h {minutes % 60:02d} min",
        "follow_ups": "; ".join(follow_ups) or "[follow-up actions]",
    }


def render(template: Template, audience: str, context: dict[str, str]) -> tuple[str, str]:
    """(subject, text) with every {placeholder} filled; unknown ones become [placeholder]."""
    subject, text = template.for_audience(audience)

    def fill(match: re.Match[str]) -> str:
        return context.get(match[1], f"[{match[1]}]")

    return _PLACEHOLDER.sub(fill, subject), _PLACEHOLDER.sub(fill, text)


def recipients(config: Config, audience: str) -> str:
    """Who gets this audience's messages, from comms.contacts (a responder copies it into the mail client)."""
    contacts = config.get("comms.contacts") or {}
    value = contacts.get(audience, "")
    return ", ".join(value) if isinstance(value, list) else str(value)


def save(text: str, folder: Path, incident: Incident, update_kind: str, audience: str) -> Path:
    """Write the message to a file a responder can attach or paste from; never overwrites an earlier one."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{incident.id}-{update_kind}-{audience}"
    path, n = folder / f"{stem}.txt", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def sent_body(audience: str, update_kind: str, subject: str, text: str, channel: str = "copied") -> dict[str, Any]:
    if not text.strip():
        raise ValueError("the message is empty")
    if audience not in AUDIENCES or update_kind not in UPDATE_KINDS:
        raise ValueError("choose an audience and an update kind")
    return {"audience": audience, "update_kind": update_kind, "subject": subject, "text": text, "channel": channel}
