"""Sign-in from the dashboard: the device-code dialog, then a new gateway and watcher without a restart.

Microsoft is never contacted: `sign_in` is the stand-in from tests/test_sign_in.py (it calls the prompt from a
thread, like azure-identity), `connect` returns a fake gateway, and the watcher is a fake that records its start.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from warroom.console.actions import BY_ID
from warroom.console.graph.freshness import SourceHealth
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import NOT_CONNECTED, DashboardScreen
from warroom.screens.sign_in import SignInScreen
from warroom.widgets.status import StatusBar

from ..test_sign_in import stand_in
from ..waiting import until
from .scenes import fixed_clock, live_state, open_warroom

SIZE = (160, 48)


class FakeGateway:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


class FakeWatcher:
    """What the App builds after sign-in (offline at start: nothing polled before)."""

    started: list[object] = []

    def __init__(self, room) -> None:
        self.gateway = room.gateway

    async def run(self) -> None:
        FakeWatcher.started.append(self.gateway)
        await asyncio.Event().wait()


async def test_ctrl_g_signs_in_then_reconnects_and_restarts_the_watcher(journal_path: Path, monkeypatch) -> None:
    warroom = await open_warroom(journal_path, live=live_state("healthy"), mode="OFFLINE")
    warroom.tenant_label += f"{NOT_CONNECTED}: SignInRequired: run warroom login"
    release, gateway, connected = threading.Event(), FakeGateway(), []

    async def connect(config):
        connected.append(config)
        return gateway

    FakeWatcher.started = []
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False, connect=connect,
                     sign_in=stand_in(release))
    monkeypatch.setattr("warroom.screens.app.tenant_watcher", lambda room, on_change: FakeWatcher(room))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            status = app.screen.query_one(StatusBar)
            assert "press ctrl+g to sign in" in status.render().plain
            assert any("press ctrl+g to sign in" in n.message for n in app._notifications)
            await pilot.press("ctrl+g")
            screen = app.screen
            assert isinstance(screen, SignInScreen)
            await until(pilot, lambda: screen.code)
            assert screen.code.startswith("ABCD-1234")
            release.set()
            await until(pilot, lambda: FakeWatcher.started)
            assert isinstance(app.screen, DashboardScreen)
            assert connected == [warroom.config] and warroom.gateway is gateway
            assert warroom.mode == "LIVE" and NOT_CONNECTED not in warroom.tenant_label
            assert FakeWatcher.started == [gateway]
            # notify() posts a message: under load the watcher may start before it is handled.
            await until(pilot, lambda: any(n.message == "Signed in as alice@contoso.onmicrosoft.com"
                                              for n in app._notifications))
            assert any(n.message == "Signed in as alice@contoso.onmicrosoft.com" for n in app._notifications)
            await pilot.pause()
            assert "to sign in" not in app.screen.query_one(StatusBar).render().plain
    finally:
        await warroom.close()


async def test_a_source_that_needs_sign_in_says_which_key(journal_path: Path) -> None:
    live = live_state("healthy")
    live.freshness["alerts"] = live.freshness["alerts"]._replace(health=SourceHealth.DENIED,
                                       last_error="401 sign-in rejected")
    warroom = await open_warroom(journal_path, live=live, extra={"ui.keys": {"dashboard.sign_in": "f9"}})
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "press f9 to sign in" in app.screen.query_one(StatusBar).render().plain.lower()
            assert len([n for n in app._notifications if "to sign in" in n.message]) == 1
    finally:
        await warroom.close()


def test_sign_in_has_a_palette_entry() -> None:
    action = BY_ID["dashboard.sign_in"]
    assert action.palette and action.run == "sign_in" and "Sign in" in action.title
