"""Shared fixtures. Every test runs with a private config and journal: nothing reads the user's files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's config, journal, token cache or a real tenant."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in list(os.environ):
        if name.startswith(("WARROOM_", "AZURE_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_RESPONDER", "test-responder")


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal" / "journal.db"


# ---- simulated tenant (console/sim) -------------------------------------------------------------------------
# `simulated_tenant`: a running exchange-outage tenant; `make_tenant(scenario, **kwargs)`: any scenario, with
# SimulatedTenant's keywords (speed, start_at, faults, origin). Both stop their servers after the test.
_SCENARIO_CACHE: dict[str, object] = {}


@pytest.fixture
def make_tenant():
    from warroom.console.sim import SimulatedTenant, load_scenario

    started = []

    def make(scenario: str = "exchange-outage", **kwargs):
        if scenario not in _SCENARIO_CACHE:  # scenarios are read-only once loaded: parse each file once
            _SCENARIO_CACHE[scenario] = load_scenario(scenario)
        tenant = SimulatedTenant(_SCENARIO_CACHE[scenario], **kwargs)
        tenant.start()
        started.append(tenant)
        return tenant

    yield make
    for tenant in started:
        tenant.stop()


@pytest.fixture
def simulated_tenant(make_tenant):
    return make_tenant("exchange-outage")
# ---- end simulated tenant -----------------------------------------------------------------------------------


# ---- a war room on a simulated tenant (guided response and investigation) -----------------------------------
@pytest.fixture
async def room(make_tenant, tmp_path: Path):
    """`await room(scenario, mode=..., tenant_options={...}, **config)` -> (tenant, warroom).

    Connected through the real gateway, live data read once by the real watcher. Config keys with dots
    are passed as a dict: `await room("x", **{"read_only": True})`.
    """
    from warroom.console.config import load_config
    from warroom.console.graph.connect import connect
    from warroom.console.graph.live import LiveState, TenantWatcher
    from warroom.console.session import WarRoom

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
    from warroom.console.config import load_config
    from warroom.console.session import WarRoom

    config = load_config(overrides={"journal": str(tmp_path / "journal.db")})
    warroom = await WarRoom.open(config, mode="OFFLINE")
    yield warroom
    await warroom.close()
