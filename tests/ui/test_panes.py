"""Pane geometry at the sizes responders use: nothing cut off at 120 columns, the chart's axis tells the truth."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from warroom.console.graph.models import ServiceHealth
from warroom.widgets.alerts import AlertTable
from warroom.widgets.chart import MINUTES, AlertRate, buckets
from warroom.widgets.health import HealthPane

from .scenes import alert, build_app_async, on_screen, pane_lines


def test_buckets_keep_the_whole_hour_and_now_exact() -> None:
    values = list(range(MINUTES))
    grouped, size = buckets(values, 34)
    assert size == 2 and len(grouped) == 30 and sum(grouped) == sum(values)
    assert grouped[-1] == values[-2] + values[-1]
    assert buckets(values, 80) == (values, 1)


async def test_at_120_columns_health_shows_since_and_the_chart_covers_the_hour(journal_path: Path) -> None:
    app = await build_app_async(journal_path, incident=True)
    # Today's Microsoft issue ids are nine characters long: the pane must never cut one.
    app.warroom.live.health["Exchange"] = ServiceHealth.from_graph(
        {"id": "Exchange", "service": "Exchange Online", "status": "serviceDegradation",
         "issues": [{"id": "EX1195322", "isResolved": False}]})
    async with on_screen(app, (120, 40)):
        health = app.screen.query_one(HealthPane)
        assert health.virtual_size.width <= health.scrollable_content_region.width
        assert "Since" in "".join(health.render_line(0).text)
        assert " EX1195322 " in "".join(health.render_line(1).text)
        chart = app.screen.query_one(AlertRate)
        lines = chart.render().plain.splitlines()
        assert lines[-1].split()[0] == f"-{MINUTES}m" and lines[-1].rstrip().endswith("now")
        assert len(lines[-1].rstrip()) <= chart.content_size.width


async def test_alert_ages_repaint_once_a_minute_not_every_second() -> None:
    from datetime import timedelta

    from textual.app import App
    from warroom.widgets.alerts import AlertRow, AlertTable, alert_age

    from .scenes import NOW, alert

    class Host(App[None]):
        def compose(self):
            yield AlertTable(id="alerts")

    app = Host()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(AlertTable)
        table.set_rows([AlertRow.from_alert(alert(1, "high", 0.25))], NOW)   # 15 s old
        await pilot.pause()
        repaints = []
        table.refresh = lambda *a, **k: repaints.append(1)
        for second in range(1, 40):                                       # 16 s … 54 s: still "<1 min"
            table.tick(NOW + timedelta(seconds=second))
        assert repaints == []
        table.tick(NOW + timedelta(seconds=50))                          # 65 s: "1 min"
        assert repaints == [1]
    assert [alert_age(s) for s in (0, 59, 60, 119, 5399, 5400)] == ["<1 min", "<1 min", "1 min", "1 min",
                                                                     "89 min", "1 h"]


async def test_a_status_bar_tick_repaints_one_line_not_the_layout() -> None:
    from datetime import timedelta

    from textual.app import App
    from warroom.console.graph.freshness import Freshness, SourceHealth
    from warroom.widgets.status import StatusBar

    from .scenes import NOW, fresh

    class Host(App[None]):
        def compose(self):
            yield StatusBar(id="status")

    sources = ("health", "issues", "messages", "alerts", "incidents", "risky_users")
    app = Host()
    async with app.run_test(size=(80, 10)) as pilot:
        bar = app.query_one(StatusBar)
        throttled = fresh("health", 240).with_error(SourceHealth.THROTTLED, "429", NOW, NOW + timedelta(seconds=30))
        freshness = {name: Freshness(name) for name in sources} | {"health": throttled}   # its retry counts down

        def show(now) -> None:
            bar.show(mode="DEMO", tenant="simulated: exchange-outage", freshness=freshness,
                     journal="/tmp/journal.db", entries=10, now=now, journal_brief="journal.db")

        show(NOW)
        await pilot.pause()
        assert bar.size.height == 2          # at 80 columns even the brief words take two lines
        calls = []
        bar.refresh = lambda *regions, **kw: calls.append((regions, kw))
        show(NOW)                                        # the same second: nothing written
        assert calls == []
        show(NOW + timedelta(seconds=1))                 # "retry in 29 s": its line (and the next, if the wrap moved)
        assert calls and all(kw == {} for _, kw in calls)                 # lines, never the layout
        assert sorted(r.y for regions, _ in calls for r in regions)[0] == 0
        repaints = len(calls)
        show(NOW + timedelta(seconds=1))
        assert len(calls) == repaints                    # same words: nothing repainted


def test_at_80_columns_the_status_bar_says_in_one_line_what_is_fine_and_in_full_what_is_not() -> None:
    """Every source fresh: `Graph ✓` and the journal's file name. One in trouble: it in full, the others counted."""
    from datetime import UTC, timedelta

    from textual.app import App
    from warroom.console.graph.freshness import SourceHealth
    from warroom.widgets.status import StatusBar

    from .scenes import NOW, fresh

    sources = ("health", "issues", "messages", "alerts", "incidents", "risky_users")
    freshness = {name: fresh(name) for name in sources}

    class Host(App[None]):
        def compose(self):
            yield StatusBar(id="status")

    async def lines(width: int, state) -> list[str]:
        app = Host()
        async with app.run_test(size=(width, 6)) as pilot:
            bar = app.query_one(StatusBar)
            bar.show(mode="LIVE", tenant="contoso.onmicrosoft.com (global)", freshness=state,
                     journal="/home/responder/.local/share/warroom/journal.db", entries=1234, now=NOW,
                     zone=UTC, journal_brief="journal.db")
            await pilot.pause()
            return [line.plain.rstrip() for line in bar._lines]

    import asyncio

    assert asyncio.run(lines(80, freshness)) == [
        " LIVE  contoso.onmicrosoft.com (global) │ Graph ✓ │ journal.db · 1,234 entries"]
    wide = asyncio.run(lines(200, freshness))
    assert len(wide) == 1 and "health ✓ · issues ✓" in wide[0] and "/home/responder/" in wide[0]
    assert asyncio.run(lines(160, freshness)) == [     # the sources' word first, the journal's place kept
        " LIVE  contoso.onmicrosoft.com (global) │ Graph ✓ │ /home/responder/.local/share/warroom/journal.db · "
        "1,234 entries"]
    throttled = fresh("alerts", 200).with_error(SourceHealth.THROTTLED, "429", NOW, NOW + timedelta(seconds=30))
    trouble = asyncio.run(lines(80, freshness | {"alerts": throttled}))     # trouble is never cut: it wraps
    assert len(trouble) == 2 and " ".join(trouble) == (
        " LIVE  contoso.onmicrosoft.com (global) │ alerts stale since 14:26 (429, retry in 30 s) · 5 others ✓ │ "
        "journal.db · 1,234 entries")


def test_fresh_sources_age_in_whole_minutes_and_only_a_retry_countdown_ticks() -> None:
    from datetime import timedelta

    from warroom.console.graph.freshness import SourceHealth
    from warroom.widgets.status import freshness_text

    from .scenes import NOW, fresh

    assert freshness_text(fresh("alerts", 12), NOW) == "alerts ✓"
    assert freshness_text(fresh("risky_users", 150), NOW) == "risky users 2 min"
    throttled = fresh("health", 240).with_error(SourceHealth.THROTTLED, "429", NOW, NOW + timedelta(seconds=30))
    assert freshness_text(throttled, NOW).endswith("(429, retry in 30 s)")
    assert freshness_text(throttled, NOW + timedelta(seconds=1)).endswith("(429, retry in 29 s)")


async def test_a_poll_or_journal_write_that_changes_nothing_on_screen_repaints_nothing(journal_path: Path) -> None:
    """Idle over SSH: the same alerts again, or Graph observations journaled, write nothing to the terminal."""
    from warroom.console.journal import kinds
    from warroom.widgets.alerts import AlertTable
    from warroom.widgets.tasks import TaskList
    from warroom.widgets.timeline import Timeline

    from .scenes import NOW

    app = await build_app_async(journal_path, incident=True)
    async with on_screen(app, (120, 40)) as pilot:
        screen = app.screen
        table, timeline = screen.query_one(AlertTable), screen.query_one(Timeline)
        calls: list[str] = []
        for pane in (table, timeline, screen.query_one(TaskList)):
            name = type(pane).__name__
            pane.refresh = lambda *a, _name=name, **k: calls.append(_name)
        assert table.set_rows(list(table.all_rows), NOW) == []
        seq = timeline.last_seq
        await app.warroom.record(kinds.OBSERVATION, {"source": "alerts", "key": "x", "data": {}})
        await pilot.pause()
        assert app.warroom.book.last_seq > seq == timeline.last_seq   # passed over, and not shown
        assert calls == []


async def _press_and_read(pilot, key: str, pane) -> list[str]:
    """Press `key` (a pane's focus key, or one that moves in it), then read the pane as drawn."""
    await pilot.press(key)
    await pilot.pause()
    return pane_lines(pilot.app, pane)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_with_its_scrollbar_showing_the_alerts_pane_shows_each_age_whole(journal_path: Path, size) -> None:
    """Many alerts give the pane a vertical scrollbar: the columns fit beside it, the Age column whole."""
    app = await build_app_async(journal_path, incident=True)
    app.warroom.live.alerts = {a.id: a for a in (alert(n, "medium", 10 + n, f"Alert {n}") for n in range(60))}
    async with on_screen(app, size) as pilot:
        table = app.screen.query_one(AlertTable)
        lines = await _press_and_read(pilot, "2", table)
        assert table.show_vertical_scrollbar and not table.show_horizontal_scrollbar
        assert lines[0].rstrip().endswith("Age"), lines[0]
        ages = [line for line in lines[1:] if "Alert " in line]
        assert ages and all(re.search(r" \d+ min$", line.rstrip(" ▁▂▃▄▅▆▇█▉▊▋▌▍▎▏")) for line in ages), ages


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_health_pane_shows_whole_workload_names_where_there_is_room(journal_path: Path, size) -> None:
    """At 160 columns (and 80, where the pane spans the screen) a long workload name is not cut to 15."""
    app = await build_app_async(journal_path, incident=True)
    for id_, service in (("M365Suite", "Microsoft 365 suite"), ("Apps", "Microsoft 365 Apps"),
                         ("OneDriveForBusiness", "OneDrive for Business")):
        app.warroom.live.health[id_] = ServiceHealth.from_graph(
            {"id": id_, "service": service, "status": "serviceOperational", "issues": []})

    async with on_screen(app, size) as pilot:
        health = app.screen.query_one(HealthPane)
        text = "\n".join(await _press_and_read(pilot, "1", health))
        text += "\n".join(await _press_and_read(pilot, "end", health))    # at 80x24 the pane is a few rows high
        for name in ("Microsoft 365 suite", "Microsoft 365 Apps", "OneDrive for Business", "Investigating"):
            assert name in text, text
        assert " EX226574 " in text and "Since" in text


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_microsoft_issue_ids_take_room_before_a_long_workload_name(journal_path: Path, size) -> None:
    app = await build_app_async(journal_path, incident=True)
    app.warroom.live.health = {"Intune": ServiceHealth.from_graph(
        {"id": "Intune", "service": "Microsoft Intune, device management and enrolment for every platform",
         "status": "serviceDegradation", "issues": [{"id": "IT1195322", "isResolved": False},
                                                    {"id": "IT1195323", "isResolved": False}]})}
    async with on_screen(app, size) as pilot:
        text = "\n".join(await _press_and_read(pilot, "1", app.screen.query_one(HealthPane)))
        assert " IT1195322, IT1195323 " in text and "Intune, device" in text, text
