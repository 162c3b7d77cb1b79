"""`warroom investigate` and console/investigate.py against the simulated tenant: what is read, flagged, refused."""

from __future__ import annotations

import asyncio
import json

from warroom.console.cli import main
from warroom.console.investigate import SECTIONS, investigate
from warroom.console.sim import Fault

from ..graph.helpers import add_objects, gateway_for

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
HOSTILE = "Rule\x1b[2J\x1b]0;owned\x07 [bold red]x[/] \u202eevil\r\nfake line"


def _run(tenant, *args, journal_path, capsys) -> tuple[int, str]:
    code = main(["investigate", MEGAN, *args, "--graph-url", tenant.base_url, "--journal", str(journal_path)])
    return code, capsys.readouterr().out


def _paths(tenant, method: str = "GET") -> list[str]:
    return [r.path for r in tenant.requests if r.method == method]


def _assert_inert(text: str) -> None:
    for character in ("\x1b", "\x07", "\u202e", "\r"):
        assert character not in text


def test_json_has_exactly_the_sections_and_flags_what_the_attacker_left(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    code, out = _run(tenant, "--json", journal_path=journal_path, capsys=capsys)
    assert code == 0
    report = json.loads(out)
    assert list(report) == [*SECTIONS, "sources"]
    assert all(report["sources"][name]["state"] == "fresh" for name in SECTIONS)
    rules = {r["name"]: r for r in report["inbox_rules"]["rules"]}
    assert not rules["Newsletters"]["suspicious"]
    assert rules[".."]["suspicious"] and "moves to RSS Subscriptions" in rules[".."]["reasons"]
    assert any(r.startswith("forwards to megan.bowen.archive@proton.me (outside") for r in rules["Payroll"]["reasons"])
    assert "needs Exchange Online PowerShell" in json.dumps(report["mailbox_settings"]["not_checked"])
    assert "needs Exchange Online PowerShell" in json.dumps(report["inbox_rules"]["not_checked"])
    methods = {m["display_name"]: m for m in report["auth_methods"]}
    assert methods["SM-A515F"]["after_suspicious_sign_in"] and not methods["Megan's iPhone"]["after_suspicious_sign_in"]
    grants = {g["app"]: g for g in report["oauth_grants"]}
    assert grants["eM Client"]["high_risk_scopes"] == ["Mail.ReadWrite", "Mail.Send", "offline_access",
                                                      "EWS.AccessAsUser.All"]
    assert grants["Adobe Acrobat"]["high_risk_scopes"] == [] and grants["eM Client"]["resource"] == "Microsoft Graph"
    amsterdam = next(s for s in report["sign_ins"] if s["app"] == "OfficeHome")
    assert set(amsterdam["new"]) == {"country", "ip", "app"} and amsterdam["suspicious"]
    assert report["risky_user"]["state"]["riskState"] == "atRisk" and report["risky_user"]["history"]
    assert {d["riskEventType"] for d in report["risk_detections"]} == {"anonymizedIPAddress", "unfamiliarFeatures"}
    assert {a["activity"] for a in report["directory_audits"]} >= {"Consent to application"}
    paths = _paths(tenant)
    user_id = report["user"]["id"]
    assert f"/v1.0/users/{MEGAN}/mailFolders/inbox/messageRules" in paths
    assert f"/v1.0/users/{MEGAN}/authentication/methods" in paths
    assert f"/v1.0/identityProtection/riskyUsers/{user_id}/history" in paths
    grants_request = next(r for r in tenant.requests if r.path == "/v1.0/oauth2PermissionGrants")
    assert grants_request.query["$filter"] == f"principalId eq '{user_id}'"
    assert not _paths(tenant, "POST") and not _paths(tenant, "PATCH") and not _paths(tenant, "DELETE")


def test_text_names_what_graph_cannot_see_and_marks_findings(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    code, out = _run(tenant, journal_path=journal_path, capsys=capsys)
    assert code == 0
    assert "mailbox forwarding (ForwardingSmtpAddress" in out and "not checked: needs Exchange Online PowerShell" in out
    assert "Persistence found: 4" in out
    assert "REGISTERED AFTER FIRST SUSPICIOUS SIGN-IN" in out and "HIGH RISK: Mail.ReadWrite" in out
    assert "NEW-COUNTRY" in out


def test_a_denied_section_names_its_permission_and_exits_3(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account",
                         faults=[Fault("forbidden", f"users/{MEGAN}/mailFolders/inbox/messageRules")])
    code, out = _run(tenant, "--json", journal_path=journal_path, capsys=capsys)
    assert code == 3
    report = json.loads(out)
    assert report["inbox_rules"] is None
    assert report["sources"]["inbox_rules"]["state"] == "denied"
    assert report["sources"]["inbox_rules"]["permission"] == "MailboxSettings.Read"
    assert report["sources"]["auth_methods"]["state"] == "fresh"
    code, out = _run(tenant, journal_path=journal_path, capsys=capsys)
    assert code == 3 and "Inbox rules: NOT READ: denied: needs MailboxSettings.Read" in out
    assert "warning: not read: inbox_rules" in out


def test_a_permission_the_scenario_lacks_is_denied_by_name(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    tenant.scenario.permissions_missing.append("UserAuthenticationMethod.Read.All")
    try:
        code, out = _run(tenant, "--json", journal_path=journal_path, capsys=capsys)
    finally:
        tenant.scenario.permissions_missing.remove("UserAuthenticationMethod.Read.All")
    source = json.loads(out)["sources"]["auth_methods"]
    assert code == 3 and source["state"] == "denied" and source["permission"] == "UserAuthenticationMethod.Read.All"


def test_a_429_is_waited_for_once_then_reported(make_tenant):
    async def read(tenant):
        async with await gateway_for(tenant) as gateway:
            return await investigate(gateway, MEGAN)

    once = make_tenant("compromised-account", faults=[Fault("throttle", "oauth2PermissionGrants", count=1,
                                                            retry_after=0)])
    report = asyncio.run(read(once))
    assert report.sources["oauth_grants"].state == "fresh" and report.complete
    always = make_tenant("compromised-account", faults=[Fault("throttle", "oauth2PermissionGrants", retry_after=0)])
    report = asyncio.run(read(always))
    assert report.sources["oauth_grants"].state == "error" and "429" in report.sources["oauth_grants"].reason
    assert report.sections["oauth_grants"] is None and not report.complete
    assert len([r for r in always.requests if r.path == "/v1.0/oauth2PermissionGrants"]) == 2


def test_an_unknown_user_says_what_could_not_be_read(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    code = main(["investigate", "ghost@contoso.onmicrosoft.com", "--json", "--graph-url", tenant.base_url,
                 "--journal", str(journal_path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 3 and report["user"] is None and report["sources"]["user"]["state"] == "error"
    assert "object id" in report["sources"]["oauth_grants"]["reason"]


def test_hostile_rule_and_app_names_print_literally(make_tenant, journal_path, capsys):
    tenant = make_tenant("compromised-account")
    add_objects(tenant, "messageRules", [{"userPrincipalName": MEGAN, "displayName": HOSTILE,
                                          "actions": {"delete": True}}])
    add_objects(tenant, "servicePrincipals", [{"id": "0dd0e1f2-0000-4000-8000-000000000001", "displayName": HOSTILE}])
    add_objects(tenant, "oauth2PermissionGrants", [{"userPrincipalName": MEGAN, "scope": "Mail.Send",
                                                    "clientId": "0dd0e1f2-0000-4000-8000-000000000001"}])
    code, out = _run(tenant, journal_path=journal_path, capsys=capsys)
    assert code == 0
    _assert_inert(out)
    assert "\\x1b[2J" in out and "[bold red]x[/]" in out and "\nfake line" not in out
    code, out = _run(tenant, "--json", journal_path=journal_path, capsys=capsys)
    _assert_inert(out)
    report = json.loads(out)
    assert HOSTILE in {r["name"] for r in report["inbox_rules"]["rules"]}
    assert HOSTILE in {g["app"] for g in report["oauth_grants"]}
