"""`warroom drill SCENARIO`: rehearse on the simulated tenant (DRILL mode), then print the drill report.

The drill is journaled like a real incident, between drill.started and drill.finished, so the report (time to
declare, assess, contain and send the first notification against drill.target_*_minutes) can be recomputed
from the journal later. Textual is imported only when the console opens.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ..cli import Context
from ..config import Config
from ..drill import DrillReport, score
from ..journal import kinds
from ..session import WarRoom

# Runs the exercise with the console open; returns when the responder quits. Tests drive their own.
Play = Callable[[WarRoom], Awaitable[None]]


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "drill", parents=[common], help="rehearse a scenario on the simulated tenant and score the response",
        description="Plays a simulated-tenant scenario as an exercise (DRILL mode); on quitting, prints the "
                    "drill report: time to declare, assess, contain and notify against the configured targets.",
    )
    parser.add_argument("scenario", help="scenario name (see data/scenarios), e.g. compromised-account")
    parser.add_argument("--speed", type=float, default=1.0, help="scenario time per wall-clock second")
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    from ..sim.scenario import list_scenarios

    scenario = ctx.args.scenario
    if scenario not in list_scenarios():
        raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(list_scenarios())})")
    report = asyncio.run(run_drill(ctx.config, scenario, speed=ctx.args.speed))
    print(report.text())
    return 0


async def _play_console(warroom: WarRoom) -> None:
    from ...screens.app import WarroomApp  # lazy: only a played drill pays for Textual
    from ..graph.live import TenantWatcher, poll_intervals

    gateway, config = warroom.gateway, warroom.config

    def factory(room: WarRoom, on_change: Callable[[set[str]], None]) -> TenantWatcher:
        assert gateway is not None and room.live is not None    # the drill connected and set both before the console
        return TenantWatcher(gateway, room.journal, room.live, intervals=poll_intervals(config), on_change=on_change,
                             simulated=True)

    await WarroomApp(warroom, watcher_factory=factory if gateway else None).run_async()


async def _persistence(gateway: Any) -> list[Any]:
    """What the attacker left at the start, for every account Identity Protection rates at risk: the drill
    report says whether each was found and removed. The facilitator's read, not journaled."""
    from ..drill import planted
    from ..graph.errors import GraphError
    from ..investigate import investigate

    try:
        risky = await gateway.get_all("identityProtection/riskyUsers",
                                      {"$filter": "riskState eq 'atRisk' or riskState eq 'confirmedCompromised'"})
    except GraphError:
        return []
    items = []
    for user in risky[:10]:
        if user.get("userPrincipalName"):
            items += planted(await investigate(gateway, str(user["userPrincipalName"])))
    return items


async def run_drill(config: Config, scenario: str, *, speed: float = 1.0, play: Play | None = None,
                    tenant: Any | None = None) -> DrillReport:
    """Start the tenant (unless given), journal drill.started, let the team respond, score and journal the end."""
    from ..graph.connect import connect
    from ..graph.live import LiveState
    from ..sim.server import SimulatedTenant

    own = tenant is None
    if tenant is None:
        tenant = SimulatedTenant(scenario, speed=speed)
        await asyncio.to_thread(tenant.start)
    config = config.with_value("graph.url", tenant.base_url, "simulated tenant (drill)")
    warroom = await WarRoom.open(config, mode="DRILL")
    warroom.live = LiveState()
    warroom.tenant_label = f"drill: {scenario}"
    try:
        warroom.gateway = await connect(config)
        persistence = await _persistence(warroom.gateway)
        started = await warroom.record(kinds.DRILL_STARTED, {"scenario": scenario,
                                                             "text": f"Drill started: {scenario}"})
        await (play or _play_console)(warroom)
        entries = await warroom.journal.entries(after=started.seq - 1)
        report = score(scenario, entries, config, persistence=persistence)
        await warroom.record(kinds.DRILL_FINISHED, {"scenario": scenario, "metrics": report.metrics(),
                                                    "done": report.done(), "text": report.score},
                             incident=report.incident)
        return report
    finally:
        if warroom.gateway is not None:
            await warroom.gateway.close()
        await warroom.close()
        if own:
            await asyncio.to_thread(tenant.stop)
