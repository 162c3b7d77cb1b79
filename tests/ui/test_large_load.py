"""A large collection's first read on screen: the alerts pane and the status bar count up as pages arrive."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.session import WarRoom
from warroom.console.sim import Fault
from warroom.screens.app import WarroomApp
from warroom.widgets.alerts import AlertTable
from warroom.widgets.status import StatusBar

from ..graph.helpers import add_objects, alerts

pytestmark = pytest.mark.slow


async def test_the_alert_count_rises_page_by_page_and_the_status_bar_says_loading(make_tenant,
                                                                                   journal_path: Path) -> None:
    tenant = make_tenant("exchange-outage")
    add_objects(tenant, "alerts", alerts(3500, prefix="bulk"))
    # Each page of alerts takes a while, as 1,000 alerts from a busy Graph do.
    tenant.add_fault(Fault("slow", path_prefix="security/alerts_v2", delay=0.6))
    config = load_config(overrides={"journal": str(journal_path), "graph.url": tenant.base_url})
    warroom = await WarRoom.open(config, mode="LIVE")
    warroom.live = LiveState()
    gateway = await connect(config)

    def factory(room, on_change):
        return TenantWatcher(gateway, room.journal, room.live, on_change=on_change, sources=["alerts"])

    app = WarroomApp(warroom, watcher_factory=factory)
    titles: list[str] = []
    statuses: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.screen.query_one(AlertTable)
        bar = app.screen.query_one(StatusBar)
        for _ in range(600):           # a deadline to fail by, not a speed assertion
            title = str(table.border_title)
            if not titles or titles[-1] != title:
                titles.append(title)
            statuses.append(bar.render().plain)
            if len(table.all_rows) >= 3500 and "loading" not in statuses[-1]:
                break
            await pilot.pause(0.05)
        counts = [int(t.split("(")[1].split(")")[0].replace(",", "")) for t in titles if "(" in t]
        assert counts[-1] >= 3500, titles
        assert len([c for c in counts if 0 < c < 3500]) >= 2, titles        # seen counting up, never frozen
        assert counts == sorted(counts), titles
        assert any("alerts loading 1,000…" in s or "alerts loading 2,000…" in s for s in statuses)
        assert not any("new" in t for t in titles), titles   # the first read is the baseline, however many pages
        assert "loading" not in statuses[-1]
    await gateway.close()
    await warroom.close()
