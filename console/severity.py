"""Severity from four factors that fit the kind of incident, on explicit scales, with the reasoning spelled out.

Outages weigh the seeds' four factors (scope, users, criticality, recovery); a security incident weighs the
accounts and data exposed and the attacker's activity; a data loss the volume, whether it can be recovered and
the time window lost. A responder picks one level per factor; the sum maps to SEV1–SEV4, and any factor at its
worst keeps the incident at SEV2 or above. The reasoning is journaled with the result so a review can see why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .incidents import SEVERITIES, Incident

if TYPE_CHECKING:  # the live picture is optional: without a tenant, nothing is suggested from it
    from .graph.live import LiveState
    from .graph.models import Alert, RiskyUser, ServiceIssue

AT_RISK = ("atRisk", "confirmedCompromised")


@dataclass(frozen=True)
class Factor:
    key: str
    name: str
    levels: tuple[str, str, str, str]  # level 1 (least) .. 4 (worst)


FACTORS: tuple[Factor, ...] = (
    Factor("service_scope", "Service impact scope", (
        "1 one feature degraded", "2 one service partly down", "3 one service down, or several degraded",
        "4 several services down")),
    Factor("user_impact", "User impact level", (
        "1 a few users", "2 one team or department", "3 a site or a large share of users",
        "4 everyone, or executives")),
    Factor("business_criticality", "Business criticality", (
        "1 convenience", "2 slows work down", "3 stops a core business process", "4 revenue, safety or regulatory")),
    Factor("recovery_complexity", "Recovery complexity", (
        "1 known quick fix", "2 known fix, takes hours", "3 several teams, or a data restore",
        "4 unknown cause, or waiting on Microsoft")),
)
CRITICALITY = FACTORS[2]
SECURITY_FACTORS: tuple[Factor, ...] = (
    Factor("accounts_exposed", "Accounts exposed", (
        "1 none confirmed", "2 one ordinary account", "3 several accounts, or one with access to sensitive data",
        "4 an administrator, or many accounts")),
    Factor("data_exposed", "Data exposed", (
        "1 none known", "2 internal data, little of it", "3 confidential or personal data",
        "4 regulated data at scale (notification duties)")),
    Factor("attacker_activity", "Attacker activity", (
        "1 attempt blocked", "2 access gained, no further activity", "3 active: mail rules, consents, spreading",
        "4 ongoing: persistence, exfiltration or destruction")),
    CRITICALITY,
)
DATA_LOSS_FACTORS: tuple[Factor, ...] = (
    Factor("data_volume", "Data volume", (
        "1 a few items", "2 one library, mailbox or channel", "3 a site or several mailboxes",
        "4 many sites, or a whole service's data")),
    Factor("recoverability", "Recoverability", (
        "1 in the recycle bin or version history", "2 restorable by the admin (deleted site, retention)",
        "3 only from a backup, with loss since it", "4 no known copy")),
    Factor("time_window", "Time window", (
        "1 minutes of changes", "2 a day", "3 a week or more", "4 unknown, or still going on")),
    CRITICALITY,
)
_BY_CATEGORY = {"security-incident": SECURITY_FACTORS, "data-loss": DATA_LOSS_FACTORS}


def factors_for(category: str) -> tuple[Factor, ...]:
    """The factors that decide this category's severity (outages and business continuity: the seeds' four)."""
    return _BY_CATEGORY.get(category, FACTORS)
# Total of the four levels (4..16) at or above which each severity applies.
THRESHOLDS = (("SEV1", 13), ("SEV2", 10), ("SEV3", 7), ("SEV4", 4))


@dataclass(frozen=True)
class Assessment:
    severity: str
    factors: dict[str, int]
    score: int
    reasoning: str

    def body(self, override: str | None = None, override_reason: str = "") -> dict[str, Any]:
        """The incident.severity body; an override keeps the computed severity in the reasoning."""
        body: dict[str, Any] = {"severity": override or self.severity, "factors": dict(self.factors),
                                "reasoning": self.reasoning}
        if override and override != self.severity:
            body["override_reason"] = override_reason
            body["computed"] = self.severity
        return body


def assess(factors: dict[str, int], category: str = "service-outage") -> Assessment:
    """Map the category's four factor levels (1–4) to a severity, with one line of reasoning per rule applied."""
    table = factors_for(category)
    keys = tuple(f.key for f in table)
    missing = [f.name for f in table if f.key not in factors]
    if missing:
        raise ValueError(f"rate every factor first: {', '.join(missing)}")
    for key, level in factors.items():
        if key in keys and level not in (1, 2, 3, 4):
            raise ValueError(f"{key} must be 1 to 4, not {level!r}")
    score = sum(factors[k] for k in keys)
    severity = next(sev for sev, floor in THRESHOLDS if score >= floor)
    parts = [f"{f.name} {f.levels[factors[f.key] - 1]}" for f in table]
    reasoning = "; ".join(parts) + f". Total {score}/16 → {severity}"
    worst = [f.name for f in table if factors[f.key] == 4]
    if worst and SEVERITIES.index(severity) > 1:
        severity = "SEV2"
        reasoning += f"; raised to SEV2 because {', '.join(worst)} is at its worst"
    return Assessment(severity, {k: factors[k] for k in keys}, score, reasoning + ".")


def validate_override(severity: str, reason: str) -> None:
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
    if not reason.strip():
        raise ValueError("say why you override the computed severity")


# -- what the tenant already tells us ---------------------------------------------------------------------


def open_issues(live: LiveState | None, services: list[str] | None = None) -> list[ServiceIssue]:
    """Microsoft's open service issues, optionally for some services only."""
    wanted = {s.casefold() for s in services or []}
    return [i for i in (live.issues.values() if live else ())
            if not i.is_resolved and (not wanted or i.service.casefold() in wanted)]


def open_alerts(live: LiveState | None) -> list[Alert]:
    return [a for a in (live.alerts.values() if live else ()) if a.status != "resolved"]


def users_at_risk(live: LiveState | None) -> list[RiskyUser]:
    return [u for u in (live.risky_users.values() if live else ()) if u.risk_state in AT_RISK]


def suggest_factors(incident: Incident, live: LiveState | None) -> dict[str, int]:
    """A starting point from live data, for the incident's category; the responder changes what they know better.

    Security incidents and data losses are rated on their own factors; what follows the two returns rates the
    outage factors (service outages and business continuity)."""
    if incident.category == "security-incident":
        return _suggest_security(incident, live)
    if incident.category == "data-loss":
        return {"data_volume": 2, "recoverability": 2, "time_window": 2, "business_criticality": 2}
    issues = open_issues(live, incident.services)
    down = {i.service for i in issues if i.classification == "incident"}
    scope = 4 if len(down) > 1 else 3 if down else 2 if issues or incident.services else 1
    users = 3 if down else 2 if issues else 1
    criticality = 3 if incident.category == "business-continuity" or down else 2
    complexity = 4 if down else 2
    return {"service_scope": scope, "user_impact": users, "business_criticality": criticality,
            "recovery_complexity": complexity}


def _suggest_security(incident: Incident, live: LiveState | None) -> dict[str, int]:
    alerts = open_alerts(live)
    accounts = {u.casefold() for a in alerts for u in a.users} | {u.upn.casefold() for u in users_at_risk(live)}
    accounts.discard("")
    high = [a for a in alerts if a.severity == "high"]
    return {"accounts_exposed": 3 if len(accounts) > 1 else 2 if accounts else 1,
            "data_exposed": 2,
            "attacker_activity": 3 if high else 2 if alerts else 1,
            "business_criticality": 3}


IMPACT_FIELDS = {
    "affected_services": "Affected services",
    "user_impact": "User impact",
    "business_disruption": "Business disruption",
    "data_exposure": "Data exposure",
    "compliance": "Compliance implications",
}
RESOURCE_FIELDS = {
    "expertise": "Technical expertise",
    "tools": "Tool requirements",
    "estimate": "Time estimate",
    "stakeholders": "Stakeholder involvement",
}


def impact_draft(incident: Incident, live: LiveState | None) -> dict[str, str]:
    """The impact analysis pre-filled from open Microsoft issues, alerts and risky users; editable."""
    saved = incident.details.get("impact") or {}
    issues = open_issues(live, incident.services)
    services = list(dict.fromkeys([*incident.services, *(i.service for i in issues)]))
    user_lines = [f"{i.id}: {i.impact or i.title}" for i in issues]
    alerts = open_alerts(live)
    risky = users_at_risk(live)
    exposure = []
    if alerts:
        exposure.append(f"{len(alerts)} open alert(s): " + "; ".join(a.title for a in alerts[:3]))
    if risky:
        exposure.append(f"{len(risky)} risky user(s): " + ", ".join(u.upn for u in risky[:5]))
    compliance = ""
    if incident.category in ("security-incident", "data-loss"):
        compliance = "Check breach-notification duties (e.g. GDPR 72 h), retention and legal hold"
    draft = {
        "affected_services": ", ".join(services),
        "user_impact": "\n".join(user_lines),
        "business_disruption": "",
        "data_exposure": "\n".join(exposure) or ("None known" if incident.category == "service-outage" else ""),
        "compliance": compliance,
    }
    return {key: str(saved.get(key, draft[key])) for key in IMPACT_FIELDS}
