"""Enhanced monitoring on the dashboard: alerts naming a watched user or IP are marked, and new ones announced."""

from __future__ import annotations

from pathlib import Path

import pytest
from warroom.console import containment
from warroom.console.graph.live import WATCHED_SIGN_INS
from warroom.console.graph.models import SignIn
from warroom.screens.app import WarroomApp
from warroom.widgets.alerts import AlertTable

from .scenes import alert, fixed_clock, live_state, open_warroom

SIZE = (160, 48)
INCIDENT = "INC-20261124-01"
WATCHED = "megan.bowen@contoso.com"


pytestmark = pytest.mark.usefixtures("paris_time")


@pytest.fixture
async def app(journal_path: Path):
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    yield WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    await warroom.close()


def line_of(table: AlertTable, key: str) -> str:
    """The text the table draws for one row (it must be on screen)."""
    index = [r.key for r in table.rows].index(key)
    return table.render_line(index - int(table.scroll_offset.y) + 1).text


def messages(app: WarroomApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_new_alert_naming_a_watched_user_is_marked_and_announced(app: WarroomApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(AlertTable)
        assert "◉" not in line_of(table, "alert:da000001")
        await containment.watch(app.warroom, WATCHED, ["198.51.100.9"], incident=INCIDENT, reason="BEC")
        await pilot.pause()
        assert table.watching == {WATCHED, "198.51.100.9"}
        assert "◉" not in line_of(table, "alert:da000001")        # adele's alerts: nobody watched is named

        app.warroom.live.alerts["da000077"] = alert(77, "low", 0, "Forwarding rule to [red]gmail[/red]\x1b[2J",
                                                    upn="Megan.Bowen@contoso.com")
        app.live_changed({"alerts"})
        await pilot.pause()
        marked = line_of(table, "alert:da000077")
        assert marked.lstrip().startswith("◉") and "Forwarding rule" in marked
        assert "1 watched" in str(table.border_title)
        told = [m for m in messages(app) if m.startswith("Watched user")]
        assert told == [f"Watched user {WATCHED} in new alert Forwarding rule to [red]gmail[/red]"]

        app.live_changed({"alerts"})                                    # the next poll does not repeat it
        await pilot.pause()
        assert len([m for m in messages(app) if m.startswith("Watched")]) == 1


async def test_watching_an_ip_marks_existing_alerts_without_announcing_them(app: WarroomApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(AlertTable)
        await containment.watch(app.warroom, WATCHED, ["203.0.113.7"], incident=INCIDENT)
        await pilot.pause()
        assert line_of(table, "alert:da000002").lstrip().startswith("◉")
        assert "6 watched" in str(table.border_title)
        assert not [m for m in messages(app) if m.startswith("Watched")]   # they were there before: not new


async def test_a_watched_users_new_sign_in_is_announced_after_the_first_poll(app: WarroomApp) -> None:
    live = app.warroom.live
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        live.watched_sign_ins[WATCHED] = [sign_in("s1", "198.51.100.9")]
        app.live_changed({WATCHED_SIGN_INS})                          # the first poll is the baseline
        await pilot.pause()
        assert not [m for m in messages(app) if m.startswith("Watched")]
        live.watched_sign_ins[WATCHED] = [sign_in("s2", "203.0.113.66\x1b[2J", error=50126),
                                          sign_in("s1", "198.51.100.9")]
        app.live_changed({WATCHED_SIGN_INS})
        await pilot.pause()
        told = [m for m in messages(app) if m.startswith("Watched")]
        assert told == [f"Watched user {WATCHED} failed to sign in from 203.0.113.66 (Lagos, NG) to Office 365"]


def sign_in(id_: str, ip: str, *, error: int = 0) -> SignIn:
    return SignIn.from_graph({"id": id_, "userPrincipalName": WATCHED, "ipAddress": ip,
                              "appDisplayName": "Office 365", "status": {"errorCode": error},
                              "location": {"city": "Lagos", "countryOrRegion": "NG"}})
