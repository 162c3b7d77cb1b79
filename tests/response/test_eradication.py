"""Eradication actions against the simulated tenant: the same guarantees as block sign-in, for each action."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from warroom.console import eradication as er
from warroom.console.investigate import investigate
from warroom.console.journal import kinds
from warroom.console.sim.faults import Fault

from .pilot_steps import MEGAN, bodies, declare_compromise, writes


async def _found(warroom):
    return await investigate(warroom.gateway, MEGAN)


def _rule(report, name):
    return next(r for r in report.sections["inbox_rules"]["rules"] if r["name"] == name)


def _method(report, name):
    return next(m for m in report.sections["auth_methods"] if m["display_name"] == name)


def _grant(report, app):
    return next(g for g in report.sections["oauth_grants"] if g["app"] == app)


def _task(incident, action):
    return next(t for t in incident.tasks.values() if t.action == action)


async def _plans(warroom):
    """One plan per action, built from what the investigation found."""
    report = await _found(warroom)
    deleted = await warroom.gateway.get_all("directory/deletedItems/microsoft.graph.group")
    return {
        "delete_inbox_rule": er.plan_delete_rule(MEGAN, _rule(report, "Payroll")["definition"]),
        "delete_auth_method": er.plan_delete_method(MEGAN, _method(report, "SM-A515F")),
        "reset_password": er.plan_reset_password(MEGAN),
        "revoke_consent": er.plan_revoke_consent(MEGAN, _grant(report, "eM Client")),
        "restore_deleted": er.plan_restore(deleted[0]),
        "update_alert": er.plan_update_alert("da638676543210987654_-1843290127", {"status": "resolved"}),
        "update_incident": er.plan_update_incident("4217", {"status": "inProgress", "assignedTo": "ann"}),
        "comment_incident": er.plan_comment("4217", "Contained by the war room"),
    }


async def test_deleting_a_rule_journals_its_definition_first_and_can_recreate_it(room):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    report = await _found(warroom)
    rule = _rule(report, "..")
    plan = er.plan_delete_rule(MEGAN, rule["definition"])
    outcome = await er.execute(warroom, plan, typed=MEGAN.upper(), incident=incident.id)
    assert outcome.result == "ok", outcome.message
    [delete] = writes(tenant)
    assert (delete.method, unquote(delete.path)) == (
        "DELETE", f"/v1.0/users/{MEGAN}/mailFolders/inbox/messageRules/{rule['id']}")
    requested, done = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
    assert requested["result"] == "requested" and requested["before"]["displayName"] == ".."
    assert requested["before"]["conditions"]["bodyOrSubjectContains"] == ["invoice", "payment", "phish", "hacked"]
    assert done["result"] == "ok" and done["request_id"] and done["after"] == {"deleted": True}
    assert _task(warroom.book.incidents[incident.id], "delete_inbox_rule").status == "done"
    assert ".." not in {r["name"] for r in (await _found(warroom)).sections["inbox_rules"]["rules"]}

    back = er.plan_reversal(done["reversal_plan"])
    outcome = await er.execute(warroom, back, typed=MEGAN, incident=incident.id)
    assert outcome.result == "ok", outcome.message
    post = writes(tenant)[-1]
    assert post.method == "POST" and post.body["displayName"] == ".." and post.body["actions"]["markAsRead"] is True
    assert ".." in {r["name"] for r in (await _found(warroom)).sections["inbox_rules"]["rules"]}


async def test_the_wrong_confirmation_sends_nothing_and_a_dry_run_only_journals(room):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    plan = (await _plans(warroom))["revoke_consent"]
    refused = await er.execute(warroom, plan, typed="megan", incident=incident.id)
    assert refused.result == "refused" and "Type megan.bowen" in refused.message
    dry = await er.execute(warroom, plan, typed=MEGAN, incident=incident.id, dry_run=True)
    assert dry.result == "dry-run" and writes(tenant) == []
    [entry] = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
    assert entry["result"] == "dry-run" and entry["request"]["method"] == "DELETE"
    assert _task(warroom.book.incidents[incident.id], "revoke_consent").status == "open"


async def test_read_only_mode_only_previews(room):
    tenant, warroom = await room("compromised-account", **{"read_only": True})
    incident = await declare_compromise(warroom)
    plan = (await _plans(warroom))["delete_auth_method"]
    outcome = await er.execute(warroom, plan, typed=MEGAN, incident=incident.id)
    assert outcome.result == "dry-run" and writes(tenant) == []


async def test_the_default_method_is_refused_with_what_to_do(room):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    phone = next(m for m in (await _found(warroom)).sections["auth_methods"] if m["type"] == "phone")
    outcome = await er.execute(warroom, er.plan_delete_method(MEGAN, phone), typed=MEGAN, incident=incident.id)
    assert outcome.result == "failed" and "default sign-in method" in outcome.message
    assert "make another method the default" in outcome.message
    assert len(writes(tenant)) == 1
    assert any(m["type"] == "phone" for m in (await _found(warroom)).sections["auth_methods"])


async def test_a_password_reset_shows_the_password_once_and_never_records_it(room, tmp_path, capsys):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    plan = er.plan_reset_password(MEGAN)
    secret = plan.secret
    outcome = await er.execute(warroom, plan, typed=MEGAN, incident=incident.id)
    assert outcome.result == "ok" and outcome.secret == secret
    [patch] = writes(tenant)
    assert patch.body == {"passwordProfile": {"forceChangePasswordNextSignIn": True, "password": secret}}
    entries = await warroom.journal.entries(incident=incident.id)
    done = bodies(entries, kinds.ACTION)[-1]
    assert er.WITHHELD in done["request"]["body"]
    assert done["before"]["lastPasswordChangeDateTime"] != done["after"]["lastPasswordChangeDateTime"]
    assert _task(warroom.book.incidents[incident.id], "reset_password").status == "done"
    journal_file = warroom.config.journal_path
    await warroom.journal.close()
    for path in journal_file.parent.rglob("*"):     # the database, its WAL, anything beside: nowhere on disk
        if path.is_file():
            assert secret.encode() not in path.read_bytes()
    from warroom.console.cli import main

    assert main(["journal", "export", "--format", "jsonl", "--journal", str(journal_file)]) == 0
    exported = capsys.readouterr().out
    assert "passwordProfile" in exported and secret not in exported
    assert repr(plan).count(secret) == 0 and repr(outcome).count(secret) == 0


async def test_revoke_consent_restore_and_defender_write_back(room):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    plans = await _plans(warroom)
    for action in ("revoke_consent", "restore_deleted", "update_incident", "comment_incident"):
        plan = plans[action]
        outcome = await er.execute(warroom, plan, typed=plan.confirm, incident=incident.id)
        assert outcome.result == "ok", outcome.message
    methods = [(r.method, r.path) for r in writes(tenant)]
    assert methods == [
        ("DELETE", f"/v1.0/{plans['revoke_consent'].path}"),
        ("POST", "/v1.0/directory/deletedItems/c1a2b3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d/restore"),
        ("PATCH", "/v1.0/security/incidents/4217"),
        ("POST", "/v1.0/security/incidents/4217/comments"),
    ]
    assert writes(tenant)[-1].body == {"@odata.type": "microsoft.graph.security.alertComment",
                                       "comment": "Contained by the war room"}
    assert plans["restore_deleted"].confirm == "Finance approvals"
    with tenant._lock:
        assert "c1a2b3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d" in tenant.state.data["groups"]
        assert tenant.state.find("incidents", "4217")["status"] == "inProgress"
        assert tenant.state.find("incidents", "4217")["comments"][-1]["comment"] == "Contained by the war room"
    assert "eM Client" not in {g["app"] for g in (await _found(warroom)).sections["oauth_grants"]}
    done = [b for b in bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
            if b["result"] == "ok"]
    update = next(b for b in done if b["action"] == "update_incident")
    assert update["before"]["status"] == "active" and update["after"]["status"] == "inProgress"
    assert _task(warroom.book.incidents[incident.id], "revoke_consent").status == "done"


ACTION_PATHS = {   # the request each action sends, for faults aimed at it alone
    "delete_inbox_rule": ("DELETE", "users"), "delete_auth_method": ("DELETE", "users"),
    "reset_password": ("PATCH", "users"), "revoke_consent": ("DELETE", "oauth2PermissionGrants"),
    "restore_deleted": ("POST", "directory/deletedItems"), "update_alert": ("PATCH", "security/alerts_v2"),
    "update_incident": ("PATCH", "security/incidents"), "comment_incident": ("POST", "security/incidents"),
}


@pytest.mark.parametrize("kind", ["forbidden", "throttle"])
@pytest.mark.parametrize("action", list(ACTION_PATHS))
async def test_a_403_or_429_is_explained_journaled_and_never_retried(room, action, kind):
    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    plan = (await _plans(warroom))[action]
    method, prefix = ACTION_PATHS[action]
    tenant.add_fault(Fault(kind, prefix, method=method, retry_after=20 if kind == "throttle" else None))
    outcome = await er.execute(warroom, plan, typed=plan.confirm, incident=incident.id)
    assert outcome.result == "failed"
    if kind == "forbidden":
        assert f"lacks {plan.permission}" in outcome.message
    else:
        assert "Throttled (429)" in outcome.message and "NOT retried" in outcome.message and "20 s" in outcome.message
    assert len(writes(tenant)) == 1
    requested, failed = bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION)
    assert requested["result"] == "requested" and failed["result"] == "failed"
    assert failed["status"] == (403 if kind == "forbidden" else 429) and failed["request"] == requested["request"]
    assert all(t.status == "open" for t in warroom.book.incidents[incident.id].tasks.values() if t.action == action)
    if plan.secret:
        assert plan.secret not in json.dumps([requested, failed])


async def test_closing_offers_to_resolve_the_linked_defender_alerts(room):
    from warroom.console.journal import Draft

    from .harness import GuidedTestApp
    from .pilot_steps import message, opened, settle, type_into

    tenant, warroom = await room("compromised-account")
    incident = await declare_compromise(warroom)
    await warroom.record_many([Draft(kinds.INCIDENT_LINKED, {"type": "defender_incident", "id": "4217"},
                                     incident.id)])
    open_alerts = er.open_linked_alerts(warroom, incident.id)
    assert {a.id for a in open_alerts} == {"da638676543210987654_-1843290127", "da638676543299911222_1043290127"}
    app = GuidedTestApp(warroom, "close")
    async with opened(app, (120, 60)) as pilot:
        offer = str(app.screen.query_one("#close-defender").render())
        assert "2 linked Defender alert(s) still open" in offer and "F6" in offer
        await pilot.press("f6")
        await settle(pilot)
        assert "Type INC-" in message(pilot) and writes(tenant) == []
        await type_into(pilot, "#close-defender-confirm", incident.id)
        await pilot.press("f6")
        await settle(pilot)
        assert "Resolved 2 linked alert(s) in Defender" in message(pilot)
        assert not app.screen.query_one("#close-defender").display
    assert [(r.method, r.body) for r in writes(tenant)] == [("PATCH", {"status": "resolved"})] * 2
    with tenant._lock:
        assert all(tenant.state.find("alerts", a.id)["status"] == "resolved" for a in open_alerts)
    done = [b for b in bodies(await warroom.journal.entries(incident=incident.id), kinds.ACTION) if b["result"] == "ok"]
    assert [b["before"]["status"] for b in done] == ["new", "new"] and all(b["request_id"] for b in done)
