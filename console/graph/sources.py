"""The Graph collections the console watches, and the least permission each needs.

One table drives the pollers, `warroom preflight`, the 403 messages and docs/permissions.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .models import Alert, RiskyUser, SecurityIncident, ServiceHealth, ServiceIssue, ServiceMessage


class Source(NamedTuple):
    name: str                   # "alerts": the key in LiveState and in config graph.poll.<name>
    path: str                   # "/security/alerts_v2"
    builder: Callable[[Any], Any]   # client -> the SDK's request builder for this collection
    model: Callable[[dict[str, Any]], Any]
    permission: str             # least application/delegated permission to read it
    changed_field: str | None = None    # filterable "last changed" property for incremental polls
    params: Mapping[str, str] = MappingProxyType({})
    page_size: int | None = None
    min_interval: float = 0.0   # riskyUsers: at most one request per second per tenant
    needs: str = ""             # licence or role beyond the permission, for preflight and docs
    security: bool = True       # absent in the China cloud
    # What of each object is kept, compared and journaled, when not all of it (see `alerts_as_ids`).
    reduce: Callable[[dict[str, Any]], dict[str, Any]] | None = None


def alerts_as_ids(data: dict[str, Any]) -> dict[str, Any]:
    """An incident with its expanded alerts reduced to their ids. Each alert is read and journaled as an object
    of its own; kept whole inside the incident too, an incident of 50,000 alerts would be a 90 MB observation,
    journaled again whenever any of its alerts changed."""
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        return data
    return {**data, "alerts": [{"id": alert.get("id")} if isinstance(alert, dict) else alert for alert in alerts]}


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("health", "/admin/serviceAnnouncement/healthOverviews",
               lambda c: c.admin.service_announcement.health_overviews, ServiceHealth.from_graph,
               "ServiceHealth.Read.All", None, {"$expand": "issues"}, needs="an admin role (delegated)",
               security=False),
        Source("issues", "/admin/serviceAnnouncement/issues",
               lambda c: c.admin.service_announcement.issues, ServiceIssue.from_graph,
               "ServiceHealth.Read.All", "lastModifiedDateTime", page_size=1000,
               needs="an admin role (delegated)", security=False),
        Source("messages", "/admin/serviceAnnouncement/messages",
               lambda c: c.admin.service_announcement.messages, ServiceMessage.from_graph,
               "ServiceMessage.Read.All", "lastModifiedDateTime", page_size=100,
               needs="an admin role (delegated)", security=False),
        Source("alerts", "/security/alerts_v2", lambda c: c.security.alerts_v2, Alert.from_graph,
               "SecurityAlert.Read.All", "lastUpdateDateTime", page_size=1000,
               needs="Security Reader role (delegated)"),
        Source("incidents", "/security/incidents", lambda c: c.security.incidents, SecurityIncident.from_graph,
               # Each alert is read on its own: an incident names its alerts by id (a bare $expand sends every alert
               # whole, a 90 MB answer for an incident of 50,000 alerts, parsed on the event loop at every poll).
               "SecurityIncident.Read.All", "lastUpdateDateTime", {"$expand": "alerts($select=id)"}, page_size=50,
               needs="Security Reader role (delegated)", reduce=alerts_as_ids),
        Source("risky_users", "/identityProtection/riskyUsers", lambda c: c.identity_protection.risky_users,
               RiskyUser.from_graph, "IdentityRiskyUser.Read.All", "riskLastUpdatedDateTime", page_size=500,
               min_interval=1.0, needs="Entra ID P2 licence; Security Reader role (delegated)"),
    )
}

# Per-user activity (not polled; asked for on demand).
SIGN_INS = "/auditLogs/signIns"
DIRECTORY_AUDITS = "/auditLogs/directoryAudits"

# (method, path pattern) -> least permission. Read sources come from SOURCES; first match wins.
_WRITE_PERMISSIONS: list[tuple[str, re.Pattern[str], str]] = [
    # investigate and eradicate (console/investigate.py, console/eradication.py)
    ("GET", re.compile(r"^/users/[^/]+/mailFolders/[^/]+/messageRules", re.I), "MailboxSettings.Read"),
    ("DELETE", re.compile(r"^/users/[^/]+/mailFolders/[^/]+/messageRules/", re.I), "MailboxSettings.ReadWrite"),
    ("GET", re.compile(r"^/users/[^/]+/mailFolders", re.I), "Mail.ReadBasic.All"),
    ("GET", re.compile(r"^/users/[^/]+/mailboxSettings", re.I), "MailboxSettings.Read"),
    ("GET", re.compile(r"^/users/[^/]+/authentication/", re.I), "UserAuthenticationMethod.Read.All"),
    ("DELETE", re.compile(r"^/users/[^/]+/authentication/", re.I), "UserAuthenticationMethod.ReadWrite.All"),
    ("GET", re.compile(r"^/identityProtection/riskDetections", re.I), "IdentityRiskEvent.Read.All"),
    ("GET", re.compile(r"^/oauth2PermissionGrants", re.I), "Directory.Read.All"),
    ("DELETE", re.compile(r"^/oauth2PermissionGrants/", re.I), "DelegatedPermissionGrant.ReadWrite.All"),
    ("GET", re.compile(r"^/servicePrincipals", re.I), "Application.Read.All"),
    ("GET", re.compile(r"^/directory/deletedItems/microsoft\.graph\.group", re.I), "Group.Read.All"),
    ("GET", re.compile(r"^/directory/deletedItems", re.I), "User.Read.All"),
    ("POST", re.compile(r"^/directory/deletedItems/[^/]+/restore$", re.I), "User.ReadWrite.All"),
    ("POST", re.compile(r"^/security/runHuntingQuery$", re.I), "ThreatHunting.Read.All"),
    ("POST", re.compile(r"^/security/incidents/[^/]+/comments$", re.I), "SecurityIncident.ReadWrite.All"),
    ("POST", re.compile(r"^/users/[^/]+/revokeSignInSessions$"), "User.RevokeSessions.All"),
    ("PATCH", re.compile(r"^/users/[^/]+$"), "User.EnableDisableAccount.All"),
    ("POST", re.compile(r"^/identityProtection/riskyUsers/(confirmCompromised|dismiss)$"),
     "IdentityRiskyUser.ReadWrite.All"),
    ("PATCH", re.compile(r"^/security/alerts_v2/[^/]+$"), "SecurityAlert.ReadWrite.All"),
    ("PATCH", re.compile(r"^/security/incidents/[^/]+$"), "SecurityIncident.ReadWrite.All"),
    ("GET", re.compile(r"^/auditLogs/signIns"), "AuditLog.Read.All"),
    ("GET", re.compile(r"^/auditLogs/directoryAudits"), "AuditLog.Read.All"),
    ("GET", re.compile(r"^/users"), "User.Read.All"),
    ("GET", re.compile(r"^/groups"), "GroupMember.Read.All"),
    ("GET", re.compile(r"^/me$"), "User.Read"),
    ("GET", re.compile(r"^/organization"), "Organization.Read.All"),
]


def permission_for(method: str, path: str) -> str | None:
    """The permission to name when Graph answers 403 for this request."""
    path = "/" + path.split("?", 1)[0].lstrip("/")
    path = re.sub(r"^/(v1\.0|beta)(?=/)", "", path)
    method = method.upper()
    for source in SOURCES.values():
        if method == "GET" and (path == source.path or path.startswith(source.path + "/")):
            return source.permission
    for verb, pattern, permission in _WRITE_PERMISSIONS:
        if verb == method and pattern.match(path):
            return permission
    return None
