"""Export and report from a journal whose chain is broken say so loudly, name the entry, and exit 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from warroom.console.cli import main

from .review_tools import INCIDENT, incident_drafts, write


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "journal.db"
    write(path, incident_drafts())
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER entries_refuse_update")
    conn.execute("UPDATE entries SET actor = 'nobody' WHERE seq = 8")
    conn.close()
    return path


@pytest.mark.parametrize("output", [None, "report.md"])
def test_a_report_of_a_broken_journal_warns_first_and_exits_1(broken: Path, tmp_path: Path, capsys,
                                                              output: str | None) -> None:
    args = ["--journal", str(broken), "report", INCIDENT] + (["-o", str(tmp_path / output)] if output else [])
    assert main(args) == 1
    captured = capsys.readouterr()
    text = (tmp_path / output).read_text() if output else captured.out
    assert "WARNING: the journal's chain is broken at entry 8" in captured.err
    assert captured.err.count("\n") == 1
    first_section = text.split("\n## ")[1]
    assert first_section.startswith("WARNING") and "broken at entry 8" in first_section
    assert "\\[the chain breaks here\\]" in text and "\\[after the break: unverified\\]" in text


def test_an_export_of_a_broken_journal_is_written_but_warns_and_exits_1(broken: Path, tmp_path: Path,
                                                                       capsys) -> None:
    out = tmp_path / "export.jsonl"
    assert main(["journal", "export", str(broken), "-o", str(out)]) == 1
    assert "broken at entry 8" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == len(incident_drafts())


def test_an_intact_journal_exports_and_reports_with_exit_0(tmp_path: Path, capsys) -> None:
    path = tmp_path / "journal.db"
    write(path, incident_drafts())
    assert main(["journal", "export", str(path), "-o", str(tmp_path / "x.jsonl")]) == 0
    assert main(["--journal", str(path), "report", INCIDENT]) == 0
    assert "WARNING" not in capsys.readouterr().err


def test_a_report_marks_the_entries_an_import_brought(tmp_path: Path, capsys) -> None:
    source, target = tmp_path / "a.db", tmp_path / "b.db"
    write(source, incident_drafts())
    assert main(["journal", "export", str(source), "-o", str(tmp_path / "a.jsonl")]) == 0
    assert main(["--journal", str(target), "journal", "import", str(tmp_path / "a.jsonl")]) == 0
    capsys.readouterr()
    assert main(["--journal", str(target), "report", INCIDENT]) == 0
    text = capsys.readouterr().out
    assert text.count("\\[imported by entry 1\\]") == len(incident_drafts())
    assert f"{len(incident_drafts())} entries \\(imported by entries 1\\)" in text
