"""Security incident end to end on the compromised-account tenant: declare from the alert, assess, contain
(block, reverse, revoke, confirm, evidence, watch list), notify and close. Assertions are on the requests the
tenant received and on the journal."""

from __future__ import annotations

import hashlib

import pytest
from warroom.console.journal import kinds

from .harness import GuidedTestApp
from .pilot_steps import bodies, choose, fill_placeholders, message, opened, settle, shown, type_into, writes

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


@pytest.mark.slow
async def test_security_incident_from_declaration_to_close(room):
    tenant, warroom = await room("compromised-account")
    alert = next(a for a in warroom.live.alerts.values() if MEGAN in a.users and a.status != "resolved")

    # Declare from the alert: the title comes from it, the link and the security playbook's tasks are journaled.
    app = GuidedTestApp(warroom, "declare", alert_id=alert.id, upn=MEGAN)
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#role-communications_lead", "carol")
        await pilot.press("f2")
        await settle(pilot)
    incident = warroom.incident
    assert incident is not None and app.results == [incident.id]
    assert incident.category == "security-incident" and incident.title == alert.title
    assert incident.roles == {"incident_commander": "test-responder", "communications_lead": "carol"}
    entries = await warroom.journal.entries(incident=incident.id)
    assert bodies(entries, kinds.INCIDENT_LINKED) == [{"type": "alert", "id": alert.id, "title": alert.title}]
    actions = {b.get("action") for b in bodies(entries, kinds.TASK_ADDED)}
    assert {"block_sign_in", "revoke_sessions", "confirm_compromised", "preserve_evidence"} <= actions
    assert writes(tenant) == []

    # Assess on the security factors: criticality at its worst; the severity and its reasoning are journaled.
    app = GuidedTestApp(warroom, "assess")
    async with opened(app, (120, 60)) as pilot:
        for factor, level in (("accounts_exposed", 2), ("data_exposed", 2), ("business_criticality", 4),
                              ("attacker_activity", 3)):
            await choose(pilot, f"#factor-{factor}", level)
        await pilot.press("f2")
        await settle(pilot)
        assert "SEV2" in message(pilot)
    assert incident.severity == "SEV2"
    assert "Business criticality 4" in incident.severity_reasoning

    # Contain: block sign-in, typed UPN, one PATCH with the previewed body; before/after and request id journaled.
    app = GuidedTestApp(warroom, "block_sign_in", upn=MEGAN)
    async with opened(app, (120, 60)) as pilot:
        preview = str(app.screen.query_one("#contain-preview").render())
        assert f"PATCH {tenant.base_url}/users/{MEGAN}" in preview and '{"accountEnabled":false}' in preview
        await type_into(pilot, "#contain-confirm", MEGAN, keys=True)
        await pilot.press("f2")
        await settle(pilot)
        assert "done" in message(pilot)
        patches = [r for r in writes(tenant) if r.method == "PATCH"]
        assert [(r.path, r.body) for r in patches] == [(f"/v1.0/users/{MEGAN}", {"accountEnabled": False})]

        # The reversal is offered, and still needs the UPN typed.
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert len([r for r in writes(tenant) if r.method == "PATCH"]) == 1
        await type_into(pilot, "#contain-confirm", MEGAN)
        await pilot.press("f2")
        await settle(pilot)
        patches = [r for r in writes(tenant) if r.method == "PATCH"]
        assert patches[-1].body == {"accountEnabled": True}

        # Revoke sessions and confirm compromised (with the object id read before sending).
        for action in ("revoke_sessions", "confirm_compromised"):
            await choose(pilot, "#contain-action", action)
            await type_into(pilot, "#contain-confirm", MEGAN)
            await pilot.press("f2")
            await settle(pilot)
        # Evidence and enhanced monitoring change nothing in the tenant.
        for action in ("preserve_evidence", "enhanced_monitoring"):
            await choose(pilot, "#contain-action", action)
            await pilot.press("f2")
            await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
    assert incident.status == "contained"

    posts = [r for r in writes(tenant) if r.method == "POST"]
    assert [r.path for r in posts] == [f"/v1.0/users/{MEGAN}/revokeSignInSessions",
                                       "/v1.0/identityProtection/riskyUsers/confirmCompromised"]
    entries = await warroom.journal.entries(incident=incident.id)
    actions = bodies(entries, kinds.ACTION)
    # Each write is journaled as requested before it is sent, then its outcome.
    assert [a["result"] for a in actions[:2]] == ["requested", "ok"] and actions[0]["request"] == actions[1]["request"]
    done = [a for a in actions if a["result"] != "requested"]
    block, enable, revoke, confirm = done[:4]
    assert block["action"] == "block_sign_in" and block["result"] == "ok" and block["dry_run"] is False
    assert block["before"]["accountEnabled"] is True and block["after"]["accountEnabled"] is False
    assert block["request_id"] and block["request"]["method"] == "PATCH"
    assert enable["action"] == "enable_sign_in" and enable["after"]["accountEnabled"] is True
    assert revoke["result"] == "ok" and "Cannot be undone" in revoke["reversal"]
    assert posts[1].body == {"userIds": [confirm["before"]["id"]]}
    assert incident.details["watch_list"][0] == MEGAN
    assert incident.details["blocked_users"] == []
    evidence = bodies(entries, kinds.EVIDENCE)
    assert [e["what"] for e in evidence] == ["user object", "risky user", "risk detections", "sign-ins",
                                             "directory audits", "inbox rules", "mailbox settings",
                                             "authentication methods", "delegated consents", "related alerts"]
    for piece in evidence:
        assert piece["sha256"] == hashlib.sha256(piece["content"].encode()).hexdigest()
    assert MEGAN in evidence[3]["content"] and "eM Client" in evidence[8]["content"]

    # Communicate: the initial notification from the template, copied (shown) and marked as sent.
    app = GuidedTestApp(warroom, "communicate")
    async with opened(app, (120, 50)) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert app.copied and app.copied[0].startswith(f"Subject: [{incident.id}] [SEV2] INCIDENT NOTIFICATION")
        assert "Copied" in message(pilot)
        await pilot.press("f2")          # no channel configured for stakeholders: it says so, nothing recorded
        await settle(pilot)
        assert "No channel is configured for stakeholders" in message(pilot) or "fill [" in message(pilot)
        await fill_placeholders(pilot)
        await pilot.press("f8")
        await settle(pilot)
    sent = bodies(await warroom.journal.entries(incident=incident.id), kinds.COMMS_SENT)
    assert len(sent) == 1 and sent[0]["update_kind"] == "initial"
    for field in ("Type: Security incident (SEV2)", "Status:", "Impact:", "Actions:", "block sign in for " + MEGAN,
                  "Updates: next update by", "Required Actions:"):
        assert field in sent[0]["text"]
    assert len(incident.updates_sent) == 1

    # Close: a review answer, a follow-up with an owner and due date, a summary.
    app = GuidedTestApp(warroom, "close")
    async with opened(app, (120, 60)) as pilot:
        await type_into(pilot, "#review-lessons_learned", "MFA phishing-resistant for marketing")
        await type_into(pilot, "#follow-text", "Roll out FIDO2 keys")
        await type_into(pilot, "#follow-owner", "dave")
        await type_into(pilot, "#follow-due", "2026-12-31")
        await pilot.press("f4")
        await settle(pilot)
        assert "Time to contain" in shown(pilot, "#close-metrics")
        await type_into(pilot, "#close-summary", "Account contained, no data taken")
        await pilot.press("f2")
        await settle(pilot)
        assert incident.is_open and "still open" in message(pilot)    # asked first, listing them
        await pilot.press("f2")
        await settle(pilot)
    assert not incident.is_open and incident.summary == "Account contained, no data taken"
    entries = await warroom.journal.entries(incident=incident.id)
    assert bodies(entries, kinds.REVIEW)[0]["item"] == "lessons_learned"
    assert bodies(entries, kinds.FOLLOW_UP) == [{"text": "Roll out FIDO2 keys", "owner": "dave", "due": "2026-12-31"}]
    assert entries[-1].kind == kinds.INCIDENT_CLOSED
