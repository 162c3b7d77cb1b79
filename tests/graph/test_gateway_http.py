"""The gateway over real HTTP through msgraph-sdk against the simulated tenant: paging, errors, no silent retries."""

from __future__ import annotations

import json

import httpx
import pytest
from warroom.console.graph.errors import (
    GraphDenied,
    GraphNotFound,
    GraphRejected,
    GraphThrottled,
    GraphUnavailable,
)
from warroom.console.graph.sources import SOURCES
from warroom.console.sim import Fault

from .helpers import NumberedTokens, add_objects, alerts, gateway_for, requests_to


async def test_pages_follow_next_links_to_the_end(simulated_tenant):
    add_objects(simulated_tenant, "alerts", alerts(2500))
    async with await gateway_for(simulated_tenant) as gateway:
        pages = [page async for page in gateway.pages("alerts")]
    assert [len(p) for p in pages] == [1000, 1000, 500]
    assert len({a["id"] for p in pages for a in p}) == 2500
    sent = requests_to(simulated_tenant, "/security/alerts_v2")
    assert len(sent) == 3 and "$skiptoken" not in sent[0].query and all("$skiptoken" in r.query for r in sent[1:])
    assert all(r.headers["authorization"] == "Bearer token-1" for r in sent)
    assert all("include-unknown-enum-members" in r.headers.get("prefer", "") for r in sent)


async def test_a_throttled_get_is_not_retried_by_the_sdk_and_reports_retry_after(make_tenant):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=7)])
    async with await gateway_for(tenant) as gateway:
        with pytest.raises(GraphThrottled) as caught:
            await gateway.collect("alerts")
    assert caught.value.retry_after == 7
    assert caught.value.request_id                      # captured from the response
    assert len(requests_to(tenant, "/security/alerts_v2")) == 1


async def test_containment_posts_are_sent_exactly_once_even_when_throttled(make_tenant):
    tenant = make_tenant(faults=[Fault("throttle", "users", method="POST", count=2, retry_after=1),
                                 Fault("server-error", "users", method="PATCH", count=2, status=503)])
    async with await gateway_for(tenant) as gateway:
        with pytest.raises(GraphThrottled):
            await gateway.send("POST", "/users/adele.vance@contoso.com/revokeSignInSessions")
        with pytest.raises(GraphUnavailable):
            await gateway.send("PATCH", "/users/adele.vance@contoso.com", {"accountEnabled": False})
    assert len(requests_to(tenant, "/revokeSignInSessions", "POST")) == 1
    assert len([r for r in tenant.requests if r.method == "PATCH"]) == 1


async def test_describe_request_is_exactly_what_send_puts_on_the_wire(simulated_tenant):
    async with await gateway_for(simulated_tenant) as gateway:
        users = await gateway.get_all("/users", {"$select": "id,userPrincipalName"})
        target = f"/users/{users[0]['id']}"
        preview = gateway.describe_request("PATCH", target, {"accountEnabled": False})
        response = await gateway.send("PATCH", target, {"accountEnabled": False})
    sent = [r for r in simulated_tenant.requests if r.method == "PATCH"][-1]
    assert preview.method == "PATCH"
    assert preview.url == simulated_tenant.base_url + target
    assert sent.path == "/v1.0" + target
    assert sent.body == json.loads(preview.body)
    assert response.status in (200, 204) and response.request_id == sent.headers["request-id"]


async def test_errors_are_typed_and_name_the_permission(make_tenant):
    tenant = make_tenant(faults=[Fault("forbidden", "identityProtection/riskyUsers"),
                                 Fault("html-502", "security/incidents"),
                                 Fault("truncated-json", "admin/serviceAnnouncement/messages")])
    async with await gateway_for(tenant) as gateway:
        with pytest.raises(GraphDenied) as denied:
            await gateway.collect("risky_users")
        with pytest.raises(GraphUnavailable, match="HTML page"):
            await gateway.collect("incidents")
        with pytest.raises(GraphUnavailable, match="truncated JSON"):
            await gateway.collect("messages")
        with pytest.raises(GraphNotFound):
            await gateway.get_json("/users/nobody@nowhere.example")
        with pytest.raises(GraphRejected):
            await gateway.get_json("/security/alerts_v2", {"$filter": "severity eqq 'high'"})
    assert denied.value.permission == SOURCES["risky_users"].permission == "IdentityRiskyUser.Read.All"
    assert denied.value.reason == "403 IdentityRiskyUser.Read.All"
    assert denied.value.code == "Authorization_RequestDenied"


async def test_a_401_asks_for_a_new_token_and_retries_once(make_tenant):
    tenant = make_tenant(faults=[Fault("token-expired", "security/alerts_v2")])
    credential = NumberedTokens()
    async with await gateway_for(tenant, credential) as gateway:
        await gateway.collect("alerts")
    sent = requests_to(tenant, "/security/alerts_v2")
    assert [r.status for r in sent] == [401, 200]
    assert [r.headers["authorization"] for r in sent] == ["Bearer token-1", "Bearer token-2"]
    assert credential.issued == 2


async def test_a_timeout_and_a_refused_connection_are_unavailable_not_crashes(make_tenant):
    tenant = make_tenant(faults=[Fault("slow", "security/alerts_v2", delay=1.0, count=1)])
    async with await gateway_for(tenant, timeout=httpx.Timeout(0.3)) as gateway:
        with pytest.raises(GraphUnavailable, match="timeout"):
            await gateway.collect("alerts")
        assert await gateway.collect("alerts") == []      # the next attempt works
    tenant.stop()
    async with await gateway_for(tenant) as gateway:
        with pytest.raises(GraphUnavailable, match="connection failed"):
            await gateway.collect("alerts")


async def test_a_next_link_to_another_host_or_collection_is_refused(simulated_tenant):
    async with await gateway_for(simulated_tenant) as gateway:
        assert "another host (evil.example)" == gateway._leaves_collection(
            "https://evil.example/v1.0/security/alerts_v2?$skiptoken=x", "/security/alerts_v2")
        assert "another path (/v1.0/users)" == gateway._leaves_collection(
            f"{simulated_tenant.base_url}/users?$skiptoken=x", "/security/alerts_v2")
        assert gateway._leaves_collection(
            f"{simulated_tenant.base_url}/security/Alerts_v2/?$skiptoken=x", "/security/alerts_v2") is None


def _response(status: int, body: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


def test_classify_tells_a_missing_licence_and_a_missing_role_from_a_missing_permission():
    from warroom.console.graph.gateway import classify

    licence = classify(_response(403, json.dumps({"error": {
        "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "message": "Neither tenant is B2C or tenant doesn't have premium license"}}).encode()),
        "GET", "/auditLogs/signIns")
    assert isinstance(licence, GraphDenied) and licence.licence and licence.permission == "AuditLog.Read.All"
    role = classify(_response(403, json.dumps({"error": {
        "code": "Forbidden", "message": "The user needs the Security Reader role"}}).encode()), "GET",
        "/security/incidents")
    assert isinstance(role, GraphDenied) and role.role and not role.licence
    plain = classify(_response(403, b'{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient'
                                    b' privileges to complete the operation."}}'), "GET", "/security/incidents")
    assert not plain.role and not plain.licence and plain.reason == "403 SecurityIncident.Read.All"


def test_classify_reads_retry_after_as_seconds_or_an_http_date():
    from datetime import timedelta
    from email.utils import format_datetime

    from warroom.console.graph.gateway import classify
    from warroom.console.timefmt import utc_now

    assert classify(_response(429, **{"Retry-After": "12"}), "GET", "/x").retry_after == 12
    later = format_datetime(utc_now().replace(microsecond=0) + timedelta(seconds=90), usegmt=True)
    assert 80 <= classify(_response(429, **{"Retry-After": later}), "GET", "/x").retry_after <= 90
    assert classify(_response(429), "GET", "/x").retry_after is None
    unavailable = classify(_response(504, b"<html>gateway timeout</html>", **{"content-type": "text/html"}),
                           "GET", "/x")
    assert isinstance(unavailable, GraphUnavailable) and unavailable.reason == "HTTP 504 (HTML page)"


async def test_incident_report_comes_back_as_the_bytes_graph_sent(make_tenant):
    tenant = make_tenant(faults=[Fault("forbidden", "admin/serviceAnnouncement/issues/EX0000000")])
    async with await gateway_for(tenant) as gateway:
        report = await gateway.incident_report("EX1195342")
        with pytest.raises(GraphDenied) as denied:
            await gateway.incident_report("EX0000000")
    assert b"EX1195342" in report
    assert denied.value.permission == "ServiceHealth.Read.All"
    assert requests_to(tenant, "/issues/EX1195342/incidentReport()")
