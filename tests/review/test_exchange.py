"""Export and import: every field survives, exports re-verify, and merging two hosts' journals never duplicates."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.exchange import ExportError, check_records, export, read_export
from warroom.console.journal import Draft, verify_file
from warroom.console.journal_reader import JournalReader

from .review_tools import INCIDENT, at, digests, incident_drafts, write


@pytest.fixture
def host_a(tmp_path: Path) -> Path:
    path = tmp_path / "a" / "journal.db"
    write(path, incident_drafts())
    write(path, [Draft("note", {"text": "unrelated note on host A"}, None, "alex", at(1))])
    return path


@pytest.fixture
def host_b(tmp_path: Path) -> Path:
    path = tmp_path / "b" / "journal.db"
    write(path, [
        Draft("note", {"text": "sam on host B saw bounces"}, INCIDENT, "sam", at(1), at(1.5)),
        Draft("decision", {"text": "escalate to Microsoft", "reason": "no fix in 30 min"}, INCIDENT, "sam", at(30)),
    ], actor="sam")
    return path


def dump(path: Path, fmt: str, incident: str | None = None) -> str:
    out = io.StringIO()
    with JournalReader(path) as journal:
        export(journal, fmt, out, incident=incident)
    return out.getvalue()


def stored(path: Path) -> list[dict]:
    with JournalReader(path) as journal:
        return [entry.to_record() for entry in journal.all_entries()]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_round_trip_keeps_every_field_and_reverifies(host_a: Path, tmp_path: Path, fmt: str) -> None:
    file = tmp_path / f"export.{fmt}"
    file.write_text(dump(host_a, fmt), encoding="utf-8")
    rows = read_export(file).records
    with JournalReader(host_a) as journal:
        assert {row.pop("journal") for row in rows} == {journal.journal_id}   # each record names its journal
    assert rows == stored(host_a)
    check = check_records(rows, [journal.journal_id])
    assert check.ok and check.complete and check.head == verify_file(host_a).head


def test_incident_export_is_an_excerpt_that_still_verifies(host_a: Path, tmp_path: Path) -> None:
    file = tmp_path / "incident.jsonl"
    file.write_text(dump(host_a, "jsonl", INCIDENT), encoding="utf-8")
    rows = read_export(file).records
    assert {row["incident"] for row in rows} == {INCIDENT}
    assert len(rows) == len(incident_drafts())
    assert check_records(rows).ok


def test_a_changed_record_is_refused(host_a: Path, tmp_path: Path) -> None:
    text = dump(host_a, "jsonl").replace("block_sign_in", "reset_password")
    rows = [json.loads(line) for line in text.splitlines()]
    check = check_records(rows)
    assert not check.ok and check.bad_seq == 8 and "hash mismatch" in check.reason


def test_merge_two_hosts_without_duplicates(host_a: Path, host_b: Path, tmp_path: Path) -> None:
    a_export, b_export = tmp_path / "a.jsonl", tmp_path / "b.csv"
    assert main(["journal", "export", str(host_a), "-o", str(a_export)]) == 0
    assert main(["journal", "export", str(host_b), "--format", "csv", "-o", str(b_export)]) == 0
    a_before = stored(host_a)

    # B imports A: all of A arrives, with A's times, actors and bodies; logged_at is B's. The import itself is
    # journaled first: which file (its SHA-256), by whom, how many, and which journal the file says it came from.
    assert main(["--journal", str(host_b), "journal", "import", str(a_export)]) == 0
    merged = stored(host_b)
    assert len(merged) == 2 + 1 + len(a_before)
    record, imported = merged[2], merged[3:]
    assert record["kind"] == "journal.imported" and record["actor"] == "test-responder"
    assert record["body"]["sha256"] == hashlib.sha256(a_export.read_bytes()).hexdigest()
    assert (record["body"]["added"], record["body"]["already_here"]) == (len(a_before), 0)
    assert record["body"]["source_journals"] == [JournalReader(host_a).journal_id]
    for theirs, ours in zip(a_before, imported, strict=True):
        assert ours["origin"] == theirs["hash"]
        for name in ("incident", "kind", "actor", "occurred_at", "discovered_at", "body"):
            assert ours[name] == theirs[name]
    assert verify_file(host_b).ok

    # Re-importing adds nothing; A importing B's merged journal gets only B's own two entries.
    assert main(["--journal", str(host_b), "journal", "import", str(a_export)]) == 0
    assert len(stored(host_b)) == len(merged)
    merged_export = tmp_path / "b-merged.jsonl"
    assert main(["journal", "export", str(host_b), "-o", str(merged_export)]) == 0
    assert main(["--journal", str(host_a), "journal", "import", str(merged_export)]) == 0
    a_after = stored(host_a)
    assert len(a_after) == len(a_before) + 1 + 3    # A's record of the import; B's two entries and B's import record
    assert [row["kind"] for row in a_after[-4:]] == ["journal.imported", "note", "decision", "journal.imported"]
    assert [row["body"]["text"] for row in a_after[-3:-1]] == ["sam on host B saw bounces", "escalate to Microsoft"]
    assert verify_file(host_a).ok

    # And the CSV of B, imported into A again, adds nothing either.
    assert main(["--journal", str(host_a), "journal", "import", str(b_export)]) == 0
    assert len(stored(host_a)) == len(a_after)


def test_import_of_a_tampered_file_writes_nothing(host_a: Path, host_b: Path, tmp_path: Path, capsys) -> None:
    file = tmp_path / "a.jsonl"
    file.write_text(dump(host_a, "jsonl").replace("Check message trace", "Ignore it"), encoding="utf-8")
    before = digests(host_b)
    assert main(["--journal", str(host_b), "journal", "import", str(file)]) == 1
    assert "hash mismatch" in capsys.readouterr().err
    assert digests(host_b) == before


def test_export_leaves_the_journal_untouched(host_a: Path, tmp_path: Path) -> None:
    before = digests(host_a)
    assert main(["journal", "export", str(host_a), "-o", str(tmp_path / "x.jsonl")]) == 0
    assert digests(host_a) == before
    assert (tmp_path / "x.jsonl").stat().st_mode & 0o077 == 0


def test_garbage_is_not_an_export(tmp_path: Path) -> None:
    file = tmp_path / "x.csv"
    file.write_text("name,value\na,1\n", encoding="utf-8")
    with pytest.raises(ExportError):
        read_export(file)


def test_check_only_verifies_and_writes_nothing(host_a: Path, host_b: Path, tmp_path: Path, capsys) -> None:
    whole, excerpt = tmp_path / "whole.jsonl", tmp_path / "excerpt.csv"
    whole.write_text(dump(host_a, "jsonl"), encoding="utf-8")
    lines = dump(host_a, "csv", INCIDENT).splitlines(keepends=True)
    excerpt.write_text("".join(lines[:5] + lines[6:]), encoding="utf-8")   # without entry 5
    before = digests(host_b)
    assert main(["--journal", str(host_b), "journal", "import", "--check", str(whole)]) == 0
    assert "(an unbroken chain from entry 1)" in capsys.readouterr().out
    assert main(["--journal", str(host_b), "journal", "import", "--check", str(excerpt)]) == 0
    assert "(an excerpt: " in capsys.readouterr().out
    excerpt.write_text(excerpt.read_text(encoding="utf-8").replace("mallory", "trudy"), encoding="utf-8")
    assert main(["--journal", str(host_b), "journal", "import", "--check", str(excerpt)]) == 1
    assert "BROKEN at entry 8" in capsys.readouterr().out
    assert digests(host_b) == before
