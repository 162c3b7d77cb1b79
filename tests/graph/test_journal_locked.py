"""A locked journal is the journal's trouble, said as such: Graph's data stays fresh and is journaled later."""

from __future__ import annotations

import sqlite3

import pytest
from warroom.console.graph.freshness import SourceHealth
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import JournalLocked, kinds, open_journal
from warroom.console.journal import store as journal_store

from .helpers import gateway_for


@pytest.fixture
async def journal(journal_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(journal_store, "BUSY_TIMEOUT_MS", 200)
    journal = await open_journal(journal_path, actor="test")
    yield journal
    await journal.close()


async def test_a_locked_journal_is_not_graph_staleness(simulated_tenant, journal, journal_path) -> None:
    holder = sqlite3.connect(journal_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")         # another process holds the write lock (a sqlite3 shell, a stuck note)
    state = LiveState()
    try:
        async with await gateway_for(simulated_tenant) as gateway:
            watcher = TenantWatcher(gateway, journal, state)
            await watcher.poll_once("health")
            fresh = state.freshness["health"]
            assert fresh.health is SourceHealth.FRESH, fresh          # Graph answered: not "stale (journal: …)"
            assert state.health["Exchange"].status == "serviceDegradation"
            assert journal.write_error == "locked by another process" and journal.write_error_since is not None
            with pytest.raises(JournalLocked):
                await journal.append("note", {"text": "typed while locked"})
            holder.execute("ROLLBACK")
            await watcher.poll_once("health")
    finally:
        holder.close()
    assert journal.write_error == "" and journal.write_error_since is None
    observed = [e.body["key"] for e in await journal.entries(kinds=[kinds.OBSERVATION])]
    assert "Exchange" in observed                  # what was seen during the lock was journaled once it cleared
