"""Deterministic dashboards for Pilot and snapshot tests: fixed time, fixed tenant data, a real journal.

Nothing here fakes our own layers: the WarRoom, Journal and LiveState are the real ones; only the
data (what Graph would have said) and the clock are fixed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from textual import events
from warroom.console.config import load_config
from warroom.console.graph.freshness import Freshness, SourceHealth
from warroom.console.graph.live import LiveState
from warroom.console.graph.models import (
    Alert,
    RiskyUser,
    SecurityIncident,
    ServiceHealth,
    ServiceIssue,
    ServiceMessage,
)
from warroom.console.journal import Draft, kinds
from warroom.console.session import WarRoom
from warroom.console.timefmt import to_iso
from warroom.screens.app import WarroomApp
from warroom.widgets.alerts import AlertTable

from ..waiting import held_still, until

NOW = datetime(2026, 11, 24, 14, 30, 0, tzinfo=UTC)
SOURCES = ("health", "issues", "messages", "alerts", "incidents", "risky_users")
HOSTILE_TITLE = "[bold red]Injected[/] \x1b[31mred\x1b[0m \u202eevil.exe\u202c " + "A" * 10_000
OPENED: list[WarroomApp] = []     # apps whose journals the close_opened fixture closes (conftest.py)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def fixed_clock() -> datetime:
    return NOW


def _health(id_: str, service: str, status: str, issues: list[str] = ()) -> ServiceHealth:
    return ServiceHealth.from_graph({"id": id_, "service": service, "status": status,
                                     "issues": [{"id": i, "isResolved": False} for i in issues]})


def issue(id_: str = "EX226574", title: str = "Users can't send or receive email in Exchange Online",
          service: str = "Exchange Online", status: str = "serviceDegradation") -> ServiceIssue:
    return ServiceIssue.from_graph({
        "id": id_, "title": title, "service": service, "feature": "E-Mail and calendar access",
        "featureGroup": "E-Mail and calendar access", "classification": "incident", "status": status,
        "origin": "microsoft", "isResolved": False, "impactDescription": "Users may be unable to send mail.",
        "startDateTime": to_iso(ago(minutes=95)), "lastModifiedDateTime": to_iso(ago(minutes=7)),
        "posts": [
            {"createdDateTime": to_iso(ago(minutes=90)), "postType": "regular",
             "description": {"contentType": "html", "content": "<p>We're investigating reports.</p>"}},
            {"createdDateTime": to_iso(ago(minutes=7)), "postType": "regular",
             "description": {"contentType": "html", "content": "<p>We've identified a configuration change.</p>"}},
        ],
    })


def alert(n: int, severity: str, minutes: float, title: str | None = None, status: str = "new",
          upn: str = "adele.vance@contoso.com") -> Alert:
    return Alert.from_graph({
        "id": f"da{n:06d}", "title": title or f"Suspicious inbox forwarding rule {n}", "severity": severity,
        "status": status, "category": "Exfiltration", "serviceSource": "microsoftDefenderForOffice365",
        "detectionSource": "microsoftDefenderForOffice365", "incidentId": "1042",
        "createdDateTime": to_iso(ago(minutes=minutes)), "lastUpdateDateTime": to_iso(ago(minutes=minutes)),
        "alertWebUrl": f"https://security.microsoft.com/alerts/da{n:06d}",
        "mitreTechniques": ["T1114.003", "T1564.008"], "description": "A forwarding rule sends mail outside.",
        "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                      "userAccount": {"userPrincipalName": upn}, "verdict": "suspicious"},
                     {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "203.0.113.7"}],
    })


def defender_incident() -> SecurityIncident:
    return SecurityIncident.from_graph({
        "id": "1042", "displayName": "Business email compromise involving one user", "severity": "high",
        "status": "active", "createdDateTime": to_iso(ago(minutes=40)), "lastUpdateDateTime": to_iso(ago(minutes=3)),
        "incidentWebUrl": "https://security.microsoft.com/incidents/1042", "assignedTo": "soc@contoso.com",
        "alerts": [{"id": "da000001"}, {"id": "da000002"}],
    })


def risky_user(id_: str, upn: str, level: str) -> RiskyUser:
    return RiskyUser.from_graph({"id": id_, "userPrincipalName": upn, "userDisplayName": upn.split("@")[0],
                                 "riskLevel": level, "riskState": "atRisk" if level != "none" else "none",
                                 "riskDetail": "none", "riskLastUpdatedDateTime": to_iso(ago(minutes=12))})


def fresh(source: str, seconds: float = 12) -> Freshness:
    return Freshness(source).with_success(ago(seconds=seconds), NOW + timedelta(seconds=30))


def live_state(kind: str = "degraded") -> LiveState:
    """healthy | degraded | stale | throttled | hostile | empty."""
    state = LiveState()
    state.freshness.update({name: fresh(name, 12 + i * 7) for i, name in enumerate(SOURCES)})
    if kind == "empty":
        return state
    degraded = kind != "healthy"
    state.health = {h.id: h for h in [
        _health("Exchange", "Exchange Online", "serviceDegradation" if degraded else "serviceOperational",
                ["EX226574"] if degraded else []),
        _health("SharePoint", "SharePoint Online", "serviceOperational"),
        _health("microsoftteams", "Microsoft Teams", "serviceOperational"),
        _health("OrgLiveID", "Microsoft Entra", "investigating" if degraded else "serviceOperational",
                ["EN991122"] if degraded else []),
        _health("OneDriveForBusiness", "OneDrive for Business", "serviceOperational"),
    ]}
    if degraded:
        state.issues = {i.id: i for i in [issue(), issue("EN991122", "Some users see sign-in delays",
                                                         "Microsoft Entra", "investigating")]}
        # When each workload's status last changed (the Since column), as the journal would say.
        state.health_since = {"Exchange": ago(minutes=95), "OrgLiveID": ago(minutes=12),
                              "SharePoint": ago(hours=26)}
    alerts = [alert(1, "high", 3), alert(2, "high", 9, "Unusual sign-in from a new country"),
              alert(3, "medium", 14, "Mass download by a single user", status="inProgress"),
              alert(4, "low", 25, "Anonymous IP address sign-in"), alert(5, "informational", 50, "Email reported"),
              alert(6, "medium", 2, "Malware campaign detected after delivery")]
    if kind == "healthy":
        alerts = alerts[3:5]
    if kind == "hostile":
        alerts.append(alert(7, "high", 1, HOSTILE_TITLE, upn="\x1b]52;c;ZXZpbA==\x07[link=x]mallory@evil"))
        alerts.append(alert(8, "bogusSeverity\u202e", 4, "Title with\nnewline and\ttab", status="weird\x9bstatus"))
        state.health["Hostile"] = _health("Hostile", "[red]Evil[/red] \u202eService", "\x1b[2JbrandNewState")
    state.alerts = {a.id: a for a in alerts}
    if kind != "healthy":
        state.incidents = {"1042": defender_incident()}
        state.risky_users = {u.id: u for u in [risky_user("u-adele", "adele.vance@contoso.com", "high"),
                                               risky_user("u-quiet", "quiet@contoso.com", "none")]}
    if kind == "stale":
        for name in ("health", "issues"):
            state.freshness[name] = fresh(name, 400).with_error(
                SourceHealth.STALE, "HTTP 503", ago(seconds=30), NOW + timedelta(seconds=45))
    if kind == "throttled":
        for name in ("alerts", "incidents"):
            state.freshness[name] = fresh(name, 200).with_error(
                SourceHealth.THROTTLED, "429", ago(seconds=20), NOW + timedelta(seconds=100))
        state.freshness["risky_users"] = state.freshness["risky_users"]._replace(health=SourceHealth.DENIED,
                                                 last_error="403 IdentityRiskyUser.Read.All")
    return state


def incident_drafts(*, overdue: bool = True) -> list[Draft]:
    """An incident declared 83 minutes ago at SEV2 (hourly updates, none sent: overdue by 23 minutes)."""
    inc = "INC-20261124-01"
    declared = ago(minutes=83)
    drafts = [
        Draft(kinds.INCIDENT_DECLARED, {"title": "Exchange Online mail flow outage", "category": "service-outage",
                                        "services": ["Exchange Online"]}, inc, "alice", declared),
        Draft(kinds.INCIDENT_SEVERITY, {"severity": "SEV2", "reasoning": "many users, no workaround"}, inc, "alice",
              declared + timedelta(minutes=4)),
        Draft(kinds.INCIDENT_ROLE, {"role": "incident_commander", "person": "alice"}, inc, "alice",
              declared + timedelta(minutes=5)),
        Draft(kinds.INCIDENT_STATUS, {"status": "investigating"}, inc, "alice", declared + timedelta(minutes=6)),
        Draft(kinds.TASK_ADDED, {"task_id": "T1", "text": "Confirm scope with Microsoft (EX226574)"}, inc, "alice",
              declared + timedelta(minutes=7)),
        Draft(kinds.TASK_ADDED, {"task_id": "T2", "text": "Tell the service desk", "owner": "bob"}, inc, "alice",
              declared + timedelta(minutes=8)),
        Draft(kinds.TASK_ADDED, {"task_id": "T3", "text": "Check mail queues on hybrid servers"}, inc, "alice",
              declared + timedelta(minutes=9)),
        Draft(kinds.TASK_UPDATED, {"task_id": "T2", "status": "done"}, inc, "bob", declared + timedelta(minutes=20)),
        Draft(kinds.TASK_UPDATED, {"task_id": "T3", "status": "blocked", "blockers": "no VPN to DC2"}, inc, "carol",
              declared + timedelta(minutes=30)),
        Draft(kinds.NOTE, {"text": "Service desk reports 40 tickets about outbound mail"}, inc, "bob",
              declared + timedelta(minutes=31)),
        Draft(kinds.DECISION, {"text": "Do not fail over to the backup MX", "reason": "Microsoft side"}, inc,
              "alice", declared + timedelta(minutes=40)),
    ]
    if not overdue:
        drafts.append(Draft(kinds.COMMS_SENT, {"audience": "all", "update_kind": "progress", "text": "update"},
                            inc, "alice", ago(minutes=10)))
    return drafts


async def open_warroom(journal: Path, *, live: LiveState | None, incident: bool = False, mode: str = "LIVE",
                       theme: str = "dark", extra: dict[str, Any] | None = None) -> WarRoom:
    config = load_config(overrides={"journal": str(journal), "ui.theme": theme, **(extra or {})})
    warroom = await WarRoom.open(config, mode=mode)
    if incident:
        await warroom.record_many(incident_drafts())
    warroom.live = live
    warroom.tenant_label = "contoso.onmicrosoft.com (global)"
    return warroom


def build_app(journal: Path, *, kind: str | None = "degraded", incident: bool = False, mode: str = "LIVE",
              theme: str = "dark", follow: bool = False) -> WarroomApp:
    """A synchronous builder for snap_compare (the journal's thread works from any event loop)."""
    live = live_state(kind) if kind else None
    warroom = asyncio.run(open_warroom(journal, live=live, incident=incident, mode=mode, theme=theme))
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=follow)


async def build_app_async(journal: Path, *, kind: str | None = "degraded", incident: bool = False,
                          keys: dict[str, str] | None = None) -> WarroomApp:
    """For benchmarks and tests that already run in an event loop; `keys` as `[ui.keys]` would remap them."""
    warroom = await open_warroom(journal, live=live_state(kind) if kind else None, incident=incident,
                                 extra={"ui.keys": keys} if keys else None)
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False)


async def zebras_and_lions(app: WarroomApp, pilot: Any) -> AlertTable:
    """300 more alerts in the watcher's state, titled Zebra and Lion by turns, once the alerts pane holds them:
    the pane."""
    live = app.warroom.live
    for n in range(1000, 1300):
        live.alerts[f"da{n:06d}"] = alert(n, ("high", "medium", "low")[n % 3], n,
                                          f"{'Zebra' if n % 2 else 'Lion'} rule {n}")
    app.live_changed({"alerts"})
    table = app.screen.query_one(AlertTable)
    await until(pilot, lambda: len(table.all_rows) >= 300, "300 alerts in the pane")
    return table


@asynccontextmanager
async def on_screen(app: WarroomApp, size: tuple[int, int]) -> AsyncIterator[Any]:
    """The app running at `size`, its dashboard drawn: the Pilot. Its journal is closed afterwards, whatever the test
    did, in the test's own event loop (no thread is left resolving a future of a loop that is gone)."""
    try:
        async with app.run_test(size=size) as pilot:
            await drawn(pilot)
            yield pilot
    finally:
        await app.warroom.close()


async def settle(pilot: Any) -> None:
    """Let the workers a key started (journal writes, Graph reads) finish, and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def drawn(pilot: Any) -> None:
    """Wait until the whole dashboard is drawn: the secondary panes and the footer mount right after the first frame.

    Places and sizes (a scrollbar's thumb, the panes of a terminal too short for them) settle a refresh or two after
    the last pane mounts (under load, later): wait until every widget's place and size hold still.
    """
    await pilot.app.panes_drawn.wait()
    await pilot.wait_for_scheduled_animations()
    await held_still(pilot)
    # Scrollbars are repainted apart from their content: under load one could still show the thumb of an earlier
    # layout. One full repaint of the settled screen makes what the snapshot sees depend on the state alone.
    screen = pilot.app.screen
    screen.refresh(layout=True, repaint=True)
    for widget in (screen, *screen.walk_children()):
        if widget.show_vertical_scrollbar:
            widget.vertical_scrollbar.refresh()
    await pilot.pause()
    await pilot.pause()


KEY_NAMES = {"/": "slash", ":": "colon", "!": "exclamation_mark", " ": "space", "\r": "enter", "\t": "tab",
             "\x10": "ctrl+p", "\x7f": "backspace"}


def typed_together(app: Any, keys: str) -> None:
    """Keys as a terminal delivers them in one read (fast typing over SSH, a paste): all queued before the first is
    handled."""
    for char in keys:
        app.post_message(events.Key(KEY_NAMES.get(char, char), char))


def screen_lines(app: Any) -> list[str]:
    """The screen as a person reads it: what the compositor draws, scrollbars and all."""
    return ["".join(segment.text for segment in strip) for strip in app.screen._compositor.render_strips()]


def pane_lines(app: Any, pane: Any) -> list[str]:
    """The lines inside a pane's border, as drawn (its scrollbar included)."""
    region = pane.content_region
    return [line[region.x: region.right] for line in screen_lines(app)[region.y: region.bottom]]


def messages() -> dict[str, ServiceMessage]:
    """Three Message center posts: one about Exchange (the scene's incident), one with hostile text."""
    found = [ServiceMessage.from_graph(m) for m in (
        {"id": "MC900001", "title": "Exchange Online: retiring basic authentication for SMTP AUTH",
         "category": "planForChange", "severity": "high", "services": ["Exchange Online"], "isMajorChange": True,
         "startDateTime": to_iso(ago(days=3)), "lastModifiedDateTime": to_iso(ago(days=1)),
         "actionRequiredByDateTime": "2026-12-31T00:00:00Z", "tags": ["Admin impact", "Retirement"],
         "body": {"contentType": "html", "content": "<p>Move SMTP clients to OAuth before <b>31 December</b>.</p>"}},
        {"id": "MC900002", "title": "Teams: new meeting recap", "category": "stayInformed", "severity": "normal",
         "services": ["Microsoft Teams"], "startDateTime": to_iso(ago(days=5)),
         "lastModifiedDateTime": to_iso(ago(days=4)), "tags": ["User impact"],
         "body": {"contentType": "html", "content": "<p>Recaps arrive after meetings.</p>"}},
        {"id": "MC900003", "title": "[red]Spoof[/red]\x1b[2J \u202eevil", "category": "preventOrFixIssue",
         "severity": "normal", "services": ["SharePoint Online"], "startDateTime": to_iso(ago(days=9)),
         "lastModifiedDateTime": to_iso(ago(days=8)), "tags": [],
         "body": {"contentType": "html", "content": "<script>x</script><p>[bold]body[/bold]</p>"}},
    )]
    return {m.id: m for m in found}
