"""The lifecycle end to end in the whole console, for each kind of incident, against the simulated tenant over HTTP.

The real App, session, journal, gateway and watcher: the tenant moves on (Microsoft restores its issue, an alert
is resolved in Defender) and the console polls it as it would. Each flow goes declared → investigating →
contained or mitigated → monitoring → resolved → closed, and checks what the journal says about each step (who,
when, why), what the evidence proposed, which tasks what happened ticked (linked to the entry that did it), the
milestones in the banner and the report, the metrics and the entries they name, and closing with open tasks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Input, SelectionList
from warroom.console.graph.live import TenantWatcher
from warroom.console.journal import Entry, kinds
from warroom.console.metrics import response_metrics
from warroom.console.report import build, render_markdown
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.prompt import PromptScreen
from warroom.screens.status_proposal import StatusProposalScreen
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane

from .pilot_steps import choose, fill_placeholders, message, settle, type_into

pytestmark = pytest.mark.slow
RESPONDER = "test-responder"


class Flow:
    """One responder at the whole console: keys in, the journal and the tenant checked."""

    def __init__(self, tenant: Any, warroom: Any, app: WarroomApp, pilot: Any) -> None:
        self.tenant, self.warroom, self.app, self.pilot = tenant, warroom, app, pilot
        self.offered = ""           # what the status prompt offered last
        self.incident_id = ""
        self.watcher = TenantWatcher(warroom.gateway, warroom.journal, warroom.live, on_change=app.live_changed)

    @property
    def incident(self) -> Any:
        """The incident this flow declared (still there once closed)."""
        return self.warroom.book.incidents[self.incident_id]

    async def until(self, condition, what: str) -> None:
        for _ in range(300):            # bounded wait for workers and the journal, never a timing assertion
            if condition():
                return
            await self.pilot.pause(0.05)
        raise AssertionError(f"never happened: {what}; notifications: {self.notes()}")

    def notes(self) -> list[str]:
        return [str(n.message) for n in self.app._notifications]

    async def settled(self) -> None:
        await settle(self.pilot)
        await self.app.workers.wait_for_complete()
        await self.pilot.pause()

    async def poll(self) -> None:
        """The watcher's round over the sources the lifecycle follows; what changed reaches the App as it does
        between polls. (Risky users are left out: a tenant without the licence answers 403, and a denied source
        is asked again only minutes later.)"""
        for source in ("health", "issues", "alerts", "incidents"):
            await self.watcher.poll_once(source)
        await self.settled()

    async def on_dashboard(self) -> None:
        await self.until(lambda: isinstance(self.app.screen, DashboardScreen), "back on the dashboard")

    def banner(self) -> str:
        return str(self.app.dashboard.query_one(IncidentBanner).render())

    async def status(self, status: str, why: str) -> Entry:
        """u: the prompt offers the next status; the responder types over it and says why."""
        before = len(self.incident.history)
        await self.pilot.press("u")
        await self.until(lambda: isinstance(self.app.screen, PromptScreen), "the status prompt")
        offered = self.app.screen.query_one(Input).value
        self.app.screen.query_one(Input).value = ""
        await self.pilot.press(*("space" if c == " " else c for c in f"{status} {why}"))
        await self.pilot.press("enter")
        await self.until(lambda: len(self.incident.history) > before, f"the status {status}")
        await self.on_dashboard()
        entry = (await self.warroom.journal.entries(kinds=[kinds.INCIDENT_STATUS]))[-1]
        assert (entry.actor, entry.body["status"], entry.body.get("text")) == (RESPONDER, status, why)
        change = self.incident.history[-1]
        assert (change.status, change.actor, change.text, change.seq) == (status, RESPONDER, why, entry.seq)
        self.offered = offered
        return entry

    async def accept(self, status: str, why: str) -> Entry:
        """A: the proposal the banner shows becomes the status; the entry says what it rested on."""
        await self.until(lambda: f"A: {status}?" in self.banner(), f"the banner proposes {status}")
        assert why in self.banner()
        await self.pilot.press("A")
        await self.until(lambda: isinstance(self.app.screen, StatusProposalScreen), "A asks")
        assert f"{self.incident.status} → {status}" in str(self.app.screen.query_one("#status-proposal-body").render())
        await self.pilot.press("y")
        await self.until(lambda: self.incident.status == status, f"{status} accepted")
        entry = (await self.warroom.journal.entries(kinds=[kinds.INCIDENT_STATUS]))[-1]
        assert entry.actor == RESPONDER and entry.body["status"] == status
        assert entry.body["proposed"]["why"] == why and entry.body["proposed"]["evidence"]
        return entry

    async def declare(self, key_target: str, row_id: str, category: str, services: list[str] = ()) -> None:
        """d on the selected health row or alert: the Declare screen, the category, F2."""
        if key_target == "health":
            await self.pilot.press("1")
            health = self.app.dashboard.query_one(HealthPane)
            health.cursor = next(i for i, row in enumerate(health.rows) if row_id in row.issue_ids)
        else:
            await self.pilot.press("2")
            table = self.app.dashboard.query_one(AlertTable)
            table.action_jump([r.id for r in table.rows].index(row_id))
        await self.pilot.pause()
        await self.pilot.press("d")
        await self.settled()
        await choose(self.pilot, "#declare-category", category)
        listing = self.app.screen.query_one("#declare-services", SelectionList)
        for name in services:
            listing.select(name)
        await self.pilot.press("f2")
        await self.until(lambda: self.warroom.incident is not None, "the incident declared")
        self.incident_id = self.warroom.incident.id
        await self.on_dashboard()
        assert self.incident.status == "declared" and self.incident.declared_by == RESPONDER

    async def notify(self, audience: str) -> Entry:
        """n: the update from its template, placeholders filled, recorded as sent by hand (F8)."""
        await self.pilot.press("n")
        await self.settled()
        await choose(self.pilot, "#communicate-audience", audience)
        await self.settled()
        await fill_placeholders(self.pilot)
        await self.pilot.press("f8")
        await self.settled()
        await self.pilot.press("escape")
        await self.on_dashboard()
        return (await self.warroom.journal.entries(kinds=[kinds.COMMS_SENT]))[-1]

    async def ticked_by(self, step: str, cause: Entry | None = None, what: str = "") -> Any:
        """The step's task was done by what happened: a task.ticked entry naming the entry (or the live check)."""
        task = next(t for t in self.incident.tasks.values() if t.step == step)
        await self.until(lambda: task.done, f"{task.id} ({step}) ticked")
        [tick] = [e for e in await self.warroom.journal.entries(kinds=[kinds.TASK_TICKED])
                  if e.body["task_id"] == task.id]
        assert tick.incident == self.incident.id and task.ticked_by == tick.body["by"]
        if cause is not None:
            assert tick.body["by"]["entry"] == cause.seq and tick.body["by"]["kind"] == cause.kind
        if what:
            assert what in tick.body["by"]["what"], tick.body
        return task

    async def close(self, summary: str) -> list[str]:
        """X: the summary; F2 asks, listing the open tasks; F2 again closes. Returns the tasks listed."""
        still_open = [t.id for t in self.incident.tasks.values() if not t.done]
        assert still_open, "the flow closes with tasks open on purpose"
        await self.pilot.press("X")
        await self.settled()
        await type_into(self.pilot, "#close-summary", summary)
        await self.pilot.press("f2")
        await self.settled()
        asked = message(self.pilot)
        assert f"{len(still_open)} task(s) still open: " in asked and self.incident.is_open, asked
        for task_id in still_open[:3]:
            assert task_id in asked
        await self.pilot.press("f2")
        await self.settled()
        assert not self.incident.is_open, message(self.pilot)
        return still_open

    async def check_closed(self, still_open: list[str], resolved: Entry, holding: Entry) -> str:
        """Closed with the open tasks named; the metrics run to the resolved and holding statuses' entries; the
        report shows the milestones and the open tasks as open."""
        entries = await self.warroom.journal.entries(incident=self.incident.id)
        closed = entries[-1]
        assert closed.kind == kinds.INCIDENT_CLOSED and closed.body["open_tasks"] == still_open
        assert [e.body["status"] for e in entries if e.kind == kinds.INCIDENT_STATUS][-1] == "resolved"
        metrics = {m.key: m for m in response_metrics(self.incident, entries)}
        declared = entries[0]
        assert declared.kind == kinds.INCIDENT_DECLARED
        assert metrics["resolve"].end == resolved.occurred and metrics["resolve"].start == self.incident.declared_at
        assert metrics["resolve"].basis == (f"#{declared.seq} incident.declared → "
                                            f"#{resolved.seq} incident.status resolved")
        assert metrics["contain"].basis.startswith(f"#{declared.seq} incident.declared → #")
        assert metrics["contain"].end <= holding.occurred
        text = render_markdown(build(self.incident, entries))
        rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| T")}
        for task_id in still_open:
            assert rows[task_id].rstrip(" |").split(" | ")[4] in ("OPEN", "BLOCKED", "DOING"), rows[task_id]
        assert f"- **Open tasks at closing**: {', '.join(still_open)}" in text
        for name, done in self.incident.milestones():
            assert f"- **Milestone: {name}**: {'reached' if done else 'NOT reached'}" in text
        return text


@pytest.fixture
async def console(room):
    """`async with console(scenario) as flow`: the whole console on a simulated tenant, 120x40."""
    import contextlib

    @contextlib.asynccontextmanager
    async def run(scenario: str, size: tuple[int, int] = (120, 40), **options: Any):
        tenant, warroom = await room(scenario, tenant_options=options or None)
        app = WarroomApp(warroom, follow_journal=False)
        async with app.run_test(size=size) as pilot:
            await app.panes_drawn.wait()
            flow = Flow(tenant, warroom, app, pilot)
            await flow.poll()
            yield flow

    return run


async def test_an_outage_from_declared_to_closed_with_microsoft_restoring_midway(console):
    async with console("exchange-outage") as flow:
        await flow.declare("health", "EX1195342", "service-outage")
        await flow.poll()           # the watcher's next round: the linked issue's status on the timeline
        incident = flow.incident
        milestones = incident.milestones()
        assert [done for _, done in milestones] == [False] * len(milestones) and len(milestones) >= 2
        assert f"milestones 0/{len(milestones)}" in flow.banner()
        await flow.status("investigating", "queues growing on every connector")
        assert flow.offered == "investigating "        # the next status on the path, offered
        sent = await flow.notify("stakeholders")
        await flow.ticked_by("first-notification", sent, "initial sent to stakeholders")
        await flow.until(lambda: f"milestones 1/{len(milestones)}" in flow.banner(), "the milestone in the banner")
        assert ("Stakeholders informed", True) in incident.milestones()
        mitigated = await flow.status("mitigated", "OWA works for everyone")

        # Microsoft restores the service at T+5m: a notification, a timeline entry, the proposal in the banner.
        flow.tenant.advance(6 * 60)
        await flow.poll()
        await flow.until(lambda: any("Microsoft marked EX1195342 serviceRestored" in n for n in flow.notes()),
                         "the restoration announced")
        restored = (await flow.warroom.journal.entries(kinds=[kinds.MICROSOFT_ISSUE]))[-1]
        assert restored.body["restored"] is True and restored.incident == incident.id
        timeline = flow.app.dashboard.timeline
        assert any(e.seq == restored.seq for e in timeline.entries)
        await flow.ticked_by("verify-restored", what="live check met (service restored: Exchange Online)")
        monitoring = await flow.accept("monitoring", "Microsoft marked its issue restored")
        assert monitoring.body["previous"] == "mitigated"
        assert any("now send the resolution notice" in n for n in flow.notes())

        # Microsoft's post-incident review at T+10m: kept with its SHA-256.
        flow.tenant.advance(5 * 60)
        await flow.poll()
        await flow.until(lambda: "EX1195342" in incident.microsoft_reports, "the report kept")
        resolved = await flow.status("resolved", "queues drained, root cause known")
        still_open = await flow.close("Outbound routing change reverted by Microsoft")
        report = await flow.check_closed(still_open, resolved, mitigated)
        assert incident.microsoft_reports["EX1195342"]["sha256"] in report


async def test_a_restoration_the_console_first_sees_after_declaring_is_still_announced(console):
    """Microsoft restored its issue before the console's first poll after the declaration: still a notification."""
    async with console("exchange-outage") as flow:
        await flow.declare("health", "EX1195342", "service-outage")
        flow.tenant.advance(6 * 60)
        await flow.watcher.poll_once("issues")      # the first round after declaring reads the restored issue
        await flow.settled()
        [seen] = await flow.warroom.journal.entries(kinds=[kinds.MICROSOFT_ISSUE])
        assert seen.body["restored"] is True and "previous" not in seen.body
        await flow.until(lambda: any("Microsoft marked EX1195342 serviceRestored" in n for n in flow.notes()),
                         "the restoration announced")
        await flow.accept("monitoring", "Microsoft marked its issue restored")


async def test_polls_that_end_together_never_lose_the_restoration(console, monkeypatch):
    """Health and issues polled at the same moment: what the first poll journaled is still announced (the second
    poll's work waits for it, it does not cancel it halfway)."""
    async with console("exchange-outage") as flow:
        await flow.declare("health", "EX1195342", "service-outage")
        await flow.poll()
        follow = flow.warroom.follow_microsoft
        journaled = asyncio.Event()

        async def follow_then_linger():
            written = await follow()
            if written:
                journaled.set()
                await asyncio.sleep(0.3)        # widen the window between journaling and announcing
            return written

        monkeypatch.setattr(flow.warroom, "follow_microsoft", follow_then_linger)
        flow.tenant.advance(6 * 60)
        await flow.watcher.poll_once("issues")      # the first round's work: journals the restoration...
        await asyncio.wait_for(journaled.wait(), 10)
        flow.app.live_changed({"health"})           # ...while the next poll's news arrives
        await flow.settled()
        await flow.until(lambda: any("Microsoft marked EX1195342 serviceRestored" in n for n in flow.notes()),
                         "the restoration announced")


MEGAN = "megan.bowen@contoso.onmicrosoft.com"


async def contain(flow: Flow, key: str, action: str = "") -> Entry:
    """B, R or c on the selected alert: the account it names typed to confirm, F2; the outcome journaled."""
    await flow.pilot.press(key)
    await flow.settled()
    if action:
        await choose(flow.pilot, "#contain-action", action)
    await type_into(flow.pilot, "#contain-confirm", MEGAN, keys=True)
    await flow.pilot.press("f2")
    await flow.settled()
    assert "done" in message(flow.pilot), message(flow.pilot)
    await flow.pilot.press("escape")
    await flow.on_dashboard()
    done = (await flow.warroom.journal.entries(kinds=[kinds.ACTION]))[-1]
    assert done.body["result"] == "ok" and done.actor == RESPONDER
    return done


async def resolve_in_defender(flow: Flow, alert_id: str) -> None:
    """w on the selected alert: status resolved, the id typed, F2: one PATCH to Defender."""
    await flow.pilot.press("w")
    await flow.settled()
    await choose(flow.pilot, "#defender-status", "resolved")
    await type_into(flow.pilot, "#defender-confirm", alert_id)
    await flow.pilot.press("f2")
    await flow.settled()
    patches = [r for r in flow.tenant.requests if r.method == "PATCH" and alert_id in r.path]
    assert [r.body.get("status") for r in patches] == ["resolved"], message(flow.pilot)
    await flow.pilot.press("escape")
    await flow.on_dashboard()


async def test_a_security_incident_contained_by_its_actions_and_resolved_in_defender(console):
    async with console("compromised-account") as flow:
        alert = next(a for a in flow.warroom.live.alerts.values() if MEGAN in a.users and a.status != "resolved")
        await flow.declare("alerts", alert.id, "security-incident")
        await flow.poll()               # the linked alert is seen unresolved: its live check can tick later
        incident = flow.incident
        await flow.status("investigating", "sign-in from an anonymous IP")
        assert "A: " not in flow.banner()

        # Each containment action ticks the task it serves, linked to its entry; the milestone follows.
        block = await contain(flow, "B")
        await flow.ticked_by("block-sign-in", block, f"block_sign_in {MEGAN} succeeded")
        revoke = await contain(flow, "R")
        await flow.ticked_by("revoke-sessions", revoke, f"revoke_sessions {MEGAN} succeeded")
        assert ("Threat contained", True) in incident.milestones()
        assert "A: contained?" not in flow.banner()         # confirming the compromise is containment too
        confirm = await contain(flow, "c", "confirm_compromised")
        await flow.ticked_by("confirm-compromised", confirm)

        # Containment done: proposed, then confirmed by a key.
        contained = await flow.accept("contained", "every containment task is done")
        assert contained.body["previous"] == "investigating"
        assert {f"{t.id} {t.action} done" for t in incident.tasks.values() if t.action in (
            "block_sign_in", "revoke_sessions", "confirm_compromised")} == set(contained.body["proposed"]["evidence"])

        # The linked alert resolved in Defender: monitoring proposed, the alerts-resolved check met.
        await flow.pilot.press("2")
        await resolve_in_defender(flow, alert.id)
        await flow.poll()
        await flow.ticked_by("alerts-resolved", what="live check met (alerts resolved)")
        monitoring = await flow.accept("monitoring", "every linked alert is resolved")
        assert monitoring.body["proposed"]["evidence"] == [f"alert {alert.id} resolved"]
        resolved = await flow.status("resolved", "no attacker activity for a day")
        still_open = await flow.close("Account contained, inbox rules removed")
        await flow.check_closed(still_open, resolved, contained)


async def test_data_loss_contained_when_its_alert_is_resolved(console):
    async with console("sharepoint-mass-deletion") as flow:
        alert_id = "ca1b2c3d4e5f60718293a4b5c6d7e8f90"
        await flow.declare("alerts", alert_id, "data-loss", ["SharePoint Online"])
        await flow.poll()
        incident = flow.incident
        assert [t for t in incident.tasks.values() if incident.waiting_on(t)], "restore waits for preserve"
        await flow.status("investigating", "1,200 files deleted from the Finance site")
        sent = await flow.notify("users")
        await flow.ticked_by("first-notification", sent, "initial sent to users")
        assert ("Users informed", True) in incident.milestones()
        await flow.pilot.press("2")
        await resolve_in_defender(flow, alert_id)
        await flow.poll()
        contained = await flow.accept("contained", "every linked alert is resolved")
        assert contained.body["proposed"]["evidence"] == [f"alert {alert_id} resolved"]
        await flow.status("monitoring", "restored from the recycle bin, owners checking")
        resolved = await flow.status("resolved", "owners confirmed the files")
        still_open = await flow.close("Files restored from the second-stage recycle bin")
        await flow.check_closed(still_open, resolved, contained)


async def test_business_continuity_through_microsofts_restoration(console):
    async with console("entra-signin-outage", start_at=300) as flow:
        await flow.declare("health", "MO1201566", "business-continuity", ["Microsoft Entra"])
        await flow.poll()
        incident = flow.incident
        resumption = next(t for t in incident.tasks.values() if t.step == "resumption")
        failover = next(t for t in incident.tasks.values() if t.step == "failover")
        assert incident.waiting_on(resumption) == [failover.id]
        await flow.status("investigating", "nobody can sign in")
        briefing = await flow.notify("management")
        await flow.ticked_by("management-briefing", briefing, "sent to management")
        mitigated = await flow.status("mitigated", "break-glass accounts and cached sessions carry the day")
        flow.tenant.advance(4 * 60)         # Microsoft restores sign-ins at T+8m
        await flow.poll()
        await flow.until(lambda: any("Microsoft marked MO1201566 serviceRestored" in n for n in flow.notes()),
                         "the restoration announced")
        await flow.ticked_by("resumption", what="live check met (service restored")
        await flow.accept("monitoring", "Microsoft marked its issue restored")
        resolved = await flow.status("resolved", "sign-ins normal for an hour")
        still_open = await flow.close("Microsoft reverted the update; break-glass accounts reset")
        await flow.check_closed(still_open, resolved, mitigated)
