"""Enhanced monitoring: with a watch list, Defender alerts are polled more often, and Retry-After still holds."""

from __future__ import annotations

import asyncio

from warroom.console.config import load_config
from warroom.console.graph.live import LiveState, TenantWatcher, poll_intervals, watch_set
from warroom.console.sim import Fault

from ..waiting import until
from .helpers import add_objects, alerts, gateway_for, requests_to


def test_watched_alerts_interval_is_a_setting_with_a_ten_second_default() -> None:
    assert poll_intervals(load_config(overrides={}))["watched_alerts"] == 10.0
    assert poll_intervals(load_config(overrides={"graph.poll.watched_alerts": 5}))["watched_alerts"] == 5.0


def test_watch_set_is_lower_case_and_skips_blanks() -> None:
    assert watch_set(["Adele.Vance@Contoso.com", " 203.0.113.7 ", ""]) == {"adele.vance@contoso.com", "203.0.113.7"}
    assert watch_set(None) == frozenset()


async def test_alerts_poll_at_the_watched_interval_only_while_someone_is_watched(simulated_tenant) -> None:
    add_objects(simulated_tenant, "alerts", alerts(3))
    watched: set[str] = set()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState(), watch_list=lambda: watched)
        assert await watcher.poll_once("alerts") == 30.0
        watched.add("adele.vance@contoso.com")
        assert await watcher.poll_once("alerts") == 10.0
        assert await watcher.poll_once("incidents") == 60.0          # only alerts speed up
        watched.clear()
        assert await watcher.poll_once("alerts") == 30.0
    assert len(requests_to(simulated_tenant, "/security/alerts_v2")) == 3


async def test_a_failing_watch_list_callback_keeps_the_usual_pace(simulated_tenant) -> None:
    def broken() -> set[str]:
        raise RuntimeError("no incident book")

    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState(), watch_list=broken)
        assert await watcher.poll_once("alerts") == 30.0


async def test_retry_after_beats_the_watched_interval(make_tenant) -> None:
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=1)])
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState(), intervals={"watched_alerts": 0.01},
                                watch_list=lambda: {"203.0.113.7"})
        assert await watcher.poll_once("alerts") == 1            # throttled: Retry-After, not 0.01 s
        assert await watcher.poll_once("alerts") == 0.01         # waits the second out first, then fast again
    sent = requests_to(tenant, "/security/alerts_v2")
    assert [r.status for r in sent] == [429, 200]
    assert sent[1].at - sent[0].at >= 1.0


async def test_run_sends_more_alert_requests_with_a_watch_list(make_tenant) -> None:
    """Two watchers side by side: the plain one asks for alerts once in its 60 s, the watched one again and again.

    Waited on, not timed: the watched watcher's requests are counted as they come, however slow the machine."""
    plain_tenant, watched_tenant = make_tenant(), make_tenant()
    async with await gateway_for(plain_tenant) as plain_gateway, \
            await gateway_for(watched_tenant) as watched_gateway:
        watchers = [TenantWatcher(gateway, None, LiveState(), sources=["alerts"],
                                  intervals={"alerts": 60.0, "watched_alerts": 0.05},
                                  watch_list=lambda w=watching: {"adele.vance@contoso.com"} if w else set())
                    for gateway, watching in ((plain_gateway, False), (watched_gateway, True))]
        tasks = [asyncio.create_task(w.run()) for w in watchers]
        try:
            await until(None, lambda: len(requests_to(watched_tenant, "/security/alerts_v2")) >= 4,
                        "the watched watcher's fourth alerts request", within=20.0)
            plain = len(requests_to(plain_tenant, "/security/alerts_v2"))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    assert plain == 1                   # its next poll is 60 s away: the watch list did not hurry it


async def test_watched_users_sign_ins_are_polled_and_reported_as_a_change(simulated_tenant) -> None:
    upn = "megan.bowen@contoso.com"
    add_objects(simulated_tenant, "signIns", [{"userPrincipalName": upn, "ipAddress": "198.51.100.9"},
                                              {"userPrincipalName": "someone@contoso.com"}])
    changes: list[set[str]] = []
    watched = {upn, "198.51.100.9"}
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state, on_change=changes.append, watch_list=lambda: watched)
        assert await watcher.poll_watched_sign_ins() == 10.0
        assert [(s.upn, s.ip) for s in state.watched_sign_ins[upn]] == [(upn, "198.51.100.9")]
        assert changes == [{"watched_sign_ins"}]
        await watcher.poll_watched_sign_ins()                 # nothing new: no change reported
        assert changes == [{"watched_sign_ins"}]
        watched.clear()
        await watcher.poll_watched_sign_ins()                 # off the list: forgotten, and said so
    assert state.watched_sign_ins == {} and len(changes) == 2
    assert len(requests_to(simulated_tenant, "/auditLogs/signIns")) == 2   # only IPs left: nothing asked


async def test_watched_sign_ins_honour_retry_after_and_survive_a_denial(make_tenant) -> None:
    tenant = make_tenant(faults=[Fault("throttle", "auditLogs/signIns", count=1, retry_after=1)])
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState(), watch_list=lambda: {"megan.bowen@contoso.com"})
        assert await watcher.poll_watched_sign_ins() == 1
        await watcher.poll_watched_sign_ins()
    sent = requests_to(tenant, "/auditLogs/signIns")
    assert [r.status for r in sent] == [429, 200] and sent[1].at - sent[0].at >= 1.0

    denied = make_tenant(faults=[Fault("forbidden", "auditLogs/signIns")])
    async with await gateway_for(denied) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState(), watch_list=lambda: {"megan.bowen@contoso.com"})
        assert await watcher.poll_watched_sign_ins() == 300.0
