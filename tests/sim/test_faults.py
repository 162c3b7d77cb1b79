"""Injected trouble looks exactly like Graph's (or a gateway's) trouble, and ends when it should."""

from __future__ import annotations

import json

import httpx
import pytest
from warroom.console.sim import Fault

ALERTS = "security/alerts_v2"


def test_throttle_with_retry_after_then_recovers(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("throttle", path_prefix=ALERTS, count=2, retry_after=7))
    for _ in range(2):
        answer = graph.get(ALERTS)
        assert answer.status_code == 429
        assert answer.headers["Retry-After"] == "7"
        assert answer.json()["error"]["code"] == "TooManyRequests"
    assert graph.get(ALERTS).status_code == 200
    assert [r.fault for r in simulated_tenant.requests] == ["throttle", "throttle", None]


def test_retry_after_is_whole_seconds(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("server-error", status=503, retry_after=0.2, count=1))
    assert graph.get(ALERTS).headers["Retry-After"] == "1"


def test_throttle_without_retry_after(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("throttle", count=1))
    answer = graph.get("admin/serviceAnnouncement/issues")
    assert answer.status_code == 429 and "Retry-After" not in answer.headers


def test_fault_only_hits_its_path_prefix(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("server-error", path_prefix="/security/", status=503))
    assert graph.get("admin/serviceAnnouncement/healthOverviews").status_code == 200
    assert graph.get(ALERTS).status_code == 503
    assert graph.get("security/incidents").status_code == 503
    simulated_tenant.clear_faults()
    assert graph.get(ALERTS).status_code == 200


@pytest.mark.parametrize(("status", "code"), [(500, "generalException"), (503, "ServiceUnavailable"),
                                              (504, "GatewayTimeout")])
def test_server_errors_carry_graph_error_json(simulated_tenant, graph, status, code):
    simulated_tenant.add_fault(Fault("server-error", status=status, count=1))
    answer = graph.get(ALERTS)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert error["code"] == code and error["innerError"]["request-id"] == answer.headers["request-id"]


def test_truncated_json_is_a_complete_response_with_a_broken_body(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("truncated-json", path_prefix="admin/serviceAnnouncement/issues", count=1))
    answer = graph.get("admin/serviceAnnouncement/issues")
    assert answer.status_code == 200
    assert int(answer.headers["Content-Length"]) == len(answer.content) > 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)
    assert graph.get("admin/serviceAnnouncement/issues").json()["value"]


def test_html_502_from_a_gateway(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("html-502", count=1))
    answer = graph.get(ALERTS)
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.content.startswith(b"<html>")


def test_slow_answer_is_still_the_normal_answer(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("slow", delay=0.05, count=1))
    answer = graph.get("admin/serviceAnnouncement/issues/EX1195342")
    assert answer.status_code == 200 and answer.json()["id"] == "EX1195342"
    assert simulated_tenant.requests[-1].fault == "slow"


def test_token_expiry_lasts_until_a_new_token_arrives(simulated_tenant, graph_for):
    simulated_tenant.add_fault(Fault("token-expired"))
    old = graph_for(simulated_tenant, token="token-1")
    for _ in range(3):
        answer = old.get(ALERTS)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert graph_for(simulated_tenant, token="token-2").get(ALERTS).status_code == 200
    assert old.get(ALERTS).status_code == 200  # the fault is over once a fresh token was seen


def test_forbidden_fault_and_missing_permission(make_tenant, graph_for, simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("forbidden", path_prefix="identityProtection"))
    denied = graph.get("identityProtection/riskyUsers")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "Authorization_RequestDenied"

    no_p2 = make_tenant("sharepoint-mass-deletion")  # permissions_missing = ["IdentityRiskyUser.Read.All"]
    client = graph_for(no_p2)
    assert client.get("identityProtection/riskyUsers").status_code == 403
    assert client.get(ALERTS).status_code == 200


def test_scenario_faults_follow_scenario_time(make_tenant, graph_for):
    tenant = make_tenant("entra-signin-outage")  # html-502 on alerts from T+60 to T+120; riskyUsers throttled x3
    client = graph_for(tenant)
    assert client.get(ALERTS).status_code == 200
    tenant.advance(61)
    assert client.get(ALERTS).status_code == 502
    tenant.advance(60)
    assert client.get(ALERTS).status_code == 200
    assert [client.get("identityProtection/riskyUsers").status_code for _ in range(4)] == [429, 429, 429, 200]
    # faults belong to each tenant: a second one starts with the scenario's full count again
    assert graph_for(make_tenant("entra-signin-outage")).get("identityProtection/riskyUsers").status_code == 429


def test_fault_parse_from_the_command_line():
    fault = Fault.parse("throttle,retry_after=5,path=security/alerts_v2,count=3")
    assert (fault.kind, fault.retry_after, fault.path_prefix, fault.count) == ("throttle", 5, "security/alerts_v2", 3)
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault.parse("meltdown")
    with pytest.raises(ValueError, match="unknown fault option"):
        Fault.parse("slow,speed=3")


def test_no_token_means_401_even_before_faults(simulated_tenant):
    simulated_tenant.add_fault(Fault("throttle"))
    assert httpx.get(f"{simulated_tenant.base_url}/{ALERTS}").status_code == 401


def test_disconnect_drops_the_connection_without_an_answer(simulated_tenant, graph):
    simulated_tenant.add_fault(Fault("disconnect", count=1))
    with pytest.raises(httpx.RemoteProtocolError):
        graph.get(ALERTS)
    assert simulated_tenant.requests[-1].fault == "disconnect"
    assert graph.get(ALERTS).status_code == 200


def test_a_stopped_tenant_is_unreachable_even_on_a_kept_alive_connection(simulated_tenant, graph):
    assert graph.get(ALERTS).status_code == 200  # the client now holds a keep-alive connection
    simulated_tenant.stop()
    with pytest.raises(httpx.TransportError):
        graph.get(ALERTS)


def test_a_restarted_tenant_comes_back_on_the_same_url_with_its_state(simulated_tenant, graph):
    upn = "megan.bowen@contoso.onmicrosoft.com"
    assert graph.patch(f"users/{upn}", json={"accountEnabled": False}).status_code == 204
    url = simulated_tenant.base_url
    simulated_tenant.stop()
    assert simulated_tenant.start() == url
    assert graph.get(f"users/{upn}", params={"$select": "accountEnabled"}).json()["accountEnabled"] is False


def test_rate_limit_answers_429_without_retry_after(make_tenant, graph_for):
    tenant = make_tenant("compromised-account", rate_limits={"identityProtection/riskyUsers": 3600})
    client = graph_for(tenant)
    assert client.get("identityProtection/riskyUsers").status_code == 200
    again = client.get("identityProtection/riskyUsers")
    assert again.status_code == 429 and "Retry-After" not in again.headers
    assert client.get(ALERTS).status_code == 200
    assert tenant.requests[1].fault == "rate-limit"
