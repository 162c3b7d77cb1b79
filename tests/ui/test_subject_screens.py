"""Through the dashboard: each screen opens on the selected object, and the account field holds only an account
that object names (never one guessed from another object)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from warroom.console.graph.models import Alert
from warroom.screens.app import WarroomApp
from warroom.screens.contain import ContainScreen
from warroom.widgets.alerts import AlertTable

from .scenes import fixed_clock, live_state, on_screen, open_warroom, settle, to_iso

SIZE = (160, 48)
SYSTEM_ALERT = Alert.from_graph({
    "id": "da-system", "title": "Suspicious process launched by SYSTEM", "severity": "high", "status": "new",
    "createdDateTime": to_iso(fixed_clock()), "lastUpdateDateTime": to_iso(fixed_clock()),
    "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                  "userAccount": {"accountName": "SYSTEM", "domainName": "NT AUTHORITY", "userSid": "S-1-5-18"}}]})


async def _app(journal: Path) -> WarroomApp:
    live = live_state("degraded")          # holds an at-risk risky user: it must not be proposed
    live.alerts[SYSTEM_ALERT.id] = SYSTEM_ALERT
    warroom = await open_warroom(journal, live=live, incident=True)
    return WarroomApp(warroom, clock=fixed_clock, follow_journal=False)


async def _contain_from(pilot, app: WarroomApp, row_id: str, key: str = "B") -> ContainScreen:
    await pilot.press("2")
    table = app.screen.query_one(AlertTable)
    table.cursor = next(i for i, row in enumerate(table.rows) if row.id == row_id)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, ContainScreen)
    return app.screen


@pytest.mark.parametrize("row_id, account, line", [
    ("da-system", "", "The Defender alert da-system names no account: type the user's UPN."),
    ("da000001", "adele.vance@contoso.com", "Account named by the Defender alert da000001: adele.vance@contoso.com."),
    ("1042", "adele.vance@contoso.com", "Account named by the Defender incident 1042: adele.vance@contoso.com."),
    ("u-adele", "adele.vance@contoso.com", "Account named by the risky user u-adele: adele.vance@contoso.com."),
])
async def test_block_sign_in_proposes_only_the_account_the_selection_names(
        journal_path: Path, row_id: str, account: str, line: str) -> None:
    app = await _app(journal_path)
    async with on_screen(app, SIZE) as pilot:
        screen = await _contain_from(pilot, app, row_id)
        assert screen.query_one("#contain-upn", Input).value == account
        assert str(screen.query_one("#contain-subject").render()) == line
        assert screen.action == "block_sign_in"


async def test_from_a_microsoft_issue_or_nothing_the_account_field_is_empty(journal_path: Path) -> None:
    app = await _app(journal_path)
    async with on_screen(app, SIZE) as pilot:
        await pilot.press("1", "R")             # the health pane: Exchange Online's issue
        await settle(pilot)
        assert app.screen.query_one("#contain-upn", Input).value == ""
        assert "names no account" in str(app.screen.query_one("#contain-subject").render())
        await pilot.press("escape")
        await settle(pilot)
        app.warroom.live.alerts.clear()
        app.warroom.live.incidents.clear()
        app.warroom.live.risky_users.clear()
        app.live_changed({"alerts", "incidents", "risky_users"})
        await pilot.press("2", "E")
        await settle(pilot)
        assert app.screen.query_one("#contain-upn", Input).value == ""
        assert str(app.screen.query_one("#contain-subject").render()).startswith("Nothing selected names")
