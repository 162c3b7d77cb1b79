"""What a responder sees, as SVG snapshots at 80x24 and 160x48: fixed clock, fixed data, relative journal path.

Update deliberately: `.venv/bin/python -m pytest tests/ui/test_snapshots.py --snapshot-update`, then look at
the report. `dashboard_160x48_incident` is the README screenshot.
"""

from __future__ import annotations

import pytest

from ..waiting import until
from .scenes import drawn, messages, typed_together

WIDE, NARROW = (160, 48), (80, 24)


async def settle(pilot) -> None:
    """Drawn, and every text cursor shown steadily: a blinking one is on or off by how long the test took."""
    await drawn(pilot)
    for field in pilot.app.screen.query("Input"):
        field.cursor_blink = False
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_incident_with_overdue_update(snap_compare, app_for, size) -> None:
    assert snap_compare(app_for(incident=True), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_healthy_tenant_no_incident(snap_compare, app_for, size) -> None:
    assert snap_compare(app_for(kind="healthy"), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_hostile_strings_render_literally(snap_compare, app_for, size) -> None:
    assert snap_compare(app_for(kind="hostile", incident=True), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("key", ["1", "4"], ids=["health", "timeline"])
def test_at_80x24_a_folded_pane_opens_in_place(snap_compare, app_for, key) -> None:
    """Service health (`1`) or the timeline (`4`) opens where its one-line summary was; the rest still fits."""
    async def open_pane(pilot) -> None:
        await drawn(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(app_for(incident=True), terminal_size=NARROW, run_before=open_pane)


def test_stale_health_source(snap_compare, app_for) -> None:
    assert snap_compare(app_for(kind="stale", incident=True), terminal_size=WIDE, run_before=settle)


def test_throttled_alerts_and_denied_risky_users(snap_compare, app_for) -> None:
    assert snap_compare(app_for(kind="throttled"), terminal_size=WIDE, run_before=settle)


def test_offline_no_tenant(snap_compare, app_for) -> None:
    assert snap_compare(app_for(kind=None, mode="OFFLINE"), terminal_size=NARROW, run_before=settle)


def test_demo_mode_banner(snap_compare, app_for) -> None:
    assert snap_compare(app_for(mode="DEMO"), terminal_size=NARROW, run_before=settle)


@pytest.mark.parametrize("theme", ["light", "ansi"])
def test_themes(snap_compare, app_for, theme) -> None:
    assert snap_compare(app_for(incident=True, theme=theme), terminal_size=WIDE, run_before=settle)


def test_help_screen(snap_compare, app_for) -> None:
    async def open_help(pilot) -> None:
        await drawn(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app_for(), terminal_size=WIDE, run_before=open_help)


def test_alert_details(snap_compare, app_for) -> None:
    async def open_alert(pilot) -> None:
        await drawn(pilot)
        await pilot.press("2", "home", "enter")
        await settle(pilot)

    assert snap_compare(app_for(kind="hostile"), terminal_size=WIDE, run_before=open_alert)


def test_issue_details(snap_compare, app_for) -> None:
    async def open_issue(pilot) -> None:
        await drawn(pilot)
        await pilot.press("1", "home", "enter")
        await settle(pilot)

    assert snap_compare(app_for(), terminal_size=NARROW, run_before=open_issue)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_handoff_page(snap_compare, app_for, size) -> None:
    async def open_handoff(pilot) -> None:
        await drawn(pilot)
        await pilot.press("H")
        # the page is read from the journal in a worker
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HandoffScreen", "the hand-off page")
        await settle(pilot)

    assert snap_compare(app_for(incident=True), terminal_size=size, run_before=open_handoff)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_message_center(snap_compare, app_for, size) -> None:
    async def open_messages(pilot) -> None:
        await drawn(pilot)
        pilot.app.warroom.live.messages = messages()
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")      # the newest (Exchange, marked) opens below
        await settle(pilot)

    assert snap_compare(app_for(incident=True), terminal_size=size, run_before=open_messages)


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["160x48", "80x24"])
def test_alerts_sorted_then_filtered_typed_fast(snap_compare, app_for, size) -> None:
    """`s` three times, then `s/high` in one read: the pane's subtitle says the order (age) and the filter, once;
    no notification covers it."""
    async def sort_and_filter(pilot) -> None:
        await drawn(pilot)
        await pilot.press("2", "s", "s", "s")
        typed_together(pilot.app, "s/high")
        table = pilot.app.screen.query_one("#alerts")
        await until(pilot, lambda: str(table.border_subtitle) == "sort: age ▼ · filter: high", "sorted and filtered")
        await settle(pilot)

    assert snap_compare(app_for(), terminal_size=size, run_before=sort_and_filter)
