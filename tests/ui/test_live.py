"""The dashboard on the real stack: simulated tenant over HTTP, GraphGateway, TenantWatcher, journal, restore."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.graph.live import LiveState, TenantWatcher, restore_last_known
from warroom.console.session import WarRoom
from warroom.screens.app import WarroomApp
from warroom.widgets.alerts import AlertTable
from warroom.widgets.health import HealthPane
from warroom.widgets.status import StatusBar

from ..waiting import until

pytestmark = pytest.mark.slow


async def test_live_tenant_then_last_known_state_offline(make_tenant, journal_path: Path) -> None:
    tenant = make_tenant("compromised-account")
    config = load_config(overrides={"journal": str(journal_path), "graph.url": tenant.base_url})
    warroom = await WarRoom.open(config, mode="LIVE")
    warroom.live = LiveState()
    warroom.gateway = await connect(config)
    gateway = warroom.gateway

    def factory(room, on_change):
        return TenantWatcher(gateway, room.journal, room.live, on_change=on_change)

    app = WarroomApp(warroom, watcher_factory=factory, restore=lambda: restore_last_known(warroom.journal))
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.screen.query_one(AlertTable)
        await until(pilot, lambda: any(r.title.startswith("Anonymous IP") for r in table.rows))
        await until(pilot, lambda: len(app.screen.query_one(HealthPane).rows) >= 5)
        assert not table.has_class("-stale")
        assert "alerts" in app.screen.query_one(StatusBar).render().plain
        # what the offline console reads next is in the journal (a row shows before its page is committed)
        live = warroom.live
        await until(pilot, lambda: all(live.digest(source, key) for source in ("alerts", "health")
                                       for key in live.records(source)), "the alerts and health journaled")
    await gateway.close()
    await warroom.close()

    # No tenant now: the console opens on what the journal last saw, greyed, and says how old it is.
    offline = await WarRoom.open(load_config(overrides={"journal": str(journal_path)}), mode="OFFLINE")
    app = WarroomApp(offline, restore=lambda: restore_last_known(offline.journal), follow_journal=False)
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.screen.query_one(AlertTable)
        await until(pilot, lambda: any(r.title.startswith("Anonymous IP") for r in table.rows))
        assert table.has_class("-stale") and app.screen.query_one(HealthPane).has_class("-stale")
        assert "stale since" in app.screen.query_one(StatusBar).render().plain
    await offline.close()


async def test_a_journal_that_cannot_be_read_at_start_leaves_the_console_up_and_says_why(journal_path: Path) -> None:
    """The last known state is read before the dashboard exists: a failure there is a notice, not a crash."""
    from warroom.console.journal import JournalError

    warroom = await WarRoom.open(load_config(overrides={"journal": str(journal_path)}), mode="OFFLINE")

    async def unreadable():
        raise JournalError("database disk image is malformed")

    app = WarroomApp(warroom, restore=unreadable, follow_journal=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(HealthPane).rows == []
        shown = [n.message for n in app._notifications]
        assert any("Last known state not read" in m and "malformed" in m for m in shown)
    await warroom.close()
