"""Paging and the OData query options a poller sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warroom.console.timefmt import to_iso


@pytest.fixture
def tenant(make_tenant):
    return make_tenant("compromised-account", start_at=700)  # the whole timeline has happened


@pytest.fixture
def g(tenant, graph_for):
    return graph_for(tenant)


def test_paging_walks_every_alert_exactly_once(g, tenant):
    first = g.get("security/alerts_v2", params={"$top": "50"}).json()
    assert len(first["value"]) == 50 and "$skiptoken=" in first["@odata.nextLink"]
    alerts = g.all_pages("security/alerts_v2", params={"$top": "50"})
    assert len(alerts) == len({a["id"] for a in alerts}) == len(tenant.state.data["alerts"]) == 305
    last = g.get("security/alerts_v2", params={"$top": "1000"}).json()
    assert "@odata.nextLink" not in last and len(last["value"]) == 305


def test_alert_shape_has_evidence_and_mitre(g):
    alert = g.get("security/alerts_v2/da638676543210987654_-1843290127").json()
    assert alert["@odata.type"] == "#microsoft.graph.security.alert"
    assert alert["mitreTechniques"] == ["T1566.002", "T1204.001"]
    user = alert["evidence"][0]
    assert user["@odata.type"] == "#microsoft.graph.security.userEvidence"
    assert user["userAccount"]["userPrincipalName"] == "megan.bowen@contoso.onmicrosoft.com"


def test_filter_on_last_update_returns_only_newer_alerts(g, tenant):
    cutoff = tenant.state.origin + timedelta(seconds=400)
    newer = g.all_pages("security/alerts_v2", params={"$filter": f"lastUpdateDateTime ge {to_iso(cutoff)}",
                                                       "$top": "100"})
    expected = [a for a in tenant.state.items("alerts") if a["lastUpdateDateTime"] >= to_iso(cutoff)]
    assert 0 < len(newer) < 305
    assert {a["id"] for a in newer} == {a["id"] for a in expected}


def test_orderby_created_descending(g):
    page = g.get("security/alerts_v2", params={"$orderby": "createdDateTime desc", "$top": "20"}).json()["value"]
    stamps = [a["createdDateTime"] for a in page]
    assert stamps == sorted(stamps, reverse=True)


def test_sign_ins_filtered_by_upn_and_by_user_id(g):
    upn = "megan.bowen@contoso.onmicrosoft.com"
    by_upn = g.get("auditLogs/signIns", params={"$filter": f"userPrincipalName eq '{upn}'"}).json()["value"]
    assert len(by_upn) == 8 and {s["userPrincipalName"] for s in by_upn} == {upn}
    user_id = by_upn[0]["userId"]
    by_id = g.get("auditLogs/signIns", params={"$filter": f"userId eq '{user_id}'", "$top": "3"}).json()
    assert len(by_id["value"]) == 3 and "@odata.nextLink" in by_id


def test_directory_audits_filtered_by_initiator_and_target(g):
    upn = "megan.bowen@contoso.onmicrosoft.com"
    mine = g.get("auditLogs/directoryAudits",
                 params={"$filter": f"initiatedBy/user/userPrincipalName eq '{upn}'"}).json()["value"]
    assert [a["activityDisplayName"] for a in mine] == ["User registered security info", "Consent to application"]
    target = g.get("auditLogs/directoryAudits",
                   params={"$filter": f"targetResources/any(t: t/userPrincipalName eq '{upn}')"}).json()["value"]
    assert [a["activityDisplayName"] for a in target] == ["User registered security info"]


def test_incidents_expand_alerts_and_count(g):
    body = g.get("security/incidents", params={"$expand": "alerts", "$count": "true"}).json()
    assert body["@odata.count"] == 2
    incident = next(i for i in body["value"] if i["id"] == "4217")
    assert {a["incidentId"] for a in incident["alerts"]} == {"4217"} and len(incident["alerts"]) == 4
    # A $select nested in the $expand (what the watcher asks for): each alert as its id alone.
    body = g.get("security/incidents", params={"$expand": "alerts($select=id)"}).json()
    incident = next(i for i in body["value"] if i["id"] == "4217")
    assert [{k for k in a if not k.startswith("@odata.")} for a in incident["alerts"]] == [{"id"}] * 4


def test_users_need_select_for_account_enabled(g):
    upn = "megan.bowen@contoso.onmicrosoft.com"
    plain = g.get(f"users/{upn}").json()
    assert "accountEnabled" not in plain and plain["userPrincipalName"] == upn
    chosen = g.get(f"users/{upn}", params={"$select": "id,accountEnabled,displayName"}).json()
    assert chosen["accountEnabled"] is True and set(chosen) == {"@odata.context", "id", "accountEnabled",
                                                                "displayName"}


@pytest.mark.parametrize("params", [
    {"$top": "0"}, {"$top": "abc"}, {"$top": "5000"}, {"$filter": "severity eq"}, {"$filter": "title xx 'a'"},
    {"$skiptoken": "not-a-token"},
])
def test_bad_query_options_are_400(g, params):
    answer = g.get("security/alerts_v2", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BadRequest"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(top=st.integers(min_value=7, max_value=120), severity=st.sampled_from(["high", "medium", "informational"]),
       descending=st.booleans())
def test_paging_any_page_size_returns_the_filtered_set_in_order(g, tenant, top, severity, descending):
    params = {"$top": str(top), "$filter": f"severity eq '{severity}'",
              "$orderby": f"createdDateTime {'desc' if descending else 'asc'},id"}
    paged = g.all_pages("security/alerts_v2", params=params)
    whole = g.get("security/alerts_v2", params={**params, "$top": "1000"}).json()["value"]
    assert [a["id"] for a in paged] == [a["id"] for a in whole]
    assert {a["id"] for a in paged} == {a["id"] for a in tenant.state.items("alerts") if a["severity"] == severity}
