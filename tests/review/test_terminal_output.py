"""What the CLI prints from a journal or a bundle cannot drive the terminal, and exports still round-trip.

Journal text came partly from the tenant (a Graph observation, an alert title) or from another machine's
journal, so every command that prints it must leave no control byte, no C1 CSI and no BiDi/zero-width mark.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.exchange import check_records, read_export
from warroom.console.journal import Draft, kinds, verify_file
from warroom.console.journal_reader import JournalReader
from warroom.console.report import esc, md
from warroom.console.text import clean_uncut

from .review_tools import INCIDENT, at, incident_drafts, write

HOSTILES = ("[bold red]x[/]", "\x1b[2J", "\x1b]52;c;ZXZpbA==\x07", "\x9b31m", "\u202e", "\u200f")
PAYLOAD = " ".join(HOSTILES)
# What must never reach a terminal: C0 controls but \t and \n, DEL and C1, BiDi embeddings/overrides/isolates,
# zero-width and direction marks.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f]")


def assert_inert(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(text)})
    assert not found, f"dangerous characters printed: {found}"


@pytest.fixture
def hostile_journal(tmp_path: Path) -> Path:
    """A full incident whose title, a Graph observation, a note and an actor carry every hostile string."""
    path = tmp_path / "journal.db"
    write(path, incident_drafts(title=f"Mail down {PAYLOAD}"))
    write(path, [
        Draft(kinds.OBSERVATION, {"source": "alerts", "key": "da-1", "digest": "h1",
                                  "data": {"title": PAYLOAD, "severity": "high"}}, INCIDENT, "warroom", at(7)),
        Draft(kinds.NOTE, {"text": f"seen {PAYLOAD}\nsecond line"}, INCIDENT, f"eve{PAYLOAD}", at(8)),
    ], now=at(61))
    return path


def stored(path: Path) -> list[dict]:
    with JournalReader(path) as journal:
        return [entry.to_record() for entry in journal.all_entries()]


class Terminal(io.StringIO):
    """Standard output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# -- journal export -----------------------------------------------------------------------------------


def test_jsonl_export_to_stdout_is_inert_and_reads_back_the_same(hostile_journal: Path, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journal", "export", str(hostile_journal)]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert out.isascii() and "\\u202e" in out and "\\u009b" in out
    file = tmp_path / "export.jsonl"
    file.write_text(out, encoding="utf-8")
    rows = read_export(file).records
    check = check_records(rows)                     # entry 1 chains from the journal each record names
    for row in rows:
        del row["journal"]
    assert rows == stored(hostile_journal)          # same values: hashes are over the stored text, not this one
    assert check.ok and check.complete and check.head == verify_file(hostile_journal).head


def test_jsonl_export_imports_into_another_journal(hostile_journal: Path, tmp_path: Path) -> None:
    file, other = tmp_path / "export.jsonl", tmp_path / "other" / "journal.db"
    assert main(["journal", "export", str(hostile_journal), "-o", str(file)]) == 0
    assert main(["--journal", str(other), "journal", "import", str(file)]) == 0
    assert verify_file(other).ok
    with JournalReader(other) as journal:
        actors = {entry.actor for entry in journal.all_entries()}
    assert f"eve{PAYLOAD}" in actors


def test_csv_export_to_a_terminal_shows_escapes(hostile_journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["journal", "export", str(hostile_journal), "--format", "csv"]) == 0
    out = terminal.getvalue()
    assert_inert(out)
    assert "eve[bold red]x[/] \\x1b[2J \\x1b]52;c;ZXZpbA==\\x07 \\x9b31m \\u202e \\u200f" in out


def test_csv_export_to_a_file_is_exact_and_verifies(hostile_journal: Path, tmp_path: Path) -> None:
    file = tmp_path / "export.csv"
    assert main(["journal", "export", str(hostile_journal), "--format", "csv", "-o", str(file)]) == 0
    rows = read_export(file).records
    assert check_records(rows).ok
    assert [{k: v for k, v in row.items() if k != "journal"} for row in rows] == stored(hostile_journal)
    body_cells = [line for line in file.read_text(encoding="utf-8").splitlines() if "seen " in line]
    assert body_cells and "\\u202e" in body_cells[0]         # the body cell is ASCII JSON even in a file


# -- evidence verify ----------------------------------------------------------------------------------


def test_evidence_verify_prints_an_untrusted_bundle_inertly(hostile_journal: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    bundle, tampered = tmp_path / "evidence.zip", tmp_path / "tampered.zip"
    assert main(["--journal", str(hostile_journal), "evidence", "export", INCIDENT, "-o", str(bundle)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(bundle) as old, zipfile.ZipFile(tampered, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            if name == "custody.json":
                custody = json.loads(data)
                custody.update(incident=PAYLOAD, exported_by=PAYLOAD, exported_at=PAYLOAD,
                               journal={"id": PAYLOAD, "head_seq": PAYLOAD})
                data = json.dumps(custody, ensure_ascii=False).encode()
            new.writestr(name, data)
        new.writestr(f"evil{PAYLOAD}.txt", b"planted")
    assert main(["evidence", "verify", str(tampered)]) == 1
    out = capsys.readouterr().out
    assert_inert(out)
    assert "exported by [bold red]x[/] \\x1b[2J" in out and "FAILED" in out and "evil[bold red]x[/]" in out


def test_evidence_verify_survives_a_custody_that_is_not_an_object(hostile_journal: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bundle, tampered = tmp_path / "evidence.zip", tmp_path / "tampered.zip"
    assert main(["--journal", str(hostile_journal), "evidence", "export", INCIDENT, "-o", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as old, zipfile.ZipFile(tampered, "w") as new:
        for name in old.namelist():
            new.writestr(name, json.dumps([PAYLOAD]).encode() if name == "custody.json" else old.read(name))
    capsys.readouterr()
    assert main(["evidence", "verify", str(tampered)]) == 1
    assert_inert(capsys.readouterr().out)


# -- report and errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_report_to_stdout_is_inert(hostile_journal: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--journal", str(hostile_journal), "report", INCIDENT, "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert_inert(out)
    assert "Mail down" in out


def test_markdown_and_html_escaping_drop_controls_and_format_characters() -> None:
    for hostile in (*HOSTILES, "\u200b", "\u061c", "\ufeff", "\u2066", "\u200e", "\x00", "\x7f"):
        for shown in (md(f"a{hostile}b"), esc(f"a{hostile}b"), clean_uncut(f"a{hostile}b"),
                      clean_uncut(f"a{hostile}b", keep_newlines=True)):
            assert_inert(shown)
            assert "\ufeff" not in shown and "\u061c" not in shown
    assert md("[bold red]x[/]") == "\\[bold red\\]x\\[/\\]"


def test_clean_uncut_keeps_lines_only_when_asked() -> None:
    assert clean_uncut("a\nb\tc\u200fd") == "a b cd"
    assert clean_uncut("a\r\nb\tc\u200fd", keep_newlines=True) == "a\nb cd"
    assert clean_uncut("x" * 500) == "x" * 500           # no length cut: callers cut to their column


def test_cli_errors_show_data_inertly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / f"no{PAYLOAD}" / "journal.db"
    assert main(["journal", "verify", str(missing)]) == 1
    err = capsys.readouterr().err
    assert_inert(err)
    assert err.startswith("warroom: ") and err.count("\n") == 1 and "\\x1b[2J" in err
