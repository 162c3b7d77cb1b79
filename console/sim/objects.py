"""Graph objects from the few fields a scenario author writes: defaults, ids and shorthands filled in.

Scenario files hold Graph's own camelCase names, so what an author writes is what Graph would send.
Relative times (`T-45m`, `T+90s`) in any `…DateTime` field become real UTC moments when the object appears.
Shorthands: a post or message `body`/`description` given as a string is HTML content; evidence with
`type = "user"` becomes `#microsoft.graph.security.userEvidence`; sign-ins and audits may name a user by UPN.
"""

from __future__ import annotations

import functools
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..timefmt import to_iso

COLLECTIONS = (
    "services", "issues", "messages", "alerts", "incidents", "riskyUsers", "users", "signIns", "directoryAudits",
    "riskDetections", "messageRules", "authenticationMethods", "servicePrincipals", "oauth2PermissionGrants",
    "deletedItems", "groups", "hunting",
)
RESOLVED_STATES = {"serviceRestored", "postIncidentReviewPublished", "resolved", "resolvedExternal", "falsePositive"}

_RELATIVE = re.compile(r"^T\s*([+-])\s*(\d+(?:\.\d+)?)\s*([smhd]?)$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_offset(value: Any) -> float:
    """Scenario seconds from `90`, `"90s"`, `"10m"`, `"T+10m"`, `"T-1h"`."""
    if isinstance(value, bool):
        raise ValueError(f"not a time offset: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text.startswith("T"):
        text = "T+" + text
    match = _RELATIVE.match(text)
    if not match:
        raise ValueError(f"not a time offset: {value!r} (use seconds, '90s', '10m', 'T+1h' or 'T-45m')")
    seconds = float(match[2]) * _UNIT[match[3]]
    return -seconds if match[1] == "-" else seconds


@dataclass
class Moment:
    """What an object needs to know when it appears: the scenario clock, its own moment, the tenant."""

    wall: Callable[[float], datetime]   # scenario second -> UTC moment
    at: float
    tenant: str
    tenant_id: str
    rng: random.Random

    _own_iso: str | None = None

    def iso(self, offset: float | None = None) -> str:
        if offset is None:  # an object stamps its own moment many times: format it once
            if self._own_iso is None:
                self._own_iso = to_iso(self.wall(self.at))
            return self._own_iso
        return to_iso(self.wall(offset))

    def resolve_times(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.resolve_times(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve_times(v, key) for v in value]
        if isinstance(value, str) and key.endswith("DateTime") and value.strip().startswith("T"):
            return self.iso(parse_offset(value))
        return value

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def digits(self, n: int) -> str:
        return str(self.rng.getrandbits(64) % 10**n).zfill(n)


@functools.lru_cache(maxsize=4096)
def user_guid(upn: str) -> str:
    """A stable object id for a UPN, so a scenario can name people by UPN only."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, upn.lower()))


def _html(value: Any) -> Any:
    return {"contentType": "html", "content": value} if isinstance(value, str) else value


def _post(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    post = {"createdDateTime": m.iso(), "postType": "regular", "description": None}
    post.update(m.resolve_times(raw))
    post["description"] = _html(post["description"] or "")
    return post


def _service(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    return {"id": raw.get("id") or raw["service"], "service": raw.get("service", raw.get("id")),
            "status": "serviceOperational", **raw}


def _issue(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    issue = {
        "startDateTime": m.iso(), "endDateTime": None, "lastModifiedDateTime": m.iso(), "title": "",
        "id": raw["id"], "impactDescription": "", "classification": "incident", "origin": "microsoft",
        "status": "investigating", "service": "", "feature": "", "featureGroup": "", "isResolved": False,
        "highImpact": None, "details": [], "posts": [],
    }
    issue.update({k: v for k, v in raw.items() if k not in ("posts", "incidentReport")})
    issue["posts"] = [_post(p, m) for p in raw.get("posts", [])]
    if raw.get("incidentReport"):
        issue["_incidentReport"] = raw["incidentReport"]  # served by incidentReport(), never in the JSON
    if "isResolved" not in raw and issue["status"] in RESOLVED_STATES:
        issue["isResolved"] = True
    return issue


def _message(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    message = {
        "startDateTime": m.iso(), "endDateTime": None, "lastModifiedDateTime": m.iso(), "title": "",
        "id": raw["id"], "category": "stayInformed", "severity": "normal", "tags": [], "isMajorChange": False,
        "actionRequiredByDateTime": None, "services": [], "expiryDateTime": None, "hasAttachments": False,
        "viewPoint": None, "details": [], "body": "",
    }
    message.update(raw)
    message["body"] = _html(message["body"])
    return message


_EVIDENCE_TYPES = {
    "user": "userEvidence", "ip": "ipEvidence", "mailbox": "mailboxEvidence", "url": "urlEvidence",
    "analyzedMessage": "analyzedMessageEvidence", "file": "fileEvidence", "device": "deviceEvidence",
    "cloudApplication": "cloudApplicationEvidence", "process": "processEvidence", "mailCluster": "mailClusterEvidence",
}


def _evidence(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    kind = raw.pop("type", None)
    item: dict[str, Any] = {
        "createdDateTime": m.iso(), "verdict": "suspicious", "remediationStatus": "none",
        "remediationStatusDetails": None, "roles": [], "tags": [], "detailedRoles": [],
    }
    if kind:
        name = _EVIDENCE_TYPES.get(kind, kind if kind.endswith("Evidence") else kind + "Evidence")
        item["@odata.type"] = f"#microsoft.graph.security.{name}"
    upn = raw.pop("userPrincipalName", None)
    if upn is not None:
        name, _, domain = str(upn).partition("@")
        item["userAccount"] = {
            "accountName": name, "domainName": domain, "userPrincipalName": upn, "azureAdUserId": user_guid(upn),
            "displayName": raw.pop("displayName", name), "userSid": None,
        }
    item.update(raw)
    return item


def _alert(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    alert_id = raw.get("id") or f"da{m.digits(18)}_{m.digits(10)}"
    alert: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.security.alert",
        "id": alert_id, "providerAlertId": alert_id.removeprefix("da"), "incidentId": None, "status": "new",
        "severity": "medium", "classification": None, "determination": None,
        "serviceSource": "microsoftDefenderForOffice365", "detectionSource": "microsoftDefenderForOffice365",
        "productName": "Microsoft Defender for Office 365", "detectorId": m.guid(), "tenantId": m.tenant_id,
        "title": "", "description": "", "recommendedActions": "", "category": "InitialAccess",
        "assignedTo": None, "alertWebUrl": f"https://security.microsoft.com/alerts/{alert_id}?tid={m.tenant_id}",
        "incidentWebUrl": None, "actorDisplayName": None, "threatDisplayName": None, "threatFamilyName": None,
        "mitreTechniques": [], "createdDateTime": m.iso(), "lastUpdateDateTime": m.iso(),
        "resolvedDateTime": None, "firstActivityDateTime": m.iso(), "lastActivityDateTime": m.iso(),
        "comments": [], "evidence": [], "systemTags": [], "alertPolicyId": None, "additionalData": {},
    }
    alert.update({k: v for k, v in raw.items() if k != "evidence"})
    alert["evidence"] = [_evidence(e, m) for e in raw.get("evidence", [])]
    if alert["incidentId"] and not alert["incidentWebUrl"]:
        alert["incidentWebUrl"] = f"https://security.microsoft.com/incidents/{alert['incidentId']}?tid={m.tenant_id}"
    return alert


def _incident(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    incident: dict[str, Any] = {
        "id": str(raw["id"]), "tenantId": m.tenant_id, "displayName": "", "status": "active",
        "severity": "medium", "assignedTo": None, "classification": "unknown", "determination": "unknown",
        "createdDateTime": m.iso(), "lastUpdateDateTime": m.iso(), "redirectIncidentId": None,
        "incidentWebUrl": f"https://security.microsoft.com/incidents/{raw['id']}?tid={m.tenant_id}",
        "description": None, "summary": None, "customTags": [], "systemTags": [], "comments": [],
        "lastModifiedBy": None, "resolvingComment": None,
    }
    incident.update(raw)
    incident["id"] = str(incident["id"])
    return incident


def _user(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    upn = raw["userPrincipalName"]
    name = upn.partition("@")[0]
    user = {
        "id": user_guid(upn), "userPrincipalName": upn, "displayName": name, "givenName": None, "surname": None,
        "mail": upn, "jobTitle": None, "department": None, "officeLocation": None, "mobilePhone": None,
        "businessPhones": [], "preferredLanguage": "en-US", "accountEnabled": True, "userType": "Member",
        "createdDateTime": m.iso(-86400 * 400), "signInSessionsValidFromDateTime": m.iso(-86400 * 30),
        "lastPasswordChangeDateTime": m.iso(-86400 * 90), "onPremisesSyncEnabled": None,
        "mailboxSettings": {
            "archiveFolder": None, "timeZone": "Pacific Standard Time", "dateFormat": "M/d/yyyy",
            "timeFormat": "h:mm tt", "userPurpose": "user", "delegateMeetingMessageDeliveryOptions":
                "sendToDelegateOnly",
            "automaticRepliesSetting": {"status": "disabled", "externalAudience": "none",
                                        "internalReplyMessage": "", "externalReplyMessage": ""},
            "language": {"locale": "en-US", "displayName": "English (United States)"},
        },
    }
    user.update(raw)
    return user


def _risky_user(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    upn = raw["userPrincipalName"]
    risky = {
        "id": user_guid(upn), "isDeleted": False, "isProcessing": False, "riskLastUpdatedDateTime": m.iso(),
        "riskLevel": "medium", "riskState": "atRisk", "riskDetail": "none", "userDisplayName": upn.partition("@")[0],
        "userPrincipalName": upn,
    }
    risky.update(raw)
    risky["_history"] = [risk_history_item(risky, m.guid())]
    return risky


def risk_history_item(risky: dict[str, Any], item_id: str) -> dict[str, Any]:
    """One riskyUserHistoryItem: the risky user's state at a moment, as GET riskyUsers/{id}/history lists it."""
    detail = risky.get("riskDetail")
    return {
        "id": item_id, "userId": risky["id"], "initiatedBy": None, "isDeleted": False, "isProcessing": False,
        "riskLastUpdatedDateTime": risky.get("riskLastUpdatedDateTime"), "riskLevel": risky.get("riskLevel"),
        "riskState": risky.get("riskState"), "riskDetail": detail,
        "userDisplayName": risky.get("userDisplayName"), "userPrincipalName": risky.get("userPrincipalName"),
        "activity": {"eventTypes": [], "riskEventTypes": [], "detail": detail},
    }


def _risk_detection(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    upn = raw.get("userPrincipalName", "")
    detection = {
        "id": m.guid(), "requestId": m.guid(), "correlationId": m.guid(), "riskEventType": "unfamiliarFeatures",
        "riskState": "atRisk", "riskLevel": "medium", "riskDetail": "none", "source": "IdentityProtection",
        "detectionTimingType": "realtime", "activity": "signin", "tokenIssuerType": "AzureAD", "ipAddress": "",
        "location": {"city": None, "state": None, "countryOrRegion": None}, "activityDateTime": m.iso(),
        "detectedDateTime": m.iso(), "lastUpdatedDateTime": m.iso(), "userId": user_guid(upn) if upn else None,
        "userDisplayName": upn.partition("@")[0], "userPrincipalName": upn, "additionalInfo": "[]",
    }
    detection.update(raw)
    return detection


def _owned(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """An owned object's table without its owner (`userPrincipalName`), and the owner's object id."""
    raw = dict(raw)
    upn = raw.pop("userPrincipalName", None)
    if not upn:
        raise ValueError("needs the owner's userPrincipalName")
    return raw, user_guid(str(upn))


WELL_KNOWN_FOLDERS = {   # well-known name -> display name (English mailbox)
    "inbox": "Inbox", "junkemail": "Junk Email", "deleteditems": "Deleted Items", "archive": "Archive",
    "rssfeeds": "RSS Subscriptions", "conversationhistory": "Conversation History", "sentitems": "Sent Items",
}


def folder_id(owner: str, well_known: str) -> str:
    """A user's well-known folder's opaque id (stable, so rules written in a scenario can name folders)."""
    return "AAMkA" + uuid.uuid5(uuid.NAMESPACE_OID, f"{owner}:{well_known.lower()}").hex + "AAA="


def _message_rule(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw, owner = _owned(raw)
    actions = dict(raw.get("actions") or {})
    for key in ("moveToFolder", "copyToFolder"):   # a well-known name in the scenario becomes the folder's id
        if str(actions.get(key, "")).lower() in WELL_KNOWN_FOLDERS:
            actions[key] = folder_id(owner, str(actions[key]))
    if actions:
        raw["actions"] = actions
    rule = {"id": "AQAAA" + m.digits(12) + "=", "displayName": "", "sequence": 1, "isEnabled": True,
            "hasError": False, "isReadOnly": False, "conditions": {}, "actions": {}, "exceptions": None}
    rule.update(raw)
    rule["_owner"] = owner
    return rule


AUTH_METHOD_TYPES = {   # shorthand -> (@odata.type, the per-type endpoint that deletes it)
    "password": ("passwordAuthenticationMethod", "passwordMethods"),
    "microsoftAuthenticator": ("microsoftAuthenticatorAuthenticationMethod", "microsoftAuthenticatorMethods"),
    "phone": ("phoneAuthenticationMethod", "phoneMethods"),
    "email": ("emailAuthenticationMethod", "emailMethods"),
    "fido2": ("fido2AuthenticationMethod", "fido2Methods"),
    "softwareOath": ("softwareOathAuthenticationMethod", "softwareOathMethods"),
    "temporaryAccessPass": ("temporaryAccessPassAuthenticationMethod", "temporaryAccessPassMethods"),
    "windowsHelloForBusiness": ("windowsHelloForBusinessAuthenticationMethod", "windowsHelloForBusinessMethods"),
}


def _auth_method(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw, owner = _owned(raw)
    kind = raw.pop("type", "password")
    if kind not in AUTH_METHOD_TYPES:
        raise ValueError(f"authentication method type {kind!r} is not one of {', '.join(AUTH_METHOD_TYPES)}")
    default = bool(raw.pop("isDefault", False))
    method: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{AUTH_METHOD_TYPES[kind][0]}", "id": m.guid()}
    if kind == "password":
        method.update(id="28c10230-6103-485e-b985-444c60001490", password=None, createdDateTime=m.iso(-86400 * 90))
    elif kind == "phone":
        method.update(phoneNumber="+1 2065550100", phoneType="mobile", smsSignInState="notSupported")
    else:
        method.update(displayName=None, createdDateTime=m.iso())
        if kind == "microsoftAuthenticator":
            method.update(deviceTag="SoftwareTokenActivated", phoneAppVersion="6.2401.0119")
    method.update(raw)
    method["_owner"], method["_type"], method["_default"] = owner, kind, default
    return method


def _service_principal(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    sp: dict[str, Any] = {
        "id": m.guid(), "appId": m.guid(), "displayName": "", "publisherName": None,
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "servicePrincipalType": "Application", "accountEnabled": True, "appOwnerOrganizationId": m.guid(),
        "homepage": None, "replyUrls": [], "tags": []}
    sp.update(raw)
    return sp


def _grant(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    upn = raw.pop("userPrincipalName", None)
    grant = {"id": m.guid().replace("-", "")[:22] + "-" + m.digits(20), "clientId": "", "resourceId": "",
             "consentType": "Principal" if upn else "AllPrincipals",
             "principalId": user_guid(str(upn)) if upn else None, "scope": ""}
    grant.update(raw)
    return grant


def _deleted_item(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    kind = raw.pop("type", "user")
    if kind not in ("user", "group"):
        raise ValueError(f"deleted item type {kind!r} is not user or group")
    item = _user(raw, m) if kind == "user" else _group(raw, m)
    item["@odata.type"] = f"#microsoft.graph.{kind}"
    item.setdefault("deletedDateTime", m.iso())
    return item


def _group(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    group = {"id": m.guid(), "displayName": "", "mail": None, "mailEnabled": False, "securityEnabled": False,
             "groupTypes": ["Unified"], "createdDateTime": m.iso(-86400 * 200), "description": None,
             "visibility": "Private"}
    group.update(raw)
    return group


def _hunting_row(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    table = raw.pop("table", None)
    if not isinstance(table, str) or not table.isidentifier():
        raise ValueError("a hunting row needs `table`, an advanced hunting table name like EmailEvents")
    for key, value in raw.items():      # hunting tables name times Timestamp, …Time: relative times resolved too
        if (key == "Timestamp" or key.endswith("Time")) and isinstance(value, str) and value.strip().startswith("T"):
            raw[key] = m.iso(parse_offset(value))
    row = {"Timestamp": m.iso(), **raw}
    row["_table"], row["_key"] = table, m.guid()      # rows have no id of their own
    return row


def _sign_in(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    upn = raw.get("userPrincipalName", "")
    error_code = raw.pop("errorCode", 0)
    sign_in = {
        "id": m.guid(), "createdDateTime": m.iso(), "userDisplayName": upn.partition("@")[0],
        "userPrincipalName": upn, "userId": user_guid(upn) if upn else None,
        "appId": "00000002-0000-0ff1-ce00-000000000000", "appDisplayName": "Office 365 Exchange Online",
        "ipAddress": "", "clientAppUsed": "Browser", "correlationId": m.guid(), "conditionalAccessStatus": "notApplied",
        "isInteractive": True, "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none",
        "riskState": "none", "riskEventTypes_v2": [], "resourceDisplayName": "Office 365 Exchange Online",
        "resourceId": "00000002-0000-0ff1-ce00-000000000000", "appliedConditionalAccessPolicies": [],
        "status": {"errorCode": error_code, "failureReason": raw.pop("failureReason", None),
                   "additionalDetails": raw.pop("additionalDetails", None)},
        "deviceDetail": {"deviceId": "", "displayName": None, "operatingSystem": "Windows 10",
                         "browser": "Edge 131.0.0", "isCompliant": False, "isManaged": False, "trustType": None},
        "location": {"city": None, "state": None, "countryOrRegion": None,
                     "geoCoordinates": {"altitude": None, "latitude": None, "longitude": None}},
    }
    sign_in.update(raw)
    return sign_in


def _audit(raw: dict[str, Any], m: Moment) -> dict[str, Any]:
    raw = dict(raw)
    by = raw.pop("initiatedByUpn", None)
    target = raw.pop("targetUpn", None)
    audit: dict[str, Any] = {
        "id": f"Directory_{m.guid()}", "category": "UserManagement", "correlationId": m.guid(), "result": "success",
        "resultReason": "", "activityDisplayName": "", "activityDateTime": m.iso(), "loggedByService": "Core Directory",
        "operationType": "Update", "initiatedBy": {"app": None, "user": None}, "targetResources": [],
        "additionalDetails": [],
    }
    if by:
        audit["initiatedBy"] = {"app": None, "user": {
            "id": user_guid(by), "displayName": None, "userPrincipalName": by, "ipAddress": raw.pop("ipAddress", ""),
            "userType": None, "homeTenantId": None, "homeTenantName": None}}
    if target:
        audit["targetResources"] = [{"id": user_guid(target), "displayName": None, "type": "User",
                                     "userPrincipalName": target, "groupType": None, "modifiedProperties": []}]
    audit.update(raw)
    return audit


BUILDERS = {
    "services": _service, "issues": _issue, "messages": _message, "alerts": _alert, "incidents": _incident,
    "riskyUsers": _risky_user, "users": _user, "signIns": _sign_in, "directoryAudits": _audit,
    "riskDetections": _risk_detection, "messageRules": _message_rule, "authenticationMethods": _auth_method,
    "servicePrincipals": _service_principal, "oauth2PermissionGrants": _grant, "deletedItems": _deleted_item,
    "groups": _group, "hunting": _hunting_row,
}


def build(collection: str, raw: dict[str, Any], moment: Moment) -> dict[str, Any]:
    """A complete Graph object for `collection` from an author's table (never modifies `raw`)."""
    resolved = moment.resolve_times(raw)  # rebuilds every dict and list: `raw` is never shared or changed
    return BUILDERS[collection](resolved, moment)


def new_post(raw: dict[str, Any] | str, moment: Moment) -> dict[str, Any]:
    return _post({"description": raw} if isinstance(raw, str) else raw, moment)


def touch_field(collection: str) -> str | None:
    """The field Graph bumps when an object changes, which pollers filter on."""
    return {
        "issues": "lastModifiedDateTime", "messages": "lastModifiedDateTime", "alerts": "lastUpdateDateTime",
        "incidents": "lastUpdateDateTime", "riskyUsers": "riskLastUpdatedDateTime",
    }.get(collection)
