"""Shared fixtures. Every test runs with a private config and journal: nothing reads the user's files."""

from __future__ import annotations

import os
from pathlib import Path

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
