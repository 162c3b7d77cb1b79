"""Notifications on a guided screen, at 80x24 and 160x48: one line over the right half of the footer, the newest
only, its title leading the line, so none covers a field, the heading, the result line or a button while a
responder types."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.errors import NoWidget
from textual.widgets import Footer
from textual.widgets._toast import Toast, ToastHolder, ToastRack
from warroom.console.subject import resolve
from warroom.screens.app import WarroomApp
from warroom.screens.send_confirm import SendConfirmScreen
from warroom.screens.steps import STEPS

from ..waiting import until
from .scenes import drawn, fixed_clock, live_state, open_warroom

TOAST_PARTS = (Toast, ToastHolder, ToastRack)


def _covered(app) -> list[tuple[int, int]]:
    """Every cell a notification is drawn over (a dialog's screen has cells with no widget of its own)."""
    width, height = app.size

    def under(x: int, y: int) -> object:
        try:
            return app.screen.get_widget_at(x, y)[0]
        except NoWidget:
            return None
    return [(x, y) for y in range(height) for x in range(width) if isinstance(under(x, y), TOAST_PARTS)]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("step", STEPS)
async def test_a_notification_on_a_guided_screen_covers_nothing_but_the_footer(journal_path: Path, step: str,
                                                                             size) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    try:
        async with app.run_test(size=size, notifications=True) as pilot:
            await drawn(pilot)
            app.open_guided(step, resolve(warroom.live, "alert", "da000001"))
            await pilot.pause()
            await app.workers.wait_for_complete()
            screen = app.screen
            app.notify("Suspicious inbox forwarding rule 9\nand two more", title="New high-severity alert",
                       severity="error", timeout=60)
            app.notify("Saved: SEV2 because many users cannot send mail " * 3, title="Done", timeout=60)
            await until(pilot, lambda: len(screen.query(Toast)) == 2 and _covered(app), "the notices drawn")
            await pilot.pause()
            footer = screen.query_one(Footer)
            covered = _covered(app)
            assert {y for _, y in covered} == {footer.region.y} == {size[1] - 1}, covered
            newest = screen.get_widget_at(size[0] - 3, size[1] - 1)[0]
            assert isinstance(newest, Toast) and str(newest.render()).startswith("Done: Saved: SEV2 because")
            assert len(covered) <= size[0] // 2
            messages = [n.message for n in app._notifications]
            assert messages[0] == "New high-severity alert: Suspicious inbox forwarding rule 9 and two more"
    finally:
        await warroom.close()


async def test_on_the_dashboard_a_notification_keeps_its_title_above_the_message(journal_path: Path) -> None:
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    try:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await drawn(pilot)
            app.notify("Suspicious inbox forwarding rule 9", title="New high-severity alert", timeout=60)
            await pilot.pause()
            [notice] = app._notifications
            assert (notice.title, notice.message) == ("New high-severity alert", "Suspicious inbox forwarding rule 9")
    finally:
        await warroom.close()


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_a_dialog_over_a_guided_screen_is_not_covered_by_its_notifications(journal_path: Path, size) -> None:
    """The last look before a send opens over Communicate while its refusals are still notified: they stay one line
    over the dialog's footer, never over the question (found in tmux: the send was confirmed by a key meant for the
    form)."""
    warroom = await open_warroom(journal_path, live=live_state("degraded"), incident=True)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    try:
        async with app.run_test(size=size, notifications=True) as pilot:
            await drawn(pilot)
            app.open_guided("communicate", resolve(warroom.live, "alert", "da000001"))
            await pilot.pause()
            await app.workers.wait_for_complete()
            for placeholder in ("[scope of impact]", "[current actions]", "[incident commander]"):
                app.notify(f"Not sent: fill {placeholder} first (the first is selected: type to replace it).",
                           title="Not done", severity="warning", timeout=60)
            app.push_screen(SendConfirmScreen(audience="Stakeholder communications", recipients=(), channels=[],
                                              subject="[INC-20261205-01] INCIDENT NOTIFICATION: Mail delayed"))
            dialog = await until(pilot, lambda: isinstance(app.screen, SendConfirmScreen) and app.screen,
                                 "the dialog up")
            await until(pilot, lambda: _covered(app), "the notices drawn over the dialog")
            await pilot.pause()
            covered = _covered(app)
            assert {y for _, y in covered} == {dialog.query_one(Footer).region.y} == {size[1] - 1}, covered
            assert len(covered) <= size[0] // 2
    finally:
        await warroom.close()
