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
    """`await room(scenario, mode=..., tenant_options={...}, **config)` -> (tenant, warroom).

    Connected through the real gateway, live data read once by the real watcher. Config keys with dots
    are passed as a dict: `await room("x", **{"read_only": True})`.
    """
    opened: list[WarRoom] = []

    async def make(scenario: str, *, mode: str = "DEMO", tenant_options: dict[str, Any] | None = None,
                   **settings: Any) -> tuple[Any, WarRoom]:
        tenant = make_tenant(scenario, **(tenant_options or {}))
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
