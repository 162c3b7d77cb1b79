"""The recovery workbench, headless: options from the playbooks per affected service, those that depend on something
down not offered (with the reason), live checks through the real gateway against the simulated tenant (service
health, deleted objects, sign-ins since the restoration), Graph trouble raised for the screen, a verification
journaled with who and what, and a met check ticking its task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from warroom.console import eradication as er
from warroom.console import recovery
from warroom.console.graph.errors import GraphDenied, GraphThrottled
from warroom.console.incidents import Incident
from warroom.console.journal import Entry, kinds
from warroom.console.playbooks import PlaybookError, PlaybookLibrary, declaration, parse_playbook
from warroom.console.session import WarRoom
from warroom.console.sim.faults import Fault
from warroom.console.timefmt import utc_now
from warroom.widgets.timeline import entry_line


@pytest.fixture(scope="module")
def library() -> PlaybookLibrary:
    return PlaybookLibrary.load()


async def declare(room, library, category: str, services: list[str], source: dict | None = None) -> Incident:
    incident_id = await room.record_new_incident(lambda incident_id: declaration(
        incident_id, title="Test", category=category, services=services,
        roles={"incident_commander": "alex"}, library=library, source=source))
    return room.book.incidents[incident_id]


def offer(incident: Incident, library: PlaybookLibrary, service: str, option: str, live) -> recovery.Offer:
    return next(o for o in recovery.offers(incident, library, service, live) if o.option.id == option)


async def offered(room, library, scenario: str, category: str, service: str, option: str, *,
                  source: dict | None = None, **room_options) -> tuple[Any, WarRoom, Incident, recovery.Offer]:
    """(tenant, warroom, incident, offer): an incident declared on one service of a simulated tenant, and one of the
    recovery options it offers there."""
    tenant, warroom = await room(scenario, **room_options)
    incident = await declare(warroom, library, category, [service], source)
    return tenant, warroom, incident, offer(incident, library, service, option, warroom.live)


async def check(warroom: WarRoom, option: recovery.Offer, incident: Incident, library: PlaybookLibrary,
                entries: list | None = None) -> recovery.CheckResult:
    """The option's live check now, through the real gateway."""
    return await recovery.run_check(warroom.gateway, option, incident, library=library, live=warroom.live,
                                    entries=entries or [], now=utc_now())


async def check_and_journal(warroom: WarRoom, option: recovery.Offer, incident: Incident,
                            library: PlaybookLibrary) -> tuple[recovery.CheckResult, Entry]:
    """The option's live check now, its result journaled as the Recovery screen journals it."""
    result = await check(warroom, option, incident, library)
    return result, await warroom.record(kinds.RECOVERY, recovery.check_body(option, result), incident=incident.id)


async def test_options_that_need_a_service_that_is_down_are_not_offered_and_say_why(room, library):
    _tenant, warroom = await room("entra-signin-outage")
    incident = await declare(warroom, library, "business-continuity",
                             ["Exchange Online", "Microsoft Teams", "SharePoint Online", "OneDrive for Business"])
    assert recovery.services(incident, library) == ["Exchange Online", "Microsoft Teams", "SharePoint Online"]
    owa = offer(incident, library, "Exchange Online", "owa-workaround", warroom.live)
    assert owa.blocked == "needs Microsoft Entra, which is down (serviceDegradation)"
    files = offer(incident, library, "Microsoft Teams", "files-by-sync", warroom.live)
    assert files.blocked == ""          # SharePoint is operational in this scenario: syncing its files works
    listed = recovery.offers(incident, library, "Exchange Online", warroom.live)
    assert [o.blocked == "" for o in listed] == sorted((o.blocked == "" for o in listed), reverse=True)
    with pytest.raises(ValueError, match="not offered now: needs Microsoft Entra"):
        recovery.verified_body(owa, "sent a test mail")


async def test_without_health_an_outage_counts_its_own_services_down(offline_room, library):
    incident = await declare(offline_room, library, "service-outage", ["SharePoint Online", "Microsoft Teams"])
    files = offer(incident, library, "Microsoft Teams", "files-by-sync", None)
    assert files.blocked.startswith("needs SharePoint Online, which is down (affected by this incident")
    synced = offer(incident, library, "SharePoint Online", "synced-copies", None)
    assert synced.blocked == ""
    assert synced.task is not None and synced.task.text.startswith("SharePoint Online recovery: ")


async def test_verifying_by_hand_is_journaled_with_the_words_and_does_the_task(offline_room, library):
    incident = await declare(offline_room, library, "service-outage", ["Exchange Online"])
    queued = offer(incident, library, "Exchange Online", "queued-mail", None)
    with pytest.raises(ValueError, match="say what you saw first: Message trace"):
        recovery.verified_body(queued, "   ")
    entry = await offline_room.record(kinds.RECOVERY, recovery.verified_body(queued, "trace shows 412 delivered"),
                                      incident=incident.id)
    assert entry_line(entry) == "Exchange Online recovery queued-mail → verified: trace shows 412 delivered"
    task = incident.tasks[queued.task.id]
    assert task.done and task.ticked_by["entry"] == entry.seq
    assert "trace shows 412 delivered" in task.ticked_by["what"]
    state = incident.recovery[("Exchange Online", "queued-mail")]
    assert state.verified.actor == "test-responder" and state.verified.text == "trace shows 412 delivered"
    assert offer(incident, library, "Exchange Online", "queued-mail", None).verified


async def test_service_check_reads_health_now_and_a_met_check_ticks_its_task(room, library):
    tenant, warroom, incident, back = await offered(room, library, "entra-signin-outage", "business-continuity",
                                                    "Microsoft Entra", "service-back")
    result, _entry = await check_and_journal(warroom, back, incident, library)
    assert result.state == "not met" and result.detail == "Microsoft Entra: serviceDegradation"
    assert not incident.tasks[back.task.id].done
    tenant.advance(9 * 60)          # T+8m: Microsoft restores Entra
    result, entry = await check_and_journal(warroom, back, incident, library)
    assert result.state == "met" and result.detail == "Microsoft Entra: serviceOperational"
    task = incident.tasks[back.task.id]
    assert task.done and task.ticked_by["entry"] == entry.seq and "live check" in task.ticked_by["what"]
    assert entry.body["check"]["type"] == "service_restored" and entry.body["by"] == "check"
    ticks = [e for e in await warroom.journal.entries(incident=incident.id) if e.kind == kinds.TASK_TICKED]
    assert [t.body["task_id"] for t in ticks] == [back.task.id]


async def test_sign_ins_count_from_the_restoration(room, library):
    tenant, warroom, incident, signs = await offered(room, library, "entra-signin-outage", "business-continuity",
                                                     "Microsoft Entra", "sign-ins-back",
                                                     source={"type": "service_issue", "id": "MO1201566"})
    result = await check(warroom, signs, incident, library)
    assert result.state == "unknown"        # nothing restored yet: counted from the declaration, nothing since
    assert "(the declaration; no restoration recorded yet)" in result.detail
    tenant.advance(11 * 60)                 # restored at T+8m; successes arrive from then on
    from warroom.console.graph.live import TenantWatcher

    watcher = TenantWatcher(warroom.gateway, None, warroom.live)
    await watcher.poll_once("issues")
    result = await check(warroom, signs, incident, library)
    assert result.state == "met", result.detail
    assert "Microsoft marked MO1201566 restored" in result.detail
    assert result.detail.startswith("20 of the newest 20 sign-ins since ")


async def test_sign_ins_still_failing_are_not_met(room, library):
    tenant, warroom = await room("entra-signin-outage")
    incident = await declare(warroom, library, "business-continuity", ["Microsoft Entra"])
    tenant.advance(5 * 60)
    result = await recovery.check_sign_ins(warroom.gateway, incident.declared_at - timedelta(hours=1), "test")
    assert result.state == "not met" and "failing: error 90033" in result.detail


async def test_deleted_objects_seen_then_restored(room, library):
    _tenant, warroom, incident, group = await offered(room, library, "sharepoint-mass-deletion", "data-loss",
                                                      "SharePoint Online", "deleted-group")
    result, _entry = await check_and_journal(warroom, group, incident, library)
    assert result.state == "not met" and result.detail == "1 not back: Finance (group)"
    deleted = await warroom.gateway.get_all("directory/deletedItems/microsoft.graph.group")
    outcome = await er.execute(warroom, er.plan_restore(deleted[0]), typed="Finance", incident=incident.id)
    assert outcome.result == "ok", outcome.message
    entries = await warroom.journal.entries(incident=incident.id)
    assert recovery.known_objects(entries) == [{"id": "b7a4f2c1-9e8d-4c3b-a2f1-0e9d8c7b6a51", "kind": "group",
                                                "name": "Finance"}]
    result = await check(warroom, group, incident, library, entries)
    assert result.state == "met" and result.detail == "back: Finance (group)"


async def test_nothing_deleted_is_nothing_to_verify(room, library):
    _tenant, warroom, incident, deleted = await offered(room, library, "exchange-outage", "data-loss",
                                                        "Microsoft Entra", "restore-deleted-user")
    result = await check(warroom, deleted, incident, library)
    assert result.state == "unknown" and result.detail.endswith("nothing restored: nothing to verify")


@pytest.mark.parametrize("fault, error", [(Fault("throttle", "auditLogs/signIns", retry_after=30), GraphThrottled),
                                          (Fault("forbidden", "auditLogs/signIns"), GraphDenied)])
async def test_graph_trouble_is_raised_for_the_screen_to_say(room, library, fault, error):
    _tenant, warroom, incident, signs = await offered(room, library, "entra-signin-outage", "business-continuity",
                                                      "Microsoft Entra", "sign-ins-back",
                                                      tenant_options={"faults": [fault]})
    with pytest.raises(error):
        await check(warroom, signs, incident, library)


def test_playbook_checks_and_needs_are_validated():
    head = '[playbook]\nid = "x"\nkind = "service"\ntitle = "X"\nservice = "X"\n[[recovery]]\nid = "a"\n' \
           'text = "t"\nverify = "v"\n'
    with pytest.raises(PlaybookError, match="check must be a table with type one of service_restored"):
        parse_playbook(head + 'check = { type = "magic" }\n', "x.toml")
    with pytest.raises(PlaybookError, match=r"needs .* must be a list of strings"):
        parse_playbook(head + 'needs = "Microsoft Entra"\n', "x.toml")
    parsed = parse_playbook(head + 'needs = ["Microsoft Entra"]\ncheck = { type = "sign_ins_succeeding", '
                                   'app = "OfficeHome" }\n', "x.toml")
    assert parsed.recovery[0].needs == ("Microsoft Entra",)
    assert parsed.recovery[0].check == {"type": "sign_ins_succeeding", "app": "OfficeHome"}


def test_support_case_body_checks_what_it_is_given():
    now = utc_now()
    body = recovery.support_case_body(" 2611240010001234 ", severity="a", opened="-15m", contact="engineer called",
                                      now=now)
    assert body["id"] == "2611240010001234" and body["severity"] == "A"
    assert body["last_contact"]["text"] == "engineer called"
    with pytest.raises(ValueError, match="give the case number"):
        recovery.support_case_body(" ", now=now)
    with pytest.raises(ValueError, match="case severity is A, B, C"):
        recovery.support_case_body("1", severity="D", now=now)
    with pytest.raises(ValueError, match="not a time"):
        recovery.support_case_body("1", opened="yesterday", now=now)
    assert recovery.case_line(None) == "No Microsoft support case recorded"
    assert recovery.case_line(body).startswith("Support case 2611240010001234, severity A, opened ")
