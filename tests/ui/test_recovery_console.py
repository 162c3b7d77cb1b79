"""The Recovery screen and the support case from the dashboard: `r` opens Recovery on the service the health pane's
selection names (the incident's other services one key away), `K` the support case; both come back to the
dashboard with Esc."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from warroom.console.playbooks import PlaybookLibrary, declaration
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.recovery import RecoveryScreen
from warroom.screens.support_case import SupportCaseScreen
from warroom.widgets.health import HealthPane

from .scenes import fixed_clock, live_state, on_screen, open_warroom, settle


async def test_r_opens_recovery_on_the_selected_service_and_k_the_support_case(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"))
    await warroom.record_new_incident(lambda incident_id: declaration(
        incident_id, title="Sign-ins failing", category="service-outage",
        services=["Exchange Online", "Microsoft Entra"], roles={"incident_commander": "ann"},
        library=PlaybookLibrary.load()))
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    async with on_screen(app, (80, 24)) as pilot:
        health = app.screen.query_one(HealthPane)
        await pilot.press("1")
        health.action_jump([row.service for row in health.rows].index("Microsoft Entra"))
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RecoveryScreen)
        line = str(app.screen.query_one("#recovery-service", Static).render())
        assert line.startswith("Service 2 of 2: Microsoft Entra: investigating (EN991122)"), line
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("K")
        await settle(pilot)
        assert isinstance(app.screen, SupportCaseScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
