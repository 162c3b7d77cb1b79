"""Files at the journal's path that are not a journal warroom may read or extend: refused, never replaced."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from warroom.console.journal import JournalCorrupt, open_journal, verify_file
from warroom.console.journal_reader import JournalReader

from .journal_tools import WARROOM, build, warroom


def test_a_zero_byte_file_is_refused_not_made_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with pytest.raises(JournalCorrupt, match="empty file"):
        asyncio.run(open_journal(path))
    with pytest.raises(JournalCorrupt, match="empty file"):
        verify_file(path)
    with pytest.raises(JournalCorrupt, match="empty file"):
        JournalReader(path)
    result = warroom("note", "--journal", str(path), "declared SEV1")
    assert result.returncode == 1 and "empty file" in result.stderr and result.stderr.count("\n") == 1
    assert path.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["home", "journal.db"]


async def test_journals_created_at_once_by_several_processes_are_one_journal(tmp_path: Path) -> None:
    """A new journal appears whole at its path (never as an empty file another writer would refuse)."""
    path = tmp_path / "new" / "journal.db"

    async def note(n: int) -> None:
        process = await asyncio.create_subprocess_exec(
            str(WARROOM), "note", "--journal", str(path), f"note {n}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode()

    await asyncio.gather(*(note(n) for n in range(4)))
    result = verify_file(path)
    assert result.ok and result.entries == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_export_and_report_refuse_a_journal_from_a_newer_warroom(journal_path: Path, tmp_path: Path) -> None:
    build(journal_path, 3)
    conn = sqlite3.connect(journal_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    out = tmp_path / "export.jsonl"
    for args in (["journal", "export", str(journal_path), "-o", str(out)],
                 ["journal", "export", str(journal_path)],
                 ["--journal", str(journal_path), "report", "INC-1"]):
        result = warroom(*args)
        assert result.returncode == 1, args
        assert "newer than this warroom" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()
