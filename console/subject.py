"""What a responder is acting on: the selected alert, Defender incident, risky user, Microsoft issue, or nothing.

Resolved once from the live state, when a screen opens, and handed to it whole: the accounts it names (only
those: an account is never guessed from another object), the services it touches, its title, when it started and
the category a declaration from it most likely has. Declare, Contain, the detail screens and linking all read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .text import clean
from .timefmt import to_iso

if TYPE_CHECKING:
    from .graph.live import LiveState
    from .graph.models import Alert, RiskyUser, SecurityIncident, ServiceIssue

Kind = Literal["nothing", "alert", "defender_incident", "risky_user", "service_issue", "service", "account"]
NAMES = {"alert": "Defender alert", "defender_incident": "Defender incident", "risky_user": "risky user",
         "service_issue": "Microsoft service issue", "service": "service", "account": "account"}
LINKABLE = ("alert", "defender_incident", "service_issue")
ENTRA = "Microsoft Entra"

# How a text names a Microsoft 365 workload (case matters: "Teams" the product, not "teams" of people).
SERVICE_WORDS = {
    "Exchange Online": (r"Exchange", r"Outlook"),
    "SharePoint Online": (r"SharePoint", r"sharepoint\.com"),
    "OneDrive for Business": (r"OneDrive", r"-my\.sharepoint\.com"),
    "Microsoft Teams": (r"Teams",),
    ENTRA: (r"Entra", r"Azure AD", r"Azure Active Directory"),
    "Microsoft 365 suite": (r"Microsoft 365 suite",),
}
# Signs that the data itself is going (deleted, destroyed, encrypted): a data-loss incident, not only a security one.
DATA_LOSS_MITRE = ("T1485", "T1486", "T1561", "T1565")
DATA_LOSS_WORDS = re.compile(r"\b(?:mass|file|files|bulk)\s+delet|\bdata\s+(?:loss|destruction)\b", re.IGNORECASE)


class Subject(NamedTuple):
    """One thing a responder acts on, with everything a screen needs from it; `NOTHING` when nothing is selected."""

    kind: Kind
    id: str = ""
    title: str = ""
    accounts: tuple[str, ...] = ()      # UPNs this object itself names, in its order
    services: tuple[str, ...] = ()      # workloads it names or is about
    started: datetime | None = None     # its first signal (time to detect)
    category: str = ""                  # the incident category a declaration from it most likely has
    ips: tuple[str, ...] = ()

    @property
    def account(self) -> str:
        """The account to start from, or "" when the subject names none (never one from another object)."""
        return self.accounts[0] if self.accounts else ""

    @property
    def name(self) -> str:
        return NAMES.get(self.kind, "")

    def source(self) -> dict[str, Any] | None:
        """What a declaration records as its source (and links): type, id, title, service, first signal."""
        if self.kind in ("nothing", "service", "account") or not self.id:
            return None
        source: dict[str, Any] = {"type": self.kind, "id": self.id}
        if self.title:
            source["title"] = self.title
        if self.kind == "service_issue" and self.services:
            source["service"] = self.services[0]
        if self.started:
            source["started"] = to_iso(self.started)
        return source

    def link(self) -> dict[str, str] | None:
        """The incident.linked body for this subject; None when it is nothing an incident can link to."""
        if self.kind not in LINKABLE or not self.id:
            return None
        return {"type": self.kind, "id": self.id, "title": self.title}


NOTHING = Subject("nothing")


def is_upn(value: str) -> bool:
    """A user principal name (name@domain): `NT AUTHORITY\\SYSTEM` or a bare account name is not one."""
    return bool(re.fullmatch(r"[^@\s\\]+@[^@\s\\]+\.[^@\s\\]+", value or ""))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.casefold() not in seen:
            seen[value.casefold()] = value
    return tuple(seen.values())


def services_named(texts: Iterable[str], known: Iterable[str] = ()) -> tuple[str, ...]:
    """The workloads these texts name, by their usual words and by any known service name (the health pane's)."""
    words = {name: [re.escape(name), *patterns] for name, patterns in SERVICE_WORDS.items()}
    for name in known:
        words.setdefault(name, [re.escape(name)])
    found = []
    for text in texts:
        for name, patterns in words.items():
            if name not in found and any(re.search(_bounded(p), text or "") for p in patterns):
                found.append(name)
    return tuple(found)


def _bounded(pattern: str) -> str:
    """A word pattern matches only at the start of a word ("Teams", not "Steams"); a "-my…" pattern anywhere."""
    return rf"(?<![\w-]){pattern}" if pattern[:1].isalnum() else pattern


def _evidence_texts(alert: Alert) -> list[str]:
    """What an alert's evidence says about where it happened: cloud apps, URLs, mailboxes."""
    texts = []
    for item in alert.evidence:
        kind = str(item.get("@odata.type") or item.get("type") or "")
        for key in ("displayName", "url", "appName"):
            value = item.get(key)
            if isinstance(value, str) and ("cloudApplication" in kind or "url" in kind.lower() or key == "url"):
                texts.append(value)
        if "mailbox" in kind.lower() or "analyzedMessage" in kind:
            texts.append("Exchange Online")
    return texts


def _security_category(alerts: Iterable[Alert], title: str) -> str:
    for alert in alerts:
        if any(t.split(".")[0] in DATA_LOSS_MITRE for t in alert.mitre_techniques) or DATA_LOSS_WORDS.search(
                alert.title):
            return "data-loss"
    return "data-loss" if DATA_LOSS_WORDS.search(title) else "security-incident"


def _known(live: LiveState | None) -> list[str]:
    return [h.service for h in live.health.values() if h.service] if live else []


def of_alert(alert: Alert, live: LiveState | None = None) -> Subject:
    accounts = _unique(u for u in alert.users if is_upn(u))
    services = services_named([alert.title, *_evidence_texts(alert)], _known(live))
    if accounts and ENTRA not in services:
        services += (ENTRA,)
    return Subject("alert", alert.id, alert.title, accounts, services, alert.created,
                   _security_category([alert], alert.title), alert.ips)


def of_defender_incident(incident: SecurityIncident, live: LiveState | None = None) -> Subject:
    """Its accounts and services are those of the alerts it groups (as far as the live view holds them)."""
    alerts = [a for a in (live.alerts.values() if live else ())
              if a.incident_id == incident.id or a.id in incident.alert_ids]
    accounts = _unique(u for a in alerts for u in a.users if is_upn(u))
    texts = [incident.display_name, *(t for a in alerts for t in (a.title, *_evidence_texts(a)))]
    services = services_named(texts, _known(live))
    if accounts and ENTRA not in services:
        services += (ENTRA,)
    ips = _unique(ip for a in alerts for ip in a.ips)
    return Subject("defender_incident", incident.id, incident.display_name, accounts, services, incident.created,
                   _security_category(alerts, incident.display_name), ips)


def of_risky_user(user: RiskyUser) -> Subject:
    accounts = (user.upn,) if is_upn(user.upn) else ()
    return Subject("risky_user", user.id, f"Risky user {user.upn}", accounts, (ENTRA,), user.last_updated,
                   "security-incident")


def of_issue(issue: ServiceIssue, live: LiveState | None = None) -> Subject:
    """Microsoft's issue: its own workload first, then every other workload its title and impact name."""
    named = services_named([issue.title, issue.impact], _known(live))
    services = _unique([issue.service, *named]) if issue.service else named
    return Subject("service_issue", issue.id, issue.title, (), services, issue.started, "service-outage")


def of_service(service: str) -> Subject:
    return Subject("service", service, service, (), (service,), None, "service-outage")


def of_account(upn: str) -> Subject:
    """An account a responder named (typed, or chose from a list of users): the subject is the account itself."""
    return Subject("account", upn, upn, (upn,) if is_upn(upn) else (), (ENTRA,), None, "security-incident")


def resolve(live: LiveState | None, kind: str, id: str) -> Subject:
    """The subject for a selected row, from the live state; an object the live view no longer holds keeps its id."""
    if kind == "alert":
        alert = live.alerts.get(id) if live else None
        return of_alert(alert, live) if alert else Subject("alert", id)
    if kind in ("defender_incident", "incident"):
        found = live.incidents.get(id) if live else None
        return of_defender_incident(found, live) if found else Subject("defender_incident", id)
    if kind == "risky_user":
        user = live.risky_users.get(id) if live else None
        return of_risky_user(user) if user else Subject("risky_user", id)
    if kind == "service_issue":
        issue = live.issues.get(id) if live else None
        return of_issue(issue, live) if issue else Subject("service_issue", id, category="service-outage")
    if kind == "service":
        return of_service(id)
    if kind == "account":
        return of_account(id)
    return NOTHING


def describe_subject(subject: Subject) -> str:
    """One cleaned line (for a Static as plain text, never markup) saying what a declaration starts from."""
    if subject.kind == "nothing":
        return "Declaring from nothing: no alert, Defender incident, risky user or Microsoft issue selected."
    subject = subject._replace(id=clean(subject.id, 80), title=clean(subject.title),
                               accounts=tuple(clean(a, 120) for a in subject.accounts))
    title = subject.title or "(not in the live view)"
    if subject.kind == "service_issue":
        services = ", ".join(clean(s, 60) for s in subject.services) or "a service"
        return (f"From Microsoft service issue {subject.id}: {title}. Microsoft has acknowledged a problem with "
                f"{services}: it is (at least partly) Microsoft, not us.")
    if subject.kind == "risky_user":
        return f"From risky user {subject.account or subject.id}: flagged by Identity Protection."
    if subject.kind in ("service", "account"):
        return f"From the {subject.name} {subject.id}."
    return f"From {subject.name} {subject.id}: {title}"
