"""The headless review layer: how a journal is opened without writing, filters, keyset pages, what we knew when."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from warroom.console.journal import JournalError
from warroom.console.journal_reader import Filter, JournalReader, parse_filter

from .review_tools import INCIDENT, digests, write


def test_time_range_actor_and_kind_filters(journal: Path) -> None:
    with JournalReader(journal) as reader:
        flt = parse_filter("since:2026-11-24T09:05Z until:2026-11-24T09:21Z actor:sam")
        assert [e.seq for e in reader.after(flt)] == [8, 9]
        flt = parse_filter("kind:comms.sent,decision")
        assert [e.seq for e in reader.after(flt)] == [7, 10, 14]
        assert [e.seq for e in reader.after(parse_filter("mail"))] == [1, 3, 10, 14, 19]
        assert parse_filter("x inc:INC-9").incident == "INC-9"
        with pytest.raises(ValueError):
            parse_filter("since:yesterday-ish")


def test_keyset_pages_meet_without_gaps_or_repeats(journal: Path) -> None:
    with JournalReader(journal) as reader:
        seen, after = [], 0
        while page := reader.after(Filter(), after, 4):
            seen += [e.seq for e in page]
            after = page[-1].seq
        assert seen == list(range(1, 22))
        assert [e.seq for e in reader.before(Filter(), 5, 3)] == [2, 3, 4]
        assert [e.seq for e in reader.around(Filter(), 10, 4)] == [8, 9, 10, 11]
        assert [e.seq for e in reader.after(Filter(text="mail"), 1, 2)] == [3, 10]
        assert [e.seq for e in reader.before(Filter(text="mail"), 19, 2)] == [10, 14]


def test_what_we_knew_when(journal: Path) -> None:
    with JournalReader(journal) as reader:
        assert reader.knowledge_at("2026-11-24T09:05:59.000Z").observations == []
        early = reader.knowledge_at("2026-11-24T09:06:00.000Z").observations
        assert [e.body["data"]["status"] for e in early] == ["investigating"]
        late = reader.knowledge_at("2026-11-24T10:00:00.000Z").observations
        assert [e.body["data"]["status"] for e in late] == ["serviceRestored"]


def test_a_wal_without_its_shm_is_read_from_a_private_copy(journal: Path, tmp_path: Path) -> None:
    """A copied journal+WAL pair (or a crash) still shows every entry, and nothing appears next to it."""
    live = sqlite3.connect(journal, isolation_level=None)
    live.execute("PRAGMA wal_autocheckpoint = 0")
    live.execute("INSERT INTO meta(key, value) VALUES ('only', 'in the wal')")
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(journal, copy / "journal.db")
    shutil.copy(f"{journal}-wal", copy / "journal.db-wal")
    live.close()
    before = digests(copy / "journal.db")
    with JournalReader(copy / "journal.db") as reader:
        snapshot = reader._snapshot
        assert reader.conn.execute("SELECT value FROM meta WHERE key = 'only'").fetchone() == ("in the wal",)
        assert reader.verify().ok
    assert digests(copy / "journal.db") == before
    assert sorted(p.name for p in copy.iterdir()) == ["journal.db", "journal.db-wal"]
    assert snapshot is not None and not snapshot.exists()


def test_not_a_journal(tmp_path: Path) -> None:
    with pytest.raises(JournalError):
        JournalReader(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(JournalError):
        JournalReader(other)


def test_the_command_says_why_it_cannot_open(tmp_path: Path, capsys) -> None:
    from warroom.console.cli import main

    assert main(["review", str(tmp_path / "missing.db")]) == 1
    assert "no journal here" in capsys.readouterr().err
    assert not (tmp_path / "missing.db").exists()


def test_incidents_are_folded_from_incident_entries(journal: Path) -> None:
    with JournalReader(journal) as reader:
        [incident] = reader.incidents()
    assert incident.id == INCIDENT and incident.severity == "SEV1" and not incident.is_open


def test_a_writer_that_turns_up_later_is_seen(journal: Path) -> None:
    """Opened while nobody wrote (immutable), then the console appends: the next page shows the new entry."""
    from warroom.console.journal import Draft

    from .review_tools import at

    with JournalReader(journal) as reader:
        assert reader.head()[0] == 21
        write(journal, [Draft("note", {"text": "written while a reviewer watched"}, INCIDENT, "sam", at(70))])
        assert [e.body.get("text") for e in reader.after(Filter(), 21)] == ["written while a reviewer watched"]
        assert reader.verify().ok
