"""Imports cannot rewrite history: a forged origin is caught, every import is on record, every reader is bounded."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warroom.console import exchange
from warroom.console.cli import main
from warroom.console.exchange import ExportError, read_export
from warroom.console.journal import Draft, verify_file

from .review_tools import INCIDENT, at, digests, incident_drafts, write

WARROOM = Path(sys.executable).parent / "warroom"


@pytest.fixture
def genuine(tmp_path: Path) -> Path:
    path = tmp_path / "genuine" / "journal.db"
    write(path, incident_drafts())
    return path


def export(path: Path, out: Path, fmt: str = "jsonl") -> Path:
    assert main(["journal", "export", str(path), "--format", fmt, "-o", str(out)]) == 0
    return out


def test_a_forged_record_cannot_pre_empt_the_genuine_entry(genuine: Path, tmp_path: Path, capsys) -> None:
    """A record claiming a genuine entry's origin, imported first, used to make the genuine one be skipped."""
    genuine_export = export(genuine, tmp_path / "genuine.jsonl")
    action = next(json.loads(line) for line in genuine_export.read_text().splitlines() if '"action"' in line)
    forger = tmp_path / "forger" / "journal.db"
    forged_body = {**action["body"], "result": "failed", "error": "never blocked"}
    write(forger, [Draft("action", forged_body, INCIDENT, "sam", at(9), at(9.5), origin=action["hash"])],
          actor="mallory")
    victim = tmp_path / "victim" / "journal.db"
    write(victim, [Draft("note", {"text": "victim's own note"}, None, "casey", at(1))])

    assert main(["--journal", str(victim), "journal", "import", str(export(forger, tmp_path / "forged.jsonl"))]) == 0
    capsys.readouterr()
    before = digests(victim)
    assert main(["--journal", str(victim), "journal", "import", str(genuine_export)]) == 1
    error = capsys.readouterr().err
    assert f"entry {action['seq']} claims to be {action['hash'][:16]}" in error
    assert "holds as entry 3 with different content" in error and "forged" in error
    assert error.count("\n") == 1
    assert digests(victim) == before


def test_two_records_in_one_file_claiming_one_origin_are_refused(genuine: Path, tmp_path: Path, capsys) -> None:
    lines = export(genuine, tmp_path / "a.jsonl").read_text().splitlines()
    other = tmp_path / "other" / "journal.db"
    first = json.loads(lines[0])
    write(other, [Draft("note", {"text": "filler"}, None, "alex", at(1)),
                  Draft("note", {"text": "filler"}, None, "alex", at(1)),
                  Draft("note", {"text": "x"}, None, "alex", at(1), origin=first["hash"])])
    rows = export(other, tmp_path / "o.jsonl").read_text().splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join([lines[0], rows[2]]) + "\n")   # two consistent records claiming the same entry
    target = tmp_path / "t" / "journal.db"
    assert main(["--journal", str(target), "journal", "import", str(mixed)]) == 1
    assert "both claim to be" in capsys.readouterr().err


def test_check_does_not_read_as_proof_of_authenticity(genuine: Path, tmp_path: Path, capsys) -> None:
    file = export(genuine, tmp_path / "a.jsonl")
    capsys.readouterr()
    assert main(["--journal", str(tmp_path / "b.db"), "journal", "import", "--check", str(file)]) == 0
    out = capsys.readouterr().out
    assert not out.startswith("ok") and "verify" not in out.splitlines()[0]
    assert "not who wrote it or which journal it came from" in out
    assert not (tmp_path / "b.db").exists()


def test_an_import_that_adds_nothing_writes_nothing(genuine: Path, tmp_path: Path) -> None:
    file = export(genuine, tmp_path / "a.jsonl")
    before = digests(genuine)
    assert main(["--journal", str(genuine), "journal", "import", str(file)]) == 0
    assert digests(genuine) == before


# -- bounded readers --------------------------------------------------------------------------------


def test_a_csv_field_past_128_kib_round_trips(tmp_path: Path) -> None:
    """Preserved evidence makes bodies of megabytes; csv's default field limit is 128 KiB."""
    source = tmp_path / "s" / "journal.db"
    write(source, [Draft("evidence", {"what": "mailbox", "content": "x" * 300_000}, INCIDENT, "sam", at(1))])
    file = export(source, tmp_path / "big.csv", "csv")
    target = tmp_path / "t" / "journal.db"
    assert main(["--journal", str(target), "journal", "import", str(file)]) == 0
    assert verify_file(target).entries == 2


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_deep_json_is_one_line_not_a_recursion_error(genuine: Path, tmp_path: Path, fmt: str, capsys) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    file = tmp_path / f"deep.{fmt}"
    if fmt == "jsonl":
        file.write_text('{"seq": 1, "body": ' + deep + "}\n")
    else:
        header = ",".join(exchange.FIELDS)
        file.write_text(f"{header}\n1,,note,alex,t,t,t,,{deep},{'0' * 64},{'0' * 64}\n")
    assert main(["--journal", str(tmp_path / "t.db"), "journal", "import", str(file)]) == 1
    error = capsys.readouterr().err
    assert "nested more than" in error and "line " in error and error.count("\n") == 1


def test_json_nested_just_past_the_bound_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "deep.jsonl"
    file.write_text('{"body": ' + "[" * 200 + "]" * 200 + "}\n")
    with pytest.raises(ExportError, match="nested more than"):
        read_export(file)


def test_import_of_dev_zero_stops_at_the_record_bound_in_bounded_memory(tmp_path: Path) -> None:
    """`journal import /dev/zero` read until memory ran out: a line is refused past MAX_RECORD_BYTES."""
    limit = 1 << 30

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    result = subprocess.run([str(WARROOM), "--journal", str(tmp_path / "j.db"), "journal", "import", "/dev/zero"],
                            capture_output=True, text=True, timeout=120, preexec_fn=cap)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "line 1: longer than" in result.stderr and result.stderr.count("\n") == 1


def test_a_file_past_the_total_bound_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange, "MAX_IMPORT_BYTES", 1000)
    file = tmp_path / "many.jsonl"
    file.write_text("\n" * 2000)
    with pytest.raises(ExportError, match="larger than"):
        read_export(file)


PIECES = ["{", "}", "[", "]", '"seq"', ":", ",", "1", "\n", '"', "seq,incident", ",".join(exchange.FIELDS) + "\n"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600) | st.text(max_size=600).map(str.encode)
       | st.lists(st.sampled_from(PIECES), max_size=80).map(lambda pieces: "".join(pieces).encode()))
def test_any_bytes_are_an_export_or_one_clear_refusal(tmp_path: Path, data: bytes) -> None:
    file = tmp_path / "fuzz"
    file.write_bytes(data)
    try:
        records = read_export(file).records
    except ExportError as error:
        assert "\n" not in str(error)
    else:
        assert all(isinstance(record, dict) for record in records)
