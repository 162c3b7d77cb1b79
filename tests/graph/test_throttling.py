"""Graph's throttling honoured by the one-shot commands and every riskyUsers request, against the simulated tenant."""

from __future__ import annotations

import asyncio
import itertools
import json

from warroom.console.cli import main
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.graph.waiting import WaitBudget
from warroom.console.sim import Fault

from .helpers import gateway_for, requests_to

RISKY = "/identityProtection/riskyUsers"


def _status(tenant, journal_path, *extra: str) -> list[str]:
    return ["status", "--graph-url", tenant.base_url, "--journal", str(journal_path), *extra]


def test_status_waits_out_retry_after_and_says_so(make_tenant, journal_path, capsys):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=1)])
    assert main(_status(tenant, journal_path)) == 0
    out = capsys.readouterr().out
    assert "waited 1 s for alerts (429, Retry-After 1 s)" in out
    assert "unknown" not in out and "warning" not in out
    sent = requests_to(tenant, "/security/alerts_v2")
    assert [r.status for r in sent] == [429, 200] and sent[1].at - sent[0].at >= 1.0


def test_status_retries_a_503_and_reports_the_waits_in_json(make_tenant, journal_path, capsys):
    tenant = make_tenant(faults=[Fault("server-error", "admin/serviceAnnouncement/healthOverviews", count=2,
                                       retry_after=1)])
    assert main(_status(tenant, journal_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["complete"] is True
    assert [(w["source"], w["seconds"], w["waited"]) for w in report["waits"]] == [("health", 1, True)] * 2
    assert report["waits"][0]["reason"] == "HTTP 503"


def test_no_wait_reports_the_throttled_source_at_once(make_tenant, journal_path, capsys):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=30)])
    assert main(_status(tenant, journal_path, "--no-wait")) == 3
    out = capsys.readouterr().out
    assert "did not wait 30 s for alerts (429, Retry-After 30 s): over the --wait budget" in out
    assert "Alerts: unknown (not read: 429, Retry-After 30 s)" in out
    assert len(requests_to(tenant, "/security/alerts_v2")) == 1


def test_a_retry_after_longer_than_the_budget_is_not_waited_for(make_tenant, journal_path, capsys):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", retry_after=120)])
    assert main(_status(tenant, journal_path, "--wait", "5")) == 3
    assert "did not wait 120 s for alerts" in capsys.readouterr().out
    assert len(requests_to(tenant, "/security/alerts_v2")) == 1


def test_a_refused_connection_is_not_waited_for(journal_path, capsys):
    argv = ["status", "--graph-url", "http://127.0.0.1:9", "--journal", str(journal_path)]
    assert main(argv) == 3
    assert "waited" not in capsys.readouterr().out


def test_preflight_waits_for_the_rate_limited_risky_users_and_says_so(make_tenant, capsys):
    tenant = make_tenant(faults=[Fault("throttle", "identityProtection/riskyUsers", count=1),
                                 Fault("throttle", "auditLogs/signIns", count=1, retry_after=1)])
    assert main(["preflight", "--graph-url", tenant.base_url]) == 0
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()[1:]}
    assert "works" in lines["risky_users"] and "after waiting 1 s (429)" in lines["risky_users"]
    assert "after waiting 1 s (429, Retry-After 1 s)" in lines["sign_ins"]
    assert main(["preflight", "--no-wait", "--graph-url", tenant.base_url]) == 0     # the faults are spent


def test_preflight_no_wait_keeps_todays_verdict(make_tenant, capsys):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=2)])
    assert main(["preflight", "--no-wait", "--json", "--graph-url", tenant.base_url]) == 1
    report = json.loads(capsys.readouterr().out)
    rows = {r["source"]: r for r in report["checks"]}
    assert rows["alerts"]["verdict"] == "throttled"
    assert report["waits"] == [{"source": "alerts", "seconds": 2.0, "reason": "429, Retry-After 2 s",
                                "waited": False}]


async def test_every_risky_users_request_keeps_one_second_apart_even_a_containment_post(make_tenant):
    """riskyUsers: one request a second per tenant, answered 429 without Retry-After otherwise."""
    tenant = make_tenant("compromised-account", rate_limits={"identityProtection/riskyUsers": 1})
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState())
        await watcher.poll_once("risky_users")
        [user] = [u for u in watcher.state.risky_users.values()][:1]
        await asyncio.gather(
            gateway.send("POST", "identityProtection/riskyUsers/confirmCompromised", {"userIds": [user.id]}),
            watcher.poll_once("risky_users"),
        )
    sent = [r for r in tenant.requests if RISKY in r.path]
    assert sorted(r.status for r in sent) == [200, 200, 204]
    assert all(b.at - a.at >= 0.99 for a, b in itertools.pairwise(sent))
    assert not [r for r in sent if r.fault == "rate-limit"]


def test_the_budget_counts_every_wait_and_refuses_past_its_end():
    now = [0.0]
    budget = WaitBudget(10, clock=lambda: now[0])
    assert budget.take("alerts", 4, "429")
    now[0] = 4
    assert budget.take("health", 6, "HTTP 503")
    now[0] = 10
    assert not budget.take("risky_users", 0.5, "429")
    assert [w.done for w in budget.waits] == [True, True, False]
    assert budget.fallback(1) == 1 and budget.fallback(3) == 4 and budget.fallback(9) == 30


def test_status_rides_out_risky_users_429s_without_retry_after(make_tenant, journal_path, capsys):
    """The entra-signin-outage scenario throttles riskyUsers three times, without Retry-After, as Graph does."""
    tenant = make_tenant("entra-signin-outage")
    assert main(_status(tenant, journal_path, "--json")) == 0
    report = json.loads(capsys.readouterr().out)
    waits = [w for w in report["waits"] if w["source"] == "risky_users"]
    assert len(waits) == 3 and all(w["waited"] and w["reason"] == "429" and w["seconds"] >= 1 for w in waits)
    sent = requests_to(tenant, RISKY)
    assert [r.status for r in sent] == [429, 429, 429, 200]
    assert all(b.at - a.at >= 0.99 for a, b in itertools.pairwise(sent))
