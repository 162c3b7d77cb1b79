"""What a responder sees on Investigate and Hunt: SVG snapshots at 80x24 and 160x48 on a simulated tenant whose
times are fixed, so the sections, the flagged list and the hunting table are the same on every run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Select
from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.session import WarRoom
from warroom.console.subject import NOTHING, Subject, of_account

from ..response.harness import GuidedTestApp
from ..response.pilot_steps import settle, type_into

MEGAN = "megan.bowen@contoso.onmicrosoft.com"
ORIGIN = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


class LaterApp(GuidedTestApp):
    """Opens its screen only once the gateway is connected on the app's own loop (run_before does it)."""

    def on_mount(self) -> None:
        pass


@pytest.fixture
def tenant_app(make_tenant, tmp_path: Path):
    rooms: list[WarRoom] = []

    def make() -> LaterApp:
        tenant = make_tenant("compromised-account", origin=ORIGIN)
        config = load_config(overrides={"journal": str(tmp_path / "j.db"), "graph.url": tenant.base_url})
        warroom = asyncio.run(WarRoom.open(config, mode="DEMO"))
        rooms.append(warroom)
        return LaterApp(warroom, "investigate")

    yield make
    for warroom in rooms:
        asyncio.run(warroom.close())


def _opened(step: str, then=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        app.warroom.gateway = await connect(app.warroom.config)
        app.clock = lambda: ORIGIN + timedelta(minutes=10)
        subjects = {"investigate": of_account(MEGAN),
                    "defender": Subject("defender_incident", "4217", "Multi-stage incident involving one user")}
        app.open_guided(step, subjects.get(step, NOTHING))
        await settle(pilot)
        if then:
            await then(pilot)
    return run_before


async def _hunt(pilot) -> None:
    pilot.app.screen.query_one("#hunt-saved", Select).value = "sign-ins-from-ip"
    await pilot.pause()
    await type_into(pilot, "#hunt-params", "ip=185.220.101.47")
    await pilot.press("f2")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_investigate(snap_compare, tenant_app, size):
    assert snap_compare(tenant_app(), terminal_size=size, run_before=_opened("investigate"))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_hunt(snap_compare, tenant_app, size):
    assert snap_compare(tenant_app(), terminal_size=size, run_before=_opened("hunt", _hunt))


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_defender(snap_compare, tenant_app, size):
    assert snap_compare(tenant_app(), terminal_size=size, run_before=_opened("defender"))
