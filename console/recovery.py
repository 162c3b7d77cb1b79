"""The recovery workbench: each affected service's recovery options from the playbooks, which of them can be offered
now, and the live checks Graph can answer for them.

An option whose playbook entry `needs` a service that is down is not offered, and says why (no Outlook on the web
while Entra sign-ins fail): what is down comes from service health as last read, or, with none read, from the
services an outage names. Live checks read the tenant through the gateway (never cached state): the workload's
service health, the deleted users and groups and the objects themselves, the sign-in log since the restoration.
A responder verifying an option by hand, and a live check run, are both `recovery` entries; a verified one does
the option's task.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from .graph.errors import GraphNotFound
from .graph.models import OPERATIONAL_STATES
from .incidents import Incident, RecoveryState, Task
from .journal import Entry, kinds
from .lifecycle import issue_restored
from .playbooks import PlaybookLibrary, RecoveryOption
from .timefmt import from_iso, in_range, parse_when, shift, to_iso

# Categories whose affected services are down by definition until health says otherwise.
OUTAGE_CATEGORIES = ("service-outage", "business-continuity")
CHECK_NAMES = {"service_restored": "service health", "deleted_restored": "deleted users and groups",
               "sign_ins_succeeding": "sign-ins"}
SIGN_INS_READ = 200         # the newest sign-ins a check reads
SIGN_INS_JUDGED = 20        # of which the newest this many decide
DELETED_READ = 500
CASE_SEVERITIES = ("A", "B", "C")


class Reader(Protocol):
    """What a live check needs from the gateway (console/graph/gateway.GraphGateway)."""

    async def get_all(self, path: str, params: dict[str, str] | None = None, *, limit: int = 1000) -> Any: ...

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any: ...


class Offer(NamedTuple):
    """One recovery option for one service, as the checklist shows it."""

    service: str
    playbook: str
    option: RecoveryOption
    task: Task | None           # the task the declaration made of it, if any
    blocked: str                # "" when offered; otherwise why it is not
    state: RecoveryState | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.service, self.option.id)

    @property
    def verified(self) -> bool:
        return bool(self.state and self.state.verified) or bool(self.task and self.task.done)


class CheckResult(NamedTuple):
    state: str                  # met | not met | unknown
    detail: str
    since: datetime | None = None
    objects: tuple[dict[str, str], ...] = ()    # deleted objects seen (so a later check knows what to look for)


# -- which services, which options -----------------------------------------------------------------------


def services(incident: Incident, library: PlaybookLibrary) -> list[str]:
    """The incident's affected services that have recovery options for its category, each once (an alias such as
    OneDrive counts as its playbook's service), in the order the incident names them."""
    found: list[str] = []
    for name in incident.services:
        playbook = library.for_service(str(name))
        if playbook and playbook.service not in found and any(o.applies_to(incident.category)
                                                              for o in playbook.recovery):
            found.append(playbook.service)
    return found


def _names(library: PlaybookLibrary, service: str) -> set[str]:
    playbook = library.for_service(service)
    return playbook.names() if playbook else {service.casefold()}


def down(incident: Incident, live: Any, library: PlaybookLibrary) -> dict[str, str]:
    """Services that are down now, casefolded name -> what they are ("serviceDegradation, MO1201566").

    Service health as last read decides; a service health does not list counts as down only when the incident is an
    outage that names it."""
    health = list((getattr(live, "health", None) or {}).values())
    out: dict[str, str] = {}
    listed: set[str] = set()
    for item in health:
        name = str(getattr(item, "service", ""))
        listed |= _names(library, name)
        if not getattr(item, "operational", True):
            issues = ", ".join(getattr(item, "issue_ids", ()) or ())
            what = f"{getattr(item, 'status', '')}" + (f", {issues}" if issues else "")
            for alias in _names(library, name):
                out.setdefault(alias, what)
    if incident.category in OUTAGE_CATEGORIES:
        for name in incident.services:
            names = _names(library, str(name))
            if not names & listed:
                for alias in names:
                    out.setdefault(alias, "affected by this incident (no service health read)")
    return out


def blocked_by(option: RecoveryOption, down_now: dict[str, str], library: PlaybookLibrary) -> str:
    """Why an option cannot be offered now ("needs Microsoft Entra, which is down: serviceDegradation"), or ""."""
    for need in option.needs:
        for name in _names(library, need):
            if name in down_now:
                return f"needs {need}, which is down ({down_now[name]})"
    return ""


def offers(incident: Incident, library: PlaybookLibrary, service: str, live: Any) -> list[Offer]:
    """The service's recovery options for the incident's category, offered ones first, each with its task."""
    playbook = library.for_service(service)
    if playbook is None:
        return []
    down_now = down(incident, live, library)
    tasks = {task.step: task for task in incident.tasks.values() if task.playbook == playbook.id and task.step}
    found = [Offer(playbook.service, playbook.id, option, tasks.get(f"recovery:{option.id}"),
                   blocked_by(option, down_now, library), incident.recovery.get((playbook.service, option.id)))
             for option in playbook.recovery if option.applies_to(incident.category)]
    return sorted(found, key=lambda offer: bool(offer.blocked))


def health_line(service: str, live: Any, library: PlaybookLibrary) -> str:
    """The workload's health as last read: "Exchange Online: serviceDegradation (EX1201571)"."""
    names = _names(library, service)
    for item in (getattr(live, "health", None) or {}).values():
        if str(getattr(item, "service", "")).casefold() in names:
            issues = ", ".join(getattr(item, "issue_ids", ()) or ())
            return f"{service}: {getattr(item, 'status', '')}" + (f" ({issues})" if issues else "")
    return f"{service}: no service health read"


# -- live checks -------------------------------------------------------------------------------------------


def restoration(incident: Incident, service: str, live: Any, library: PlaybookLibrary) -> tuple[datetime, str]:
    """Since when sign-ins must succeed: Microsoft marking a linked issue restored, else this service verified
    restored on the Recovery screen, else the declaration (said so)."""
    names = _names(library, service)
    for issue_id, seen in incident.microsoft.items():
        if seen.get("restored") and isinstance(seen.get("at"), datetime):
            return seen["at"], f"Microsoft marked {issue_id} restored"
    for link in incident.links:
        if link.get("type") != "service_issue":
            continue
        issue = live.issue(str(link.get("id"))) if live is not None and hasattr(live, "issue") else None
        if issue is not None and issue_restored(issue):
            moment = getattr(issue, "ended", None) or getattr(issue, "last_modified", None)
            if isinstance(moment, datetime):
                return moment, f"Microsoft marked {issue.id} restored"
    for (name, _), state in incident.recovery.items():
        record = state.verified
        if name.casefold() in names and record and (record.check or {}).get("type") == "service_restored":
            return record.at, f"{name} verified restored"
    return incident.declared_at, "the declaration; no restoration recorded yet"


def known_objects(entries: Iterable[Entry]) -> list[dict[str, str]]:
    """Deleted users and groups the incident knows of: restored through warroom, or seen deleted by a check."""
    found: dict[str, dict[str, str]] = {}
    for entry in entries:
        body = entry.body
        if entry.kind == kinds.ACTION and body.get("action") == "restore_deleted" and body.get("result") == "ok":
            url = str((body.get("request") or {}).get("url", ""))
            match = re.search(r"deletedItems/([^/?]+)/restore", url)
            if match:
                before = given if isinstance(given := body.get("before"), dict) else {}
                typed = str(before.get("@odata.type", "")).lower()
                kind = "group" if "group" in typed else "user" if "user" in typed or "@" in str(
                    body.get("target", "")) else "group"
                found.setdefault(match[1], {"id": match[1], "kind": kind, "name": str(body.get("target", ""))})
        elif entry.kind == kinds.RECOVERY:
            for item in ((body.get("check") or {}).get("objects") or []):
                if isinstance(item, dict) and item.get("id"):
                    found.setdefault(str(item["id"]), {k: str(item.get(k, "")) for k in ("id", "kind", "name")})
    return list(found.values())


def _deleted(item: dict[str, Any], kind: str) -> dict[str, str]:
    name = item.get("userPrincipalName") or item.get("displayName") or item.get("id") or ""
    return {"id": str(item.get("id", "")), "kind": kind, "name": str(name),
            "deleted": str(item.get("deletedDateTime") or "")}


async def check_service(reader: Reader, service: str, library: PlaybookLibrary) -> CheckResult:
    """GET admin/serviceAnnouncement/healthOverviews: the workload's status now."""
    names = _names(library, service)
    items = await reader.get_all("admin/serviceAnnouncement/healthOverviews", limit=500)
    found = [i for i in items if isinstance(i, dict) and str(i.get("service", "")).casefold() in names]
    if not found:
        return CheckResult("unknown", f"service health lists no {service}")
    bad = [i for i in found if i.get("status") not in OPERATIONAL_STATES]
    said = "; ".join(f"{i.get('service')}: {i.get('status')}" for i in (bad or found))
    return CheckResult("not met" if bad else "met", said)


async def check_deleted(reader: Reader, incident: Incident, known: Sequence[dict[str, str]], now: datetime,
                        *, hours: int = 24) -> CheckResult:
    """Deleted users and groups: none deleted since the incident began (less `hours`) is still in deleted items,
    and every one the incident knows of (restored through warroom, or seen deleted before) is back."""
    since = shift(min(incident.declared_at, now), -timedelta(hours=max(0, min(hours, 24 * 30))))
    still: list[dict[str, str]] = []
    for kind in ("user", "group"):
        items = await reader.get_all(f"directory/deletedItems/microsoft.graph.{kind}", limit=DELETED_READ)
        for item in items:
            if not isinstance(item, dict):
                continue
            try:
                when = from_iso(str(item.get("deletedDateTime")))
            except (ValueError, TypeError):
                when = now          # no deletion time: count it, it is there
            if when >= since or str(item.get("id")) in {k["id"] for k in known}:
                still.append(_deleted(item, kind))
    still_ids = {item["id"] for item in still}
    back, missing = [], []
    for item in known:
        if item["id"] in still_ids:
            continue
        try:
            await reader.get_json(f"{item['kind']}s/{item['id']}", {"$select": "id,displayName"})
        except GraphNotFound:
            missing.append(item)
            continue
        back.append(item)
    seen = tuple({"id": i["id"], "kind": i["kind"], "name": i["name"]} for i in [*still, *back, *missing])
    if still or missing:
        listed = ", ".join(f"{i['name']} ({i['kind']})" for i in [*still, *missing][:5])
        more = f" and {len(still) + len(missing) - 5} more" if len(still) + len(missing) > 5 else ""
        return CheckResult("not met", f"{len(still) + len(missing)} not back: {listed}{more}", since, seen)
    if back:
        listed = ", ".join(f"{i['name']} ({i['kind']})" for i in back[:5])
        return CheckResult("met", f"back: {listed}" + (f" and {len(back) - 5} more" if len(back) > 5 else ""),
                           since, seen)
    return CheckResult("unknown", f"nothing deleted since {since:%Y-%m-%d %H:%M} UTC and nothing restored: "
                                  "nothing to verify", since)


async def check_sign_ins(reader: Reader, since: datetime, why: str, *, app: str = "") -> CheckResult:
    """GET auditLogs/signIns since the restoration: the newest decide (more succeeded, status errorCode 0, than
    failed)."""
    where = f"createdDateTime ge {to_iso(since)}"
    if app:
        where += " and appDisplayName eq '" + app.replace("'", "''") + "'"
    items = [i for i in await reader.get_all("auditLogs/signIns", {"$filter": where}, limit=SIGN_INS_READ)
             if isinstance(i, dict)]
    what = f"{app} sign-ins" if app else "sign-ins"
    stamp = f"{since:%H:%M} UTC ({why})"
    if not items:
        return CheckResult("unknown", f"no {what} yet since {stamp}", since)
    items.sort(key=lambda i: str(i.get("createdDateTime", "")), reverse=True)
    newest = items[:SIGN_INS_JUDGED]
    codes = [((i.get("status") or {}).get("errorCode") if isinstance(i.get("status"), dict) else None)
             for i in newest]
    good = sum(1 for code in codes if code == 0)
    failed = Counter(code for code in codes if code != 0)
    line = f"{good} of the newest {len(newest)} {what} since {stamp} succeeded"
    if failed:
        code, count = failed.most_common(1)[0]
        line += f"; failing: error {code} ({count})"
    return CheckResult("met" if good > len(newest) - good else "not met", line, since)


async def run_check(reader: Reader, offer: Offer, incident: Incident, *, library: PlaybookLibrary, live: Any,
                    entries: Sequence[Entry], now: datetime) -> CheckResult:
    """The option's live check against the tenant now; Graph errors are raised for the screen to explain."""
    check = offer.option.check or {}
    kind = check.get("type")
    if kind == "service_restored":
        return await check_service(reader, offer.service, library)
    if kind == "deleted_restored":
        return await check_deleted(reader, incident, known_objects(entries), now, hours=int(check.get("hours", 24)))
    if kind == "sign_ins_succeeding":
        since, why = restoration(incident, offer.service, live, library)
        return await check_sign_ins(reader, since, why, app=str(check.get("app", "")))
    return CheckResult("unknown", "this option has no live check")


# -- what gets journaled -----------------------------------------------------------------------------------


def verified_body(offer: Offer, text: str) -> dict[str, Any]:
    """A responder verified an option by hand: their words say what they saw."""
    text = text.strip()
    if not text:
        raise ValueError(f"say what you saw first: {offer.option.verify}")
    if offer.blocked:
        raise ValueError(f"not offered now: {offer.blocked}")
    return _body(offer, "verified", text, "hand")


def check_body(offer: Offer, result: CheckResult, text: str = "") -> dict[str, Any]:
    """A live check run: met verifies the option (and does its task); the detail is what Graph said."""
    said = f"{CHECK_NAMES.get(str((offer.option.check or {}).get('type')), 'live check')}: {result.detail}"
    if text.strip():
        said += f" — {text.strip()}"
    check: dict[str, Any] = {"type": (offer.option.check or {}).get("type"), "state": result.state,
                             "detail": result.detail}
    if result.since is not None:
        check["since"] = to_iso(result.since)
    if result.objects:
        check["objects"] = [dict(item) for item in result.objects]
    body = _body(offer, "verified" if result.state == "met" else result.state, said, "check")
    body["check"] = check
    return body


def _body(offer: Offer, result: str, text: str, by: str) -> dict[str, Any]:
    body: dict[str, Any] = {"service": offer.service, "option": offer.option.id, "text": text, "result": result,
                            "by": by}
    if offer.task is not None and result == "verified":
        body["task_id"] = offer.task.id
    return body


# -- the Microsoft support case ------------------------------------------------------------------------------


def support_case_body(number: str, *, severity: str = "", opened: str = "", contact: str = "",
                      now: datetime) -> dict[str, Any]:
    """The incident.linked body recording a support case (each value given; the newest stands)."""
    number = number.strip()
    if not number:
        raise ValueError("give the case number")
    body: dict[str, Any] = {"type": "support_case", "id": number, "title": "Microsoft support case"}
    severity = severity.strip().upper()
    if severity:
        if severity not in CASE_SEVERITIES:
            raise ValueError(f"case severity is {', '.join(CASE_SEVERITIES)}, not {severity!r}")
        body["severity"] = severity
    if opened.strip():
        body["opened"] = to_iso(parse_when(opened, now=now))
    if contact.strip():
        body["last_contact"] = {"at": to_iso(in_range(now)), "text": contact.strip()}
    return body


def _when(value: object) -> str:
    """A recorded time as a person reads it (2026-11-24 14:12 UTC); what is not a time, as it was written."""
    try:
        return f"{from_iso(str(value)):%Y-%m-%d %H:%M} UTC"
    except (ValueError, TypeError, OverflowError):
        return str(value)


def case_line(case: dict[str, Any] | None) -> str:
    """One line for the hand-off page and the Recovery screen."""
    if not case:
        return "No Microsoft support case recorded"
    line = f"Support case {case.get('id')}"
    line += f", severity {case['severity']}" if case.get("severity") else ""
    line += f", opened {_when(case['opened'])}" if case.get("opened") else ""
    contact = case.get("last_contact")
    if isinstance(contact, dict):
        line += f"; last contact {_when(contact.get('at', ''))}: {contact.get('text', '')}"
    return line
