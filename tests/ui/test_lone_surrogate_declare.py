"""Declaring from an alert whose title holds a lone UTF-16 surrogate, on the simulated tenant through the real gateway
and watcher: .NET writes it as the JSON escape `\\udc00`, which Python reads as one lone surrogate that no UTF-8 text
can hold. The incident is declared; the declaration's source and link quote the title as the screen shows it, with
the surrogate as its escape."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console.config import load_config
from warroom.console.graph.connect import connect
from warroom.console.graph.live import LiveState, TenantWatcher
from warroom.console.journal import kinds
from warroom.console.session import WarRoom
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.declare import DeclareIncidentScreen
from warroom.widgets.alerts import AlertTable

from ..graph.helpers import add_objects

TITLE = "Mailbox rule \udc00 from Graph"
SHOWN = "Mailbox rule \\udc00 from Graph"


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_an_incident_is_declared_from_an_alert_whose_title_holds_a_lone_surrogate(
        make_tenant, tmp_path: Path, size) -> None:
    tenant = make_tenant("exchange-outage")
    add_objects(tenant, "alerts", [{"id": "da-lone-1", "title": TITLE, "severity": "high"}])
    config = load_config(overrides={"journal": str(tmp_path / "journal.db"), "graph.url": tenant.base_url})
    warroom = await WarRoom.open(config, mode="DEMO")
    try:
        warroom.gateway = await connect(config)
        warroom.live = LiveState()
        watcher = TenantWatcher(warroom.gateway, warroom.journal, warroom.live)
        await watcher.poll_once("alerts")
        assert "alerts" not in watcher.last_error, watcher.last_error
        assert warroom.live.alerts["da-lone-1"].title == TITLE          # as Graph sent it
        app = WarroomApp(warroom, follow_journal=False)
        async with app.run_test(size=size) as pilot:
            await app.panes_drawn.wait()
            await pilot.pause()
            table = app.screen.query_one(AlertTable)
            table.focus()
            table.action_jump([row.id for row in table.rows].index("da-lone-1"))
            await pilot.press("d")
            await pilot.pause()
            await app.workers.wait_for_complete()
            assert isinstance(app.screen, DeclareIncidentScreen)
            await pilot.press("f2")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            message = str(app.screen.query_one("#message").render()) if not isinstance(
                app.screen, DashboardScreen) else ""
            assert isinstance(app.screen, DashboardScreen), message
        incident = warroom.incident
        assert incident is not None and incident.title == SHOWN
        declared = await warroom.journal.entries(kinds=[kinds.INCIDENT_DECLARED])
        linked = await warroom.journal.entries(kinds=[kinds.INCIDENT_LINKED])
        assert [e.body["source"]["title"] for e in declared] == [SHOWN]
        assert [(e.body["id"], e.body["title"]) for e in linked] == [("da-lone-1", SHOWN)]
        assert (await warroom.journal.verify()).ok
    finally:
        if warroom.gateway is not None:
            await warroom.gateway.close()
        await warroom.close()
