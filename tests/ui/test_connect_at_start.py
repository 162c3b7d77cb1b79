"""The console is on screen before Graph is: the first connection happens after the first frame.

Importing msgraph and azure-identity and building the credential takes ~0.2 s; the dashboard must not wait for
it, and when it fails the console stays up, journal-only, saying why and how to sign in.
"""

from __future__ import annotations

from pathlib import Path

from warroom.console.config import Config
from warroom.console.graph.live import LiveState
from warroom.console.startup import tenant_watcher
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import NOT_CONNECTED
from warroom.widgets.status import StatusBar

from ..waiting import until
from .scenes import open_warroom

SIZE = (160, 48)


async def test_a_failed_first_connection_leaves_the_console_up_and_offline(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=LiveState(), mode="LIVE")

    async def refuse(config: Config):
        raise RuntimeError("SignInRequired: run warroom login")

    app = WarroomApp(warroom, watcher_factory=tenant_watcher, connect=refuse, connect_at_start=True,
                     follow_journal=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: warroom.mode == "OFFLINE")
        await pilot.pause()
        assert warroom.mode == "OFFLINE"
        assert NOT_CONNECTED in warroom.tenant_label and "run warroom login" in warroom.tenant_label
        assert app.watcher is None
        status = str(app.screen.query_one(StatusBar).render())
        assert "OFFLINE" in status and "ctrl+g" in status
    await warroom.close()


async def test_the_first_connection_reaches_the_simulated_tenant_and_fills_the_panes(journal_path: Path,
                                                                                     make_tenant) -> None:
    tenant = make_tenant("exchange-outage")
    warroom = await open_warroom(journal_path, live=LiveState(), mode="DEMO")
    warroom.config = Config({**warroom.config.values, "graph.url": tenant.base_url}, warroom.config.origins, None)
    app = WarroomApp(warroom, watcher_factory=tenant_watcher, connect_at_start=True, follow_journal=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(warroom.live.health))
        assert "Exchange Online" in {h.service for h in warroom.live.health.values()}
        assert any(r.path.endswith("/healthOverviews") for r in tenant.requests)
    if warroom.gateway is not None:
        await warroom.gateway.close()
    await warroom.close()
