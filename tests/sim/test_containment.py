"""Containment calls change what later reads return, and leave the audit trail Entra would."""

from __future__ import annotations

import pytest

MEGAN = "megan.bowen@contoso.onmicrosoft.com"


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("compromised-account")


@pytest.fixture
def g(tenant, graph_for):
    return graph_for(tenant)


def _audits_for(g, upn):
    return g.get("auditLogs/directoryAudits",
                 params={"$filter": f"targetResources/any(t: t/userPrincipalName eq '{upn}')"}).json()["value"]


def test_block_sign_in_flips_account_enabled_and_is_audited(g):
    user_id = g.get(f"users/{MEGAN}").json()["id"]
    answer = g.patch(f"users/{user_id}", json={"accountEnabled": False})
    assert answer.status_code == 204 and answer.content == b""
    after = g.get(f"users/{MEGAN}", params={"$select": "accountEnabled"}).json()
    assert after["accountEnabled"] is False
    disable = [a for a in _audits_for(g, MEGAN) if a["activityDisplayName"] == "Disable account"]
    assert len(disable) == 1
    assert disable[0]["initiatedBy"]["user"]["userPrincipalName"] == "admin@contoso.onmicrosoft.com"
    assert disable[0]["targetResources"][0]["modifiedProperties"] == [
        {"displayName": "accountEnabled", "oldValue": "true", "newValue": "false"}]
    assert g.patch(f"users/{user_id}", json={"accountEnabled": True}).status_code == 204
    assert g.get(f"users/{user_id}", params={"$select": "accountEnabled"}).json()["accountEnabled"] is True


def test_revoke_sessions_answers_true_and_records_an_audit(g):
    before = g.get(f"users/{MEGAN}", params={"$select": "signInSessionsValidFromDateTime"}).json()
    answer = g.post(f"users/{MEGAN}/revokeSignInSessions")
    assert answer.status_code == 200 and answer.json()["value"] is True
    after = g.get(f"users/{MEGAN}", params={"$select": "signInSessionsValidFromDateTime"}).json()
    assert after["signInSessionsValidFromDateTime"] > before["signInSessionsValidFromDateTime"]
    assert "Invalidate all refresh tokens for user" in [a["activityDisplayName"] for a in _audits_for(g, MEGAN)]


def test_confirm_compromised_raises_risk_and_adds_unlisted_users(g):
    ids = [g.get(f"users/{upn}").json()["id"] for upn in (MEGAN, "alex.wilber@contoso.onmicrosoft.com")]
    assert len(g.get("identityProtection/riskyUsers").json()["value"]) == 1
    answer = g.post("identityProtection/riskyUsers/confirmCompromised", json={"userIds": ids})
    assert answer.status_code == 204
    risky = {r["userPrincipalName"]: r for r in g.get("identityProtection/riskyUsers").json()["value"]}
    assert set(risky) == {MEGAN, "alex.wilber@contoso.onmicrosoft.com"}
    assert {(r["riskState"], r["riskLevel"]) for r in risky.values()} == {("confirmedCompromised", "high")}
    assert g.get(f"identityProtection/riskyUsers/{ids[0]}").json()["riskDetail"] == "adminConfirmedUserCompromised"


def test_containment_on_unknown_users_is_404(g):
    nobody = "nobody@contoso.onmicrosoft.com"
    for answer in (g.patch(f"users/{nobody}", json={"accountEnabled": False}),
                   g.post(f"users/{nobody}/revokeSignInSessions"),
                   g.post("identityProtection/riskyUsers/confirmCompromised", json={"userIds": [nobody]})):
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "Request_ResourceNotFound"


def test_containment_requests_need_a_body(g):
    assert g.post("identityProtection/riskyUsers/confirmCompromised", json={}).status_code == 400
    bad = g.patch(f"users/{MEGAN}", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400


def test_alert_status_update_is_visible_to_pollers(g, tenant):
    alert_id = "da638676543210987654_-1843290127"
    before = g.get(f"security/alerts_v2/{alert_id}").json()
    tenant.advance(5)
    answer = g.patch(f"security/alerts_v2/{alert_id}", json={"status": "resolved", "classification": "truePositive"})
    assert answer.status_code == 200 and answer.json()["status"] == "resolved"
    changed = g.get("security/alerts_v2",
                    params={"$filter": f"lastUpdateDateTime gt {before['lastUpdateDateTime']}"}).json()["value"]
    assert alert_id in [a["id"] for a in changed]
    assert g.patch(f"security/alerts_v2/{alert_id}", json={"title": "x"}).status_code == 400


def test_incident_can_be_assigned_and_resolved(g):
    answer = g.patch("security/incidents/4217", json={"assignedTo": "soc@contoso.com", "status": "resolved",
                                                       "classification": "truePositive"})
    assert answer.status_code == 200
    incident = g.get("security/incidents/4217").json()
    assert (incident["assignedTo"], incident["status"]) == ("soc@contoso.com", "resolved")
    assert g.patch("security/incidents/4217", json={"severity": "low"}).status_code == 400


def test_wrong_method_is_405(g):
    assert g.post("security/alerts_v2").status_code == 405
    assert g.get("identityProtection/riskyUsers/confirmCompromised").status_code == 405


def _later_sign_ins(g, tenant, seconds: float) -> list[dict]:
    tenant.advance(seconds)
    rows = g.get("auditLogs/signIns", params={"$filter": f"userPrincipalName eq '{MEGAN}'"}).json()["value"]
    return [r for r in rows if r["ipAddress"] == "102.89.34.11"]


def test_a_blocked_account_cannot_sign_in_afterwards(g, tenant):
    assert g.patch(f"users/{MEGAN}", json={"accountEnabled": False}).status_code == 204
    [sign_in] = _later_sign_ins(g, tenant, 200)          # the attacker's T+3m sign-in
    assert sign_in["status"]["errorCode"] == 50057


def test_revoked_sessions_end_the_session_sign_ins(g, tenant):
    assert g.post(f"users/{MEGAN}/revokeSignInSessions").status_code == 200
    [sign_in] = _later_sign_ins(g, tenant, 200)
    assert sign_in["isInteractive"] is False and sign_in["status"]["errorCode"] == 50133


def test_without_containment_the_attacker_gets_in(g, tenant):
    [sign_in] = _later_sign_ins(g, tenant, 200)
    assert sign_in["status"]["errorCode"] == 0
