"""Enum values in any casing: known members match case-insensitively; unknown ones are kept and shown as sent."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from warroom.console.cli import main
from warroom.console.graph import models
from warroom.console.graph.models import Alert, RiskyUser, SecurityIncident, ServiceHealth, ServiceIssue

from .helpers import add_objects

TABLES = {name: getattr(models, name) for name in (
    "HEALTH_STATUS", "ISSUE_CLASSIFICATION", "ISSUE_ORIGIN", "POST_TYPE", "MESSAGE_SEVERITY", "MESSAGE_CATEGORY",
    "ALERT_SEVERITY", "ALERT_STATUS", "INCIDENT_STATUS", "CLASSIFICATION", "DETERMINATION", "RISK_LEVEL",
    "RISK_STATE", "AUDIT_RESULT")}


@st.composite
def recased(draw, table: str) -> tuple[str, str]:
    canonical = draw(st.sampled_from(sorted(TABLES[table].values())))
    flips = draw(st.lists(st.booleans(), min_size=len(canonical), max_size=len(canonical)))
    return canonical, "".join(c.upper() if flip else c.lower() for c, flip in zip(canonical, flips, strict=True))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), table=st.sampled_from(sorted(TABLES)))
def test_a_known_member_in_any_casing_is_its_documented_spelling(data, table) -> None:
    canonical, sent = data.draw(recased(table))
    assert models._enum(sent, TABLES[table]) == canonical


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=30), table=st.sampled_from(sorted(TABLES)))
def test_anything_else_is_kept_exactly_as_sent(value: str, table: str) -> None:
    if value.lower() not in TABLES[table]:
        assert models._enum(value, TABLES[table]) == value


def test_pascal_case_from_graphs_samples_reads_like_camel_case() -> None:
    assert ServiceHealth.from_graph({"id": "x", "status": "ServiceOperational"}).operational
    issue = ServiceIssue.from_graph({"id": "EX1", "status": "ServiceDegradation", "classification": "Incident",
                                     "posts": [{"postType": "Regular"}]})
    assert (issue.status, issue.classification, issue.posts[0].post_type) == ("serviceDegradation", "incident",
                                                                             "regular")
    alert = Alert.from_graph({"id": "a", "severity": "High", "status": "InProgress"})
    assert (alert.severity, alert.status, alert.severity_rank) == ("high", "inProgress", 0)
    assert RiskyUser.from_graph({"id": "u", "riskLevel": "HIGH", "riskState": "AtRisk"}).risk_state == "atRisk"
    assert SecurityIncident.from_graph({"id": "1", "status": "Active", "severity": "Medium"}).severity == "medium"
    unknown = Alert.from_graph({"id": "b", "severity": "Catastrophic", "status": "SomethingNew"})
    assert (unknown.severity, unknown.status) == ("Catastrophic", "SomethingNew")


def test_status_reads_pascal_case_values_from_the_tenant(make_tenant, journal_path, capsys) -> None:
    tenant = make_tenant()
    add_objects(tenant, "services", [{"id": "Fine", "service": "Fine Service", "status": "ServiceOperational"},
                                     {"id": "Odd", "service": "Odd Service", "status": "BrandNewState"}])
    add_objects(tenant, "alerts", [{"id": "pa1", "severity": "High", "status": "InProgress"},
                                   {"id": "pa2", "severity": "Catastrophic", "status": "New"}])
    add_objects(tenant, "riskyUsers", [{"userPrincipalName": "pat@contoso.com", "riskLevel": "High",
                                        "riskState": "AtRisk"}])
    assert main(["status", "--json", "--graph-url", tenant.base_url, "--journal", str(journal_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    services = {row["service"]: row["status"] for row in report["services_not_operational"]}
    assert "Fine Service" not in services and services["Odd Service"] == "BrandNewState"
    assert report["alerts"]["high"]["inProgress"] >= 1
    assert report["alerts"]["Catastrophic"] == {"new": 1}
    assert {"upn": "pat@contoso.com", "level": "high", "state": "atRisk"} in report["risky_users"]
