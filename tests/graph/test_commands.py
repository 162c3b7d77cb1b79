"""`warroom status|preflight|whoami|login|logout` end to end against the simulated tenant."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from warroom.console.cli import main
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import open_journal
from warroom.console.sim import Fault

from .helpers import add_objects, gateway_for

HOSTILE = "Ex\x1b[2J\x1b]0;owned\x07change \u202eOnline\x9b31m\r\nfake line"


def _hostile_tenant(make_tenant, **kwargs):
    tenant = make_tenant(**kwargs)
    add_objects(tenant, "services", [{"id": "Evil", "service": HOSTILE, "status": "\x1b[32mserviceInterruption"}])
    add_objects(tenant, "alerts", [{"id": "da-x", "severity": "high\x1b[8m", "status": HOSTILE}])
    add_objects(tenant, "incidents", [{"id": "77", "displayName": HOSTILE, "severity": "high", "status": "active"}])
    add_objects(tenant, "riskyUsers", [{"userPrincipalName": "eve\x1b[1m@contoso.com", "riskLevel": "high"}])
    return tenant


def _assert_inert(text: str) -> None:
    for character in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert character not in text


def test_status_prints_graph_text_literally_and_inert(make_tenant, journal_path, capsys):
    tenant = _hostile_tenant(make_tenant)
    assert main(["status", "--graph-url", tenant.base_url, "--journal", str(journal_path)]) == 0
    out = capsys.readouterr().out
    _assert_inert(out)
    assert "Ex\\x1b[2J\\x1b]0;owned\\x07change \\u202eOnline\\x9b31m\\x0d\\x0afake line" in out
    assert "EX1195342" in out and "Exchange Online" in out
    assert "high\\x1b[8m" in out and "eve\\x1b[1m@contoso.com" in out
    assert "\nfake line" not in out


def test_status_json_keeps_the_text_verbatim_but_escaped(make_tenant, journal_path, capsys):
    tenant = _hostile_tenant(make_tenant)
    assert main(["status", "--json", "--graph-url", tenant.base_url, "--journal", str(journal_path)]) == 0
    out = capsys.readouterr().out
    _assert_inert(out)
    report = json.loads(out)
    assert {"service": HOSTILE, "status": "\x1b[32mserviceInterruption", "issues": []} in \
        report["services_not_operational"]
    assert report["alerts"]["high\x1b[8m"] == {HOSTILE: 1}
    assert report["active_incidents"][0]["name"] == HOSTILE
    assert all(s["health"] == "fresh" for s in report["sources"].values())


def test_status_offline_shows_the_last_known_state_from_the_journal(simulated_tenant, journal_path, capsys):
    async def console_was_watching() -> None:
        async with await open_journal(journal_path, actor="test") as journal:
            async with await gateway_for(simulated_tenant) as gateway:
                await TenantWatcher(gateway, journal, LiveState()).poll_once("health")

    asyncio.run(console_was_watching())
    url = simulated_tenant.base_url
    simulated_tenant.stop()
    assert main(["status", "--json", "--graph-url", url, "--journal", str(journal_path)]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["services_not_operational"] == [
        {"service": "Exchange Online", "status": "serviceDegradation", "issues": ["EX1195342"]}]
    health = report["sources"]["health"]
    assert health["health"] == "stale" and health["state"] == "last_known"
    assert "connection failed" in health["reason"]
    assert health["as_of"] and 0 <= health["age_seconds"] < 600
    # never observed, so nothing to fall back on: unknown, not "none"
    assert report["sources"]["alerts"]["state"] == "unknown" and report["alerts"] is None
    assert report["complete"] is False and "health" in report["unread_sources"]

    assert main(["status", "--graph-url", url, "--journal", str(journal_path)]) == 3
    out = capsys.readouterr().out
    assert "Services: 1 not operational  [last known state from the journal, " in out
    assert "not read now: connection failed" in out and "Exchange Online" in out
    assert "Alerts: unknown (not read: connection failed" in out


def test_status_with_graph_unreachable_says_unknown_and_exits_3(journal_path, capsys):
    """Nothing ever read: no "all operational", no "Alerts: 0", and a non-zero exit."""
    argv = ["status", "--graph-url", "http://127.0.0.1:9", "--journal", str(journal_path)]
    assert main(argv) == 3
    out = capsys.readouterr().out
    assert "all operational" not in out and "Alerts: 0" not in out
    for title in ("Services", "Alerts", "Active incidents", "Risky users"):
        assert f"\n{title}: unknown (not read: connection failed" in out
    assert main([*argv, "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] is False
    assert {row["state"] for row in report["sources"].values()} == {"unknown"}
    assert all("connection failed" in row["reason"] for row in report["sources"].values())
    assert report["services_not_operational"] is None and report["alerts"] is None
    assert report["active_incidents"] is None and report["risky_users"] is None


def test_status_against_a_healthy_simulated_tenant_is_complete_and_exits_0(make_tenant, journal_path, capsys):
    tenant = make_tenant("exchange-outage")
    argv = ["status", "--graph-url", tenant.base_url, "--journal", str(journal_path)]
    assert main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] is True and report["unread_sources"] == []
    assert {row["state"] for row in report["sources"].values()} == {"fresh"}
    assert all(row["reason"] is None for row in report["sources"].values())
    assert isinstance(report["alerts"], dict) and isinstance(report["risky_users"], list)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "unknown" not in out and "last known" not in out and "warning" not in out
    assert "Services: 1 not operational\n" in out and "Exchange Online" in out


def test_preflight_names_the_missing_permission(make_tenant, capsys):
    tenant = make_tenant(faults=[Fault("forbidden", "identityProtection/riskyUsers"),
                                 Fault("server-error", "auditLogs/signIns", status=503)])
    assert main(["preflight", "--graph-url", tenant.base_url]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[1]: line for line in out.splitlines()[1:]}
    assert lines["alerts"].startswith("ok ") and "works" in lines["alerts"]
    assert "missing permission" in lines["risky_users"] and "IdentityRiskyUser.Read.All" in lines["risky_users"]
    assert "unreachable" in lines["sign_ins"] and "HTTP 503" in lines["sign_ins"]
    assert main(["preflight", "--json", "--graph-url", tenant.base_url]) == 1
    rows = {r["source"]: r for r in json.loads(capsys.readouterr().out)["checks"]}
    assert rows["risky_users"]["verdict"] == "missing permission"


def test_login_needs_nothing_for_a_local_graph_and_logout_forgets(simulated_tenant, capsys):
    from warroom.console.graph.auth import record_path, save_record

    assert main(["login", "--graph-url", simulated_tenant.base_url]) == 0
    assert "no sign-in needed" in capsys.readouterr().out
    save_record('{"username": "someone"}')
    assert main(["logout"]) == 0
    assert "saved sign-in" in capsys.readouterr().out and not record_path().exists()


def test_status_never_loads_the_ui_stack(simulated_tenant, journal_path):
    script = (
        "import sys\n"
        "from warroom.console.cli import main\n"
        f"code = main(['status', '--graph-url', {simulated_tenant.base_url!r}, '--journal', {str(journal_path)!r}])\n"
        "assert code == 0, code\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'textual'], 'textual imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Exchange Online" in result.stdout


def _unsigned_jwt(claims: dict) -> str:
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_whoami_shows_the_token_roles_but_never_the_token(simulated_tenant, monkeypatch, capsys):
    token = _unsigned_jwt({"appid": "app-123", "tid": "tenant-9", "roles": ["SecurityAlert.Read.All",
                                                                          "ServiceHealth.Read.All"]})
    monkeypatch.setenv("WARROOM_GRAPH_TOKEN", token)
    assert main(["whoami", "--json", "--graph-url", simulated_tenant.base_url]) == 0
    out = capsys.readouterr().out
    info = json.loads(out)
    assert info["roles"] == ["SecurityAlert.Read.All", "ServiceHealth.Read.All"]
    assert info["appid"] == "app-123" and info["credential"] == "token"
    assert token not in out and token.split(".")[1] not in out
    assert simulated_tenant.requests[-1].headers["authorization"] == f"Bearer {token}"


class _FakeDeviceFlow:
    """Stands in for azure-identity's DeviceCodeCredential (no network): prompts, then returns a record."""

    def __init__(self, prompt):
        self.prompt = prompt

    def authenticate(self, *, scopes, enable_cae):
        from datetime import UTC, datetime

        from azure.identity import AuthenticationRecord

        assert scopes == ["https://graph.microsoft.us/.default"] and enable_cae
        self.prompt("https://microsoft.com/deviceloginus", "WXYZ-1234", datetime(2026, 11, 24, 22, 0, tzinfo=UTC))
        return AuthenticationRecord("tenant-9", "client-1", "login.microsoftonline.us", "home-1", "ann@contoso.us")

    def close(self):
        pass


def test_login_prints_the_device_code_and_saves_the_record_0600(monkeypatch, capsys):
    import stat

    from warroom.console.graph import auth

    seen = {}

    def fake(config, endpoint, *, prompt, interactive):
        seen.update(interactive=interactive, authority=endpoint.authority)
        return _FakeDeviceFlow(prompt)

    monkeypatch.setattr(auth, "device_code_credential", fake)
    assert main(["login", "--cloud", "usgov"]) == 0
    out = capsys.readouterr().out
    assert "https://microsoft.com/deviceloginus" in out and "WXYZ-1234" in out and "ann@contoso.us" in out
    assert seen == {"interactive": True, "authority": "login.microsoftonline.us"}
    assert stat.S_IMODE(auth.record_path().stat().st_mode) == 0o600
    assert auth.load_record().username == "ann@contoso.us"


def test_connecting_imports_the_sdk_off_the_event_loop_thread(simulated_tenant):
    script = (
        "import asyncio, sys, threading\n"
        "main_imports = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('msgraph', 'msgraph_core', 'kiota_http', 'azure') and \\\n"
        "                threading.current_thread() is threading.main_thread():\n"
        "            main_imports.append(name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from warroom.console.config import load_config\n"
        "from warroom.console.graph.connect import connect\n"
        "async def run():\n"
        f"    gateway = await connect(load_config(overrides={{'graph.url': {simulated_tenant.base_url!r}}}))\n"
        "    for name in ('health', 'alerts', 'incidents', 'risky_users'):\n"
        "        await gateway.collect(name)\n"
        "    await gateway.close()\n"
        "asyncio.run(run())\n"
        "print(sorted(set(main_imports)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_status_without_a_session_says_how_to_sign_in_and_touches_no_network(monkeypatch, journal_path, capsys):
    monkeypatch.setenv("WARROOM_CREDENTIAL", "token")          # and no WARROOM_GRAPH_TOKEN
    assert main(["status", "--journal", str(journal_path)]) == 3
    out = capsys.readouterr().out
    assert "not signed in: run `warroom login`" in out
    assert "alerts denied: sign-in required" in out


def test_status_counts_an_incidents_alerts_from_the_alerts_without_expanding_them(make_tenant, journal_path,
                                                                                   capsys):
    """An incident expanded with all its alerts can be one answer of many megabytes: status asks for incidents
    alone and counts each one's alerts among the alerts it read; unknown when the alerts could not be read."""
    from .helpers import alerts, requests_to

    tenant = make_tenant()
    add_objects(tenant, "incidents", [{"id": "88", "displayName": "Wave", "severity": "high", "status": "active"}])
    add_objects(tenant, "alerts", alerts(7, incidentId="88") + alerts(2, prefix="db"))
    argv = ["status", "--json", "--graph-url", tenant.base_url, "--journal", str(journal_path)]
    assert main(argv) == 0
    [wave] = [row for row in json.loads(capsys.readouterr().out)["active_incidents"] if row["id"] == "88"]
    assert wave["alerts"] == 7
    assert all("$expand" not in r.query for r in requests_to(tenant, "/security/incidents"))

    denied = make_tenant(faults=[Fault("forbidden", "security/alerts_v2")])
    add_objects(denied, "incidents", [{"id": "88", "displayName": "Wave", "severity": "high", "status": "active"}])
    assert main([*argv[:3], denied.base_url, *argv[4:]]) == 3
    [wave] = [row for row in json.loads(capsys.readouterr().out)["active_incidents"] if row["id"] == "88"]
    assert wave["alerts"] is None
