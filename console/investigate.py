"""Investigate an account: one read of everything Graph knows about it, each section with its source state.

A responder asks "what did the attacker do, and what keeps him in?": sign-ins marked new against the user's
own earlier ones, directory changes, inbox rules flagged with the reason, authentication methods registered
after the first suspicious sign-in, and delegated consents with their high-risk scopes. Every section says
whether it was read now (fresh), refused (denied, naming the permission), unavailable (a licence or role is
missing) or failed (error): a section that could not be read is never shown as empty.

Graph cannot show mailbox-level forwarding or hidden inbox rules; the report says so instead of implying the
mailbox is clean.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar
from urllib.parse import quote

from .graph import odata
from .graph.errors import GraphDenied, GraphError, GraphNotFound, GraphThrottled, SignInRequired
from .timefmt import from_iso, to_iso, utc_now

if TYPE_CHECKING:
    from .graph.gateway import Collected, RequestPreview

_T = TypeVar("_T")

SECTIONS = ("user", "risky_user", "risk_detections", "sign_ins", "directory_audits", "inbox_rules",
            "mailbox_settings", "auth_methods", "oauth_grants")
NOT_CHECKED = "not checked: needs Exchange Online PowerShell"
EXO_ONLY = {   # what only Exchange Online PowerShell can show: said on screen and in the JSON, never implied clean
    "mailbox forwarding (ForwardingSmtpAddress, ForwardingAddress, DeliverToMailboxAndForward)": NOT_CHECKED,
    "hidden inbox rules (Get-InboxRule -IncludeHidden)": NOT_CHECKED,
    "mailbox delegates and folder permissions": NOT_CHECKED,
}
USER_SELECT = ("id,userPrincipalName,displayName,accountEnabled,createdDateTime,lastPasswordChangeDateTime,"
               "onPremisesSyncEnabled,userType,signInSessionsValidFromDateTime")
MAX_ITEMS = 1000                 # per collection: a hostile or huge tenant cannot make a read endless
MAX_WAIT_S = 5.0                 # a throttled read waits at most this long, once
HIDING_FOLDERS = ("rss", "junk", "deleted", "conversation history")
RULE_WORDS = ("invoice", "payment", "wire", "bank", "transfer", "remittance", "payroll", "phish", "hack",
              "spam", "suspicious", "compromise", "security", "password", "urgent", "ceo")
HIGH_RISK_SCOPES = frozenset(s.casefold() for s in (
    "Mail.Read", "Mail.ReadWrite", "Mail.Send", "Mail.ReadWrite.Shared", "Mail.Send.Shared",
    "MailboxSettings.ReadWrite",
    "Files.Read.All", "Files.ReadWrite.All", "Files.ReadWrite", "Sites.ReadWrite.All", "Sites.FullControl.All",
    "offline_access", "EWS.AccessAsUser.All", "full_access_as_user", "IMAP.AccessAsUser.All",
    "POP.AccessAsUser.All", "SMTP.Send", "Contacts.ReadWrite", "Notes.ReadWrite.All", "Chat.ReadWrite",
    "Directory.ReadWrite.All", "Directory.AccessAsUser.All", "User.ReadWrite.All", "Application.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
))


class Reader(Protocol):
    """The part of the gateway an investigation needs (GraphGateway; tests may pass the real one only)."""

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any: ...

    async def get_all(self, path: str, params: dict[str, str] | None = None, *, limit: int = 1000) -> Collected: ...

    def describe_request(self, method: str, path: str, body: Any | None = None) -> RequestPreview: ...


class SourceState(NamedTuple):
    """How one section was read: fresh | denied | unavailable | error, and what to do about it."""

    state: str
    request: str                       # the GET (absolute URL) that was asked
    permission: str | None = None      # denied/unavailable: what the app registration or the responder lacks
    reason: str | None = None          # what went wrong, in one line
    partial: str | None = None         # fresh, but Graph's paging broke off: why (what was read is shown)

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "request": self.request, "permission": self.permission, "reason": self.reason,
                "partial": self.partial}

    def describe(self) -> str:
        if self.state == "fresh":
            return f"read now, in part only ({self.partial})" if self.partial else "read now"
        if self.state == "denied":
            return f"denied: needs {self.permission or 'a permission'}" + (f" ({self.reason})" if self.reason else "")
        if self.state == "unavailable":
            return f"unavailable: {self.reason or 'a licence or role is missing'}"
        return f"error: {self.reason}"


@dataclass
class Investigation:
    """Everything read about one account; `sections` holds Graph's data, shaped per section (JSON-ready)."""

    upn: str
    days: int
    at: datetime
    sections: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, SourceState] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(s.state == "fresh" and not s.partial for s in self.sources.values())

    @property
    def unread(self) -> list[str]:
        """Sections not read now, or read only in part."""
        return [name for name in SECTIONS
                if self.sources.get(name, _NOT_READ).state != "fresh" or self.sources[name].partial]

    def as_json(self) -> dict[str, Any]:
        """The nine sections, then `sources`: each section's state, request, permission, reason."""
        out: dict[str, Any] = {name: self.sections.get(name) for name in SECTIONS}
        out["sources"] = {name: self.sources.get(name, _NOT_READ).as_dict() for name in SECTIONS}
        return out

    def findings(self) -> list[str]:
        """The persistence the attacker may have left, one line each (what eradication removes)."""
        lines: list[str] = []
        for rule in (self.sections.get("inbox_rules") or {}).get("rules", []):
            if rule["suspicious"]:
                lines.append(f"inbox rule {rule['name']!r}: {'; '.join(rule['reasons'])}")
        for method in self.sections.get("auth_methods") or []:
            if method.get("after_suspicious_sign_in"):
                lines.append(f"authentication method {method['type']} {method.get('display_name') or method['id']}: "
                             "registered after the first suspicious sign-in")
        for grant in self.sections.get("oauth_grants") or []:
            if grant["high_risk_scopes"]:
                lines.append(f"consent to {grant['app']!r}: {' '.join(grant['high_risk_scopes'])}")
        return lines


_NOT_READ = SourceState("error", "", reason="not read")


def _time(value: Any) -> datetime | None:
    try:
        return from_iso(str(value)) if value else None
    except ValueError:
        return None


def source_state(error: Exception, request: str) -> SourceState:
    """A failed read as the section's source state."""
    if isinstance(error, GraphDenied):
        if error.status == 401:
            return SourceState("denied", request, error.permission, "sign-in rejected (401)")
        if error.licence:
            return SourceState("unavailable", request, error.permission,
                               f"missing licence ({error.message or error.code or '403'})")
        if error.role:
            return SourceState("unavailable", request, error.permission,
                               f"missing role ({error.message or error.code or '403'})")
        return SourceState("denied", request, error.permission, error.code)
    if isinstance(error, GraphThrottled):
        wait = f", retry in {error.retry_after:g} s" if error.retry_after is not None else ""
        return SourceState("error", request, reason=f"throttled (429{wait})")
    if isinstance(error, GraphError):
        return SourceState("error", request, reason=error.reason)
    if isinstance(error, SignInRequired):
        return SourceState("denied", request, reason="sign-in required")
    return SourceState("error", request, reason=f"{type(error).__name__}: {error}")


async def _read(call: Callable[[], Awaitable[_T]]) -> _T:
    """One read; a 429 waits for Retry-After (at most MAX_WAIT_S, 1 s when unsaid) and asks exactly once more."""
    try:
        return await call()
    except GraphThrottled as error:
        wait = error.retry_after if error.retry_after is not None else 1.0
        if wait > MAX_WAIT_S:
            raise
        await asyncio.sleep(wait)
        return await call()


class _Run:
    def __init__(self, gateway: Reader, investigation: Investigation) -> None:
        self.gateway = gateway
        self.report = investigation
        self.cuts: dict[str, str] = {}      # section -> why its paging broke off

    def url(self, path: str) -> str:
        return str(self.gateway.describe_request("GET", path).url)

    async def section(self, name: str, path: str, work: Callable[[], Awaitable[Any]]) -> None:
        """Run one section's reads; its state is fresh unless `work` raised."""
        try:
            self.report.sections[name] = await work()
            self.report.sources[name] = SourceState("fresh", self.url(path), partial=self.cuts.get(name))
        except (GraphError, SignInRequired) as error:
            self.report.sections[name] = None
            self.report.sources[name] = source_state(error, self.url(path))

    def note(self, name: str, rows: Collected) -> Collected:
        """Remember when a collection's paging broke off (the gateway says why in `cut`)."""
        if rows.cut:
            self.cuts[name] = rows.cut
        return rows

    def no_id(self, name: str, path: str) -> None:
        self.report.sections[name] = None
        self.report.sources[name] = SourceState("error", self.url(path),
                                                reason="needs the user's object id: the user could not be read")


async def investigate(gateway: Reader, upn: str, *, days: int = 7, now: datetime | None = None) -> Investigation:
    """Read every section for `upn` over the last `days` days; never raises for a Graph failure."""
    upn = upn.strip()
    if not upn or "@" not in upn:
        raise ValueError("give the user's UPN (name@domain)")
    if not 1 <= days <= 30:
        raise ValueError("--days must be between 1 and 30 (sign-in logs keep 30 days)")
    now = now or utc_now()
    report = Investigation(upn, days, now)
    run = _Run(gateway, report)
    since = to_iso(now - timedelta(days=days))
    quoted = odata.string_literal(upn)
    user_path = odata.user_path(upn)

    await run.section("user", user_path, lambda: _read(lambda: gateway.get_json(user_path, {"$select": USER_SELECT})))
    user = report.sections.get("user")
    user_id = str(user["id"]) if isinstance(user, dict) and user.get("id") else None
    if isinstance(user, dict):
        report.sections["user"] = {k: user.get(k) for k in USER_SELECT.split(",")}

    async def sign_ins() -> list[dict[str, Any]]:
        rows = await _read(lambda: gateway.get_all(
            "auditLogs/signIns", {"$filter": f"userPrincipalName eq {quoted} and createdDateTime ge {since}",
                                  "$top": "1000"}, limit=MAX_ITEMS))
        return mark_sign_ins(run.note("sign_ins", rows))

    async def audits() -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for expression in (f"initiatedBy/user/userPrincipalName eq {quoted}",
                           f"targetResources/any(t:t/userPrincipalName eq {quoted})"):
            rows = await _read(partial(
                gateway.get_all, "auditLogs/directoryAudits",
                {"$filter": f"{expression} and activityDateTime ge {since}", "$top": "1000"}, limit=MAX_ITEMS))
            for row in run.note("directory_audits", rows):
                found.setdefault(str(row.get("id")), audit_row(row))
        return sorted(found.values(), key=lambda a: a["time"] or "", reverse=True)

    async def detections() -> list[dict[str, Any]]:
        key = f"userId eq {odata.string_literal(user_id)}" if user_id else f"userPrincipalName eq {quoted}"
        rows = await _read(lambda: gateway.get_all("identityProtection/riskDetections",
                                                   {"$filter": key, "$top": "500"}, limit=MAX_ITEMS))
        return sorted(run.note("risk_detections", rows), key=lambda d: str(d.get("activityDateTime") or ""),
                      reverse=True)

    async def mailbox() -> dict[str, Any]:
        settings = await _read(lambda: gateway.get_json(f"{user_path}/mailboxSettings"))
        settings = {k: v for k, v in (settings or {}).items() if not k.startswith("@odata")}
        notes = []
        replies = (settings.get("automaticRepliesSetting") or {}).get("status")
        if replies and replies != "disabled":
            notes.append(f"automatic replies are {replies}")
        return {"settings": settings, "notes": notes, "not_checked": dict(EXO_ONLY)}

    async def rules() -> dict[str, Any]:
        rows = run.note("inbox_rules", await _read(
            lambda: gateway.get_all(f"{user_path}/mailFolders/inbox/messageRules", limit=MAX_ITEMS)))
        folders = await _folder_names(gateway, user_path, rows)
        return {"rules": [flag_rule(row, folders, upn) for row in rows],
                "not_checked": {k: v for k, v in EXO_ONLY.items() if "rules" in k}}

    async def methods() -> list[dict[str, Any]]:
        rows = run.note("auth_methods", await _read(
            lambda: gateway.get_all(f"{user_path}/authentication/methods", limit=MAX_ITEMS)))
        return [auth_method_row(row) for row in rows]

    await asyncio.gather(
        run.section("sign_ins", "auditLogs/signIns", sign_ins),
        run.section("directory_audits", "auditLogs/directoryAudits", audits),
        run.section("risk_detections", "identityProtection/riskDetections", detections),
        run.section("inbox_rules", f"{user_path}/mailFolders/inbox/messageRules", rules),
        run.section("mailbox_settings", f"{user_path}/mailboxSettings", mailbox),
        run.section("auth_methods", f"{user_path}/authentication/methods", methods),
    )
    if user_id:
        await run.section("risky_user", f"identityProtection/riskyUsers/{user_id}",
                          lambda: _risky(gateway, user_id, run))
        await run.section("oauth_grants", "oauth2PermissionGrants", lambda: _grants(gateway, user_id, run))
    else:
        run.no_id("risky_user", "identityProtection/riskyUsers")
        run.no_id("oauth_grants", "oauth2PermissionGrants")
    _mark_methods(report)
    return report


# -- sections ------------------------------------------------------------------------------------------


def _country(row: dict[str, Any]) -> str:
    return str((row.get("location") or {}).get("countryOrRegion") or "")


def mark_sign_ins(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sign-ins oldest first, each marked with what is new against the user's own earlier sign-ins.

    The oldest sign-in is the baseline (nothing to compare it with). A sign-in is suspicious when Identity
    Protection rated it medium or high, or it succeeded from a country the user had not signed in from."""
    ordered = sorted(rows, key=lambda r: str(r.get("createdDateTime") or ""))
    seen: dict[str, set[str]] = {"country": set(), "ip": set(), "app": set()}
    out = []
    for index, row in enumerate(ordered):
        status = row.get("status") or {}
        values = {"country": _country(row), "ip": str(row.get("ipAddress") or ""),
                  "app": str(row.get("appDisplayName") or "")}
        new = [what for what, value in values.items() if index and value and value not in seen[what]]
        for what, value in values.items():
            if value:
                seen[what].add(value)
        error_code = int(status.get("errorCode") or 0) if str(status.get("errorCode") or 0).isdigit() else -1
        risk = str(row.get("riskLevelDuringSignIn") or "none")
        location = row.get("location") or {}
        out.append({
            "id": row.get("id"), "time": row.get("createdDateTime"), "app": values["app"], "ip": values["ip"],
            "location": ", ".join(str(location.get(k)) for k in ("city", "countryOrRegion") if location.get(k)),
            "country": values["country"], "client": row.get("clientAppUsed"),
            "status": "success" if error_code == 0 else f"failure {status.get('errorCode')}",
            "failure_reason": status.get("failureReason"),
            "conditional_access": row.get("conditionalAccessStatus"), "risk": risk, "new": new,
            "suspicious": risk in ("medium", "high") or (error_code == 0 and "country" in new),
            "raw": row,         # as Graph sent it: evidence keeps everything (device, user agent, policies)
        })
    return out


def first_suspicious(sign_ins: list[dict[str, Any]] | None) -> str | None:
    times = [s["time"] for s in sign_ins or [] if s.get("suspicious") and s.get("time")]
    return min(times) if times else None


def audit_row(row: dict[str, Any]) -> dict[str, Any]:
    initiated = row.get("initiatedBy") or {}
    who = (initiated.get("user") or {}).get("userPrincipalName") or (initiated.get("app") or {}).get("displayName")
    return {
        "id": row.get("id"), "time": row.get("activityDateTime"), "activity": row.get("activityDisplayName"),
        "category": row.get("category"), "result": row.get("result"), "initiated_by": who,
        "ip": (initiated.get("user") or {}).get("ipAddress"),
        "targets": [t.get("userPrincipalName") or t.get("displayName") or t.get("id")
                    for t in row.get("targetResources") or [] if isinstance(t, dict)],
        "raw": row,
    }


async def _folder_names(gateway: Reader, user_path: str, rules: list[dict[str, Any]]) -> dict[str, str]:
    """Folder id -> display name for the folders rules move or copy to (a rule names a folder only by id)."""
    ids = {str((r.get("actions") or {}).get(k)) for r in rules for k in ("moveToFolder", "copyToFolder")
           if (r.get("actions") or {}).get(k)}
    names: dict[str, str] = {}
    for folder in sorted(ids)[:50]:
        try:
            found = await gateway.get_json(f"{user_path}/mailFolders/{quote(folder, safe='')}",
                                           {"$select": "id,displayName"})
            names[folder] = str((found or {}).get("displayName") or folder)
        except (GraphError, SignInRequired) as error:
            names[folder] = f"folder {folder[:24]}… (name not readable: {getattr(error, 'reason', error)})"
    return names


def _addresses(recipients: Any) -> list[str]:
    out = []
    for recipient in recipients or []:
        address = ((recipient or {}).get("emailAddress") or {}).get("address") if isinstance(recipient, dict) else None
        if address:
            out.append(str(address))
    return out


def flag_rule(rule: dict[str, Any], folders: dict[str, str], upn: str) -> dict[str, Any]:
    """An inbox rule with `suspicious` and the reasons: forwarding, redirecting, deleting, hiding, keywords."""
    actions = rule.get("actions") or {}
    conditions = rule.get("conditions") or {}
    domain = upn.rpartition("@")[2].casefold()
    reasons = []
    for key, verb in (("forwardTo", "forwards"), ("forwardAsAttachmentTo", "forwards as attachment"),
                      ("redirectTo", "redirects")):
        targets = _addresses(actions.get(key))
        if targets:
            outside = [t for t in targets if t.rpartition("@")[2].casefold() != domain]
            reasons.append(f"{verb} to {', '.join(targets)}" + (" (outside the organisation)" if outside else ""))
    if actions.get("permanentDelete"):
        reasons.append("deletes messages permanently")
    elif actions.get("delete"):
        reasons.append("deletes messages")
    for key in ("moveToFolder", "copyToFolder"):
        if actions.get(key):
            name = folders.get(str(actions[key]), str(actions[key]))
            if any(word in name.casefold() for word in HIDING_FOLDERS):
                reasons.append(f"{'moves' if key == 'moveToFolder' else 'copies'} to {name}")
    if actions.get("markAsRead") and reasons:
        reasons.append("marks them read")
    words = " ".join(str(v) for key, values in conditions.items() if key.endswith("Contains")
                     for v in (values if isinstance(values, list) else [values])).casefold()
    matched = [w for w in RULE_WORDS if w in words]
    if matched:
        reasons.append(f"matches {', '.join(matched)}")
    name = str(rule.get("displayName") or "")
    if not re.search(r"\w", name):
        reasons.append("a name with no letters (attackers hide rules that way)")
    return {"id": rule.get("id"), "name": name, "enabled": rule.get("isEnabled"), "sequence": rule.get("sequence"),
            "conditions": conditions, "actions": actions, "suspicious": bool(reasons), "reasons": reasons,
            "definition": {k: v for k, v in rule.items() if not k.startswith("@odata")}}


def method_type(row: dict[str, Any]) -> str:
    """`#microsoft.graph.microsoftAuthenticatorAuthenticationMethod` -> `microsoftAuthenticator`."""
    name = str(row.get("@odata.type") or "").rpartition(".")[2]
    return name.removesuffix("AuthenticationMethod") or "unknown"


def auth_method_row(row: dict[str, Any]) -> dict[str, Any]:
    kind = method_type(row)
    detail = row.get("displayName") or row.get("phoneNumber") or row.get("emailAddress") or row.get("model")
    return {"id": row.get("id"), "type": kind, "display_name": detail, "created": row.get("createdDateTime"),
            "deletable": kind not in ("password", "unknown"), "after_suspicious_sign_in": None,
            "raw": {k: v for k, v in row.items() if k != "password"}}


def _mark_methods(report: Investigation) -> None:
    """Methods created after the first suspicious sign-in: what an attacker registers to come back."""
    first = _time(first_suspicious(report.sections.get("sign_ins")))
    if first is None:
        return
    for method in report.sections.get("auth_methods") or []:
        created = _time(method.get("created"))
        if created is not None and created >= first:
            method["after_suspicious_sign_in"] = to_iso(first)


async def _risky(gateway: Reader, user_id: str, run: _Run) -> dict[str, Any]:
    path = f"identityProtection/riskyUsers/{quote(user_id, safe='')}"
    try:
        state = await _read(lambda: gateway.get_json(path))
    except GraphNotFound:
        return {"state": None, "history": [], "note": "not a risky user (Identity Protection has no record)"}
    history = run.note("risky_user", await _read(lambda: gateway.get_all(f"{path}/history", limit=MAX_ITEMS)))
    state = {k: v for k, v in (state or {}).items() if not k.startswith("@odata")}
    return {"state": state, "history": sorted(history, key=lambda h: str(h.get("riskLastUpdatedDateTime") or ""),
                                              reverse=True)}


async def _grants(gateway: Reader, user_id: str, run: _Run) -> list[dict[str, Any]]:
    rows = run.note("oauth_grants", await _read(lambda: gateway.get_all(
        "oauth2PermissionGrants", {"$filter": f"principalId eq {odata.string_literal(user_id)}"}, limit=MAX_ITEMS)))
    names: dict[str, dict[str, Any]] = {}
    for sp_id in sorted({str(r.get(k)) for r in rows for k in ("clientId", "resourceId") if r.get(k)})[:100]:
        try:
            names[sp_id] = await gateway.get_json(f"servicePrincipals/{quote(sp_id, safe='')}",
                                                  {"$select": "id,appId,displayName,publisherName,verifiedPublisher"})
        except (GraphError, SignInRequired) as error:
            names[sp_id] = {"error": getattr(error, "reason", str(error))}
    out = []
    for row in rows:
        client = names.get(str(row.get("clientId")), {})
        resource = names.get(str(row.get("resourceId")), {})
        scopes = [s for s in str(row.get("scope") or "").split() if s]
        out.append({
            "id": row.get("id"), "client_id": row.get("clientId"),
            "app": client.get("displayName") or f"unknown app ({client.get('error', 'no name')})",
            "app_id": client.get("appId"), "publisher": client.get("publisherName"),
            "verified_publisher": ((client.get("verifiedPublisher") or {}).get("displayName")),
            "resource": resource.get("displayName") or row.get("resourceId"),
            "consent_type": row.get("consentType"), "scopes": scopes,
            "high_risk_scopes": [s for s in scopes if s.casefold() in HIGH_RISK_SCOPES],
        })
    return out
