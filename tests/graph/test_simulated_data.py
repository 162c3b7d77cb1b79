"""A simulated tenant's data never passes for the real tenant's: a demo has a journal of its own, and what a
simulator journals (a drill on the team's journal) is marked and ignored by live consoles."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from warroom.console.config import default_demo_journal_path, load_config
from warroom.console.graph.live import LiveState, TenantWatcher, restore_last_known
from warroom.console.journal import kinds, open_journal
from warroom.console.startup import demo_config

from ..journal.journal_tools import WARROOM
from .helpers import gateway_for


async def test_a_simulators_observations_are_marked_and_a_live_console_ignores_them(simulated_tenant,
                                                                                   journal_path: Path) -> None:
    async with await open_journal(journal_path, actor="drill") as journal:
        async with await gateway_for(simulated_tenant) as gateway:
            watcher = TenantWatcher(gateway, journal, LiveState(), simulated=True)
            for name in watcher.sources:
                await watcher.poll_once(name)
        observed = await journal.entries(kinds=[kinds.OBSERVATION])
        assert observed and all(entry.body.get("simulated") is True for entry in observed)
        live = await restore_last_known(journal)
        assert not live.health and not live.alerts and not live.issues     # nothing of the simulator's
        simulated = await restore_last_known(journal, simulated=True)
        assert simulated.health["Exchange"].status == "serviceDegradation"


async def test_a_live_watchers_observations_are_not_marked(simulated_tenant, journal_path: Path) -> None:
    async with await open_journal(journal_path, actor="ic") as journal:
        async with await gateway_for(simulated_tenant) as gateway:
            await TenantWatcher(gateway, journal, LiveState()).poll_once("health")
        assert all("simulated" not in e.body for e in await journal.entries(kinds=[kinds.OBSERVATION]))
        assert (await restore_last_known(journal)).health


@pytest.mark.parametrize("where", [
    {"WARROOM_JOURNAL": "/srv/incidents/journal.db"},            # the responder's real journal
    {"WARROOM_JOURNAL": "postgresql://ic@db.internal/warroom"},  # the team's
    {},                                                          # the default real journal
])
def test_a_demo_never_writes_to_the_configured_journal(monkeypatch: pytest.MonkeyPatch,
                                                       where: dict[str, str]) -> None:
    monkeypatch.delenv("WARROOM_JOURNAL", raising=False)
    for key, value in where.items():
        monkeypatch.setenv(key, value)
    config = demo_config(load_config())
    assert config.get("journal") == default_demo_journal_path()


def test_a_demo_uses_a_file_named_for_it_and_refuses_a_shared_one(tmp_path: Path) -> None:
    named = load_config(overrides={"journal": str(tmp_path / "demo.db")})
    assert demo_config(named).get("journal") == str(tmp_path / "demo.db")
    with pytest.raises(ValueError, match="never writes into a shared journal"):
        demo_config(load_config(overrides={"journal": "postgresql://ic@db.internal/warroom"}))


def test_warroom_demo_on_a_shared_url_is_refused_before_anything_starts(tmp_path: Path) -> None:
    done = subprocess.run([str(WARROOM), "demo", "--journal", "postgresql://ic@db.internal/warroom"],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "WARROOM_CONFIG": ""})
    assert done.returncode == 1 and "never writes into a shared journal" in done.stderr
