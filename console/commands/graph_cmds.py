"""`warroom login|logout|whoami|preflight|status`: Graph from a plain shell, without the console.

msgraph loads inside the handlers only. Text from Graph goes through `literal()`: every control and
escape character is printed as a visible escape, so a hostile alert title cannot drive the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..cli import CliError, Context, run_async
from ..clouds import CLOUDS
from ..text import literal

if TYPE_CHECKING:
    from ..graph.gateway import GraphGateway
    from ..graph.live import LiveState
    from ..graph.sources import Source
    from ..graph.waiting import WaitBudget

EXIT_OK, EXIT_PROBLEMS = 0, 1


def _with_cloud(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cloud", choices=list(CLOUDS), help="Microsoft cloud (default: graph.cloud)")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    login = subparsers.add_parser("login", parents=[common], help="sign in with a device code (jump-host friendly)",
                                  description="Prints a code and a URL; sign in on any device. The session is "
                                              "cached so the console and later commands start silently.")
    _with_cloud(login)
    login.set_defaults(handler=run_login)

    logout = subparsers.add_parser("logout", parents=[common], help="forget the saved sign-in and token cache")
    logout.set_defaults(handler=run_logout)

    whoami = subparsers.add_parser("whoami", parents=[common], help="who Graph thinks you are, and with what rights")
    _with_cloud(whoami)
    whoami.add_argument("--json", action="store_true", help="machine-readable output")
    whoami.set_defaults(handler=run_whoami)

    preflight = subparsers.add_parser(
        "preflight", parents=[common], help="call each Graph source once: works, or which permission is missing",
        description="Exit 0 when every source works; 1 otherwise, with the missing permission, licence or role.")
    _with_cloud(preflight)
    _with_wait(preflight)
    preflight.add_argument("--json", action="store_true", help="machine-readable output")
    preflight.set_defaults(handler=run_preflight)

    status = subparsers.add_parser(
        "status", parents=[common], help="services, alerts, incidents and risky users right now",
        description="One poll of every source; a source Graph cannot serve shows its last known state "
                    "from the journal and its age, or 'unknown' with the reason when there is none. "
                    "Exit 0 when every source was read now, 3 when any was not.")
    _with_cloud(status)
    _with_wait(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=run_status)


def _with_wait(parser: argparse.ArgumentParser) -> None:
    from ..graph.waiting import DEFAULT_WAIT_S

    def seconds(text: str) -> float:
        value = float(text)
        if not 0 <= value <= 3600:
            raise argparse.ArgumentTypeError("give 0 to 3600 seconds")
        return value

    parser.add_argument("--wait", type=seconds, default=DEFAULT_WAIT_S, metavar="SECONDS",
                        help="wait in total up to this long for Graph's Retry-After, 429 and 5xx answers, "
                             f"retrying (default: {DEFAULT_WAIT_S:g})")
    parser.add_argument("--no-wait", dest="wait", action="store_const", const=0.0,
                        help="report a throttled or unavailable source at once")


# -- login / logout ------------------------------------------------------------------------------

def _print_device_code(verification_uri: str, user_code: str, expires_on: datetime) -> None:
    """The device-code prompt on a plain terminal (the console shows the same in a dialog)."""
    print(f"To sign in, open {literal(verification_uri)} on any device and enter the code {literal(user_code)}",
          flush=True)
    print(f"(the code expires at {expires_on.strftime('%H:%M:%S UTC')})", flush=True)


def run_login(ctx: Context) -> int:
    from ..graph.auth import SignInRequired, record_path, sign_in
    from ..graph.connect import endpoint_for

    endpoint = endpoint_for(ctx.config, ctx.args.cloud)
    if endpoint.is_local:
        print(f"{endpoint.base_url} is a local Graph (the simulated tenant): it accepts any token, "
              "no sign-in needed.")
        return EXIT_OK
    try:
        user = run_async(sign_in(ctx.config, endpoint, _print_device_code))
    except SignInRequired as error:
        raise CliError(str(error)) from None
    except Exception as error:  # azure-identity raises ClientAuthenticationError and friends
        raise CliError(f"sign-in failed: {literal(getattr(error, 'message', None) or error, 300)}") from None
    print(f"signed in as {literal(user)} ({endpoint.cloud.name} cloud); session saved in {record_path()}")
    if not ctx.config.get("graph.allow_unencrypted_token_cache"):
        print("note: without a keyring (SSH sessions) the token cache needs "
              "graph.allow_unencrypted_token_cache = true, else the next start asks again.")
    return EXIT_OK


def run_logout(ctx: Context) -> int:
    from ..graph.auth import CACHE_NAME, forget_record

    removed = ["saved sign-in"] if forget_record() else []
    cache_dir = Path.home() / ".IdentityService"
    for suffix in ("", ".cae", ".nocae"):
        cache = cache_dir / f"{CACHE_NAME}{suffix}"
        if cache.exists():
            cache.unlink()
            removed.append(str(cache))
    print("removed: " + ", ".join(removed) if removed else "nothing to forget: not signed in")
    return EXIT_OK


# -- whoami --------------------------------------------------------------------------------------

def run_whoami(ctx: Context) -> int:
    from ..graph.auth import SignInRequired
    from ..graph.connect import connect, token_claims
    from ..graph.errors import GraphError

    async def ask() -> dict[str, Any]:
        gateway = await connect(ctx.config, cloud=ctx.args.cloud)
        async with gateway:
            info: dict[str, Any] = {"cloud": gateway.endpoint.cloud.name, "graph": gateway.base_url,
                                    "credential": gateway.session.who}
            token = await gateway.session.get_token(*gateway.endpoint.scopes)
            claims = token_claims(token.token)
            info["credential"] = gateway.session.who
            for claim in ("upn", "unique_name", "app_displayname", "appid", "tid"):
                if claims.get(claim):
                    info[claim] = claims[claim]
            info["scopes"] = sorted(str(claims.get("scp", "")).split()) if claims.get("scp") else []
            info["roles"] = sorted(map(str, claims.get("roles") or []))
            try:
                me = await gateway.get_json("/me", {"$select": "displayName,userPrincipalName,id"})
                info["user"] = (me or {}).get("userPrincipalName")
                info["display_name"] = (me or {}).get("displayName")
            except GraphError as error:
                info["user_error"] = error.reason       # app-only tokens have no /me
            try:
                org = await gateway.get_json("/organization", {"$select": "displayName,id"})
                first = ((org or {}).get("value") or [{}])[0]
                info["tenant"] = first.get("displayName")
                info["tenant_id"] = first.get("id")
            except GraphError as error:
                info["tenant_error"] = error.reason
            return info

    try:
        info = run_async(ask())
    except SignInRequired as error:
        raise CliError(f"not signed in: {error}") from None
    if ctx.args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    for key, value in info.items():
        if isinstance(value, list):
            value = " ".join(value) or "-"
        print(f"{key:<14} {literal(value)}")
    return EXIT_OK


# -- preflight -----------------------------------------------------------------------------------

async def preflight_checks(gateway: GraphGateway, budget: WaitBudget | None = None) -> list[dict[str, str]]:
    """Each source asked once ($top=1): verdict works / missing permission / licence or role / unreachable.

    A 429 or 5xx is asked again after Graph's Retry-After while `budget` (a WaitBudget) allows; the row says so.
    """
    from ..graph.auth import SignInRequired
    from ..graph.errors import GraphDenied, GraphError, GraphThrottled
    from ..graph.sources import DIRECTORY_AUDITS, SIGN_INS, SOURCES
    from ..graph.waiting import says_later, why_later

    async def ask(name: str, target: str | Source) -> list[str]:
        """One request for the source; retried while Graph says "later" and the budget allows. Returns the waits."""
        waits: list[str] = []
        for attempt in range(1, 100):
            try:
                if isinstance(target, str):
                    await gateway.get_json(target, {"$top": "1"})
                else:
                    async for _ in gateway.pages(target, {"$top": "1"}):
                        break
                return waits
            except GraphError as error:
                if budget is None or not says_later(error):
                    raise
                delay = error.retry_after
                if delay is None:
                    minimum = (0.0 if isinstance(target, str) else target.min_interval) or 1.0
                    delay = budget.fallback(attempt, minimum)
                reason = why_later(error)
                if not budget.take(name, delay, reason):
                    raise
                waits.append(f"{delay:g} s ({reason})")
                await asyncio.sleep(delay)
        return waits

    checks: list[tuple[str, str, str | Source]] = [(name, s.permission, s) for name, s in SOURCES.items()]
    checks += [("sign_ins", "AuditLog.Read.All", SIGN_INS), ("directory_audits", "AuditLog.Read.All",
                                                                 DIRECTORY_AUDITS)]
    rows = []
    for name, permission, target in checks:
        row = {"source": name, "permission": permission, "verdict": "works", "detail": ""}
        if not isinstance(target, str) and target.security and not gateway.endpoint.cloud.has_security:
            row.update(verdict="not in this cloud", detail=f"{gateway.endpoint.cloud.name} has no {name} API")
            rows.append(row)
            continue
        try:
            waits = await ask(name, target)
            if waits:
                row["detail"] = "after waiting " + ", ".join(waits)
        except SignInRequired as error:
            row.update(verdict="sign-in required", detail=str(error))
        except GraphDenied as error:
            if error.licence:
                verdict = "missing licence"
            elif error.role:
                verdict = "missing role"
            elif error.status == 401:
                verdict = "sign-in rejected"
            else:
                verdict = "missing permission"
            row.update(verdict=verdict, detail=f"{error.permission or permission}"
                       + (f" ({error.code})" if error.code else ""))
        except GraphThrottled as error:
            row.update(verdict="throttled", detail=f"Retry-After {error.retry_after}")
        except GraphError as error:
            row.update(verdict="unreachable", detail=error.reason)
        rows.append(row)
    return rows


def run_preflight(ctx: Context) -> int:
    from ..graph.auth import SignInRequired
    from ..graph.connect import connect

    async def check() -> tuple[str, list[dict[str, str]]]:
        gateway = await connect(ctx.config, cloud=ctx.args.cloud)
        async with gateway:
            return gateway.base_url, await preflight_checks(gateway, budget)

    from ..graph.waiting import WaitBudget

    budget = WaitBudget(ctx.args.wait)

    try:
        base_url, rows = run_async(check())
    except SignInRequired as error:
        raise CliError(f"not signed in: {error}") from None
    if ctx.args.json:
        print(json.dumps({"graph": base_url, "checks": rows, "waits": [w.as_dict() for w in budget.waits]},
                         indent=2))
    else:
        print(f"preflight against {literal(base_url)}")
        for row in rows:
            mark = "ok " if row["verdict"] == "works" else "!! "
            print(f"{mark}{row['source']:<17} {row['verdict']:<20} {literal(row['detail'], 120)}")
        for wait in budget.waits:
            if not wait.done:
                print(literal(wait.describe(), 200))
    bad = [r for r in rows if r["verdict"] not in ("works", "not in this cloud")]
    return EXIT_PROBLEMS if bad else EXIT_OK


# -- status --------------------------------------------------------------------------------------

EXIT_UNREAD = 3     # a source could not be read now: what `status` shows is unknown or only the last known state

# Which source each section of the report comes from.
SECTION_SOURCES = {"services": "health", "alerts": "alerts", "incidents": "incidents", "risky_users": "risky_users"}


async def gather_status(ctx: Context, budget: WaitBudget | None = None) -> tuple[LiveState, str, set[str]]:
    """One poll of every source; a source Graph asks to come back to (429, 5xx) is polled again after its
    Retry-After while `budget` (a WaitBudget) allows. A source not read now (or not at all) gets the journal's
    last known state, read only for such sources.

    Memory stays bounded by what is reported, not by the tenant (`status_sources`).
    Returns the state, where Graph is (or why it was not asked) and the sources this cloud has (polled or not).
    """
    from ..graph.auth import SignInRequired
    from ..graph.connect import connect
    from ..graph.freshness import SourceHealth
    from ..graph.live import LiveState, TenantWatcher
    from ..graph.sources import SOURCES
    from ..graph.waiting import says_later

    specs = status_sources()
    state = LiveState()
    try:
        gateway = await connect(ctx.config, cloud=ctx.args.cloud)
    except SignInRequired as error:
        await _last_known(ctx, state, specs)
        for name, fresh in state.freshness.items():
            state.freshness[name] = fresh.with_error(SourceHealth.DENIED, "sign-in required", _now(), None)
        return state, f"not signed in: {error}", set(SOURCES)
    async with gateway:
        watcher = TenantWatcher(gateway, None, state, specs=specs)
        for name in watcher.sources:
            while True:
                delay = await watcher.poll_once(name)
                failure = watcher.last_error.get(name)
                if budget is None or not says_later(failure):
                    break
                if not budget.take(name, delay, state.freshness[name].last_error or "no answer"):
                    break                   # poll_once waits out the delay itself before asking again
    unread = {name: specs[name] for name in watcher.sources if state.freshness[name].health is not SourceHealth.FRESH}
    if unread:
        await _last_known(ctx, state, unread)
    return state, gateway.base_url, set(watcher.sources)


class AlertCount(NamedTuple):
    """What `status` keeps of an alert: what it counts."""

    severity: str
    status: str
    incident_id: str


def _counted(data: dict[str, Any]) -> AlertCount:
    from ..graph.models import Alert

    alert = Alert.from_graph(data)
    return AlertCount(alert.severity, alert.status, alert.incident_id)


def _without_json(model: Any) -> Any:
    from ..graph.models import NO_DATA

    return lambda data: model(data)._replace(raw=NO_DATA)


def status_sources() -> dict[str, Any]:
    """The sources as `status` reads them: records without Graph's JSON, alerts as what is counted, incidents
    without their alerts (one incident expanded with 50,000 alerts is a 90 MB answer; its alerts are counted
    from the alerts source instead)."""
    from types import MappingProxyType

    from ..graph.sources import SOURCES

    specs = {name: spec._replace(model=_without_json(spec.model)) for name, spec in SOURCES.items()}
    specs["alerts"] = specs["alerts"]._replace(model=_counted)
    specs["incidents"] = specs["incidents"]._replace(params=MappingProxyType({}))
    return specs


async def _last_known(ctx: Context, state: Any, specs: dict[str, Any]) -> None:
    """The journal's last known state of these sources, under what was read now (a poll broken off midway)."""
    from ..graph.live import restore_last_known
    from ..journal import JournalError, open_journal

    if not ctx.config.journal_path.exists():
        return
    try:
        async with await open_journal(ctx.config.journal_path, readonly=True, create=False) as journal:
            restored = await restore_last_known(journal, specs=specs)
    except JournalError as error:
        print(f"warning: journal not read ({literal(error, 300)})", file=sys.stderr)
        return
    for name in specs:
        records = state.records(name)
        merged = {**restored.records(name), **records}
        records.clear()
        records.update(merged)
        last_success = restored.freshness[name].last_success
        if state.freshness[name].last_success is None and last_success is not None:
            state.freshness[name] = state.freshness[name]._replace(last_success=last_success)


def _now() -> datetime:
    from ..timefmt import utc_now

    return utc_now()


def source_states(state: LiveState, polled: set[str], now: datetime) -> dict[str, dict[str, Any]]:
    """Per source: `fresh` (read now), `partial` (read now, but Graph's paging broke off: only what it reached),
    `last_known` (not read now; the journal's state, with its age),
    `unknown` (never read: nothing to show) or `not_available` (this cloud has no such API)."""
    from ..graph.freshness import SourceHealth

    states: dict[str, dict[str, Any]] = {}
    for name, fresh in state.freshness.items():
        row: dict[str, Any] = {"health": fresh.health.value, "reason": fresh.last_error,
                               "permission": fresh.missing_permission, "as_of": None, "age_seconds": None}
        if name not in polled:
            row["state"] = "not_available"
        elif fresh.health is SourceHealth.FRESH and fresh.partial:
            row.update(state="partial", reason=fresh.partial)
        elif fresh.health is SourceHealth.FRESH:
            row.update(state="fresh", reason=None)
        elif fresh.last_success is not None:
            row.update(state="last_known", as_of=fresh.last_success.isoformat().replace("+00:00", "Z"),
                       age_seconds=max(0, int((now - fresh.last_success).total_seconds())))
        else:
            row["state"] = "unknown"
        if row["state"] != "fresh" and not row["reason"]:
            row["reason"] = "no answer"
        states[name] = row
    return states


def status_report(state: LiveState, polled: set[str] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What `status` prints, as data (also its --json). A section whose source was never read is null: unknown."""
    from ..graph.models import SEVERITY_ORDER
    from ..graph.sources import SOURCES

    sources = source_states(state, set(SOURCES) if polled is None else polled, now or _now())
    services = [
        {"service": h.service, "status": h.status, "issues": list(h.issue_ids)}
        for h in sorted(state.health.values(), key=lambda h: h.service) if not h.operational
    ]
    by_severity: dict[str, Counter[str]] = {}
    for alert in state.alerts.values():
        by_severity.setdefault(alert.severity, Counter())[alert.status] += 1
    alerts = {sev: dict(sorted(counts.items())) for sev, counts in
              sorted(by_severity.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0], 5), kv[0]))}
    # An incident's alerts: those read (or last known) that name it; unknown when the alerts are.
    unknown_alerts = sources.get("alerts", {}).get("state") in ("unknown", "not_available")
    per_incident = Counter(getattr(alert, "incident_id", "") for alert in state.alerts.values())
    incidents = [
        {"id": i.id, "severity": i.severity, "status": i.status, "name": i.display_name,
         "alerts": None if unknown_alerts else per_incident[i.id]}
        for i in sorted(state.incidents.values(), key=lambda i: (SEVERITY_ORDER.get(i.severity, 5), i.id))
        if i.status.lower() not in ("resolved", "redirected")
    ]
    risky = [
        {"upn": u.upn, "level": u.risk_level, "state": u.risk_state}
        for u in sorted(state.risky_users.values(), key=lambda u: u.upn)
        if u.risk_state not in ("remediated", "dismissed", "none")
    ]
    sections: dict[str, Any] = {"services": services, "alerts": alerts, "incidents": incidents, "risky_users": risky}
    for section, source in SECTION_SOURCES.items():
        if sources.get(source, {}).get("state") in ("unknown", "not_available"):
            sections[section] = None
    unread = sorted(name for name, row in sources.items() if row["state"] in ("unknown", "last_known", "partial"))
    return {"services_not_operational": sections["services"], "alerts": sections["alerts"],
            "active_incidents": sections["incidents"], "risky_users": sections["risky_users"],
            "sources": sources, "complete": not unread, "unread_sources": unread}


def _source_note(row: dict[str, Any]) -> str:
    """What to say after a section's heading when its source was not read now ("" when it was)."""
    from ..timefmt import ago

    reason = literal(row.get("reason"), 160)
    if row["state"] == "unknown":
        return f"unknown (not read: {reason})"
    if row["state"] == "not_available":
        return f"not available ({reason})"
    if row["state"] == "partial":
        return f"partial: {reason}"
    if row["state"] == "last_known":
        return (f"last known state from the journal, {ago(row['age_seconds'])} old "
                f"(as of {row['as_of']}; not read now: {reason})")
    return ""


def _heading(title: str, summary: str, row: dict[str, Any]) -> str | None:
    """`Alerts: 3`, `Alerts: 3 [last known …]`, or None when the section is unknown (the caller says so)."""
    note = _source_note(row)
    if row["state"] in ("unknown", "not_available"):
        print(f"{title}: {note}")
        return None
    return f"{title}: {summary}" + (f"  [{note}]" if note else "")


def run_status(ctx: Context) -> int:
    """Exit 0 only when every source was read now; 3 when any shows unknown or last known state."""
    from ..graph.waiting import WaitBudget

    budget = WaitBudget(ctx.args.wait)
    state, where, polled = run_async(gather_status(ctx, budget))
    now = _now()
    report = status_report(state, polled, now)
    code = EXIT_OK if report["complete"] else EXIT_UNREAD
    if ctx.args.json:
        report["graph"] = where
        report["waits"] = [wait.as_dict() for wait in budget.waits]
        print(json.dumps(report, indent=2, ensure_ascii=True))     # ASCII-only: escapes stay escapes
        return code
    sources = report["sources"]
    print(f"warroom status  {now.strftime('%Y-%m-%d %H:%M:%S')}Z  {literal(where)}")
    print("sources: " + "; ".join(literal(f.describe(now)) for f in state.freshness.values()))
    for wait in budget.waits:
        print(literal(wait.describe(), 200))
    if any(f.last_error == "sign-in required" for f in state.freshness.values()):
        print("not signed in: run `warroom login` (device code), `az login`, or set WARROOM_GRAPH_TOKEN")
    if report["unread_sources"]:
        print(f"warning: not read now (or only in part): {', '.join(report['unread_sources'])}; "
              "what follows for them is unknown or only the last known state")

    print()
    rows = report["services_not_operational"]
    if _heading_line("Services", f"{len(rows)} not operational" if rows else "all operational", sources["health"]):
        for row in rows or []:
            issues = ", ".join(literal(i, 40) for i in row["issues"]) or "-"
            print(f"  {literal(row['service'], 50):<32} {literal(row['status'], 40):<24} {issues}")

    print()
    alerts = report["alerts"]
    total = sum(sum(c.values()) for c in (alerts or {}).values())
    if _heading_line("Alerts", str(total), sources["alerts"]):
        for severity, counts in (alerts or {}).items():
            detail = ", ".join(f"{literal(status, 30)} {n}" for status, n in counts.items())
            print(f"  {literal(severity, 20):<14} {sum(counts.values()):>6}  ({detail})")

    print()
    incidents = report["active_incidents"]
    if _heading_line("Active incidents", str(len(incidents or [])), sources["incidents"]):
        for row in incidents or []:
            count = "?" if row["alerts"] is None else row["alerts"]
            print(f"  {literal(row['id'], 20):<10} {literal(row['severity'], 20):<14} "
                  f"{literal(row['status'], 20):<12} {literal(row['name'], 100)} ({count} alerts)")

    print()
    risky = report["risky_users"]
    if _heading_line("Risky users", str(len(risky or [])), sources["risky_users"]):
        for row in risky or []:
            print(f"  {literal(row['upn'], 80):<40} {literal(row['level'], 20):<8} {literal(row['state'], 30)}")
    return code


def _heading_line(title: str, summary: str, row: dict[str, Any]) -> bool:
    """Print a section's heading; False when its source is unknown (nothing to list under it)."""
    heading = _heading(title, summary, row)
    if heading:
        print(heading)
    return heading is not None
