"""Following Microsoft to the end, against the simulated tenant: the linked issue's status changes reach the
timeline (restored announced, monitoring and the resolution notice proposed), it stays readable once Graph no
longer lists it, and Microsoft's post-incident report is kept with its SHA-256 and attached to our report."""

from __future__ import annotations

import hashlib

from warroom.console.graph.live import LiveState, TenantWatcher, restore_last_known
from warroom.console.journal import kinds
from warroom.console.lifecycle import proposals
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.console.report import build, render_markdown

ISSUE = "EX1195342"


async def poll(warroom, journal=None) -> None:
    watcher = TenantWatcher(warroom.gateway, journal, warroom.live)
    for source in ("health", "issues"):
        await watcher.poll_once(source)


async def test_restoration_and_the_post_incident_report_follow_the_incident(room):
    tenant, warroom = await room("exchange-outage")
    library = PlaybookLibrary.load()
    issue = warroom.live.issues[ISSUE]
    incident_id = await warroom.record_new_incident(lambda i: declaration(
        i, title=issue.title, category="service-outage", services=["Exchange Online"],
        roles={"incident_commander": "alex"}, library=library,
        source={"type": "service_issue", "id": ISSUE, "title": issue.title}))
    incident = warroom.book.incidents[incident_id]

    first = await warroom.follow_microsoft()
    assert [e.body["status"] for e in first] == ["investigating"] and not first[0].body["restored"]
    assert await warroom.follow_microsoft() == []          # said once
    assert proposals(incident, warroom.live) == []

    tenant.advance(6 * 60)                                  # Microsoft restores the service at T+5m
    await poll(warroom)
    [restored] = await warroom.follow_microsoft()
    assert restored.body["previous"] == "investigating" and restored.body["restored"] is True
    assert "Final status" in restored.body["last_post"]
    [proposal] = proposals(incident, warroom.live)
    assert (proposal.status, proposal.notice) == ("monitoring", "resolution")

    tenant.advance(5 * 60)                                  # the post-incident review is published at T+10m
    await poll(warroom)
    written = await warroom.follow_microsoft()
    assert [e.kind for e in written] == [kinds.MICROSOFT_ISSUE, kinds.MICROSOFT_REPORT]
    report = written[1].body
    expected = await warroom.gateway.incident_report(ISSUE)
    assert report["sha256"] == hashlib.sha256(expected).hexdigest() and "Root cause" in report["text"]
    assert incident.microsoft_reports[ISSUE]["sha256"] == report["sha256"]
    assert await warroom.follow_microsoft() == []            # kept once

    entries = await warroom.journal.entries(incident=incident_id)
    text = render_markdown(build(incident, entries))
    section = text[text.index("## Microsoft's post-incident report"):text.index("## Response metrics")]
    assert report["sha256"] in section and "Root cause: a configuration change" in section


async def test_a_linked_issue_graph_stops_listing_stays_readable(room, monkeypatch):
    monkeypatch.setattr("warroom.console.graph.live.FULL_SYNC_EVERY", 1)      # every poll a full one
    tenant, warroom = await room("exchange-outage")
    warroom.live = LiveState()
    watcher = TenantWatcher(warroom.gateway, warroom.journal, warroom.live)
    await watcher.poll_once("issues")
    assert warroom.live.issue(ISSUE) is not None
    del tenant.state.data["issues"][ISSUE]                  # Microsoft stops listing it
    await watcher.poll_once("issues")
    assert ISSUE not in warroom.live.issues
    assert warroom.live.issue(ISSUE).title.startswith("Users may experience delays")
    restored = await restore_last_known(warroom.journal)   # and after a restart, from the journal alone
    assert ISSUE not in restored.issues and restored.issue(ISSUE) is not None


async def test_since_is_when_the_workload_status_changed(room):
    tenant, warroom = await room("exchange-outage")
    warroom.live = LiveState()
    watcher = TenantWatcher(warroom.gateway, warroom.journal, warroom.live)
    await watcher.poll_once("health")
    assert "Exchange" not in warroom.live.health_since      # first sight: since when is unknown
    tenant.advance(6 * 60)
    await watcher.poll_once("health")
    changed = warroom.live.health_since["Exchange"]
    restored = await restore_last_known(warroom.journal)
    assert abs((restored.health_since["Exchange"] - changed).total_seconds()) < 0.001    # journal: milliseconds
