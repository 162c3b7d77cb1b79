"""The incident lifecycle, headless: statuses by category, tasks done by what happens (journaled once, even with
two consoles), live checks, proposals from the tenant's evidence, metrics that name their entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.graph.live import LiveState
from warroom.console.graph.models import Alert, ServiceHealth, ServiceIssue
from warroom.console.incidents import Incident
from warroom.console.journal import kinds
from warroom.console.lifecycle import close_drafts, path, proposals, status_body
from warroom.console.metrics import response_metrics
from warroom.console.playbooks import PlaybookError, PlaybookLibrary, declaration, parse_playbook
from warroom.console.session import WarRoom
from warroom.console.severity import assess, factors_for, suggest_factors


@pytest.fixture(scope="module")
def library() -> PlaybookLibrary:
    return PlaybookLibrary.load()


async def declare(room: WarRoom, library: PlaybookLibrary, category: str, services: list[str],
                  source: dict | None = None) -> str:
    return await room.record_new_incident(lambda incident_id: declaration(
        incident_id, title="Test", category=category, services=services,
        roles={"incident_commander": "alex"}, library=library, source=source))


async def session(journal_path: Path, responder: str = "alex") -> WarRoom:
    return await WarRoom.open(load_config(overrides={"journal": str(journal_path), "responder": responder}))


def test_each_category_has_its_path():
    assert path("security-incident") == ("declared", "investigating", "contained", "monitoring", "resolved",
                                         "closed")
    assert path("service-outage") == ("declared", "investigating", "mitigated", "monitoring", "resolved", "closed")
    assert "contained" in path("data-loss") and "mitigated" in path("business-continuity")


async def test_status_changes_say_who_when_and_why_and_refuse_what_does_not_fit(journal_path, library):
    room = await session(journal_path)
    try:
        incident_id = await declare(room, library, "service-outage", ["Exchange Online"])
        incident = room.book.incidents[incident_id]
        assert incident.status == "declared"
        with pytest.raises(ValueError, match="mitigated, not contained"):
            status_body(incident, "contained")
        with pytest.raises(ValueError, match="closing needs a summary"):
            status_body(incident, "closed")
        with pytest.raises(ValueError, match="unknown status"):
            status_body(incident, "fixed")
        await room.record(kinds.INCIDENT_STATUS, status_body(incident, "mitigated", "OWA works"),
                          incident=incident_id)
        with pytest.raises(ValueError, match="say why"):
            status_body(incident, "investigating")
        with pytest.raises(ValueError, match="already mitigated"):
            status_body(incident, "mitigated")
        change = incident.history[-1]
        assert (change.status, change.actor, change.text) == ("mitigated", "alex", "OWA works")
        entry = (await room.journal.entries(kinds=[kinds.INCIDENT_STATUS]))[-1]
        assert entry.body == {"status": "mitigated", "previous": "declared", "text": "OWA works"}
    finally:
        await room.close()


async def test_a_successful_action_ticks_its_task_once_linked_to_its_entry(journal_path, library):
    room, other = await session(journal_path), await session(journal_path, "bob")
    try:
        incident_id = await declare(room, library, "security-incident", [])
        await other.catch_up()
        incident = room.book.incidents[incident_id]
        block = next(t for t in incident.tasks.values() if t.action == "block_sign_in")
        # A dry run and a failure do nothing; the answered write does.
        for result in ("dry-run", "failed"):
            await room.record(kinds.ACTION, {"action": "block_sign_in", "target": "a@x", "result": result},
                              incident=incident_id)
        assert not block.done
        ok = await other.record(kinds.ACTION, {"action": "block_sign_in", "target": "a@x", "result": "ok"},
                                incident=incident_id)
        await room.catch_up()
        ticks = await room.journal.entries(kinds=[kinds.TASK_TICKED])
        assert len(ticks) == 1, "two consoles saw the action: exactly one tick"
        assert ticks[0].body == {"task_id": block.id, "by": {"entry": ok.seq, "kind": "action",
                                                             "what": "block_sign_in a@x succeeded"}}
        assert block.done and block.ticked_by["entry"] == ok.seq
        assert other.book.incidents[incident_id].tasks[block.id].done
        # A sent initial notification ticks the communication step; captured evidence the preservation step.
        await room.record(kinds.COMMS_SENT, {"audience": "stakeholders", "update_kind": "initial", "text": "x"},
                          incident=incident_id)
        await room.record(kinds.EVIDENCE, {"what": "user object", "target": "a@x", "sha256": "00"},
                          incident=incident_id)
        done = {t.step for t in incident.tasks.values() if t.ticked_by}
        assert done == {"block-sign-in", "first-notification", "preserve-evidence"}
        # An entry may name the task it serves (an eradication action of a step with no action of its own).
        hunt = next(t for t in incident.tasks.values() if t.step == "threat-hunting")
        await room.record(kinds.ACTION, {"action": "search_mailboxes", "target": "*", "result": "ok",
                                         "task_id": hunt.id}, incident=incident_id)
        assert hunt.done and hunt.ticked_by["what"] == "search_mailboxes * succeeded"
    finally:
        await room.close()
        await other.close()


async def test_a_live_check_ticks_only_after_it_was_seen_unmet(journal_path, library):
    room = await session(journal_path)
    try:
        incident_id = await declare(room, library, "service-outage", ["Exchange Online"])
        incident = room.book.incidents[incident_id]
        verify = next(t for t in incident.tasks.values() if t.step == "verify-restored")
        room.live = LiveState(health={"Exchange": ServiceHealth("Exchange", "Exchange Online", "serviceOperational")})
        assert await room.settle_checks() == 0 and not verify.done       # healthy from the start proves nothing
        room.live.health["Exchange"] = ServiceHealth("Exchange", "Exchange Online", "serviceDegradation")
        assert await room.settle_checks() == 0
        room.live.health["Exchange"] = ServiceHealth("Exchange", "Exchange Online", "serviceOperational")
        assert await room.settle_checks() == 1
        assert verify.done and verify.ticked_by["what"] == "live check met (service restored: Exchange Online)"
    finally:
        await room.close()


def issue(status: str, resolved: bool) -> ServiceIssue:
    return ServiceIssue("EX1", "Mail delayed", "Exchange Online", "", "", "incident", status, "", resolved, "",
                        None, None, None)


def alert(alert_id: str, status: str) -> Alert:
    return Alert(alert_id, "Phish", "high", status, "", "", "", "", None, None, (), (), ())


async def test_the_evidence_proposes_and_never_applies(journal_path, library):
    room = await session(journal_path)
    try:
        incident_id = await declare(room, library, "service-outage", ["Exchange Online"],
                                    source={"type": "service_issue", "id": "EX1", "title": "Mail delayed"})
        incident = room.book.incidents[incident_id]
        live = LiveState(issues={"EX1": issue("serviceDegradation", False)})
        assert proposals(incident, live) == []
        live.issues["EX1"] = issue("serviceRestored", True)
        [proposal] = proposals(incident, live)
        assert (proposal.status, proposal.notice, proposal.evidence) == ("monitoring", "resolution",
                                                                         ("EX1 serviceRestored",))
        assert incident.status == "declared"
        await room.record(kinds.INCIDENT_STATUS, status_body(incident, "monitoring", proposal=proposal),
                          incident=incident_id)
        assert proposals(incident, live) == []
        security = await declare(room, library, "security-incident", [],
                                 source={"type": "alert", "id": "da1", "title": "Phish"})
        incident = room.book.incidents[security]
        assert proposals(incident, LiveState(alerts={"da1": alert("da1", "new")})) == []
        [proposal] = proposals(incident, LiveState(alerts={"da1": alert("da1", "resolved")}))
        assert proposal.status == "contained" and proposal.why == "every linked alert is resolved"
    finally:
        await room.close()


async def test_time_to_resolve_is_the_resolved_status_and_names_its_entries(journal_path, library):
    room = await session(journal_path)
    try:
        incident_id = await declare(room, library, "service-outage", [])
        incident = room.book.incidents[incident_id]
        start = incident.declared_at
        resolved = await room.record(kinds.INCIDENT_STATUS, status_body(incident, "resolved"), incident=incident_id,
                                     occurred_at=start + timedelta(minutes=40))
        await room.record_many([*close_drafts(incident, "done")])
        entries = await room.journal.entries(incident=incident_id)
        metric = {m.key: m for m in response_metrics(incident, entries)}["resolve"]
        assert metric.minutes == pytest.approx(40)
        assert metric.basis.endswith(f"#{resolved.seq} incident.status resolved")
        assert metric.basis.startswith("#1 incident.declared")
        assert entries[-1].body["open_tasks"] == [t.id for t in incident.tasks.values()]
    finally:
        await room.close()


def test_sharepoint_and_onedrive_steps_come_once(library):
    bodies = library.task_bodies("data-loss", ["SharePoint Online", "OneDrive"])
    steps = [(b["playbook"], b["step"]) for b in bodies]
    assert len(steps) == len(set(steps))
    assert sum(b["playbook"] == "sharepoint-online" for b in bodies) == len(
        library.task_bodies("data-loss", ["SharePoint Online"])) - len(library.task_bodies("data-loss", []))


async def test_dependencies_and_milestones_reach_the_tasks(journal_path, library):
    room = await session(journal_path)
    try:
        incident = room.book.incidents[await declare(room, library, "data-loss", [])]
        restore = next(t for t in incident.tasks.values() if t.step == "restore")
        preserve = next(t for t in incident.tasks.values() if t.step == "preserve")
        assert preserve.id in restore.after and preserve.id in incident.waiting_on(restore)
        assert ("Data validated", False) in incident.milestones()
    finally:
        await room.close()


PLAYBOOK = """[playbook]
id = "x"
category = "data-loss"
title = "X"

[[steps]]
id = "a"
text = "A"
role = "scribe"
{a}

[[steps]]
id = "b"
text = "B"
role = "scribe"
{b}
"""


@pytest.mark.parametrize("a, b, reason, line", [
    ('after = ["c"]', "", "after names 'c', which is no step of this playbook", 10),
    ('after = ["b"]', 'after = ["a"]', "steps wait on each other in a loop: a → b → a", 10),
    ("", 'done_by = { kind = "task.added" }', "done_by must be a table with kind one of", 16),
    ("", "milestone = 3", "milestone must be a string", 16),
])
def test_a_bad_dependency_or_milestone_is_refused_with_its_line(a, b, reason, line):
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(PLAYBOOK.format(a=a, b=b), "x.toml")
    assert reason in str(caught.value) and caught.value.line == line


def test_severity_factors_fit_the_category():
    assert [f.key for f in factors_for("security-incident")][:3] == ["accounts_exposed", "data_exposed",
                                                                     "attacker_activity"]
    assert [f.key for f in factors_for("data-loss")][:3] == ["data_volume", "recoverability", "time_window"]
    assert next(f.key for f in factors_for("service-outage")) == "service_scope"
    result = assess({"data_volume": 2, "recoverability": 4, "time_window": 2, "business_criticality": 2},
                    "data-loss")
    assert result.severity == "SEV2" and "Recoverability 4 no known copy" in result.reasoning
    with pytest.raises(ValueError, match="Accounts exposed"):
        assess({"service_scope": 1, "user_impact": 1, "business_criticality": 1, "recovery_complexity": 1},
               "security-incident")


def _rated(category: str, live: LiveState | None) -> dict[str, int]:
    incident = Incident("INC-1", "Test", category, datetime(2026, 12, 5, tzinfo=UTC), "alex",
                        services=["Exchange Online"])
    return suggest_factors(incident, live)


@pytest.mark.parametrize("category", ["service-outage", "security-incident", "data-loss", "business-continuity"])
def test_the_suggested_factors_are_the_categorys_own(category: str) -> None:
    """Assess opens on the suggestion: it rates exactly the factors the category is assessed on, each 1 to 4."""
    suggested = _rated(category, LiveState(issues={"EX1": issue("serviceDegradation", False)},
                                           alerts={"da1": alert("da1", "new")}))
    assert list(suggested) == [f.key for f in factors_for(category)]
    assert set(suggested.values()) <= {1, 2, 3, 4}
    assess(suggested, category)


def test_security_suggestions_weigh_the_attacker_and_outages_what_is_down() -> None:
    quiet = _rated("security-incident", LiveState())
    assert (quiet["accounts_exposed"], quiet["attacker_activity"]) == (1, 1)
    named = alert("da1", "new")._replace(users=("adele@contoso.com", "megan@contoso.com"))
    busy = _rated("security-incident", LiveState(alerts={"da1": named}))
    assert (busy["accounts_exposed"], busy["attacker_activity"]) == (3, 3)
    outage = _rated("service-outage", LiveState(issues={"EX1": issue("serviceDegradation", False)}))
    assert outage == {"service_scope": 3, "user_impact": 3, "business_criticality": 3, "recovery_complexity": 4}
    assert _rated("business-continuity", None)["business_criticality"] == 3
