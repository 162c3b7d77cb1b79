"""The console follows the lifecycle written from elsewhere: an incident declared by `warroom declare` in another
shell appears at once, and a status changed there shows in the banner."""

from __future__ import annotations

import asyncio
from pathlib import Path

from warroom.console.app import WarroomApp
from warroom.console.cli import main
from warroom.widgets.banner import IncidentBanner

from .scenes import drawn, fixed_clock, live_state, open_warroom


async def until(pilot, condition, what: str) -> None:
    for _ in range(200):                    # bounded wait for the journal follower, not a timing assertion
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_an_incident_declared_from_a_shell_appears_at_once(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=False)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await drawn(pilot)
            argv = ["--journal", str(journal_path), "declare", "--category", "service-outage", "--title",
                    "Mail stuck in queues", "--service", "Exchange Online"]
            assert await asyncio.to_thread(main, argv) == 0
            banner = app.screen.query_one(IncidentBanner)
            await until(pilot, lambda: "Mail stuck in queues" in str(banner.render()), "the banner shows it")
            incident = warroom.incident
            assert incident is not None and incident.id in str(banner.render())
            argv = ["--journal", str(journal_path), "incident", "status", incident.id, "investigating"]
            assert await asyncio.to_thread(main, argv) == 0
            await until(pilot, lambda: "investigating" in str(banner.render()), "the banner shows the status")
    finally:
        await warroom.close()
