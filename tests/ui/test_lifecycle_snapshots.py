"""The lifecycle's screens as SVG snapshots at 80x24 and 160x48: the status prompt, the proposal in the banner, the
linked Microsoft issue (restored, posts newest first), the hand-over question and the close confirmation listing
the open tasks. (The hand-off page and the Message center with a message's text are in test_snapshots.py.)

Update deliberately: `.venv/bin/python -m pytest tests/ui/test_lifecycle_snapshots.py --snapshot-update`, then look.
"""

from __future__ import annotations

import asyncio

import pytest
from warroom.console.journal import kinds

from ..waiting import until
from .scenes import ago, drawn, issue

SIZES = pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
ISSUE = "EX226574"


@pytest.fixture
def linked_app(app_for):
    """The scene's incident with Microsoft's issue linked; `restored=True`: Microsoft has restored it since."""

    def make(*, restored: bool = False):
        app = app_for(incident=True)
        room = app.warroom
        asyncio.run(room.record(kinds.INCIDENT_LINKED, {"type": "service_issue", "id": ISSUE, "title": "Mail"},
                                incident=room.incident.id, occurred_at=ago(minutes=30)))
        if restored:
            room.live.issues[ISSUE] = issue(status="serviceRestored")._replace(is_resolved=True)
        return app

    return make


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await pilot.pause()
    await pilot.pause()


async def until_screen(pilot, name: str) -> None:
    """The screen opens from a worker."""
    await until(pilot, lambda: type(pilot.app.screen).__name__ == name, f"{name} to open")


@SIZES
def test_status_prompt(snap_compare, linked_app, size) -> None:
    async def press_u(pilot) -> None:
        await drawn(pilot)
        await pilot.press("u")
        await until_screen(pilot, "PromptScreen")
        await settle(pilot)

    assert snap_compare(linked_app(), terminal_size=size, run_before=press_u)


@SIZES
def test_proposal_in_the_banner(snap_compare, linked_app, size) -> None:
    async def shown(pilot) -> None:
        await drawn(pilot)
        await settle(pilot)
        assert "A: monitoring?" in str(pilot.app.dashboard.query_one("#banner").render())

    assert snap_compare(linked_app(restored=True), terminal_size=size, run_before=shown)


@SIZES
def test_linked_issue_restored(snap_compare, linked_app, size) -> None:
    async def press_m(pilot) -> None:
        await drawn(pilot)
        await pilot.press("M")
        await until_screen(pilot, "IssueDetailScreen")
        await settle(pilot)

    assert snap_compare(linked_app(restored=True), terminal_size=size, run_before=press_m)


@SIZES
def test_hand_over_question(snap_compare, linked_app, size) -> None:
    async def press_o(pilot) -> None:
        await drawn(pilot)
        await pilot.press("O")
        await until_screen(pilot, "PromptScreen")
        await settle(pilot)

    assert snap_compare(linked_app(), terminal_size=size, run_before=press_o)
