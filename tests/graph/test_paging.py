"""Paging that Graph (or a proxy in front of it) breaks: a nextLink that loops, leaves the collection, or never ends.

Each read stops early, keeps what it read, says so, and costs a bounded number of requests, counted at the
simulated tenant over HTTP.
"""

from __future__ import annotations

import asyncio

import pytest
from warroom.console.graph.freshness import SourceHealth
from warroom.console.graph.gateway import MAX_PAGES
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import kinds, open_journal
from warroom.console.sim import Fault

from .helpers import add_objects, alerts, gateway_for, requests_to

# A read that followed a paging loop would run on for 10,000 pages; a correct read is done in well under this.
BOUND_S = 20.0


@pytest.fixture
async def journal(journal_path):
    journal = await open_journal(journal_path, actor="test")
    yield journal
    await journal.close()


async def _poll(tenant, source: str, journal=None, state: LiveState | None = None) -> LiveState:
    state = state or LiveState()
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state)
        await asyncio.wait_for(watcher.poll_once(source), BOUND_S)
    return state


async def test_a_next_link_that_repeats_its_page_is_read_once(make_tenant):
    tenant = make_tenant(faults=[Fault("looping-next-link", "security/alerts_v2")])
    add_objects(tenant, "alerts", alerts(30))
    state = await _poll(tenant, "alerts")
    assert len(requests_to(tenant, "/security/alerts_v2")) == 2      # the first page, and its loop once
    assert len(state.alerts) == 30
    fresh = state.freshness["alerts"]
    assert fresh.health is SourceHealth.FRESH and fresh.partial
    assert "already read" in fresh.partial and "partial" in fresh.describe(fresh.last_success)


async def test_an_empty_page_that_links_to_itself_stops_at_the_repeated_link(make_tenant):
    tenant = make_tenant(faults=[Fault("looping-next-link", "security/alerts_v2")])
    state = await _poll(tenant, "alerts")
    assert len(requests_to(tenant, "/security/alerts_v2")) == 2
    assert "nextLink repeated after 2 pages" == state.freshness["alerts"].partial


async def test_a_next_link_out_of_the_collection_is_not_followed(make_tenant):
    tenant = make_tenant(faults=[Fault("escaping-next-link", "security/alerts_v2")])
    add_objects(tenant, "alerts", alerts(5))
    state = await _poll(tenant, "alerts")
    assert [r.path for r in tenant.requests] == ["/v1.0/security/alerts_v2"]     # never /v1.0/users
    assert len(state.alerts) == 5
    assert state.freshness["alerts"].partial == "nextLink to another path (/v1.0/users) refused after 1 pages"


async def test_endless_distinct_next_links_stop_at_the_page_cap(make_tenant):
    tenant = make_tenant(faults=[Fault("endless-next-link", "security/alerts_v2")])
    add_objects(tenant, "alerts", alerts(3))
    state = await _poll(tenant, "alerts")
    assert len(requests_to(tenant, "/security/alerts_v2")) == MAX_PAGES
    assert state.freshness["alerts"].partial == f"first {MAX_PAGES} pages only"
    assert len(state.alerts) == 3


async def test_a_partial_read_forgets_nothing_it_did_not_reach(make_tenant, journal):
    tenant = make_tenant()
    add_objects(tenant, "alerts", alerts(1500))                          # two pages of 1,000
    state = await _poll(tenant, "alerts", journal)
    assert len(state.alerts) == 1500
    tenant.add_fault(Fault("escaping-next-link", "security/alerts_v2"))
    await _poll(tenant, "alerts", journal, state)                        # a new watcher: a full read
    assert len(state.alerts) == 1500 and state.freshness["alerts"].partial
    forgotten = [e for e in await journal.entries(kinds=[kinds.OBSERVATION]) if e.body["data"] is None]
    assert forgotten == []
    statuses = [e.body for e in await journal.entries(kinds=[kinds.SOURCE_STATUS])]
    assert statuses[-1]["state"] == "partial" and "another path" in statuses[-1]["reason"]


async def test_a_complete_read_after_a_partial_one_is_fresh_again(make_tenant):
    tenant = make_tenant(faults=[Fault("looping-next-link", "security/alerts_v2", count=1)])
    add_objects(tenant, "alerts", alerts(3))
    state = LiveState()
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state)
        await watcher.poll_once("alerts")
        assert state.freshness["alerts"].partial
        await watcher.poll_once("alerts")
    assert state.freshness["alerts"].partial is None


async def test_get_all_honours_the_callers_limit_and_stops_a_loop(make_tenant):
    tenant = make_tenant("compromised-account", faults=[Fault("looping-next-link", "auditLogs/signIns")])
    async with await gateway_for(tenant) as gateway:
        rows = await asyncio.wait_for(gateway.get_all("/auditLogs/signIns", {"$top": "2"}, limit=3), BOUND_S)
        assert len(rows) == 2 and rows.cut and "already read" in rows.cut
        assert len(requests_to(tenant, "/auditLogs/signIns")) == 2
        tenant.clear_faults()
        rows = await gateway.get_all("/auditLogs/signIns", {"$top": "2"}, limit=3)
    assert len(rows) == 3 and rows.cut is None
    assert len(requests_to(tenant, "/auditLogs/signIns")) == 4            # no third page once 3 were read


def test_the_status_bar_says_partial_and_the_reason_is_in_the_freshness_text():
    from datetime import UTC, datetime, timedelta

    from warroom.console.graph.freshness import Freshness
    from warroom.widgets.status import freshness_text

    now = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
    fresh = Freshness("alerts").with_success(now, now + timedelta(seconds=30), "first 200 pages only")
    assert freshness_text(fresh, now) == "alerts partial"
    assert fresh.describe(now) == "alerts 0 s (partial: first 200 pages only)"
    assert Freshness("alerts").with_success(now, now).describe(now) == "alerts 0 s"


def test_status_says_which_source_was_read_only_in_part_and_exits_3(make_tenant, journal_path, capsys):
    import json

    from warroom.console.cli import main

    tenant = make_tenant(faults=[Fault("looping-next-link", "security/alerts_v2")])
    add_objects(tenant, "alerts", alerts(4))
    argv = ["status", "--graph-url", tenant.base_url, "--journal", str(journal_path)]
    assert main(argv) == 3
    out = capsys.readouterr().out
    assert "Alerts: 4  [partial: nextLink went back to objects already read after 1 pages]" in out
    assert main([*argv, "--json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["sources"]["alerts"]["state"] == "partial" and report["unread_sources"] == ["alerts"]
    assert len(requests_to(tenant, "/security/alerts_v2")) == 4
