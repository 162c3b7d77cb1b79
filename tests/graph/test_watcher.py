"""TenantWatcher against the simulated tenant: freshness after trouble, Retry-After, dedup, offline restore."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from warroom.console.graph.freshness import SourceHealth
from warroom.console.graph.live import FULL_SYNC_EVERY, LiveState, TenantWatcher, restore_last_known
from warroom.console.journal import kinds, open_journal
from warroom.console.sim import Fault

from .helpers import add_objects, alerts, gateway_for, requests_to, update_object


@pytest.fixture
async def journal(journal_path):
    journal = await open_journal(journal_path, actor="test")
    yield journal
    await journal.close()


async def _observations(journal, source=None):
    entries = await journal.entries(kinds=[kinds.OBSERVATION])
    return [e.body for e in entries if source is None or e.body["source"] == source]


async def test_every_source_polls_into_state_and_reports_what_changed(simulated_tenant, journal):
    changes: list[set[str]] = []
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state, on_change=changes.append)
        for name in watcher.sources:
            await watcher.poll_once(name)
    assert state.health["Exchange"].status == "serviceDegradation"
    assert "EX1195342" in state.issues and state.messages
    assert all(f.health is SourceHealth.FRESH for f in state.freshness.values())
    assert {s for change in changes for s in change} == set(watcher.sources)
    assert state.version > 0


async def test_observations_are_journaled_once_per_change_and_polls_become_incremental(simulated_tenant, journal):
    add_objects(simulated_tenant, "alerts", alerts(30))
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state)
        await watcher.poll_once("alerts")
        version = state.version
        await watcher.poll_once("alerts")
        assert len(await _observations(journal, "alerts")) == 30        # nothing changed: nothing journaled
        assert state.version == version
        update_object(simulated_tenant, "alerts", "da000007", {"status": "resolved"})
        await watcher.poll_once("alerts")
    observed = await _observations(journal, "alerts")
    assert len(observed) == 31
    first = next(o for o in observed if o["key"] == "da000007")
    assert observed[-1]["key"] == "da000007" and observed[-1]["patch"]["status"] == "resolved"
    assert observed[-1]["base"] == first["digest"] and "data" not in observed[-1]     # what changed, not it all
    assert state.alerts["da000007"].status == "resolved"
    restored = await restore_last_known(journal)
    assert restored.alerts == state.alerts and restored.digests == state.digests
    sent = requests_to(simulated_tenant, "/security/alerts_v2")
    assert "$filter" not in sent[0].query
    assert sent[1].query["$filter"].startswith("lastUpdateDateTime ge ")


async def test_retry_after_is_honoured_exactly_and_no_request_goes_out_before_it(make_tenant):
    tenant = make_tenant(faults=[Fault("throttle", "security/alerts_v2", count=1, retry_after=1)])
    state = LiveState()
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state)
        delay = await watcher.poll_once("alerts")
        assert delay == 1
        fresh = state.freshness["alerts"]
        assert fresh.health is SourceHealth.THROTTLED and "Retry-After 1" in fresh.last_error
        assert fresh.next_attempt is not None
        await watcher.poll_once("alerts")               # asked at once: waits out Retry-After first
    sent = requests_to(tenant, "/security/alerts_v2")
    assert [r.status for r in sent] == [429, 200]
    assert sent[1].at - sent[0].at >= 1.0
    assert state.freshness["alerts"].health is SourceHealth.FRESH


async def test_risky_users_are_asked_at_most_once_a_second(simulated_tenant):
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState())
        await watcher.poll_once("risky_users")
        await watcher.poll_once("risky_users")
    sent = requests_to(simulated_tenant, "/identityProtection/riskyUsers")
    assert len(sent) == 2 and sent[1].at - sent[0].at >= 1.0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault("server-error", "security/alerts_v2", count=1, status=503), "HTTP 503"),
        (Fault("html-502", "security/alerts_v2", count=1), "HTML page"),
        (Fault("truncated-json", "security/alerts_v2", count=1), "truncated JSON"),
    ],
)
async def test_broken_answers_leave_the_last_known_state_stale_with_a_reason_then_recover(make_tenant, fault,
                                                                                           reason):
    tenant = make_tenant()
    add_objects(tenant, "alerts", alerts(3))
    state = LiveState()
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state)
        await watcher.poll_once("alerts")
        tenant.add_fault(fault)
        delay = await watcher.poll_once("alerts")
        stale = state.freshness["alerts"]
        assert stale.health is SourceHealth.STALE and reason in stale.last_error
        assert stale.last_success is not None and delay > 0
        assert len(state.alerts) == 3                   # the last known state stays on screen
        watcher._not_before.clear()                     # skip the backoff wait in this test
        await watcher.poll_once("alerts")
    assert state.freshness["alerts"].health is SourceHealth.FRESH


async def test_backoff_grows_with_consecutive_failures(make_tenant):
    tenant = make_tenant(faults=[Fault("server-error", "security/incidents", status=500)])
    async with await gateway_for(tenant) as gateway:
        watcher = TenantWatcher(gateway, None, LiveState())
        delays = []
        for _ in range(4):
            watcher._not_before.clear()                 # measure the delays without waiting them out
            delays.append(await watcher.poll_once("incidents"))
    assert delays[3] > delays[0] * 2


async def test_denied_source_names_the_permission_and_says_so_in_the_journal(make_tenant, journal):
    tenant = make_tenant(faults=[Fault("forbidden", "security/alerts_v2")])
    state = LiveState()
    async with await gateway_for(tenant) as gateway:
        await TenantWatcher(gateway, journal, state).poll_once("alerts")
    fresh = state.freshness["alerts"]
    assert fresh.health is SourceHealth.DENIED and fresh.missing_permission == "SecurityAlert.Read.All"
    assert "SecurityAlert.Read.All" in fresh.describe(fresh.last_error_at)
    statuses = [e.body for e in await journal.entries(kinds=[kinds.SOURCE_STATUS])]
    assert statuses == [{"source": "alerts", "state": "denied", "reason": "403 SecurityAlert.Read.All"}]


async def test_unknown_enums_and_hostile_strings_are_kept_verbatim(simulated_tenant, journal):
    hostile = "Mailbox rule \x1b]0;pwned\x07 \x1b[2J\u202egnp.exe [bold]x[/bold]"
    add_objects(simulated_tenant, "alerts", [{"id": "da-odd", "severity": "catastrophic",
                                              "status": "quantumEntangled", "title": hostile}])
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, journal, state).poll_once("alerts")
    alert = state.alerts["da-odd"]
    assert (alert.severity, alert.status, alert.title) == ("catastrophic", "quantumEntangled", hostile)
    [observed] = await _observations(journal, "alerts")
    assert observed["data"]["title"] == hostile and observed["data"]["severity"] == "catastrophic"


async def test_restore_last_known_rebuilds_state_from_the_journal_alone(simulated_tenant, journal):
    add_objects(simulated_tenant, "alerts", alerts(5))
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state)
        for name in ("health", "issues", "alerts"):
            await watcher.poll_once(name)
    restored = await restore_last_known(journal)
    assert restored.alerts == state.alerts and restored.health == state.health and restored.issues == state.issues
    assert restored.freshness["alerts"].health is SourceHealth.STALE
    assert restored.freshness["incidents"].health is SourceHealth.WAITING
    # A watcher started on the restored state journals nothing new for unchanged objects.
    before = len(await _observations(journal))
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, journal, restored).poll_once("alerts")
    assert len(await _observations(journal)) == before


async def test_run_polls_every_source_without_overlapping_polls(make_tenant):
    tenant = make_tenant(faults=[Fault("slow", "admin/serviceAnnouncement/healthOverviews", delay=0.3)])
    state = LiveState()
    async with await gateway_for(tenant) as gateway:
        enough = asyncio.Event()

        def changed(sources: set[str]) -> None:
            if len(requests_to(tenant, "/healthOverviews")) >= 3:
                enough.set()

        watcher = TenantWatcher(gateway, None, state, intervals={name: 0.01 for name in state.freshness},
                                on_change=changed)
        task = asyncio.create_task(watcher.run())
        await asyncio.wait_for(enough.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    sent = requests_to(tenant, "/healthOverviews")
    assert all(later.at - earlier.at >= 0.3 for earlier, later in itertools.pairwise(sent))
    assert {"alerts", "incidents", "issues"} <= {n for n, f in state.freshness.items() if f.last_success}


async def test_a_secret_shaped_object_is_withheld_from_the_journal_but_shown(simulated_tenant, journal):
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    add_objects(simulated_tenant, "alerts", [{"id": "da-leak", "description": f"token seen: {jwt}"},
                                             {"id": "da-plain", "description": "nothing secret"}])
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, journal, state).poll_once("alerts")
    assert jwt in state.alerts["da-leak"].description
    observed = {o["key"]: o["data"] for o in await _observations(journal, "alerts")}
    assert "withheld" in observed["da-leak"] and jwt not in str(observed["da-leak"])
    assert observed["da-plain"]["description"] == "nothing secret"


async def test_the_china_cloud_has_no_security_sources_and_says_so(simulated_tenant):
    from warroom.console.clouds import resolve
    from warroom.console.graph.auth import Session, StaticToken
    from warroom.console.graph.gateway import open_gateway

    state = LiveState()
    endpoint = resolve("china", simulated_tenant.base_url)
    async with await open_gateway(endpoint, Session(StaticToken("x"), "test")) as gateway:
        watcher = TenantWatcher(gateway, None, state)
    assert watcher.sources == ["health", "issues", "messages"]
    assert state.freshness["alerts"].health is SourceHealth.DENIED
    assert "china" in state.freshness["alerts"].last_error


async def test_a_failing_on_change_callback_does_not_stop_polling(simulated_tenant):
    def broken(sources: set[str]) -> None:
        raise RuntimeError("UI bug")

    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, None, state, on_change=broken).poll_once("health")
    assert state.freshness["health"].health is SourceHealth.FRESH


async def test_an_incidents_alerts_are_journaled_as_ids_and_an_alert_change_leaves_the_incident_alone(
        simulated_tenant, journal):
    add_objects(simulated_tenant, "incidents", [{"id": "88", "displayName": "Wave", "severity": "high"}])
    add_objects(simulated_tenant, "alerts", alerts(3, incidentId="88", description="x" * 500))
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state)
        await watcher.poll_once("incidents")
        [first] = [o for o in await _observations(journal, "incidents") if o["key"] == "88"]
        assert first["data"]["alerts"] == [{"id": "da000000"}, {"id": "da000001"}, {"id": "da000002"}]
        update_object(simulated_tenant, "alerts", "da000001", {"status": "resolved"})
        watcher._polls["incidents"] = FULL_SYNC_EVERY          # a full re-read: the alert's change is in it
        await watcher.poll_once("incidents")
    assert [o["key"] for o in await _observations(journal, "incidents")].count("88") == 1
    restored = await restore_last_known(journal)
    assert restored.incidents["88"].alert_ids == ("da000000", "da000001", "da000002")


async def test_a_page_is_handed_to_the_journal_while_the_page_before_is_written_and_lands_after_it(
        simulated_tenant, journal):
    """Three pages of alerts, a secret-shaped one in the first (its batch is refused, then written withheld): the
    second page's entries are prepared while the first's are still being written, and every page lands in order."""
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl"
    add_objects(simulated_tenant, "alerts", [{"id": "da-leak", "description": f"token seen: {jwt}"}, *alerts(2400)])
    calls: list[list[str]] = []
    second_page = asyncio.Event()
    append_many = journal.append_many

    async def watched(drafts, **options):
        keys = [draft.body["key"] for draft in drafts if draft.body.get("source") == "alerts"]
        calls.append(keys)
        if len(calls) > 1:
            second_page.set()
        elif keys:      # the first page's write waits until the second page has been handed over
            await asyncio.wait_for(second_page.wait(), timeout=20)
        return await append_many(drafts, **options)

    journal.append_many = watched
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, journal, state).poll_once("alerts")
    pages = [keys for index, keys in enumerate(calls) if keys and keys not in calls[:index]]
    assert len(pages) == 3 and len(calls) == 4 and "da-leak" in pages[0]
    written = [o["key"] for o in await _observations(journal, "alerts")]
    assert written == [key for page in pages for key in page]
    assert len(written) == len(state.alerts)
