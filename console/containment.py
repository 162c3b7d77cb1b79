"""Containment actions against Graph, done deliberately: preview, typed confirmation, at most one attempt.

Each action is planned first (the exact method, URL and JSON body are shown), confirmed by typing the UPN,
then sent once through the gateway (which never retries a POST or PATCH). The user is read before and after,
and everything (request, request id, result, how to reverse it) is journaled as a kinds.ACTION entry, even a
failure or a dry run. A write is journaled as "requested" BEFORE it is sent and its outcome after, so a cancel
or a crash in between cannot leave an unrecorded change. A 429 is reported, never retried behind the
responder's back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .graph.errors import GraphDenied, GraphError, GraphNotFound, GraphThrottled, SignInRequired
from .graph.odata import user_path
from .journal import Draft, kinds, writable_json
from .sending import Wire, send_once

if TYPE_CHECKING:
    from .graph.gateway import GraphGateway
    from .session import WarRoom

USER_FIELDS = "id,userPrincipalName,displayName,accountEnabled"
ACTION_TITLES = {
    "block_sign_in": "Block sign-in",
    "revoke_sessions": "Revoke sessions",
    "confirm_compromised": "Confirm compromised",
    "enable_sign_in": "Re-enable sign-in (reversal)",
}


@dataclass(frozen=True)
class ActionPlan:
    """What will be sent and how to take it back: shown to the responder before anything happens."""

    action: str
    upn: str
    method: str
    path: str
    body: dict[str, Any] | None
    reversal: str
    reversal_action: str | None = None   # an action the console can run to undo this one

    @property
    def title(self) -> str:
        return ACTION_TITLES[self.action]


def plan_action(action: str, upn: str, user_id: str | None = None) -> ActionPlan:
    """The request for one action; confirm_compromised needs the user's object id (looked up first), so that
    the body previewed is the body sent, byte for byte."""
    upn = upn.strip()
    if not upn or "@" not in upn:
        raise ValueError("give the user's UPN (name@domain)")
    if action == "block_sign_in":
        return ActionPlan(action, upn, "PATCH", user_path(upn), {"accountEnabled": False},
                          "Re-enable sign-in: PATCH the user with accountEnabled=true (offered after success).",
                          "enable_sign_in")
    if action == "enable_sign_in":
        return ActionPlan(action, upn, "PATCH", user_path(upn), {"accountEnabled": True},
                          "Block sign-in again: PATCH the user with accountEnabled=false.", "block_sign_in")
    if action == "revoke_sessions":
        return ActionPlan(action, upn, "POST", f"{user_path(upn)}/revokeSignInSessions", None,
                          "Cannot be undone: the user simply signs in again once allowed to.")
    if action == "confirm_compromised":
        if not user_id:
            raise ValueError(f"confirm compromised needs the object id of {upn}: it is looked up from the tenant "
                             "first (nothing is sent until it is known and shown here)")
        return ActionPlan(action, upn, "POST", "identityProtection/riskyUsers/confirmCompromised",
                          {"userIds": [user_id]},
                          "Dismiss the user's risk in Identity Protection (POST identityProtection/riskyUsers/dismiss) "
                          "once the account is clean.")
    raise ValueError(f"unknown action {action!r}")


def preview(plan: ActionPlan, gateway: GraphGateway | None) -> dict[str, Any]:
    """The exact request as {method, url, body}: from the gateway when connected, else relative."""
    if gateway is not None:
        return gateway.describe_request(plan.method, plan.path, plan.body).as_dict()
    body = None if plan.body is None else json.dumps(plan.body, ensure_ascii=False, separators=(",", ":"))
    return {"method": plan.method, "url": "/v1.0/" + plan.path, "body": body}


@dataclass
class ActionOutcome:
    result: str                         # ok | failed | dry-run | refused
    message: str
    entry_seq: int | None = None
    body: dict[str, Any] = field(default_factory=dict)


def explain(error: Exception, plan: ActionPlan) -> str:
    """One line a responder can act on, for each way an action fails."""
    if isinstance(error, GraphNotFound):
        return f"User {plan.upn} was not found (404): check the UPN. Nothing was changed."
    if isinstance(error, GraphDenied):
        if error.status == 401:
            return "Sign-in rejected (401): sign in again, then run the action again. It was not resent."
        missing = error.permission or "the permission for this request"
        return f"Forbidden (403): the app registration lacks {missing}, or your role does not allow it."
    if isinstance(error, GraphThrottled):
        wait = f"Graph asks to wait {error.retry_after:g} s" if error.retry_after else "Graph gave no wait time"
        return f"Throttled (429): the request was NOT retried; {wait}. Run the action again deliberately."
    if isinstance(error, SignInRequired):
        return "No Graph session: sign in first. Nothing was sent."
    if isinstance(error, GraphError):
        return (f"Failed ({error.reason}): the request was not retried; read the user to see whether it "
                "took effect before trying again.")
    return f"Failed ({type(error).__name__}: {error}); the request was not retried."


def explain_graph(error: Exception, doing: str) -> str:
    """One line for a failed request that is not about one user (a hunt, a Defender update)."""
    if isinstance(error, GraphDenied) and error.status == 403:
        missing = error.permission or "the permission for this request"
        return f"Forbidden (403) {doing}: the app registration lacks {missing}, or your role does not allow it."
    if isinstance(error, GraphThrottled):
        wait = f"Graph asks to wait {error.retry_after:g} s" if error.retry_after else "Graph gave no wait time"
        return f"Throttled (429) {doing}: NOT retried; {wait}. Run it again deliberately."
    if isinstance(error, GraphError):
        detail = f": {error.message}" if error.message else ""
        return f"Failed {doing} ({error.reason}{detail}); not retried."
    return f"Failed {doing} ({error}); not retried."


async def lookup_user_id(gateway: GraphGateway, upn: str) -> str:
    """The user's object id (GET users/{upn}?$select=id,...), for a request body that needs it."""
    user = await read_user(gateway, upn)
    if not user.get("id"):
        raise GraphNotFound(f"no object id for {upn}", status=404)
    return str(user["id"])


async def read_user(gateway: GraphGateway, upn: str) -> dict[str, Any]:
    data = await gateway.get_json(user_path(upn), {"$select": USER_FIELDS})
    return {k: data.get(k) for k in USER_FIELDS.split(",")} if isinstance(data, dict) else {}


def dry_run_active(warroom: WarRoom) -> bool:
    return bool(warroom.config.get("dry_run"))


def _wire(gateway: GraphGateway, plan: ActionPlan) -> Wire:
    """The user as it reads, the action's request, and the user again after it."""
    return Wire(read=lambda: read_user(gateway, plan.upn),
                send=lambda: gateway.send(plan.method, plan.path, plan.body),
                read_after=lambda _response: read_user(gateway, plan.upn))


async def execute(warroom: WarRoom, plan: ActionPlan, *, typed_upn: str, incident: str | None,
                  dry_run: bool = False) -> ActionOutcome:
    """Run one action once, journaling before/after state, request id and result; never retries (sending.py)."""
    if typed_upn.strip().casefold() != plan.upn.casefold():
        return ActionOutcome("refused", f"Type the UPN exactly ({plan.upn}) to confirm. Nothing was sent.")
    dry_run = dry_run or dry_run_active(warroom) or not warroom.can_execute_actions
    gateway = warroom.gateway
    body: dict[str, Any] = {"action": plan.action, "target": plan.upn, "dry_run": dry_run,
                            "request": preview(plan, gateway), "reversal": plan.reversal}

    def refuse(before: dict[str, Any]) -> str | None:
        if plan.action == "confirm_compromised" and plan.body != {"userIds": [before.get("id")]}:
            # The previewed id is not this user's any more (the UPN now names another object): never send a
            # body the responder did not see.
            return (f"The object id of {plan.upn} is now {before.get('id')}, not the one previewed: "
                    "nothing was sent. Check the preview and run it again.")
        return None

    def blocked() -> list[Draft]:
        users = _blocked_users(warroom, incident, plan)
        return [] if users is None else [Draft(kinds.INCIDENT_UPDATED, {"changes": {"blocked_users": users}}, incident)]

    sent = await send_once(
        warroom, body, incident=incident, title=plan.title, target=plan.upn, dry_run=dry_run,
        wire=None if gateway is None else _wire(gateway, plan),
        explain=lambda error: explain(error, plan), refuse=refuse, also=blocked)
    return ActionOutcome(*sent)


def _blocked_users(warroom: WarRoom, incident: str | None, plan: ActionPlan) -> list[str] | None:
    if incident is None or plan.action not in ("block_sign_in", "enable_sign_in"):
        return None
    current = warroom.book.incidents.get(incident)
    users = list((current.details.get("blocked_users") if current else None) or [])
    if plan.action == "block_sign_in" and plan.upn not in users:
        users.append(plan.upn)
    elif plan.action == "enable_sign_in" and plan.upn in users:
        users.remove(plan.upn)
    return users


# -- enhanced monitoring and evidence -----------------------------------------------------------------


async def watch(warroom: WarRoom, upn: str, ips: list[str], *, incident: str | None, reason: str = "") -> None:
    """Enhanced monitoring: the account and its IPs go on the incident's watch list (journaled)."""
    current = warroom.book.incidents.get(incident or "")
    watch_list = list((current.details.get("watch_list") if current else None) or [])
    for item in [upn, *ips]:
        if item and item not in watch_list:
            watch_list.append(item)
    await warroom.record_many([
        Draft(kinds.ACTION, {"action": "enhanced_monitoring", "target": upn, "dry_run": False, "result": "ok",
                             "watch": [upn, *ips], "reason": reason,
                             "reversal": "Remove the entries from the watch list when the incident closes."}, incident),
        Draft(kinds.INCIDENT_UPDATED, {"changes": {"watch_list": watch_list}}, incident),
    ])


def digest(content: Any) -> tuple[str, str]:
    """The canonical JSON text of a piece of evidence, a lone surrogate in it as its escape, and its SHA-256 (what a
    reviewer recomputes from the entry)."""
    text = writable_json(content)
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


EVIDENCE_NAMES = {   # investigation section -> what the evidence entry calls it
    "user": "user object", "risky_user": "risky user", "risk_detections": "risk detections",
    "sign_ins": "sign-ins", "directory_audits": "directory audits", "inbox_rules": "inbox rules",
    "mailbox_settings": "mailbox settings", "auth_methods": "authentication methods",
    "oauth_grants": "delegated consents",
}


async def preserve_evidence(warroom: WarRoom, upn: str, *, incident: str | None, days: int = 7) -> list[str]:
    """Capture every section of the account's investigation and the related alerts, each as an EVIDENCE entry
    with its SHA-256.

    Content is stored as canonical JSON text (so the hash can be recomputed from the entry), and a section that
    cannot be read is journaled as a failed capture (with the reason) rather than silently skipped. Returns one
    line per piece.
    """
    from .investigate import investigate

    lines: list[str] = []
    drafts: list[Draft] = []
    gateway = warroom.gateway
    if gateway is None:
        raise ValueError("not connected to a tenant: evidence cannot be captured")
    report = await investigate(gateway, upn, days=days)
    for section, what in EVIDENCE_NAMES.items():
        source = report.sources[section]
        if source.state != "fresh":
            reason = source.describe()
            lines.append(f"{what}: NOT captured ({reason})")
            drafts.append(Draft(kinds.ACTION, {"action": "preserve_evidence", "target": upn, "what": what,
                                               "dry_run": False, "result": "failed", "error": reason,
                                               "source_state": source.as_dict()}, incident))
            continue
        data = report.sections[section]
        text, sha = digest(data)
        body = {"what": what, "target": upn, "sha256": sha, "content": text, "source": source.request}
        cut = source.partial
        if cut:
            body["partial"] = cut           # Graph's paging broke off: the capture says so, not only the log
        drafts.append(Draft(kinds.EVIDENCE, body, incident))
        count = f"{len(data)} item(s)" if isinstance(data, list) else "1 object"
        lines.append(f"{what}: {count}, sha256 {sha[:16]}…" + (f" (partial: {cut})" if cut else ""))
    alerts = [dict(a.raw) for a in (warroom.live.alerts.values() if warroom.live else ())
              if upn.casefold() in (u.casefold() for u in a.users)]
    text, sha = digest(alerts)
    drafts.append(Draft(kinds.EVIDENCE, {"what": "related alerts", "target": upn, "sha256": sha, "content": text,
                                         "source": "live alerts with evidence naming the user"}, incident))
    lines.append(f"related alerts: {len(alerts)} item(s), sha256 {sha[:16]}…")
    await warroom.record_many(drafts)
    return lines
