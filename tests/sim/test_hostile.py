"""The hostile scenario's strings leave the server exactly as written: the console must cope, not us."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest


@pytest.fixture
def g(make_tenant, graph_for):
    return graph_for(make_tenant("hostile"))


@pytest.fixture(scope="module")
def written() -> dict:
    """The file as tomllib reads it, with `{repeat, times}` expanded by hand."""
    text = (resources.files("warroom.data") / "scenarios" / "hostile.toml").read_text(encoding="utf-8")

    def expand(value):
        if isinstance(value, dict):
            if set(value) == {"repeat", "times"}:
                return value["repeat"] * value["times"]
            return {k: expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [expand(v) for v in value]
        return value

    return expand(tomllib.loads(text))


def test_alert_strings_are_byte_exact(g, written):
    answer = g.get("security/alerts_v2/da666666666666666666_-666666666")
    raw = answer.content.decode("utf-8")  # valid UTF-8, and control characters only as JSON escapes
    assert "\x1b" not in raw and "\x00" not in raw
    alert = json.loads(raw)
    source = written["alerts"][0]
    for key in ("title", "description", "severity", "status", "category", "serviceSource", "mitreTechniques"):
        assert alert[key] == source[key]
    assert alert["title"] == "[bold red]x[/] \x1b[2J\x1b]52;c;ZWNobyBvd25lZA==\x07\u202etxt.exe"
    assert alert["severity"] == "catastrophic" and alert["status"] == "someFutureStatus"
    assert len(alert["description"]) == 10_000
    evidence = alert["evidence"]
    assert evidence[0]["userAccount"]["displayName"] == "[b]Mallory[/b]\x1b]0;pwned\x07"
    assert evidence[1]["ipAddress"] == "\x1b]8;;http://evil.example\x07203.0.113.66\x1b]8;;\x07"
    assert evidence[2]["@odata.type"] == "#microsoft.graph.security.someFutureEvidence"


def test_issue_and_service_strings_are_byte_exact(g, written):
    overview = g.get("admin/serviceAnnouncement/healthOverviews", params={"$expand": "issues"}).json()["value"]
    assert [s["status"] for s in overview] == ["someFutureStatus", "serviceInterruption", "serviceDegradation",
                                               "investigating"]
    assert overview[1]["service"] == "[bold red]Exchange[/] \x1b[2J\x1b[H Online"
    assert overview[2]["service"] == "[link=https://evil.example]x[/link] \x1b]52;c;ZWNobyBvd25lZA==\x07Teams"
    issues = {i["id"]: i for i in overview[0]["issues"]}
    hostile, huge = issues["EX1666666"], issues["EX1777777"]
    for key in ("title", "feature", "featureGroup", "classification", "status", "impactDescription"):
        assert hostile[key] == written["issues"][0][key]
    assert "\x00NUL" in hostile["impactDescription"] and "\x07BEL" in hostile["impactDescription"]
    assert hostile["posts"][0]["description"]["content"] == written["issues"][0]["posts"][0]["description"]
    assert huge["title"] == "0123456789" * 1000 and len(huge["title"]) == 10_000


def test_people_and_logs_carry_their_hostile_strings(g, written):
    user = g.get("users/mallory@contoso.onmicrosoft.com", params={"$select": "displayName,jobTitle"}).json()
    assert user["displayName"] == written["users"][0]["displayName"]
    assert user["jobTitle"] == "\x1b[5mBlinking\x1b[0m"
    risky = g.get("identityProtection/riskyUsers").json()["value"][0]
    assert (risky["riskLevel"], risky["riskState"]) == ("extreme", "someFutureStatus")
    sign_in = g.get("auditLogs/signIns").json()["value"][0]
    assert sign_in["status"]["failureReason"] == written["signIns"][0]["failureReason"]
    assert sign_in["location"]["countryOrRegion"] == "\u202eSU"
    message = g.get("admin/serviceAnnouncement/messages").json()["value"][0]
    assert message["title"] == written["messages"][0]["title"]
    assert message["body"]["content"] == written["messages"][0]["body"]
    incident = g.get("security/incidents/6666").json()
    assert incident["severity"] == "catastrophic" and incident["displayName"] == written["incidents"][0]["displayName"]
