"""The simulated tenant answers like Graph: shapes, headers, paging, errors, time."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def test_health_overviews_expand_issues_and_page(graph, simulated_tenant):
    first = graph.get("admin/serviceAnnouncement/healthOverviews", params={"$expand": "issues", "$top": "2"})
    assert first.status_code == 200
    assert first.headers["request-id"] and first.headers["client-request-id"]
    body = first.json()
    assert body["@odata.context"].endswith("$metadata#admin/serviceAnnouncement/healthOverviews")
    assert [s["id"] for s in body["value"]] == ["Exchange", "SharePoint"]
    assert [i["id"] for i in body["value"][0]["issues"]] == ["EX1195342"]
    link = body["@odata.nextLink"]
    assert link.startswith(simulated_tenant.base_url)
    assert parse_qs(urlsplit(link).query)["$top"] == ["2"]
    everything = graph.all_pages("admin/serviceAnnouncement/healthOverviews", params={"$top": "2"})
    assert len(everything) == 6 and len({s["id"] for s in everything}) == 6


def test_a_service_is_found_by_id_or_by_name(graph):
    by_id = graph.get("admin/serviceAnnouncement/healthOverviews/Exchange").json()
    by_name = graph.get("admin/serviceAnnouncement/healthOverviews/Exchange Online").json()
    assert by_id["service"] == by_name["service"] == "Exchange Online"


def test_request_without_token_is_401_with_graph_error(simulated_tenant):
    import httpx

    answer = httpx.get(f"{simulated_tenant.base_url}/security/alerts_v2", headers={"client-request-id": "abc"})
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["innerError"]["client-request-id"] == "abc"
    assert error["innerError"]["request-id"] == answer.headers["request-id"]
    assert simulated_tenant.requests[-1].status == 401


def test_timeline_moves_the_exchange_issue(graph, simulated_tenant):
    before = graph.get("admin/serviceAnnouncement/issues/EX1195342").json()
    assert before["status"] == "investigating" and len(before["posts"]) == 2
    simulated_tenant.advance(61)
    after = graph.get("admin/serviceAnnouncement/issues/EX1195342").json()
    assert after["status"] == "restoringService"
    assert len(after["posts"]) == 4
    assert after["lastModifiedDateTime"] > before["lastModifiedDateTime"]
    simulated_tenant.advance(300)
    done = graph.get("admin/serviceAnnouncement/issues/EX1195342").json()
    assert done["isResolved"] is True and done["endDateTime"]


def test_incident_report_is_a_stream(graph):
    answer = graph.get("admin/serviceAnnouncement/issues/EX1195342/incidentReport()")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert b"EX1195342" in answer.content


def test_unknown_user_is_404_and_unknown_segment_400(graph):
    missing = graph.get("users/nobody@contoso.onmicrosoft.com")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    unknown = graph.get("admin/serviceAnnouncement/nonsense")
    assert unknown.status_code == 400
    assert "nonsense" in unknown.json()["error"]["message"]


def test_concurrent_readers_and_writers_see_consistent_state(make_tenant):
    """One lock guards the state: parallel pollers, containment and advance() never trip over each other."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    tenant = make_tenant("compromised-account")
    headers = {"Authorization": "Bearer t"}
    upn = "megan.bowen@contoso.onmicrosoft.com"

    def poll(i: int) -> int:
        if i % 10 == 0:
            tenant.advance(10)
            return client.patch(f"{tenant.base_url}/users/{upn}", json={"accountEnabled": i % 20 == 0}).status_code
        return client.get(f"{tenant.base_url}/security/alerts_v2", params={"$top": "50"}).status_code

    with httpx.Client(headers=headers) as client, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(poll, range(80)))
    assert statuses.count(200) == 72 and statuses.count(204) == 8
    assert len(tenant.requests) == 80
    audits = [a for a in tenant.state.items("directoryAudits") if a["activityDisplayName"] == "Update user"]
    assert len(audits) == 8
    generated = len(tenant.state.items("alerts"))
    assert generated == len({a["id"] for a in tenant.state.items("alerts")})
