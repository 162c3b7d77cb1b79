"""What warroom writes for a responder is private (0600, folders 0700 at every level) and never via a symlink."""

from __future__ import annotations

import asyncio
import stat
from datetime import UTC, datetime
from pathlib import Path

from warroom.console import comms
from warroom.console.files import private_folder, private_output, write_new
from warroom.console.graph.auth import save_record
from warroom.console.incidents import Incident
from warroom.console.journal import open_journal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_saved_message_is_private_and_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "messages"
    incident = Incident("INC-1", "t", "service-outage", datetime(2026, 11, 24, tzinfo=UTC), "alex")
    private_folder(folder)
    elsewhere = tmp_path / "elsewhere"          # a dangling symlink: following it would create this file
    (folder / "INC-1-initial-staff.txt").symlink_to(elsewhere)
    path = comms.save("Mail is down.", folder, incident, "initial", "staff")
    assert path.name == "INC-1-initial-staff-2.txt" and path.read_text() == "Mail is down."
    assert not elsewhere.exists()
    assert mode(path) == 0o600 and mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert comms.save("Again.", folder, incident, "initial", "staff").name == "INC-1-initial-staff-3.txt"


def test_every_folder_level_warroom_creates_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "journal.db"

    async def create() -> None:
        async with await open_journal(path) as journal:
            await journal.append("note", {"text": "x"})

    asyncio.run(create())
    for level in (path.parent, path.parent.parent, path.parent.parent.parent):
        assert mode(level) == 0o700, level
    record = save_record("{}", tmp_path / "x" / "y" / "auth-record.json")
    assert mode(record) == 0o600 and mode(record.parent) == 0o700 and mode(record.parent.parent) == 0o700


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("old report")
    try:
        with private_output(out) as handle:
            handle.write("half a rep")
            raise RuntimeError("disk gone")
    except RuntimeError:
        pass
    assert out.read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "report.md"]


def test_write_new_never_replaces(tmp_path: Path) -> None:
    first = write_new(tmp_path / "m", "note", ".txt", "one")
    second = write_new(tmp_path / "m", "note", ".txt", "two")
    assert (first.read_text(), second.read_text()) == ("one", "two") and first != second
