"""What a read leaves for Python's cyclic garbage collector: nothing of ours. Every page (its HTTP response,
body, request) is freed by reference counting the moment it is dropped, so no collection pass is needed for it."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from warroom.console.graph import live
from warroom.console.graph.errors import PagingCut
from warroom.console.graph.live import FULL_SYNC_EVERY, LiveState, TenantWatcher, read_ahead
from warroom.console.journal import open_journal

from .helpers import add_objects, alerts, gateway_for

OURS = ("warroom.", "httpx", "httpcore", "msgraph", "kiota", "anyio")


def _name(thing: Any) -> str:
    kind = type(thing)
    if kind.__name__ == "frame":
        return f"frame of {thing.f_code.co_qualname} in {thing.f_code.co_filename}"
    return f"{kind.__module__}.{kind.__qualname__}"


def _ours(thing: Any) -> bool:
    name = _name(thing)
    return name.startswith(OURS) or (name.startswith("frame of") and "warroom" in name)


@contextmanager
def cyclic_garbage() -> Iterator[list[Any]]:
    """The collector off while the block runs; then what a collection finds unreachable (kept, not freed)."""
    found: list[Any] = []
    gc.collect()
    gc.disable()
    try:
        yield found
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


class Page(list):
    """A page that can be watched for being freed (a plain list has no weak references)."""


async def _pages(count: int, cut_after: int | None = None):
    for number in range(1, count + 1):
        if cut_after is not None and number > cut_after:
            raise PagingCut("cut", pages=cut_after)
        yield Page([{"id": str(number)}])


@pytest.mark.parametrize("cut_after", [None, 2])
async def test_the_last_page_read_ahead_is_freed_without_the_collector(cut_after):
    """The outcome read_ahead awaits (the end of the pages, or their error) holds a traceback through its frame;
    were the frame to keep that outcome, the last page would wait for the collector's next full pass."""
    freed: list[weakref.ref[Page]] = []
    with cyclic_garbage() as garbage:
        try:
            async for page in read_ahead(_pages(3, cut_after)):
                freed.append(weakref.ref(page))
        except PagingCut:
            pass
        del page
        assert [ref() for ref in freed] == [None] * len(freed)
    assert [_name(thing) for thing in garbage if _ours(thing)] == []


async def test_a_many_page_poll_and_its_journal_leave_no_garbage_for_the_collector(simulated_tenant, tmp_path: Path):
    """Responses, bodies, records and the journal's writes of a 2,500-alert poll are all freed by reference counts
    (an httpx response's stream refers back to it: the gateway unbinds it once the body is read)."""
    add_objects(simulated_tenant, "alerts", alerts(2500))
    journal = await open_journal(tmp_path / "journal.db", actor="test")
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, journal, state, sources=["alerts"])
        await watcher.poll_once("alerts")          # first-time imports and caches are not what this is about
        add_objects(simulated_tenant, "alerts", alerts(1500, prefix="new"))
        with cyclic_garbage() as garbage:
            watcher._polls["alerts"] = FULL_SYNC_EVERY     # a full read: every page again, 1,500 of them new
            await watcher.poll_once("alerts")
            await gateway.collect("health")
    await journal.close()
    assert len(state.alerts) == 4000
    assert [_name(thing) for thing in garbage if _ours(thing)] == []


async def test_a_console_s_watcher_freezes_what_a_large_load_wrote_and_freezes_no_garbage(simulated_tenant,
                                                                                          monkeypatch):
    """The console's records live for the session: once enough were written they leave the collector's scans
    (gc.freeze), so a full collection never walks 50,000 alerts. Frozen cyclic garbage would never be freed:
    after the load, unfreezing and collecting finds nothing of ours."""
    monkeypatch.setattr(live, "SETTLE_EVERY", 1000)
    add_objects(simulated_tenant, "alerts", alerts(30))
    state = LiveState()
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state, sources=["alerts"], settle=True)
        before = gc.get_freeze_count()
        await watcher.poll_once("alerts")       # first-time imports and caches; 30 records: no freeze
        assert gc.get_freeze_count() == before
        add_objects(simulated_tenant, "alerts", alerts(3000, prefix="new"))
        gc.collect()
        try:
            watcher._polls["alerts"] = FULL_SYNC_EVERY
            await watcher.poll_once("alerts")
            frozen = gc.get_freeze_count() - before
            scanned = {id(thing) for thing in gc.get_objects()}
            unfrozen = [key for key, record in state.alerts.items() if id(record) in scanned]
        finally:
            gc.unfreeze()
        with cyclic_garbage() as garbage:
            pass
    assert len(state.alerts) == 3030 and frozen >= 2000
    assert len(unfrozen) < 1000       # what was written since the last freeze
    assert [_name(thing) for thing in garbage if _ours(thing)] == []


async def test_a_console_s_watcher_gives_back_what_a_large_load_freed_once_it_is_done(simulated_tenant, monkeypatch):
    """The pages' parse buffers and encodings a load freed lie among the records that stay: given back to the system
    after a poll that settled (~10 MiB of 50,000 alerts' console), not after every poll."""
    monkeypatch.setattr(live, "SETTLE_EVERY", 1000)
    monkeypatch.setattr(gc, "freeze", lambda: None)     # the test process's objects stay collectable
    given: list[int] = []
    state = LiveState()
    monkeypatch.setattr(live, "give_back_freed", lambda: given.append(len(state.alerts)) or True)
    add_objects(simulated_tenant, "alerts", alerts(1500))
    async with await gateway_for(simulated_tenant) as gateway:
        watcher = TenantWatcher(gateway, None, state, sources=["alerts"], settle=True)
        await watcher.poll_once("alerts")
        assert given == [1500]                  # once, at the end of the load
        await watcher.poll_once("alerts")       # nothing new: nothing settled, nothing to give back
        await TenantWatcher(gateway, None, LiveState(), sources=["alerts"]).poll_once("alerts")    # not a console's
    assert given == [1500]


async def test_only_a_console_s_watcher_freezes_what_it_reads(simulated_tenant, monkeypatch):
    """Freezing is process-wide: a test, a script or `warroom status` keeps the collector as Python has it."""
    monkeypatch.setattr(live, "SETTLE_EVERY", 1000)
    add_objects(simulated_tenant, "alerts", alerts(1500))
    before = gc.get_freeze_count()
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, None, LiveState(), sources=["alerts"]).poll_once("alerts")
    assert gc.get_freeze_count() == before


@contextmanager
def young_collections() -> Iterator[list[int]]:
    """How many young collections (generations 0 and 1) run while the block runs."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] < 2:
            seen.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


async def test_a_console_s_poll_leaves_young_collections_for_later_and_puts_the_threshold_back(simulated_tenant):
    """Each page's objects (a page of Graph's dicts, alive until it is ingested) are not walked by young collections
    that would only move them to older generations to die there; the threshold is Python's again after the poll,
    and the watcher of a test or a script leaves it alone."""
    add_objects(simulated_tenant, "alerts", alerts(3000))
    thresholds = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    async with await gateway_for(simulated_tenant) as gateway:
        await TenantWatcher(gateway, None, LiveState(), sources=["health"]).poll_once("health")   # imports
        plain = TenantWatcher(gateway, None, LiveState(), sources=["alerts"],
                              on_change=lambda _: during.append(gc.get_threshold()))
        with young_collections() as plain_collections:
            await plain.poll_once("alerts")
        console = TenantWatcher(gateway, None, LiveState(), sources=["alerts"], settle=True,
                                on_change=lambda _: during.append(gc.get_threshold()))
        with young_collections() as console_collections:
            await console.poll_once("alerts")
    assert len(plain_collections) > 20 and len(console_collections) <= 3
    assert set(during) == {thresholds, (live.YOUNG_THRESHOLD, *thresholds[1:])}
    assert gc.get_threshold() == thresholds


def test_overlapping_polls_put_back_the_threshold_the_first_one_found():
    thresholds = gc.get_threshold()
    first, second = live._YoungCollections.deferred(), live._YoungCollections.deferred()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == live.YOUNG_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == thresholds


async def test_the_console_s_watcher_settles_what_it_loads(room):
    from warroom.console.startup import tenant_watcher

    _, warroom = await room("exchange-outage")
    assert tenant_watcher(warroom, lambda _: None).settle is True
