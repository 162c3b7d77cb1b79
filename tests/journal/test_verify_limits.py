"""What `journal verify` proves and what it cannot, narrowed: removed protections fail, heads in any form match."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from warroom.console.journal import verify_file
from warroom.console.journal_reader import Filter, JournalReader

from .journal_tools import build, tamper, warroom


def test_removed_append_only_triggers_fail_verify(journal_path: Path) -> None:
    """The rows still hash, but nothing refuses an UPDATE any more: not a journal that is intact."""
    build(journal_path, 3)
    tamper(journal_path, "SELECT 1")   # drops both triggers, changes nothing else
    result = verify_file(journal_path)
    assert not result.ok and result.bad_seq is None and result.entries == 3
    assert "entries_refuse_update" in result.reason
    cli = warroom("journal", "verify", str(journal_path))
    assert cli.returncode == 1
    assert "BROKEN" in cli.stdout and "append-only trigger" in cli.stdout


@pytest.mark.parametrize("form", ["full", "upper", "short", "short-upper", "ellipsis"])
def test_head_accepts_the_short_form_and_upper_case(journal_path: Path, form: str) -> None:
    entries = build(journal_path, 4)
    head = entries[1].hash   # a head recorded earlier: later entries are fine
    given = {"full": head, "upper": head.upper(), "short": head[:16], "short-upper": head[:16].upper(),
             "ellipsis": head[:16] + "…"}[form]
    result = warroom("journal", "verify", str(journal_path), "--head", given)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verify_file(journal_path, expect_head=given).ok


def test_a_head_not_in_the_chain_still_fails_in_short_form(journal_path: Path) -> None:
    build(journal_path, 3)
    assert not verify_file(journal_path, expect_head="ab" * 8).ok


@pytest.mark.parametrize("given", ["xyz", "abc", "g" * 64, "a" * 65])
def test_a_head_that_cannot_be_one_is_refused_in_one_line(journal_path: Path, given: str) -> None:
    build(journal_path, 2)
    result = warroom("journal", "verify", str(journal_path), "--head", given)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not a chain head" in result.stderr


def test_verify_full_catches_a_full_text_index_that_lies(journal_path: Path) -> None:
    """The index is outside the chain: a row added to it made review's search find what no entry says."""
    build(journal_path, 4)
    assert verify_file(journal_path, check_index=True).ok
    conn = sqlite3.connect(journal_path, isolation_level=None)
    conn.execute("INSERT INTO entries_fts(rowid, text) VALUES (2, 'mimikatz ran on the domain controller')")
    conn.close()
    with JournalReader(journal_path) as review:
        assert [entry.seq for entry in review.after(Filter(text="mimikatz"))] == [2]     # what a reviewer would see
        assert not review.verify(check_index=True).ok
    assert verify_file(journal_path).ok                # the chain itself is intact
    result = verify_file(journal_path, check_index=True)
    assert not result.ok and "full-text index does not match entry 2" in result.reason
    cli = warroom("journal", "verify", "--full", str(journal_path))
    assert cli.returncode == 1 and "full-text index" in cli.stdout
    assert warroom("journal", "verify", str(journal_path)).returncode == 0


def test_verify_full_catches_an_index_that_lost_an_entry(journal_path: Path) -> None:
    entries = build(journal_path, 3)
    text = f"note alex INC-1 {entries[0].body['text']}"
    conn = sqlite3.connect(journal_path, isolation_level=None)
    conn.execute("INSERT INTO entries_fts(entries_fts, rowid, text) VALUES ('delete', 1, ?)", (text,))
    conn.close()
    result = verify_file(journal_path, check_index=True)
    assert not result.ok and "entry 1" in result.reason
