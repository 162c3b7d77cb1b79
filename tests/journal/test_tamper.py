"""Tampering with the `sqlite3` shell, as an attacker would: refused while the triggers stand, caught after."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .journal_tools import build, row, warroom

pytestmark = pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 command-line tool")


def sqlite3_shell(path: Path, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sqlite3", str(path)], input=script, capture_output=True, text=True, timeout=60)


def test_an_intact_journal_verifies(journal_path: Path) -> None:
    entries = build(journal_path, 5)
    result = warroom("journal", "verify", str(journal_path))
    assert result.returncode == 0, result.stderr
    assert f"ok: 5 entries, chain head {entries[-1].hash}" in result.stdout


def test_update_and_delete_are_refused_while_the_triggers_stand(journal_path: Path) -> None:
    build(journal_path, 3)
    before = row(journal_path, 2)
    update = sqlite3_shell(journal_path, "UPDATE entries SET body = '{\"text\":\"nothing happened\"}' WHERE seq = 2;")
    delete = sqlite3_shell(journal_path, "DELETE FROM entries WHERE seq = 2;")
    assert "append-only: UPDATE refused" in update.stderr
    assert "append-only: DELETE refused" in delete.stderr
    assert row(journal_path, 2) == before
    assert warroom("journal", "verify", str(journal_path)).returncode == 0


def test_a_rewritten_body_is_named(journal_path: Path) -> None:
    build(journal_path, 5)
    shell = sqlite3_shell(
        journal_path,
        "DROP TRIGGER entries_refuse_update;\n"
        "UPDATE entries SET body = replace(body, 'evil@example.com', 'ok@example.com') WHERE seq = 3;\n",
    )
    assert shell.returncode == 0, shell.stderr
    result = warroom("journal", "verify", str(journal_path))
    assert result.returncode == 1
    assert "BROKEN at entry 3" in result.stdout
    assert "hash mismatch" in result.stdout
    assert "warning: append-only trigger entries_refuse_update is missing" in result.stdout


def test_a_deleted_row_is_named(journal_path: Path) -> None:
    build(journal_path, 5)
    sqlite3_shell(journal_path, "DROP TRIGGER entries_refuse_delete;\nDELETE FROM entries WHERE seq = 2;\n")
    result = warroom("journal", "verify", str(journal_path))
    assert result.returncode == 1
    assert "BROKEN at entry 2: entry 2 is missing" in result.stdout


def test_a_cut_tail_is_named_with_the_recorded_head(journal_path: Path) -> None:
    entries = build(journal_path, 5)
    # a careful attacker puts the trigger back: the shorter chain then verifies on its own
    sqlite3_shell(journal_path, "DROP TRIGGER entries_refuse_delete;\nDELETE FROM entries WHERE seq > 3;\n"
                  "CREATE TRIGGER entries_refuse_delete BEFORE DELETE ON entries "
                  "BEGIN SELECT RAISE(ABORT, 'journal entries are append-only: DELETE refused'); END;\n")
    assert warroom("journal", "verify", str(journal_path)).returncode == 0
    result = warroom("journal", "verify", str(journal_path), "--head", entries[-1].hash)
    assert result.returncode == 1
    assert "BROKEN at entry 4" in result.stdout


def test_verify_uses_the_configured_journal(journal_path: Path) -> None:
    build(journal_path, 2)
    sqlite3_shell(journal_path, "DROP TRIGGER entries_refuse_update;\nUPDATE entries SET actor = 'x' WHERE seq = 1;\n")
    result = warroom("journal", "verify", env={"WARROOM_JOURNAL": str(journal_path)})
    assert result.returncode == 1
    assert "BROKEN at entry 1" in result.stdout
