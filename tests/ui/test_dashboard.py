"""Pilot tests: every dashboard key and palette entry does what it says, on a real journal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.command import CommandList
from textual.widgets import Input
from warroom.console.actions import in_place
from warroom.console.graph.models import Alert
from warroom.console.journal import kinds, open_journal
from warroom.screens.alert_detail import AlertDetailScreen
from warroom.screens.app import WarroomApp
from warroom.screens.dashboard import DashboardScreen
from warroom.screens.help import HelpScreen, help_table
from warroom.screens.issue_detail import IssueDetailScreen
from warroom.screens.prompt import PromptScreen
from warroom.widgets.actions import palette_entries
from warroom.widgets.alerts import AlertTable
from warroom.widgets.banner import IncidentBanner
from warroom.widgets.health import HealthPane
from warroom.widgets.tasks import TaskList
from warroom.widgets.timeline import Timeline

from ..waiting import until
from .scenes import OPENED, alert, drawn, fixed_clock, live_state, open_warroom

SIZE = (160, 48)


def _filter_text(app: WarroomApp) -> str | None:
    """The alert filter's text, once the dashboard is up (None before)."""
    boxes = app.screen.query("#alert-filter") if app.screen_stack else []
    return boxes.first(Input).value if boxes else None


def _palette_highlights(app: WarroomApp, words: str) -> bool:
    """The command palette's search has settled on a command with these words (Enter would run it)."""
    lists = app.screen.query(CommandList)
    if not lists:
        return False
    options = lists.first()
    index = options.highlighted
    return index is not None and words in str(options.get_option_at_index(index).prompt)


pytestmark = pytest.mark.usefixtures("paris_time", "close_opened")


async def make_app(journal: Path, *, kind: str | None = "degraded", incident: bool = True, follow: bool = False,
                   **kw) -> WarroomApp:
    warroom = await open_warroom(journal, live=live_state(kind) if kind else None, incident=incident, **kw)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=follow)
    OPENED.append(app)
    return app


async def kinds_in(app: WarroomApp, kind: str) -> list[dict]:
    return [e.body for e in await app.warroom.journal.entries(kinds=[kind])]


class GuidedCalls(list):
    """Records what the dashboard asked the guided-response hook for (that screen is another module's)."""

    def __call__(self, step: str, subject=None) -> None:
        self.append((step, subject))


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char if char != " " else "space")


async def test_banner_without_incident_offers_declare(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.screen.query_one(IncidentBanner).render().plain
        assert "No open incident" in text and "Press d to declare" in text


async def test_banner_counts_up_and_turns_overdue(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = app.screen.query_one(IncidentBanner)
        text = banner.render().plain
        assert "INC-20261124-01" in text and "SEV2" in text and "T+01:23:00" in text and "IC: alice" in text
        assert "OVERDUE by 00:23:00" in text and banner.has_class("-overdue")


@pytest.mark.parametrize(("key", "step"), [
    ("d", "declare"), ("a", "assess"), ("c", "contain"), ("n", "communicate"), ("B", "block_sign_in"),
    ("R", "revoke_sessions"), ("E", "preserve_evidence"), ("P", "review"), ("X", "close"),
])
async def test_guided_keys_pass_the_selected_alert(journal_path: Path, key: str, step: str) -> None:
    app = await make_app(journal_path)
    calls = GuidedCalls()
    app.open_guided = calls
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "home", key)
        selected = app.screen.query_one(AlertTable).selected
        [(called, subject)] = calls
        assert called == step and (subject.kind, subject.id) == ("alert", selected.id)
        assert subject.accounts == ("adele.vance@contoso.com",)


async def test_declare_from_a_microsoft_issue_is_two_keystrokes(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    calls = GuidedCalls()
    app.open_guided = calls
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "d")
        [(called, subject)] = calls
        assert called == "declare" and (subject.kind, subject.id) == ("service_issue", "EX226574")
        assert subject.services[0] == "Exchange Online" and subject.accounts == ()


async def test_note_reaches_the_journal_and_the_timeline(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        assert isinstance(app.screen, PromptScreen)
        await type_text(pilot, "bridge call started")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert {"text": "bridge call started"} in await kinds_in(app, kinds.NOTE)
        notes = [e for e in app.screen.query_one(Timeline).entries if e.kind == kinds.NOTE]
        assert notes[-1].body["text"] == "bridge call started" and notes[-1].incident == "INC-20261124-01"


async def test_empty_timeline_does_not_claim_the_journal_is_empty(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = app.screen.query_one(Timeline).render_line(0).text
        assert "No notes or actions yet: press : to add a note" in line and "journal" not in line


async def test_escape_cancels_a_note(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon", "x", "escape")
        await pilot.pause()
        assert await kinds_in(app, kinds.NOTE) == [{"text": "Service desk reports 40 tickets about outbound mail"}]


async def test_decision_records_its_reason(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("exclamation_mark")
        await type_text(pilot, "hold comms because legal review")
        await pilot.press("enter")
        await pilot.pause()
        assert {"text": "hold comms", "reason": "legal review"} in await kinds_in(app, kinds.DECISION)


async def test_task_keys_each_write_a_journal_entry(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "home", "x")                         # T1 done, once asked
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("o", *["backspace"] * 20)                 # assign T1 to dana
        await type_text(pilot, "dana")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("plus")                                   # add T4
        await type_text(pilot, "call Microsoft support")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down", "b")                              # T2 blocked
        await type_text(pilot, "waiting on vendor")
        await pilot.press("enter")
        await pilot.pause()
        updates = await kinds_in(app, kinds.TASK_UPDATED)
        assert {"task_id": "T1", "status": "done"} in updates
        assert {"task_id": "T1", "owner": "dana"} in updates
        assert {"task_id": "T2", "status": "blocked", "blockers": "waiting on vendor"} in updates
        assert {"task_id": "T4", "text": "call Microsoft support"} in await kinds_in(app, kinds.TASK_ADDED)
        tasks = app.warroom.incident.tasks
        assert tasks["T1"].done and tasks["T1"].owner == "dana" and tasks["T4"].text == "call Microsoft support"
        shown = app.screen.query_one(TaskList)
        assert [t.id for t in shown.tasks] == ["T1", "T2", "T3", "T4"] and shown.border_title == "Tasks (1/4 done)"


async def test_add_task_claims_an_id_another_console_already_took(journal_path: Path) -> None:
    app = await make_app(journal_path)                     # not following: the book has not seen the other T4
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        other = await open_journal(journal_path, actor="second-console")
        await other.append(kinds.TASK_ADDED, {"task_id": "T4", "text": "from the other console"},
                           incident="INC-20261124-01")
        await other.close()
        await pilot.press("3", "plus")
        await type_text(pilot, "call Microsoft support")
        await pilot.press("enter")
        await pilot.pause()
        added = await kinds_in(app, kinds.TASK_ADDED)
        assert [b["task_id"] for b in added].count("T4") == 1
        assert {"task_id": "T5", "text": "call Microsoft support"} in added
        assert app.warroom.incident.tasks["T4"].text == "from the other console"


async def test_banner_cadence_ignores_a_zero_or_negative_setting(journal_path: Path) -> None:
    """The configuration refuses 0 (tests/test_config_values.py); the banner still holds if one gets through."""
    app = await make_app(journal_path)
    app.warroom.config.values["updates.sev2_minutes"] = 0
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.screen.query_one(IncidentBanner).render().plain
        assert "OVERDUE by 00:23:00" in text          # the default hourly SEV2 cadence, as Communicate uses


async def test_task_keys_without_incident_explain_instead_of_writing(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "plus")
        await until(pilot, lambda: any("No open incident" in n.message for n in app._notifications),
                    "the no-incident notification")
        assert not isinstance(app.screen, PromptScreen)
        assert await kinds_in(app, kinds.TASK_ADDED) == []


async def test_link_records_the_selected_alert_once(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "home", "l")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press("l")
        await pilot.pause()
        await app.workers.wait_for_complete()
        links = await kinds_in(app, kinds.INCIDENT_LINKED)
        assert links == [{"type": "alert", "id": "da000001", "title": "Suspicious inbox forwarding rule 1"}]
        assert app.warroom.incident.links[0]["id"] == "da000001"


async def test_filter_as_you_type_and_escape_clears(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(AlertTable)
        assert len(table.rows) == 8
        await pilot.press("slash")
        assert app.screen.query_one("#alert-filter", Input).has_focus
        await type_text(pilot, "sign")
        await pilot.pause()
        assert [r.title for r in table.rows] == ["Unusual sign-in from a new country", "Anonymous IP address sign-in"]
        await type_text(pilot, " anon")
        await pilot.pause()
        assert [r.id for r in table.rows] == ["da000004"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.rows) == 8 and table.has_focus


async def test_sort_cycles_columns_and_reverses(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(AlertTable)
        assert [r.severity for r in table.rows][:3] == ["high"] * 3
        await pilot.press("2", "s")
        assert table.sort_column == "status"
        await pilot.press("s", "s", "s")
        assert table.sort_column == "age"
        assert table.rows[0].id == "da000006"        # newest first
        await pilot.press("S")
        assert table.rows[0].id == "da000005"


async def test_the_alerts_pane_says_its_order_once_however_often_s_is_pressed(journal_path: Path) -> None:
    """Five `s`: the pane's subtitle names the order each time, and no stack of notifications covers it."""
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(AlertTable)
        await pilot.press("2")
        for column in ("status", "title", "source", "age", "severity"):
            await pilot.press("s")
            await until(pilot, lambda column=column: str(table.border_subtitle).startswith(f"sort: {column} ▼"),
                        f"the subtitle naming {column}")
        assert [n.message for n in app._notifications if "sort" in n.message.lower()] == []


async def first_row_opened(pilot, pane_key: str):
    """Focus a pane by its key, Enter on its first row: the screen that opens."""
    await pilot.press(pane_key, "home", "enter")
    await pilot.pause()
    return pilot.app.screen


async def test_enter_opens_alert_details_and_copies_the_portal_link(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(await first_row_opened(pilot, "2"), AlertDetailScreen)
        body = str(app.screen.query_one("#alert-detail-body").render())
        assert "T1114.003" in body and "userEvidence" in body and "203.0.113.7" in body
        await pilot.press("y")
        assert app.clipboard == "https://security.microsoft.com/alerts/da000001"
        assert any("Copied the portal link" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_mouse_click_selects_a_row_and_double_click_opens_it(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        table = app.screen.query_one(AlertTable)
        await pilot.click(AlertTable, offset=(10, 3))       # border, header, first row: the second row
        assert table.cursor == 1 and isinstance(app.screen, DashboardScreen)
        await pilot.click(AlertTable, offset=(10, 1))       # the header: nothing moves
        assert table.cursor == 1
        await pilot.double_click(AlertTable, offset=(10, 4))
        await pilot.pause()
        assert isinstance(app.screen, AlertDetailScreen) and table.cursor == 2
        await pilot.press("escape")
        health = app.screen.query_one(HealthPane)
        await pilot.double_click(HealthPane, offset=(10, 2))    # Exchange Online, degraded: its Microsoft issue
        await pilot.pause()
        assert health.cursor == 0 and isinstance(app.screen, IssueDetailScreen)


async def test_a_write_sent_without_a_recorded_outcome_is_flagged_at_start(journal_path: Path) -> None:
    """The console stopped between sending block sign-in and journaling its outcome: the next start says so."""
    app = await make_app(journal_path)
    incident = app.warroom.incident.id
    await app.warroom.record(kinds.ACTION, {"action": "block_sign_in", "target": "[b]mallory[/b]@contoso.com",
                                            "result": "requested"}, incident=incident)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        [warning] = [n for n in app._notifications if n.title == "Outcome unknown"]
        assert warning.message.startswith(f"Block sign-in for [b]mallory[/b]@contoso.com ({incident}) was sent at")
        assert "no answer from Graph was recorded" in warning.message and warning.markup is False


async def test_a_settled_write_is_not_flagged(journal_path: Path) -> None:
    app = await make_app(journal_path)
    for result in ("requested", "ok"):
        await app.warroom.record(kinds.ACTION, {"action": "block_sign_in", "target": "adele@contoso.com",
                                                "result": result}, incident=app.warroom.incident.id)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        assert not [n for n in app._notifications if n.title == "Outcome unknown"]


async def test_notifications_that_show_graph_data_are_never_markup(journal_path: Path) -> None:

    app = await make_app(journal_path, kind="hostile")
    first = app.warroom.live.alerts["da000001"]
    app.warroom.live.alerts["da000001"] = Alert.from_graph({**first.raw,
                                                            "alertWebUrl": "https://security.microsoft.com/a?[b]x[/b]"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        table = app.screen.query_one(AlertTable)
        table.action_jump([r.id for r in table.rows].index("da000001"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AlertDetailScreen), "the alert's detail")
        await pilot.press("y", "escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard again")
        health = app.screen.query_one(HealthPane)
        health.focus()
        health.cursor = [r.id for r in health.rows].index("Hostile")
        health.action_open_issue()
        await until(pilot, lambda: any("no open Microsoft issue" in n.message for n in app._notifications),
                    "the no-issue notification")
        shown = {n.message: n.markup for n in app._notifications}
        link = next(m for m in shown if "Copied the portal link" in m)     # on a dialog the title leads the line
        evil = next(m for m in shown if "no open Microsoft issue" in m)
        assert "[b]x[/b]" in link and "[red]Evil[/red]" in evil
        assert shown[link] is False and shown[evil] is False


async def test_enter_on_health_opens_the_issue_newest_post_first(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(await first_row_opened(pilot, "1"), IssueDetailScreen)
        body = str(app.screen.query_one("#issue-detail-body").render())
        assert body.index("identified a configuration change") < body.index("investigating reports")


async def test_toggle_utc_and_local_time(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        timeline = app.screen.query_one(Timeline)
        first = timeline.entries[0]
        assert timeline.stamp(first) == "2026-11-24 13:07:00Z"
        await pilot.press("t")
        assert timeline.stamp(first) == "2026-11-24 14:07:00 +0100" and timeline.zone_label == "local"
        await pilot.press("t")
        assert timeline.stamp(first).endswith("Z")


async def test_help_lists_every_dashboard_binding(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(help_table(app, app.screen.places))
        shown = console.export_text()
        for place in ("dashboard", "alerts", "health", "tasks", "app"):
            for action in in_place(place):
                assert action.title in shown
        for description in ("Page up", "Last"):
            assert description in shown
        assert not re.search(r"\b(dashboard|alerts|tasks|app)\.[a-z_]+", shown), "internal ids on the help screen"
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_tab_moves_between_panes(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        order = []
        for _ in range(4):
            await pilot.press("tab")
            order.append(app.focused.id)
        assert set(order) == {"health", "tasks", "alerts", "timeline"}
        await pilot.press("shift+tab")
        assert app.focused.id == order[-2]


@pytest.mark.parametrize(("setting", "textual_env", "animated"),
                         [(None, None, False), ("full", None, True), (None, "full", True), ("none", "full", False)])
async def test_scrolling_to_a_pane_is_one_jump_unless_animations_are_asked_for(
        journal_path: Path, monkeypatch: pytest.MonkeyPatch, setting, textual_env, animated) -> None:
    """Over SSH every animated frame is more output: by default a pane out of view is scrolled to at once.
    Asked for in our config, or with Textual's own TEXTUAL_ANIMATIONS, scrolling animates; our setting wins.
    (80x24 fits every pane; a terminal shorter than that scrolls them.)"""
    if textual_env:
        import textual.constants

        monkeypatch.setenv("TEXTUAL_ANIMATIONS", textual_env)
        monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", textual_env)   # read once, at import
    app = await make_app(journal_path, extra={"ui.animations": setting} if setting else {})
    async with app.run_test(size=(80, 8)) as pilot:
        await drawn(pilot)
        panes = app.screen.query_one("#panes")
        seen: list[float] = []
        app.screen.watch(panes, "scroll_y", lambda y: seen.append(y), init=False)
        for _ in range(8):              # twice round the panes: the stacked panes scroll down and back up
            await pilot.press("tab")
        assert len(set(seen)) >= 2
        assert any(y != int(y) for y in seen) is animated


async def test_palette_runs_dashboard_commands(journal_path: Path) -> None:
    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        entries = palette_entries(app.screen)
        assert {"Declare incident", "Assess severity", "Add note", "Add task", "Sort alerts by next column"} <= {
            e.title for e in entries}
        for entry in entries:
            assert entry.title in titles
        await pilot.press("ctrl+p")
        await type_text(pilot, "Add note")
        await until(pilot, lambda: _palette_highlights(app, "Add note"), "the palette to offer Add note")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen) and app.screen.title_text == "Note"


async def test_entries_from_another_process_appear(journal_path: Path) -> None:
    app = await make_app(journal_path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await drawn(pilot)
        other = await open_journal(journal_path, actor="second-console")
        await other.append(kinds.NOTE, {"text": "from the other shell"})
        await other.close()
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: any(e.body.get("text") == "from the other shell" for e in timeline.entries),
                    "the entry from the other shell")
        assert timeline.entries[-1].actor == "second-console"
        assert len([e for e in timeline.entries if e.body.get("text") == "from the other shell"]) == 1


async def test_new_high_severity_alert_notifies_and_rings(journal_path: Path) -> None:
    app = await make_app(journal_path, extra={"ui.bell": True})
    bells = []
    app.bell = lambda: bells.append(1)
    async with app.run_test(size=SIZE) as pilot:
        live = app.warroom.live
        live.alerts["da000099"] = alert(99, "high", 0, "Ransomware behaviour detected")
        live.alerts["da000098"] = alert(98, "low", 0, "Low thing")
        app.live_changed({"alerts"})
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("Ransomware behaviour detected" in m for m in messages)
        assert not any("Low thing" in m for m in messages)
        assert bells == [1]
        table = app.screen.query_one(AlertTable)
        assert table.new_count == 2 and "2 new" in str(table.border_title)
        await pilot.press("2", "1")                  # looking at the pane and leaving it marks them seen
        assert table.new_count == 0


async def test_offline_console_greys_panes_and_still_journals(journal_path: Path) -> None:
    app = await make_app(journal_path, kind=None, incident=False, mode="OFFLINE")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.query_one(HealthPane).has_class("-stale")
        assert app.screen.query_one(AlertTable).has_class("-stale")
        await pilot.press("colon")
        await type_text(pilot, "graph down")
        await pilot.press("enter")
        await pilot.pause()
        assert {"text": "graph down"} in await kinds_in(app, kinds.NOTE)


async def test_read_only_journal_says_so_instead_of_crashing(journal_path: Path) -> None:
    seed = await open_warroom(journal_path, live=None, incident=True)
    await seed.close()
    from warroom.console.config import load_config
    from warroom.console.session import WarRoom

    warroom = await WarRoom.open(load_config(overrides={"journal": str(journal_path)}), mode="READ-ONLY",
                                 readonly=True)
    app = WarroomApp(warroom, clock=fixed_clock, follow_journal=False)
    OPENED.append(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await type_text(pilot, "nope")
        await pilot.press("enter")
        await pilot.pause()
        assert any("read-only" in n.message for n in app._notifications)


@pytest.mark.slow
async def test_fifty_thousand_alerts_filter_and_scroll(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        live = app.warroom.live
        severities = ("high", "medium", "low", "informational")
        live.alerts = {a.id: a for a in (alert(n, severities[n % 4], n % 600, f"Alert number {n}")
                                         for n in range(50_000))}
        app.live_changed({"alerts"})
        await pilot.pause()
        table = app.screen.query_one(AlertTable)
        assert len(table.rows) == 50_002
        await pilot.press("2", "end")
        assert table.cursor == 50_001 and table.scroll_offset.y > 49_000
        await pilot.press("slash")
        await type_text(pilot, "number 4999")
        # Over 50,000 rows the filter passes in steps: the subtitle says the filter once its rows are shown.
        await until(pilot, lambda: "filter: number 4999" in str(table.border_subtitle), "the filtered rows")
        assert sorted(r.title for r in table.rows) == sorted(f"Alert number {n}" for n in range(50_000)
                                                             if "4999" in str(n))
        assert str(table.border_title).startswith(f"Alerts ({len(table.rows)} of 50,002)")


async def test_app_exits_cleanly_on_q_when_no_incident_is_open(journal_path: Path) -> None:
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        assert app.return_code is None
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_d_on_an_alert_opens_declare_with_the_alert_as_source(journal_path: Path) -> None:
    """Through the real hook and guided module: select a row, press d."""
    app = await make_app(journal_path, incident=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2", "home", "d")
        await pilot.pause()
        assert type(app.screen).__name__ == "DeclareIncidentScreen"
        assert app.screen.source["type"] == "alert" and app.screen.source["id"] == "da000001"
        assert app.screen.subject.kind == "alert"


async def test_letters_typed_right_after_slash_or_colon_are_not_lost(journal_path: Path) -> None:
    """A terminal delivers `/anon` in one read: the letters must land in the box, not trigger `a` (assess)."""
    from textual import events

    app = await make_app(journal_path)
    calls = GuidedCalls()
    app.open_guided = calls
    async with app.run_test(size=SIZE) as pilot:
        for key, char in [("slash", "/"), ("a", "a"), ("n", "n"), ("o", "o"), ("n", "n")]:
            app.post_message(events.Key(key, char))
        await until(pilot, lambda: _filter_text(app) == "anon", "the filter box")
        assert calls == []
        await pilot.press("escape")
        for key, char in [("colon", ":"), ("a", "a"), ("c", "c")]:
            app.post_message(events.Key(key, char))
        await until(pilot, lambda: isinstance(app.screen, PromptScreen) and app.screen.query_one(Input).value == "ac",
                    "the prompt")
        assert calls == []


async def test_keys_can_be_remapped_by_binding_id_from_config(journal_path: Path) -> None:
    app = await make_app(journal_path, extra={"ui.keys": {"dashboard.note": "N"}})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("colon")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("N")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen) and app.screen.title_text == "Note"
        await pilot.press("escape", "question_mark")
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(help_table(app, app.screen.places))
        assert any(line.split()[:3] == ["N", "Add", "note"] for line in console.export_text().splitlines())


async def test_risky_users_sit_with_alerts_and_block_sign_in_targets_them(journal_path: Path) -> None:
    app = await make_app(journal_path)
    calls = GuidedCalls()
    app.open_guided = calls
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(AlertTable)
        titles = [r.title for r in table.rows]
        assert "Risky user adele.vance@contoso.com" in titles
        assert not any("quiet@" in t for t in titles)              # risk level none: not an alert
        await pilot.press("2", "slash")
        await type_text(pilot, "risky")
        await pilot.press("enter", "B", "enter")
        await pilot.pause()
        [(called, subject)] = calls
        assert called == "block_sign_in" and subject.kind == "risky_user"
        assert subject.accounts == ("adele.vance@contoso.com",)
        assert isinstance(app.screen, AlertDetailScreen)
        assert "Risk state" in str(app.screen.query_one("#alert-detail-body").render())


async def test_banner_says_when_more_incidents_are_open(journal_path: Path) -> None:
    from datetime import timedelta

    from .scenes import NOW

    app = await make_app(journal_path)
    async with app.run_test(size=SIZE) as pilot:
        await app.warroom.record(kinds.INCIDENT_DECLARED, {"title": "Second one", "category": "security-incident"},
                                 incident="INC-20261124-02", occurred_at=NOW - timedelta(minutes=5))
        await pilot.pause()
        text = app.screen.query_one(IncidentBanner).render().plain
        assert "INC-20261124-02" in text and "Second one" in text and "+1 more open" in text
        assert "T+00:05:00" in text
