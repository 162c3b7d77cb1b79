"""Hostile strings: nothing a tenant sends can move the cursor, recolour, reorder or flood the screen."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from warroom.widgets.alerts import AlertRow
from warroom.widgets.safe import clean, safe_text

from .scenes import HOSTILE_TITLE, alert

UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
PIECES = st.sampled_from(["\x1b[31m", "\x1b]52;c;ZXZpbA==\x07", "\x9b2J", "\u202e", "\u2066", "[bold]", "[/]",
                          "\r\n", "\t", "\x00", "\x7f", "é", "漢", "a", " ", "\x1b", "\x1b]8;;http://x\x1b\\"])


@given(st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40), st.integers(min_value=1, max_value=80))
def test_clean_leaves_nothing_a_terminal_acts_on(parts: list[str], limit: int) -> None:
    text = clean("".join(parts), limit)
    assert not UNSAFE.search(text)
    assert len(text) <= limit


def test_markup_stays_literal_text() -> None:
    text = safe_text("[bold red]x[/]")
    assert text.plain == "[bold red]x[/]" and not text.spans


def test_alert_rows_are_cleaned_and_cut() -> None:
    row = AlertRow.from_alert(alert(7, "high", 1, HOSTILE_TITLE, upn="\x1b]52;c;ZXZpbA==\x07mallory@evil"))
    assert row.title.startswith("[bold red]Injected[/] red evil.exe") and len(row.title) <= 160
    assert not UNSAFE.search(row.title) and not UNSAFE.search(row.haystack)


def test_row_cache_rebuilds_only_changed_records() -> None:
    from warroom.console.graph.tracked import Tracked
    from warroom.widgets.alerts import RowCache

    for records in ({}, Tracked()):          # compared record by record, or told which keys changed
        alerts = records
        alerts.update({a.id: a for a in (alert(n, "high", n, f"Alert {n}") for n in range(5))})
        cache = RowCache()
        first = {r.id: r for r in cache.changes(alerts, {}, {}).rows}
        assert sorted(first) == [f"da00000{n}" for n in range(5)]
        alerts["da000002"] = alert(2, "low", 1, "changed")
        del alerts["da000004"]
        rows, gone = cache.changes(alerts, {}, {})
        assert [(r.id, r.title) for r in rows] == [("da000002", "changed")]
        assert gone == ["alert:da000004"]
        assert cache.changes(alerts, {}, {}) == ([], [])
