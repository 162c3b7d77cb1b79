"""The typed subject names only the accounts its object names, and the services and category it is about."""

from __future__ import annotations

from warroom.console.graph.live import LiveState
from warroom.console.graph.models import Alert, RiskyUser, SecurityIncident, ServiceIssue
from warroom.console.subject import NOTHING, describe_subject, is_upn, of_account, resolve

SYSTEM = {"@odata.type": "#microsoft.graph.security.userEvidence",
          "userAccount": {"accountName": "SYSTEM", "domainName": "NT AUTHORITY", "userSid": "S-1-5-18"}}


def _alert(id_: str, title: str, evidence: list, **extra) -> Alert:
    return Alert.from_graph({"id": id_, "title": title, "severity": "high", "status": "new",
                             "createdDateTime": "2026-11-24T14:00:00Z", "evidence": evidence, **extra})


def _live() -> LiveState:
    live = LiveState()
    live.alerts = {a.id: a for a in [
        _alert("a-system", "Suspicious process by SYSTEM", [SYSTEM,
               {**SYSTEM, "userAccount": {"userPrincipalName": "NT AUTHORITY\\SYSTEM"}}]),
        _alert("a-megan", "Anonymous IP address", [{"userAccount": {"userPrincipalName": "megan@contoso.com"}},
                                                   {"ipAddress": "203.0.113.9"}]),
        _alert("a-delete", "Unusual file deletion activity (by user)",
               [{"userAccount": {"userPrincipalName": "lee.gu@fabrikam.com"}},
                {"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence",
                 "displayName": "Microsoft SharePoint Online"}],
               incidentId="9031", mitreTechniques=["T1485"]),
    ]}
    live.incidents = {"9031": SecurityIncident.from_graph(
        {"id": "9031", "displayName": "Mass file deletion on one site involving one user", "severity": "high",
         "createdDateTime": "2026-11-24T13:58:00Z", "alerts": [{"id": "a-delete"}]})}
    live.risky_users = {"u-adele": RiskyUser.from_graph(
        {"id": "u-adele", "userPrincipalName": "adele@contoso.com", "riskLevel": "high", "riskState": "atRisk"})}
    live.issues = {"MO1": ServiceIssue.from_graph(
        {"id": "MO1", "title": "Users may be unable to sign in to multiple Microsoft 365 services",
         "service": "Microsoft 365 suite", "startDateTime": "2026-11-24T13:00:00Z",
         "impactDescription": "Users may be unable to sign in to multiple Microsoft 365 services, including "
                              "Microsoft Teams, Exchange Online and SharePoint Online."})}
    return live


def test_an_alert_naming_only_system_names_no_account() -> None:
    subject = resolve(_live(), "alert", "a-system")
    assert subject.accounts == () and subject.account == ""
    assert "Microsoft Entra" not in subject.services


def test_an_alert_names_its_own_account_only() -> None:
    subject = resolve(_live(), "alert", "a-megan")
    assert subject.accounts == ("megan@contoso.com",) and subject.ips == ("203.0.113.9",)
    assert subject.category == "security-incident" and subject.source()["type"] == "alert"


def test_a_defender_incident_about_a_sharepoint_site() -> None:
    subject = resolve(_live(), "incident", "9031")
    assert subject.kind == "defender_incident" and subject.accounts == ("lee.gu@fabrikam.com",)
    assert subject.services[0] == "SharePoint Online" and subject.category == "data-loss"
    assert subject.source()["started"] == "2026-11-24T13:58:00.000Z"


def test_a_risky_user_names_itself() -> None:
    subject = resolve(_live(), "risky_user", "u-adele")
    assert subject.accounts == ("adele@contoso.com",) and subject.category == "security-incident"
    assert "adele@contoso.com" in describe_subject(subject) and "nothing" not in describe_subject(subject)
    assert subject.source()["type"] == "risky_user"


def test_a_microsoft_issue_names_every_workload_it_affects_and_no_account() -> None:
    subject = resolve(_live(), "service_issue", "MO1")
    assert subject.services[0] == "Microsoft 365 suite"
    assert {"Microsoft Teams", "Exchange Online", "SharePoint Online"} <= set(subject.services)
    assert subject.accounts == () and subject.category == "service-outage"
    assert subject.link() == {"type": "service_issue", "id": "MO1", "title": subject.title}


def test_nothing_and_gone_objects_name_nothing() -> None:
    assert NOTHING.accounts == () and NOTHING.source() is None and NOTHING.link() is None
    gone = resolve(_live(), "alert", "not-any-more")
    assert gone.kind == "alert" and gone.accounts == () and gone.link()["id"] == "not-any-more"
    assert resolve(None, "risky_user", "u-adele").accounts == ()


def test_an_account_subject_is_the_account() -> None:
    assert of_account("x@y.example").accounts == ("x@y.example",)
    assert of_account("NT AUTHORITY\\SYSTEM").accounts == ()
    assert not is_upn("SYSTEM") and not is_upn("a@b") and is_upn("a.b@c.example")
