"""Times that would poison the journal: refused where they enter, survived where an older journal holds them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from warroom.console.incidents import IncidentBook
from warroom.console.journal import Draft, Entry, JournalError, kinds, verify_file
from warroom.console.journal.encoding import GENESIS
from warroom.console.journal.records import prepare, seal
from warroom.console.report import build as build_report
from warroom.console.timefmt import EARLIEST, LATEST, from_iso, parse_when, shift, stored_time, to_iso

from .journal_tools import warroom

ZONES = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
ANY_MOMENT = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


@given(ANY_MOMENT)
def test_every_moment_is_written_with_a_four_digit_year_and_reads_back(moment: datetime) -> None:
    text = to_iso(moment)
    assert len(text) == len("2026-11-24T21:05:09.123Z") and text[4] == "-"
    assert from_iso(text) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@pytest.mark.parametrize("text", ["202-12-04T10:00:00.000Z", " 0202-12-04T10:00:00Z ", "0202-12-04T10:00:00+00:00",
                                  "0202-12-04T12:00:00.000+02:00", "0202-12-04T10:00:00"])
def test_a_year_is_read_with_or_without_its_leading_zeros(text: str) -> None:
    assert from_iso(text) == datetime(202, 12, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize("text", ["12-4-2026", "2026/12/04", "٢٠٢٦-12-04T10:00:00Z", ""])
def test_what_is_not_an_iso_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        from_iso(text)


def _mended_first(text: str) -> datetime:
    """from_iso as it read every text before it let Python read most of them as they come."""
    import re

    text = text.strip()
    if not (text[4:5] == "-" and text[:4].isascii() and text[:4].isdigit()):
        text = re.sub(r"^(\d{1,3})-", lambda match: f"{int(match[1]):04d}-", text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).astimezone(UTC)


def _read(read, text):
    try:
        moment = read(text)
    except (ValueError, TypeError, AttributeError) as error:
        return type(error)
    return moment, moment.tzinfo


_ISO_BITS = st.sampled_from(["2026", "202", "0202", "-", "12", "04", "T", "10", ":", "00", ".", "123", "1234567",
                             "Z", "z", "+", "02:00", "-05:30", " ", "W", "48", "1", "٢", "\n", ",", "000000"])


@settings(max_examples=3000)
@example("20260202Z2026")
@example("2026-11-24 ")
@example("2026-11-24Z10:00")
@example("2026-11-24T10:00:00z")
@example("2026-11-24T10:00:00.1234567Z")
@given(st.lists(_ISO_BITS, max_size=12).map("".join) | st.text(max_size=30)
       | st.builds(lambda moment, zone, sep, cut: moment.astimezone(zone).isoformat(sep)[:cut],
                   ANY_MOMENT, st.sampled_from(ZONES), st.sampled_from(["T", " "]), st.integers(10, 40)))
def test_every_text_is_read_as_before_python_read_most_of_them_as_they_come(text: str) -> None:
    assert _read(from_iso, text) == _read(_mended_first, text)
    assert _read(from_iso, text + "Z") == _read(_mended_first, text + "Z")


def test_a_three_digit_year_is_padded() -> None:
    assert to_iso(datetime(202, 12, 4, 10, tzinfo=UTC)) == "0202-12-04T10:00:00.000Z"


IN_RANGE = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30),
                       timezones=st.sampled_from(ZONES))


@given(st.lists(st.tuples(st.none() | IN_RANGE, st.none() | IN_RANGE), min_size=1, max_size=6), IN_RANGE)
def test_a_batch_writes_each_entry_s_own_moments(moments: list[tuple[datetime | None, datetime | None]],
                                                 now: datetime) -> None:
    """Sealing writes each moment's text once per batch: every entry still gets its own (or `now`)."""
    drafts = [prepare(Draft(kinds.NOTE, {"text": "x"}, occurred_at=occurred, discovered_at=discovered), "alex")
              for occurred, discovered in moments]
    rows = seal(drafts, 0, GENESIS, now)
    for (occurred, discovered), row in zip(moments, rows, strict=True):
        assert row[4] == to_iso(occurred or now)
        assert row[5] == to_iso(discovered or occurred or now)
        assert row[6] == to_iso(now)


@given(ANY_MOMENT)
async def test_only_moments_inside_the_range_enter_a_journal(moment: datetime) -> None:
    draft = Draft(kinds.NOTE, {"text": "x"}, occurred_at=moment)
    if EARLIEST <= moment < LATEST:
        assert prepare(draft, "alex")[3] == moment
    else:
        with pytest.raises(JournalError, match="outside the range"):
            prepare(draft, "alex")


@pytest.mark.parametrize("at", ["0202-12-04T10:00Z", "9999-12-31T23:59Z", "1999-12-31T23:59Z", "-999999999d"])
def test_note_at_refuses_a_time_outside_the_range_in_one_line(journal_path: Path, at: str) -> None:
    result = warroom("note", "--journal", str(journal_path), "--at", at, "mailbox rule found")
    assert result.returncode == 1, result.stdout
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not journal_path.exists()


def test_parse_when_accepts_ordinary_times() -> None:
    now = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
    assert parse_when("-15m", now=now) == now - timedelta(minutes=15)
    assert parse_when("2026-11-24T14:02Z") == now


def _forged(rows: list[tuple[str, str]]) -> list[Entry]:
    """Entries sealed without the range check: what an older warroom wrote, or a copy of another journal holds."""
    prepared = [(incident, kind, "mallory", None, None, None, body) for incident, kind, body in rows]
    sealed = seal(prepared, 0, GENESIS, datetime(2026, 11, 24, 14, tzinfo=UTC))
    return [Entry.from_row(row) for row in sealed]


def _with_time(entry: Entry, occurred: str) -> Entry:
    row = list(entry.row())
    row[4] = row[5] = occurred
    return Entry.from_row(row)


@pytest.mark.parametrize("occurred", ["9999-12-31T23:59:59.999Z", "202-12-04T10:00:00.000Z", "0001-01-01T00:00:00.000Z",
                                      "not a time", ""])
def test_projections_survive_odd_stored_times(occurred: str) -> None:
    """An incident declared at 9999-12-31 made every start fail (OverflowError adding the update cadence)."""
    declared = _forged([("INC-1", kinds.INCIDENT_DECLARED, json.dumps({"title": "odd", "severity": "SEV1"}))])[0]
    sent = _forged([("INC-1", kinds.COMMS_SENT, "{}")])[0]
    declared, sent = _with_time(declared, occurred), Entry.from_row((2, *_with_time(sent, occurred).row()[1:]))
    book = IncidentBook()
    book.apply(declared)
    book.apply(sent)
    incident = book.incidents["INC-1"]
    due = incident.next_update_due({"SEV1": 99_999_999_999})
    for zone in ZONES:
        due.astimezone(zone)
        incident.declared_at.astimezone(zone)
    report = build_report(incident, [declared, sent], cadence={"SEV1": 99_999_999_999})
    assert report.sections


@settings(max_examples=200)
@given(st.text(max_size=40) | ANY_MOMENT.map(to_iso), st.integers(min_value=-10**12, max_value=10**12))
def test_stored_times_stay_in_range_whatever_is_added(text: str, minutes: int) -> None:
    moment = stored_time(text)
    assert EARLIEST <= moment <= LATEST
    try:
        delta = timedelta(minutes=minutes)
    except OverflowError:
        return
    moved = shift(moment, delta)
    assert EARLIEST <= moved <= LATEST
    for zone in ZONES:
        moved.astimezone(zone)


def test_an_import_with_a_year_9999_is_refused_naming_the_entry(journal_path: Path, tmp_path: Path) -> None:
    entry = _with_time(_forged([("INC-1", kinds.INCIDENT_DECLARED, '{"title":"late"}')])[0],
                       "9999-12-31T23:59:59.999Z")
    # re-seal so the record's own hash is right: only the time is wrong
    sealed = seal([(entry.incident, entry.kind, entry.actor, datetime(9999, 12, 31, 23, 59, tzinfo=UTC), None,
                    None, entry.body_text)], 0, GENESIS, datetime(2026, 11, 24, tzinfo=UTC))
    export = tmp_path / "late.jsonl"
    export.write_text(json.dumps(Entry.from_row(sealed[0]).to_record()) + "\n")
    result = warroom("journal", "import", "--journal", str(journal_path), str(export))
    assert result.returncode == 1
    assert "entry 1" in result.stderr and "9999" in result.stderr and result.stderr.count("\n") == 1
    assert not journal_path.exists() or verify_file(journal_path).entries == 0
