"""Eradication: remove what keeps an attacker in, with the same guarantees as a containment action.

Each action is planned first (exact method, URL and body for the preview), confirmed by typing the UPN or the
object's name, journaled as "requested" before it is sent, sent once (never retried: the gateway has no retry
for a write), and journaled with the object's state before and after, Graph's request id, and how to reverse
it. The state before is read first, so a deleted inbox rule's full definition is in the journal and can be
recreated from it. A 403 names the missing permission; a 400 that has a known cause (deleting the default
sign-in method) says what to do.

Resetting a password is the exception to "journal everything": the temporary password is generated here,
sent once, returned to the caller to show once, and never written to the journal, a log or an export.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .containment import dry_run_active
from .graph.errors import GraphDenied, GraphError, GraphNotFound, GraphRejected, GraphThrottled, SignInRequired
from .graph.odata import user_path
from .sending import Wire, send_once

if TYPE_CHECKING:
    from .graph.gateway import GraphGateway, GraphResponse
    from .session import WarRoom

TITLES = {
    "delete_inbox_rule": "Delete inbox rule",
    "recreate_inbox_rule": "Recreate inbox rule (reversal)",
    "delete_auth_method": "Delete authentication method",
    "reset_password": "Reset password (force change at next sign-in)",
    "revoke_consent": "Revoke delegated consent",
    "restore_deleted": "Restore deleted user or group",
    "update_alert": "Update Defender alert",
    "update_incident": "Update Defender incident",
    "comment_incident": "Comment on Defender incident",
}
WITHHELD = "(temporary password: shown once to the responder, never recorded)"
ALERT_FIELDS = ("status", "classification", "determination", "assignedTo")
STATUSES = {"alert": ("new", "inProgress", "resolved"), "incident": ("active", "inProgress", "resolved", "redirected")}
CLASSIFICATIONS = ("unknown", "falsePositive", "truePositive", "informationalExpectedActivity")
DETERMINATIONS = ("unknown", "apt", "malware", "securityPersonnel", "securityTesting", "unwantedSoftware", "other",
                  "multiStagedAttack", "compromisedAccount", "phishing", "maliciousUserActivity", "notMalicious",
                  "notEnoughDataToValidate", "confirmedActivity", "lineOfBusinessApplication")


@dataclass(frozen=True)
class EradicationPlan:
    """What will be sent, what must be typed to confirm it, and how to read the object before and after."""

    action: str
    target: str                     # the account (UPN) or the object this acts on, as the journal names it
    confirm: str                    # what the responder types: the UPN, or the object's name or id
    method: str
    path: str
    body: dict[str, Any] | None = field(repr=False)     # may hold the temporary password: never in a repr or log
    state_path: str | None = None   # GET: the object before and after (None: nothing to read)
    permission: str = ""            # least permission, named when Graph answers 403
    reversal: str = ""
    reversal_plan: dict[str, Any] | None = None   # the reversal's arguments, for plan_reversal()
    secret: str | None = field(default=None, repr=False)   # reset_password: the temporary password, never journaled

    @property
    def title(self) -> str:
        return TITLES[self.action]

    def shown_body(self) -> dict[str, Any] | None:
        """The body as the preview and the journal show it: a password replaced by a note saying why."""
        if self.body is None or self.secret is None:
            return self.body
        profile = dict(self.body["passwordProfile"])
        profile["password"] = WITHHELD
        return {**self.body, "passwordProfile": profile}


@dataclass
class EradicationOutcome:
    result: str                     # ok | failed | dry-run | refused
    message: str
    entry_seq: int | None = None
    body: dict[str, Any] = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False)   # reset_password, ok: show it once, then drop it


def _user(upn: str) -> str:
    upn = upn.strip()
    if not upn or "@" not in upn:
        raise ValueError("give the user's UPN (name@domain)")
    return user_path(upn)


def _id(value: str, what: str) -> str:
    value = str(value or "").strip()
    if not value:
        raise ValueError(f"no {what} id")
    return quote(value, safe="")


def temporary_password(length: int = 20) -> str:
    """A random password Entra's complexity rules accept: upper, lower, digit and symbol, from `secrets`."""
    symbols = "!#%+-=?@^_"
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate) and any(c in symbols for c in candidate)):
            return candidate


# -- planning ------------------------------------------------------------------------------------------


def plan_delete_rule(upn: str, rule: dict[str, Any]) -> EradicationPlan:
    path = f"{_user(upn)}/mailFolders/inbox/messageRules/{_id(rule.get('id', ''), 'inbox rule')}"
    definition = {k: v for k, v in rule.items() if k in ("displayName", "sequence", "isEnabled", "conditions",
                                                        "actions", "exceptions") and v is not None}
    return EradicationPlan("delete_inbox_rule", upn.strip(), upn.strip(), "DELETE", path, None, path,
                           "MailboxSettings.ReadWrite",
                           "Recreate it from the definition journaled before deletion "
                           "(POST …/mailFolders/inbox/messageRules; offered after success).",
                           {"action": "recreate_inbox_rule", "upn": upn.strip(), "definition": definition})


def plan_recreate_rule(upn: str, definition: dict[str, Any]) -> EradicationPlan:
    path = f"{_user(upn)}/mailFolders/inbox/messageRules"
    return EradicationPlan("recreate_inbox_rule", upn.strip(), upn.strip(), "POST", path, dict(definition), None,
                           "MailboxSettings.ReadWrite", "Delete the recreated rule again.")


def plan_delete_method(upn: str, method: dict[str, Any]) -> EradicationPlan:
    from .investigate import method_type

    kind = method.get("type") or method_type(method)
    if kind in ("password", "unknown", ""):
        raise ValueError("the password method cannot be deleted: reset the password instead")
    path = f"{_user(upn)}/authentication/{kind}Methods/{_id(method.get('id', ''), 'authentication method')}"
    return EradicationPlan("delete_auth_method", upn.strip(), upn.strip(), "DELETE", path, None, path,
                           "UserAuthenticationMethod.ReadWrite.All",
                           "Cannot be undone by the console: the user registers the method again "
                           "(https://aka.ms/mysecurityinfo), after identity is verified.")


def plan_reset_password(upn: str, password: str | None = None) -> EradicationPlan:
    secret = password or temporary_password()
    body = {"passwordProfile": {"forceChangePasswordNextSignIn": True, "password": secret}}
    return EradicationPlan("reset_password", upn.strip(), upn.strip(), "PATCH", _user(upn), body,
                           f"{_user(upn)}?$select=id,userPrincipalName,accountEnabled,lastPasswordChangeDateTime",
                           "User-PasswordProfile.ReadWrite.All",
                           "Cannot be undone: the old password is gone. Give the user the temporary password "
                           "out of band; they must change it at the next sign-in.", secret=secret)


def plan_revoke_consent(upn: str, grant: dict[str, Any]) -> EradicationPlan:
    path = f"oauth2PermissionGrants/{_id(grant.get('id', ''), 'consent')}"
    app = str(grant.get("app") or grant.get("client_id") or grant.get("clientId") or "the app")
    scopes = " ".join(grant.get("scopes") or []) or str(grant.get("scope") or "")
    return EradicationPlan("revoke_consent", upn.strip(), upn.strip(), "DELETE", path, None, path,
                           "DelegatedPermissionGrant.ReadWrite.All",
                           f"The user (or an admin) can consent to {app} again; the scopes were: {scopes}. "
                           "Consider disabling the app's service principal for everyone.")


def plan_restore(item: dict[str, Any]) -> EradicationPlan:
    kind = str(item.get("@odata.type", "")).rpartition(".")[2] or "user"
    name = str(item.get("userPrincipalName") or item.get("displayName") or item.get("id") or "")
    object_id = _id(item.get("id", ""), "deleted object")
    return EradicationPlan("restore_deleted", name, name, "POST", f"directory/deletedItems/{object_id}/restore",
                           None, f"directory/deletedItems/{object_id}",
                           "Group.ReadWrite.All" if kind == "group" else "User.ReadWrite.All",
                           f"Delete the {kind} again (DELETE /{kind}s/{{id}}): it returns to deleted items "
                           "for 30 days.")


def _security_changes(kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in changes.items() if v not in (None, "")}
    unknown = set(body) - set(ALERT_FIELDS)
    if unknown or not body:
        raise ValueError(f"set one or more of {', '.join(ALERT_FIELDS)}")
    if "status" in body and body["status"] not in STATUSES[kind]:
        raise ValueError(f"status must be one of {', '.join(STATUSES[kind])}")
    if "classification" in body and body["classification"] not in CLASSIFICATIONS:
        raise ValueError(f"classification must be one of {', '.join(CLASSIFICATIONS)}")
    if "determination" in body and body["determination"] not in DETERMINATIONS:
        raise ValueError(f"determination must be one of {', '.join(DETERMINATIONS)}")
    return body


def plan_update_alert(alert_id: str, changes: dict[str, Any], before: dict[str, Any] | None = None) -> EradicationPlan:
    return _plan_security_update("alert", f"security/alerts_v2/{_id(alert_id, 'alert')}",
                                 "SecurityAlert.ReadWrite.All", alert_id, changes, before)


def plan_update_incident(incident_id: str, changes: dict[str, Any],
                         before: dict[str, Any] | None = None) -> EradicationPlan:
    return _plan_security_update("incident", f"security/incidents/{_id(incident_id, 'incident')}",
                                 "SecurityIncident.ReadWrite.All", incident_id, changes, before)


def _plan_security_update(kind: str, path: str, permission: str, item_id: str, changes: dict[str, Any],
                          before: dict[str, Any] | None) -> EradicationPlan:
    """A PATCH of a Defender alert or incident; with `before`, undo sets the previous values again."""
    action = f"update_{kind}"
    body = _security_changes(kind, changes)
    back = {k: before.get(k) for k in body} if before else None
    return EradicationPlan(action, item_id, item_id, "PATCH", path, body, path, permission,
                           "Set the previous values again (offered after success)." if back
                           else "Set the previous values again (see 'before').",
                           {"action": action, "id": item_id, "changes": back} if back else None)


def plan_comment(incident_id: str, text: str) -> EradicationPlan:
    """POST security/incidents/{id}/comments: msgraph-sdk has no builder for it; the gateway sends it raw."""
    text = text.strip()
    if not text:
        raise ValueError("write the comment")
    if len(text) > 30_000:
        raise ValueError("a Defender comment is at most 30,000 characters")
    path = f"security/incidents/{_id(incident_id, 'incident')}/comments"
    return EradicationPlan("comment_incident", incident_id, incident_id, "POST", path,
                           {"@odata.type": "microsoft.graph.security.alertComment", "comment": text},
                           f"security/incidents/{_id(incident_id, 'incident')}", "SecurityIncident.ReadWrite.All",
                           "Cannot be undone: Defender keeps comments.")


def open_linked_alerts(warroom: WarRoom, incident_id: str) -> list[Any]:
    """The Defender alerts an incident is linked to (or declared from, directly or through their Defender
    incident) that Defender still has open: what closing the incident offers to resolve there too."""
    incident = warroom.book.incidents.get(incident_id)
    live = warroom.live
    if incident is None or live is None:
        return []
    links = [*incident.links, *([incident.source] if incident.source else [])]
    alert_ids = {str(link.get("id")) for link in links if link.get("type") == "alert"}
    defender = {str(link.get("id")) for link in links if link.get("type") == "defender_incident"}
    return [alert for alert in live.alerts.values()
            if (alert.id in alert_ids or (alert.incident_id and alert.incident_id in defender))
            and alert.status != "resolved"]


def plans_to_resolve(alerts: list[Any], incident_id: str) -> list[EradicationPlan]:
    """One PATCH per alert (status resolved), all confirmed by typing the console incident's id once."""
    plans = []
    for alert in alerts:
        plan = plan_update_alert(alert.id, {"status": "resolved"}, before={"status": alert.status})
        plans.append(EradicationPlan(plan.action, plan.target, incident_id, plan.method, plan.path, plan.body,
                                     plan.state_path, plan.permission, plan.reversal, plan.reversal_plan))
    return plans


def plan_reversal(reversal: dict[str, Any]) -> EradicationPlan:
    """The plan that undoes a successful action, from its `reversal_plan`."""
    action = reversal.get("action")
    if action == "recreate_inbox_rule":
        return plan_recreate_rule(str(reversal["upn"]), dict(reversal["definition"]))
    if action == "update_alert":
        return plan_update_alert(str(reversal["id"]), dict(reversal["changes"]))
    if action == "update_incident":
        return plan_update_incident(str(reversal["id"]), dict(reversal["changes"]))
    raise ValueError(f"no reversal for {action!r}")


def preview(plan: EradicationPlan, gateway: GraphGateway | None) -> dict[str, Any]:
    """The exact request as {method, url, body}, with a password withheld (it is shown once, elsewhere)."""
    body = plan.shown_body()
    if gateway is not None:
        return gateway.describe_request(plan.method, plan.path, body).as_dict()
    text = None if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return {"method": plan.method, "url": "/v1.0/" + plan.path, "body": text}


# -- running -------------------------------------------------------------------------------------------


def explain(error: Exception, plan: EradicationPlan) -> str:
    """One line a responder can act on."""
    if isinstance(error, GraphNotFound):
        return f"Not found (404): {plan.target} or the object no longer exists. Nothing was changed."
    if isinstance(error, GraphDenied):
        if error.status == 401:
            return "Sign-in rejected (401): sign in again, then run the action again. It was not resent."
        role = {"delete_auth_method": "Authentication Administrator", "reset_password":
                "Helpdesk, User or Privileged Authentication Administrator",
                "restore_deleted": "User Administrator (or Groups Administrator)",
                "revoke_consent": "Cloud Application Administrator"}.get(plan.action, "Security Operator")
        return (f"Forbidden (403): the app registration lacks {plan.permission}, or your role ({role} or higher) "
                "does not allow it. Nothing was changed.")
    if isinstance(error, GraphThrottled):
        wait = f"Graph asks to wait {error.retry_after:g} s" if error.retry_after else "Graph gave no wait time"
        return f"Throttled (429): the request was NOT retried; {wait}. Run the action again deliberately."
    if isinstance(error, GraphRejected) and plan.action == "delete_auth_method" and "default" in (
            error.message or "").lower():
        return ("Refused (400): Graph does not delete the default sign-in method while other methods exist. Have "
                "the user (or an Authentication Administrator, in the Entra admin center) make another method the "
                "default, or delete the other methods first, then run this again. Nothing was changed.")
    if isinstance(error, GraphRejected):
        return f"Refused ({error.reason}): {error.message or 'Graph gave no reason'}. Nothing was changed."
    if isinstance(error, SignInRequired):
        return "No Graph session: sign in first. Nothing was sent."
    if isinstance(error, GraphError):
        return (f"Failed ({error.reason}): the request was not retried; read the object to see whether it took "
                "effect before trying again.")
    return f"Failed ({type(error).__name__}: {error}); the request was not retried."


async def _read_state(gateway: GraphGateway, plan: EradicationPlan) -> dict[str, Any] | None:
    if plan.state_path is None:
        return None
    path, _, query = plan.state_path.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if "=" in part) if query else None
    data = await gateway.get_json(path, params)
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if not k.startswith("@odata.context") and k != "password"}


def _wire(gateway: GraphGateway, plan: EradicationPlan) -> Wire:
    """The object as it reads, the plan's request, and after it: gone (a DELETE), as restored (the answer says),
    or read again."""

    async def after(response: GraphResponse) -> dict[str, Any] | None:
        if plan.method == "DELETE":
            return {"deleted": True}
        if plan.action == "restore_deleted" and isinstance(response.json, dict):
            return {k: v for k, v in response.json.items() if not k.startswith("@odata")}
        return await _read_state(gateway, plan)

    return Wire(read=lambda: _read_state(gateway, plan),
                send=lambda: gateway.send(plan.method, plan.path, plan.body), read_after=after)


async def execute(warroom: WarRoom, plan: EradicationPlan, *, typed: str, incident: str | None,
                  dry_run: bool = False) -> EradicationOutcome:
    """Run one eradication action once: before, requested, send, outcome with after and request id."""
    if typed.strip().casefold() != plan.confirm.strip().casefold():
        return EradicationOutcome("refused", f"Type {plan.confirm} exactly to confirm. Nothing was sent.")
    dry_run = dry_run or dry_run_active(warroom) or not warroom.can_execute_actions
    gateway = warroom.gateway
    body: dict[str, Any] = {"action": plan.action, "target": plan.target, "dry_run": dry_run,
                            "request": preview(plan, gateway), "reversal": plan.reversal}
    sent = await send_once(     # its task ticks itself
        warroom, body, incident=incident, title=plan.title, target=plan.target, dry_run=dry_run,
        wire=None if gateway is None else _wire(gateway, plan),
        explain=lambda error: explain(error, plan),
        on_ok={"reversal_plan": plan.reversal_plan} if plan.reversal_plan is not None else None)
    return EradicationOutcome(*sent, secret=plan.secret if sent.result == "ok" else None)
