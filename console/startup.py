"""What `warroom` and `warroom demo` settle before any UI: the journal a demo writes to, the scenario, the
simulated tenant, the Graph connection and the watcher that polls it.

Headless: the Textual App (screens/app.py) is handed these, so the decisions stay testable without a screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..data import FOLDER
from .config import Config, default_demo_journal_path
from .journal import is_shared
from .session import WarRoom

if TYPE_CHECKING:
    from .graph.gateway import GraphGateway
    from .sim.server import SimulatedTenant

NO_TENANT = "no tenant configured (graph.tenant_id): journal only"


class Watcher(Protocol):
    async def run(self) -> None: ...


# (warroom, on_change) -> something with `async run()` that polls until cancelled.
WatcherFactory = Callable[[WarRoom, Callable[[set[str]], None]], Watcher]
# config -> a gateway with the saved sign-in (graph.connect.connect, or a stand-in in tests).
Connect = Callable[[Config], Awaitable["GraphGateway"]]
DEFAULT_SCENARIO = "exchange-outage"    # what `warroom demo` plays unless told otherwise


def tenant_watcher(room: WarRoom, on_change: Callable[[set[str]], None]) -> Watcher:
    """The real watcher, on whatever gateway the WarRoom holds now (a sign-in replaces it)."""
    from .graph.live import LiveState, TenantWatcher, poll_intervals

    def watch_list() -> frozenset[str]:
        """The open incident's watch list, read at each poll: a watch added mid-incident speeds alerts up."""
        incident = room.incident
        return incident.watched if incident else frozenset()

    if room.gateway is None:
        raise RuntimeError("no Graph connection to watch: connect first")
    if room.live is None:
        room.live = LiveState()     # what the watcher fills is what the dashboard shows
    return TenantWatcher(room.gateway, room.journal, room.live, intervals=poll_intervals(room.config),
                         on_change=on_change, watch_list=watch_list, simulated=room.simulated, settle=True)


async def connect_graph(config: Config) -> GraphGateway:
    """A gateway on the saved sign-in; the SDK is imported here, never on the way to the first frame."""
    from .graph.connect import connect

    return await connect(config)


def demo_config(config: Config) -> Config:
    """The journal a demo writes to: the demo journal, never the configured one (the team's, or this responder's).

    A journal file named on the command line for this run is used as given; a shared journal never is: the
    simulator's observations, incidents and actions would become the team's record.
    """
    location = str(config.get("journal"))
    if config.origins.get("journal") == "command line":
        if is_shared(location):
            raise ValueError("warroom demo plays a simulated tenant and never writes into a shared journal: "
                             "give it a file (--journal demo.db), or leave --journal out for the demo journal")
        return config
    return Config({**config.values, "journal": default_demo_journal_path()},
                  {**config.origins, "journal": "the demo journal (a demo never writes to the configured one)"},
                  config.file, config.routing_resolved)


def with_simulated_tenant(config: Config, url: str) -> Config:
    """The configuration pointed at the simulated tenant listening on `url`."""
    return config.with_value("graph.url", url, "simulated tenant")


def check_scenario(name: str) -> None:
    """An unknown scenario is a one-line error before anything starts (without importing the simulator)."""
    if name.endswith(".toml") or "/" in name or Path(name).expanduser().exists():
        if not Path(name).expanduser().is_file():
            raise ValueError(f"{name}: no such scenario file")
        return
    folder = FOLDER / "scenarios"
    if not (folder / f"{name}.toml").is_file():
        known = sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".toml"))
        raise ValueError(f"unknown scenario {name!r} (known: {', '.join(known)})")


def start_tenant(scenario: str) -> SimulatedTenant:
    """The simulated tenant playing `scenario`, listening on 127.0.0.1 (blocking: run it in a thread)."""
    from .sim.server import SimulatedTenant

    tenant = SimulatedTenant(scenario)
    tenant.start()
    return tenant
