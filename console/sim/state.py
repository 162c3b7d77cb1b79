"""The simulated tenant's objects, as the scenario timeline and containment calls change them.

Not thread-safe on its own: the server holds one lock around every use. Objects are Graph JSON dicts,
kept in insertion order, so paging is stable while the timeline adds to the end.
"""

from __future__ import annotations

import heapq
import random
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..timefmt import to_iso
from .objects import (
    AUTH_METHOD_TYPES,
    COLLECTIONS,
    RESOLVED_STATES,
    Moment,
    build,
    new_post,
    risk_history_item,
    touch_field,
    user_guid,
)

if TYPE_CHECKING:  # a scenario is played here; scenario.py rehearses it on a TenantState when loading
    from .scenario import Event, Scenario

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class NotFound(LookupError):
    """No such object: Graph answers 404."""


class TenantState:
    def __init__(self, scenario: Scenario, origin: datetime, *, speed: float = 1.0, start_at: float = 0.0,
                 rehearsal: bool = False) -> None:
        self.scenario = scenario
        self.origin = origin          # the UTC moment of T+0
        self.speed, self.start_at = speed, start_at
        self.rehearsal = rehearsal
        self.rng = random.Random(f"warroom-sim:{scenario.name}")
        # A filtered or ordered collection read, kept for its nextLinks: each page is a slice of what the first page
        # matched (a server-side cursor, as Graph's $skiptoken), not the whole collection filtered again per page.
        self.cursors: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.data: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLLECTIONS}
        self.clock = 0.0
        self.building: tuple[str, int] = ("", 0)
        self._queue: list[tuple[float, int, Event, int]] = []
        self.errors: list[str] = []
        self.happened: list[tuple[float, str]] = []   # (scenario second, what), for `warroom sim` and drills
        self.mail_sent: list[tuple[str, dict[str, Any]]] = []   # (sender, message) for each sendMail
        self._seq = 0

    # -- time ---------------------------------------------------------------------------------------------
    def moment(self, at: float | None = None) -> Moment:
        at = self.clock if at is None else at
        return Moment(self.wall, at, self.scenario.tenant, self.scenario.tenant_id, self.rng)

    def wall(self, at: float) -> datetime:
        """The UTC moment stamped on things that happen at scenario second `at`.

        Up to `start_at` one scenario second is one real second, so "started 40 minutes ago" reads true;
        after it, a drill at speed 10 compresses ten scenario seconds into one stamped second, so every
        timestamp stays on the responder's own clock.
        """
        if at <= self.start_at:
            return self.origin + timedelta(seconds=at)
        return self.origin + timedelta(seconds=self.start_at + (at - self.start_at) / self.speed)

    def now_iso(self) -> str:
        return to_iso(self.wall(self.clock))

    def start(self) -> None:
        self.build_initial()
        for event in self.scenario.events:
            self.schedule(event)

    def schedule(self, event: Event) -> None:
        """Queue an event; it happens at the next advance_to() that reaches its `at`."""
        self._push(event.at, event, 0)

    def build_initial(self) -> None:
        for collection in COLLECTIONS:
            for index, raw in enumerate(self.scenario.initial[collection]):
                self.building = (collection, index)
                self.add(collection, raw, 0.0)

    def _push(self, at: float, event: Event, index: int) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, event, index))

    def advance_to(self, seconds: float) -> None:
        """Apply everything the timeline holds up to scenario second `seconds`."""
        while self._queue and self._queue[0][0] <= seconds:
            at, _, event, index = heapq.heappop(self._queue)
            self.clock = max(self.clock, at)
            try:
                self._apply_one(event, index, at)
            except (ValueError, LookupError, TypeError) as error:  # a drill goes on; the sim log says why
                self.errors.append(f"T+{at:g}s {event.action} {event.collection}: {error}")
        self.clock = max(self.clock, seconds)

    def apply(self, event: Event) -> None:
        """Apply an event at once (a rehearsal generates only the first and last objects)."""
        if event.action == "generate":
            for index in sorted({0, event.count - 1}):
                self._generate(event, index, event.at)
        else:
            self._apply_one(event, 0, event.at)

    def _apply_one(self, event: Event, index: int, at: float) -> None:
        if index == 0 or index + 1 == event.count:
            self.happened.append((at, _describe(event, index)))
        if event.action == "add":
            self.add(event.collection, event.fields, at)
        elif event.action == "update":
            self.update(event.collection, event.id or "", event.fields, event.posts, at)
        else:
            self._generate(event, index, at)
            if index + 1 < event.count and not self.rehearsal:
                self._push(event.at + event.over * (index + 1) / event.count, event, index + 1)

    # -- changes ------------------------------------------------------------------------------------------
    def add(self, collection: str, raw: dict[str, Any], at: float) -> dict[str, Any]:
        item = build(collection, raw, self.moment(at))
        key = str(item["_key"] if collection == "hunting" else item["id"])
        if key in self.data[collection]:
            raise ValueError(f"{collection} already has an object with id {key!r}")
        self.data[collection][key] = item
        if collection == "signIns":
            self._honour_containment(item)
        if collection == "alerts" and item.get("incidentId") in self.data["incidents"]:
            self.data["incidents"][item["incidentId"]]["lastUpdateDateTime"] = item["lastUpdateDateTime"]
        return item

    def update(self, collection: str, key: str, fields: dict[str, Any], posts: list[Any], at: float) -> None:
        item = self.find(collection, key)
        moment = self.moment(at)
        item.update(moment.resolve_times(dict(fields)))
        stamp = touch_field(collection)
        if stamp and stamp not in fields:
            item[stamp] = moment.iso()
        if collection == "riskyUsers":
            item.setdefault("_history", []).append(risk_history_item(item, moment.guid()))
        if collection == "issues":
            if "status" in fields and "isResolved" not in fields:
                item["isResolved"] = fields["status"] in RESOLVED_STATES
                if item["isResolved"] and not item.get("endDateTime"):
                    item["endDateTime"] = moment.iso()
            item.setdefault("posts", []).extend(new_post(p, moment) for p in posts)

    def _generate(self, event: Event, index: int, at: float) -> None:
        picks: dict[str, str] = {}

        def fill(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, str) and "{" in value:
                return _PLACEHOLDER.sub(lambda m: self._placeholder(m[1], index, event, picks), value)
            return value

        self.add(event.collection, fill(event.fields), at)

    def _placeholder(self, name: str, index: int, event: Event, picks: dict[str, str]) -> str:
        if name == "n":
            return str(index + 1)
        if name == "i":
            return str(index)
        if name == "guid":
            return self.moment().guid()
        if name.startswith("digits") and name[6:].isdigit():
            return self.moment().digits(int(name[6:]))
        if name in event.choices:
            if name not in picks:
                options = event.choices[name]
                picks[name] = str(options[int(self.rng.random() * len(options))])
            return picks[name]
        return "{" + name + "}"

    def _honour_containment(self, sign_in: dict[str, Any]) -> None:
        """The tenant's own changes hold: a blocked account cannot sign in, and a sign-in that reuses a session
        (non-interactive) fails once the sessions were revoked; an interactive one with the password still works."""
        try:
            user = self.find("users", str(sign_in.get("userPrincipalName") or ""))
        except NotFound:
            return
        status = sign_in.setdefault("status", {})
        if status.get("errorCode"):
            return
        if user.get("accountEnabled") is False:
            status.update(errorCode=50057, failureReason="The user account is disabled.")
        elif user.get("_revoked") and not sign_in.get("isInteractive", True) and \
                str(sign_in.get("createdDateTime", "")) >= str(user["_revoked"]):
            status.update(errorCode=50133, failureReason="Session is invalid due to expiration or recent password "
                                                          "change.")
        else:
            return
        sign_in["conditionalAccessStatus"] = "notApplied"

    # -- reads --------------------------------------------------------------------------------------------
    def items(self, collection: str) -> list[dict[str, Any]]:
        return list(self.data[collection].values())

    def find(self, collection: str, key: str) -> dict[str, Any]:
        objects = self.data[collection]
        if key in objects:
            return objects[key]
        lowered = key.lower()
        for item in objects.values():
            names = (item.get("id"), item.get("userPrincipalName"), item.get("service"))  # UPN; service by name
            if any(str(name).lower() == lowered for name in names if name is not None):
                return item
        raise NotFound(key)

    # -- containment --------------------------------------------------------------------------------------
    def _audit(self, activity: str, target: dict[str, Any], details: list[dict[str, Any]] | None = None,
               modified: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        audit = self.add("directoryAudits", {
            "activityDisplayName": activity, "initiatedByUpn": self.scenario.operator,
            "targetUpn": target["userPrincipalName"], "additionalDetails": details or [],
        }, self.clock)
        audit["targetResources"][0]["modifiedProperties"] = modified or []
        return audit

    def patch_user(self, key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """PATCH users/{id}: returns (before, after); flipping accountEnabled is audited as Entra does.

        A passwordProfile is checked and applied, never stored: like Entra, the audit says the password was
        reset and nothing more."""
        user = self.find("users", key)
        changes = dict(changes)
        profile = changes.pop("passwordProfile", None)
        if profile is not None:
            password = profile.get("password") if isinstance(profile, dict) else None
            if not isinstance(password, str) or len(password) < 8:
                raise ValueError("The specified password does not comply with password complexity requirements. "
                                 "Please provide a different password.")
            user["lastPasswordChangeDateTime"] = self.now_iso()
            user["_forceChangePassword"] = bool(profile.get("forceChangePasswordNextSignIn"))
            self._audit("Reset user password", user)
            if not changes:
                return dict(user), dict(user)
        before = dict(user)
        user.update({k: v for k, v in changes.items() if k not in ("id", "@odata.type")})
        modified = [{"displayName": k, "oldValue": _json_text(before.get(k)), "newValue": _json_text(v)}
                    for k, v in changes.items()]
        if "accountEnabled" in changes and before.get("accountEnabled") != changes["accountEnabled"]:
            self._audit("Disable account" if not changes["accountEnabled"] else "Enable account", user,
                        modified=modified)
        self._audit("Update user", user, modified=modified)
        return before, dict(user)

    def send_mail(self, key: str, message: dict[str, Any]) -> None:
        """sendMail: the sender must be a known user and the message must name a recipient."""
        user = self.find("users", key)
        recipients = message.get("toRecipients")
        if not isinstance(recipients, list) or not recipients:
            raise ValueError("At least one recipient is required, but none were found.")
        self.mail_sent.append((str(user.get("userPrincipalName", key)), message))

    def revoke_sessions(self, key: str) -> dict[str, Any]:
        user = self.find("users", key)
        user["signInSessionsValidFromDateTime"] = user["_revoked"] = self.now_iso()   # private: never served
        self._audit("Invalidate all refresh tokens for user", user)
        return user

    def set_risk(self, user_ids: list[str], *, compromised: bool) -> list[dict[str, Any]]:
        """confirmCompromised / dismiss: every id must be a known user; risky users appear as needed."""
        users = [self.find("users", str(key)) for key in user_ids]
        changed = []
        for user in users:
            try:
                risky = self.find("riskyUsers", user["id"])
            except NotFound:
                risky = self.add("riskyUsers", {"userPrincipalName": user["userPrincipalName"],
                                                "userDisplayName": user.get("displayName")}, self.clock)
            risky.update({
                "riskLevel": "high" if compromised else "none",
                "riskState": "confirmedCompromised" if compromised else "dismissed",
                "riskDetail": "adminConfirmedUserCompromised" if compromised else "adminDismissedAllRiskForUser",
                "riskLastUpdatedDateTime": self.now_iso(),
            })
            history = risk_history_item(risky, self.moment().guid())
            history["initiatedBy"] = user_guid(self.scenario.operator)
            risky.setdefault("_history", []).append(history)
            changed.append(risky)
        return changed

    def patch_security(self, collection: str, key: str, changes: dict[str, Any]) -> dict[str, Any]:
        """PATCH an alert or incident: only the properties Defender lets an analyst change."""
        item = self.find(collection, key)
        allowed = {"status", "classification", "determination", "assignedTo"}
        allowed |= {"customDetails"} if collection == "alerts" else {"customTags", "description", "displayName"}
        bad = set(changes) - allowed
        if bad:
            raise ValueError(f"property {sorted(bad)[0]!r} cannot be updated")
        item.update(changes)
        item["lastUpdateDateTime"] = self.now_iso()
        if collection == "alerts" and changes.get("status") == "resolved":
            item["resolvedDateTime"] = self.now_iso()
        return item


    # -- eradication -----------------------------------------------------------------------------------------
    def owned(self, collection: str, user_key: str) -> list[dict[str, Any]]:
        """A user's inbox rules or authentication methods (404 for an unknown user)."""
        owner = self.find("users", user_key)["id"]
        return [item for item in self.items(collection) if item.get("_owner") == owner]

    def find_owned(self, collection: str, user_key: str, key: str) -> dict[str, Any]:
        for item in self.owned(collection, user_key):
            if str(item["id"]).lower() == key.lower():
                return item
        raise NotFound(key)

    def add_rule(self, user_key: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST …/messageRules: a rule needs a displayName and a sequence, as Exchange requires."""
        user = self.find("users", user_key)
        if not isinstance(body.get("displayName"), str) or not isinstance(body.get("sequence"), int):
            raise ValueError("A message rule needs displayName and sequence.")
        fields = {k: v for k, v in body.items() if k not in ("id", "@odata.type", "hasError", "isReadOnly")}
        return self.add("messageRules", {**fields, "userPrincipalName": user["userPrincipalName"]}, self.clock)

    def delete_rule(self, user_key: str, rule_id: str) -> None:
        rule = self.find_owned("messageRules", user_key, rule_id)
        del self.data["messageRules"][rule["id"]]

    def delete_auth_method(self, user_key: str, endpoint: str, method_id: str) -> None:
        """DELETE …/authentication/{type}Methods/{id}: the default method stays while others exist (400)."""
        method = self.find_owned("authenticationMethods", user_key, method_id)
        kind = method["_type"]
        if AUTH_METHOD_TYPES[kind][1].lower() != endpoint.lower():
            raise NotFound(method_id)
        if kind == "password":
            raise ValueError("The password authentication method cannot be deleted.")
        others = [m for m in self.owned("authenticationMethods", user_key)
                  if m is not method and m["_type"] != "password"]
        if method.get("_default") and others:
            raise ValueError("Cannot delete default method with other methods configured. Please change default "
                             "method before deletion.")
        del self.data["authenticationMethods"][method["id"]]
        self._audit("User deleted security info", self.find("users", user_key))

    def delete_grant(self, grant_id: str) -> None:
        grant = self.find("oauth2PermissionGrants", grant_id)
        del self.data["oauth2PermissionGrants"][grant["id"]]

    def restore_deleted(self, key: str) -> dict[str, Any]:
        """POST directory/deletedItems/{id}/restore: the object is back where it was, without deletedDateTime."""
        item = self.find("deletedItems", key)
        kind = str(item.get("@odata.type", "")).rpartition(".")[2]
        restored = {k: v for k, v in item.items() if k != "deletedDateTime"}
        target = "users" if kind == "user" else "groups"
        if str(item["id"]) in self.data[target]:
            raise ValueError(f"An object with id {item['id']} already exists.")
        del self.data["deletedItems"][item["id"]]
        self.data[target][str(item["id"])] = restored
        if target == "users":
            self._audit("Restore user", restored)
        return restored

    def comment_incident(self, key: str, text: str) -> list[dict[str, Any]]:
        incident = self.find("incidents", key)
        comment = {"comment": text, "createdByDisplayName": self.scenario.operator,
                   "createdDateTime": self.now_iso()}
        incident.setdefault("comments", []).append(comment)
        incident["lastUpdateDateTime"] = self.now_iso()
        return list(incident["comments"])


def _describe(event: Event, index: int) -> str:
    what = event.note or ""
    if event.action == "generate":
        step = "starts" if index == 0 else "done"
        return f"generate {event.count} {event.collection} ({step}){': ' + what if what else ''}"
    target = f" {event.id}" if event.id else ""
    return f"{event.action} {event.collection}{target}{': ' + what if what else ''}"


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value)


__all__ = ["NotFound", "TenantState", "user_guid"]
