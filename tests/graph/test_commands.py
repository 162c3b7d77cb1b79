"""`warroom status|preflight|whoami|login|logout` end to end against the simulated tenant."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from warroom.console.cli import main
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import Journal
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
        async with await Journal.open(journal_path, actor="test") as journal:
            async with await gateway_for(simulated_tenant) as gateway:
                await TenantWatcher(gateway, journal, LiveState()).poll_once("health")

    asyncio.run(console_was_watching())
    url = simulated_tenant.base_url
    simulated_tenant.stop()
    assert main(["status", "--json", "--graph-url", url, "--journal", str(journal_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["services_not_operational"] == [
        {"service": "Exchange Online", "status": "serviceDegradation", "issues": ["EX1195342"]}]
    assert report["sources"]["health"]["health"] == "stale"
    assert "connection failed" in report["sources"]["health"]["reason"]


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
