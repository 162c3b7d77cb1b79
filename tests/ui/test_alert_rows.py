"""The alerts pane moves only the rows a poll changed: what it shows must always be what a full rebuild shows."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from hypothesis import given, settings
from hypothesis import strategies as st
from warroom.console.graph.models import Alert
from warroom.console.graph.tracked import Tracked
from warroom.console.timefmt import to_iso
from warroom.widgets.alerts import SORT_KEYS, SORTABLE, AlertRow, AlertTable, RowCache, matcher
from warroom.widgets.row_table import OrderedRows, merged

from ..waiting import until
from .scenes import NOW, alert, build_app_async, zebras_and_lions

WORDS = ("mail", "rule", "sign", "in", "ma", "ru")
SEVERITIES = ("high", "medium", "low", "informational", "unknown")


def graph_alert(n: int, severity: str, minutes: int, words: tuple[str, ...]) -> Alert:
    return Alert.from_graph({"id": f"a{n}", "title": " ".join(words) or "untitled", "severity": severity,
                             "status": "new", "createdDateTime": to_iso(NOW - timedelta(minutes=minutes)),
                             "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                                           "userAccount": {"userPrincipalName": f"user{n % 3}@contoso.com"}}]})


put = st.tuples(st.just("put"), st.integers(0, 15), st.sampled_from(SEVERITIES), st.integers(0, 90),
                st.lists(st.sampled_from(WORDS), max_size=3).map(tuple))
drop = st.tuples(st.just("drop"), st.integers(0, 15))
poll = st.tuples(st.just("poll"))
typed = st.tuples(st.just("filter"), st.lists(st.sampled_from(WORDS), max_size=2).map(" ".join),
                  st.booleans())
order = st.tuples(st.just("sort"), st.sampled_from(SORTABLE), st.booleans())
seen = st.tuples(st.just("seen"))
watch = st.tuples(st.just("watch"), st.frozensets(st.sampled_from(["user0@contoso.com", "user1@contoso.com"])))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(put, drop, poll, typed, order, seen, watch), max_size=40))
def test_rows_kept_in_place_equal_a_full_rebuild(steps: list[tuple]) -> None:
    alerts: Tracked[Alert] = Tracked()
    cache, table = RowCache(), AlertTable()
    table.apply(cache.changes(alerts, {}, {}), NOW)
    baseline: set[str] = set()          # what was there at the first look, and what the responder has looked at
    for step in steps:
        if step[0] == "put":
            _, n, severity, minutes, words = step
            alerts[f"a{n}"] = graph_alert(n, severity, minutes, words)
        elif step[0] == "drop":
            alerts.pop(f"a{step[1]}", None)
        elif step[0] == "poll":
            table.apply(cache.changes(alerts, {}, {}), NOW)
        elif step[0] == "filter":
            _, text, extend = step
            table.filter_text = (table.filter_text + text) if extend else text
        elif step[0] == "sort":
            table.sort_column, table.sort_reverse = step[1], step[2]
        elif step[0] == "seen":
            table.mark_seen()
            baseline = set(table._by_key)
        else:
            table.set_watch(step[1])
    table.apply(cache.changes(alerts, {}, {}), NOW)

    rows = [AlertRow.from_alert(a) for a in alerts.values()]
    matches = matcher(table.filter_text)
    expected = [r for r in sorted(rows, key=SORT_KEYS[table.sort_column], reverse=table.sort_reverse)
                if matches is None or matches(r)]
    assert list(table.rows) == expected
    assert [table.rows[i] for i in range(len(expected))] == expected == table.rows[:]
    assert all(table.index_of(r.key) == i for i, r in enumerate(expected))
    assert sorted(table.all_rows, key=lambda r: r.key) == sorted(rows, key=lambda r: r.key)
    assert table.watched_count == sum(1 for r in rows if r.watched_by(table.watching))
    assert table.fresh <= {r.key for r in rows} and not (table.fresh & baseline)
    assert table.minute_counts == Counter((r.severity, int(r.created // 60)) for r in rows)
    shown = f"{len(expected):,} of {len(rows):,}" if table.filter_text else f"{len(rows):,}"
    assert str(table.border_title).startswith(f"Alerts ({shown})")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 99), st.sampled_from(SEVERITIES), st.lists(st.sampled_from(WORDS), max_size=3).map(tuple),
       st.text("mailrugsnedhowctf0123 @.AI", max_size=12))
def test_the_filter_finds_a_word_anywhere_in_the_rows_text(n: int, severity: str, words: tuple[str, ...],
                                                           typed: str) -> None:
    """Title and id per row, severity, status, source and users shared: the filter reads them as the one line of
    text a responder sees, and rows naming the same people share one copy of that part."""
    row = AlertRow.from_alert(graph_alert(n, severity, 5, words))
    text = " ".join((row.title, row.severity, row.status, row.source, row.id, f"user{n % 3}@contoso.com")).lower()
    matches = matcher(typed)
    assert (matches is None or matches(row)) == all(word in text for word in typed.lower().split())
    assert (matches is None or matches.select([row]) == [row]) == all(word in text for word in typed.lower().split())
    twin = AlertRow.from_alert(graph_alert(n + 3, severity, 7, ("other",)))
    assert twin.facets is row.facets and twin.watch_keys is row.watch_keys


@settings(max_examples=300, deadline=None)
@given(st.sets(st.integers(0, 400)), st.sets(st.integers(0, 400)), st.sets(st.integers(0, 400)))
def test_merged_rows_equal_a_sort_of_what_is_left(rows: set[int], removed: set[int], added: set[int]) -> None:
    """A page's rows merged into a filtered view: removed rows (some never shown) leave, added ones (some replacing
    a removed row with the same key) take their places, as sorting everything again would place them."""
    shown = sorted(rows)
    added -= rows - removed             # keys are unique: a row still shown is not added again
    key = lambda n: -n // 2 * 1000 + n      # noqa: E731 (an order that is not the numbers' own)
    shown.sort(key=key)
    assert merged(shown, key, removed, added) == sorted((rows - removed) | added, key=key)


class Multiples(NamedTuple):
    """A row filter over numbers: the multiples of `of`."""

    of: int

    def __call__(self, row: int) -> bool:
        return row % self.of == 0

    def select(self, rows) -> list[int]:
        return [row for row in rows if row % self.of == 0]


def by_half(n: int) -> int:
    return -n // 2 * 1000 + n


def by_number(n: int) -> int:
    return n


rows_set = st.sets(st.integers(0, 300))


@settings(max_examples=200, deadline=None)
@given(rows_set, st.integers(1, 4), st.booleans(), st.lists(st.tuples(rows_set, rows_set, st.booleans()), max_size=5),
       st.booleans())
def test_a_filter_passing_in_steps_equals_filtering_at_once(rows: set[int], times: int, narrower: bool,
                                                            changes: list, cancelled: bool) -> None:
    """A keystroke over 50,000 rows filters a few thousand a turn; rows that change meanwhile, even the order
    itself, end as filtering everything at once would leave them; a pass cancelled by a newer keystroke changes
    nothing."""
    async def run() -> None:
        ordered: OrderedRows[int] = OrderedRows(by_half, rows)
        if narrower:
            ordered.set_filter(Multiples(2))
        held, key = set(rows), by_half
        wanted = Multiples(2 * times)
        task = asyncio.create_task(ordered.set_filter_in_steps(wanted, narrower=narrower, step=7, turn=0))
        for added, removed, resort in changes:
            await asyncio.sleep(0)
            gone, new = removed & held, added - (held - removed)
            ordered.change(new, gone)
            held = (held - gone) | new
            if resort:
                key = by_number if key is by_half else by_half
                ordered.set_key(key, reverse=False)
        if cancelled and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert list(ordered) == [r for r in sorted(held, key=key) if not narrower or r % 2 == 0]
            assert not ordered._passes
            return
        await task
        assert list(ordered) == [r for r in sorted(held, key=key) if wanted(r)]

    asyncio.run(run())


async def test_a_changed_alert_moves_to_its_place_under_the_filter_and_a_new_one_is_marked(journal_path: Path) -> None:
    app = await build_app_async(journal_path)
    live = app.warroom.live
    live.alerts = Tracked(live.alerts)          # as the watcher's state holds them
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            table = await zebras_and_lions(app, pilot)
            await pilot.press("slash", "z", "e", "b", "r", "a")
            await until(pilot, lambda: table.filter_text == "zebra", "the filter")
            assert len(table.rows) == 150 and all(r.title.startswith("Zebra") for r in table.rows)
            # A low alert under the filter becomes high; another leaves the filter; a new one arrives under it.
            low = next(r for r in table.rows if r.severity == "low")
            number = int(low.id[2:])
            live.alerts[low.id] = alert(number, "high", 0.5, f"Zebra rule {number} now high")
            live.alerts["da001011"] = alert(1011, "high", 10, "Renamed")
            live.alerts["da009999"] = alert(9999, "medium", 1, "Zebra arrived")
            app.live_changed({"alerts"})
            await until(pilot, lambda: any(r.id == "da009999" for r in table.rows), "the arrival under the filter")
            rows = list(table.rows)
            assert rows[0].id == low.id and rows[0].title.endswith("now high")
            assert "da001011" not in [r.id for r in rows] and len(rows) == 150
            assert rows == sorted(rows, key=SORT_KEYS["severity"])
            assert table.new_count == 1 and "1 new" in str(table.border_title)
            assert str(table.border_title).startswith(f"Alerts (150 of {len(table.all_rows)})")
    finally:
        await app.warroom.close()


@settings(max_examples=200, deadline=None)
@given(rows_set, st.one_of(st.none(), st.integers(1, 4)),
       st.lists(st.tuples(rows_set, rows_set, st.integers(0, 40)), max_size=5),
       st.one_of(st.none(), st.integers(1, 4)), st.booleans(), st.booleans(), st.booleans())
def test_a_sort_in_steps_equals_a_full_sort(rows: set[int], shown_by: int | None, changes: list,
                                            refiltered: int | None, filter_in_steps: bool, cancelled: bool,
                                            reverse: bool) -> None:
    """A sort over 50,000 rows sorts a few thousand a turn; rows that change meanwhile (a page arriving), and a
    filter changing meanwhile (at once, or in turns of its own), end as sorting everything at once would leave
    them, whichever pass ends first; a sort cancelled by a newer one changes nothing."""
    async def run() -> None:
        ordered: OrderedRows[int] = OrderedRows(by_half, rows, reverse=reverse)
        wanted = Multiples(shown_by) if shown_by else None
        ordered.set_filter(wanted)
        held = set(rows)
        task = asyncio.create_task(ordered.set_key_in_steps(by_number, step=7, turn=0))
        filtering = None
        if refiltered is not None:
            wanted = Multiples(refiltered)
            if filter_in_steps:
                filtering = asyncio.create_task(ordered.set_filter_in_steps(wanted, step=5, turn=0))
        for added, removed, turns in changes:
            for _ in range(turns + 1):
                await asyncio.sleep(0)
            gone, new = removed & held, added - (held - removed)
            ordered.change(new, gone)
            held = (held - gone) | new
        if refiltered is not None and not filter_in_steps:
            await asyncio.sleep(0)
            ordered.set_filter(wanted)
        if cancelled and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            key = by_half
        else:
            await task
            key = by_number
        if filtering is not None:
            await filtering
        everything = sorted(held, key=key)
        shown = [r for r in everything if wanted is None or wanted(r)]
        assert list(ordered) == (shown[::-1] if reverse else shown)
        assert list(ordered.every) == everything
        assert all(ordered.position(r) == i for i, r in enumerate(ordered))
        assert not ordered._passes

    asyncio.run(run())


def test_a_sort_over_many_rows_takes_turns_and_shows_the_old_order_until_it_is_done() -> None:
    """The event loop runs between steps (keys, paints, pages); the rows shown change once, when the sort is done.
    With time to spare in a turn, it takes no more turns than it needs."""
    async def run(turn: float) -> int:
        ordered: OrderedRows[int] = OrderedRows(by_half, range(100))
        before = list(ordered)
        task = asyncio.create_task(ordered.set_key_in_steps(by_number, step=10, turn=turn))
        turns = 0
        while not task.done():
            assert list(ordered) == before
            await asyncio.sleep(0)
            turns += 1
        await task
        assert list(ordered) == list(range(100))
        return turns

    assert asyncio.run(run(0)) > 10
    assert asyncio.run(run(60)) == 1
