"""A read that takes many pages says how far it got; a one-page poll says nothing (an idle console writes nothing)."""

from __future__ import annotations

from warroom.console.graph import live
from warroom.console.graph.live import LiveState, TenantWatcher

from .helpers import add_objects, alerts, gateway_for


async def test_a_many_page_read_reports_its_count_as_pages_arrive_then_clears_it(simulated_tenant, monkeypatch):
    monkeypatch.setattr(live, "PROGRESS_EVERY_S", 0.0)
    add_objects(simulated_tenant, "alerts", alerts(2500))
    state = LiveState()
    seen: list[tuple[int | None, int]] = []

    def changed(sources: set[str]) -> None:
        seen.append((state.freshness["alerts"].loading, len(state.alerts)))

    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, None, state, on_change=changed).poll_once("alerts")
    counts = [loading for loading, _ in seen if loading is not None]
    assert counts[:2] == [1000, 2000]
    assert all(shown >= loading for loading, shown in seen if loading is not None)   # the records are there too
    assert seen[-1][0] is None and state.freshness["alerts"].loading is None
    assert "loading" not in state.freshness["alerts"].describe(state.freshness["alerts"].last_success)


async def test_a_one_page_poll_reports_no_progress(simulated_tenant):
    add_objects(simulated_tenant, "alerts", alerts(30))
    state = LiveState()
    seen: list[int | None] = []
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state,
                                on_change=lambda _: seen.append(state.freshness["alerts"].loading))
        await watcher.poll_once("alerts")
    assert seen == [None]


async def test_the_incidents_poll_reads_each_incidents_alerts_as_ids(simulated_tenant):
    """An incident of 50,000 alerts expanded whole is a 90 MB answer at every poll; each alert is read on its own, so
    the incident asks for its alerts' ids alone and still knows them all."""
    from .helpers import requests_to

    add_objects(simulated_tenant, "incidents", [{"id": "88", "displayName": "Wave", "severity": "high",
                                                 "status": "active"}])
    add_objects(simulated_tenant, "alerts", alerts(7, incidentId="88"))
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, None, state).poll_once("incidents")
    assert {r.query.get("$expand") for r in requests_to(simulated_tenant, "/security/incidents")} == {
        "alerts($select=id)"}
    assert sorted(state.incidents["88"].alert_ids) == [f"da{n:06d}" for n in range(7)]
