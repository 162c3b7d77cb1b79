"""Fixtures for guided response: a real WarRoom on a simulated tenant, its live state polled once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.session import WarRoom


@pytest.fixture
async def room(make_tenant, tmp_path: Path):
    """`await room(scenario, mode=..., **config)` -> (tenant, warroom): connected, live data read once."""
    opened: list[WarRoom] = []

    async def make(scenario: str, *, mode: str = "DEMO", **settings: Any) -> tuple[Any, WarRoom]:
        tenant = make_tenant(scenario)
        overrides = {"journal": str(tmp_path / "journal.db"), "graph.url": tenant.base_url, **settings}
        config = load_config(overrides=overrides)
        warroom = await WarRoom.open(config, mode=mode)
        opened.append(warroom)
        warroom.gateway = await connect(config)
        warroom.live = LiveState()
        warroom.tenant_label = f"simulated: {scenario}"
        watcher = TenantWatcher(warroom.gateway, None, warroom.live)
        for source in watcher.sources:
            await watcher.poll_once(source)
        return tenant, warroom

    yield make
    for warroom in opened:
        if warroom.gateway is not None:
            await warroom.gateway.close()
        await warroom.close()


@pytest.fixture
async def offline_room(tmp_path: Path):
    """A WarRoom with no tenant (OFFLINE): the journal only."""
    config = load_config(overrides={"journal": str(tmp_path / "journal.db")})
    warroom = await WarRoom.open(config, mode="OFFLINE")
    yield warroom
    await warroom.close()
