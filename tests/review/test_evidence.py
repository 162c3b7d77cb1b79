"""Evidence bundles: the manifest catches a changed, a missing and an added file; the export is journaled."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from warroom.console.cli import main
from warroom.console.evidence import verify_bundle
from warroom.console.journal import Draft, kinds, verify_file
from warroom.console.journal_reader import JournalReader

from .review_tools import INCIDENT, at, digests, incident_drafts, write


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.db"
    # an observation from before the incident (the baseline) and one from another day (not in the bundle)
    write(path, [Draft(kinds.OBSERVATION, {"source": "alerts", "key": "A1", "digest": "x", "data": {}}, None,
                       "warroom", at(-30)),
                 Draft(kinds.OBSERVATION, {"source": "alerts", "key": "A9", "digest": "y", "data": {}}, None,
                       "warroom", at(60 * 24 * 3))])
    write(path, incident_drafts())
    return path


def rewrite(source: Path, target: Path, *, drop: str = "", change: str = "", add: str = "") -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name == drop:
                continue
            data = old.read(name)
            new.writestr(name, data.replace(b"block_sign_in", b"no_action") if name == change else data)
        if add:
            new.writestr(add, b"planted")
    return target


def test_bundle_contents_and_custody(bundle: Path, journal: Path) -> None:
    check = verify_bundle(bundle)
    assert check.ok, check.problems
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        observations = [json.loads(line) for line in z.read("observations.jsonl").splitlines()]
        custody = json.loads(z.read("custody.json"))
    assert {"manifest.json", "custody.json", "entries.jsonl", "observations.jsonl"} <= names
    assert any(name.startswith("evidence/") and name.endswith("-inbox-rules.json") for name in names)
    assert {o["body"]["key"] for o in observations} == {"A1", "EX123"}
    with JournalReader(journal) as reader:
        exported = [e for e in reader.all_entries() if e.kind == kinds.EVIDENCE_EXPORTED]
        head_before_export = exported[0].seq - 1
        assert custody["journal"]["id"] == reader.journal_id
    assert custody["incident"] == INCIDENT and custody["exported_by"] == "test-responder"
    assert custody["journal"]["head_seq"] == head_before_export and custody["journal"]["verified"] is True
    assert exported[0].body["bundle_sha256"] and exported[0].incident == INCIDENT
    assert verify_file(journal).ok


@pytest.mark.parametrize(("how", "problem"), [
    ({"change": "entries.jsonl"}, "changed: entries.jsonl"),
    ({"drop": "custody.json"}, "missing: custody.json"),
    ({"add": "evidence/extra.json"}, "added: evidence/extra.json"),
])
def test_verify_detects_tampering(bundle: Path, tmp_path: Path, how: dict, problem: str, capsys) -> None:
    tampered = rewrite(bundle, tmp_path / "tampered.zip", **how)
    check = verify_bundle(tampered)
    assert not check.ok and problem in check.problems
    assert main(["evidence", "verify", str(tampered)]) == 1
    assert f"FAILED: {problem}" in capsys.readouterr().out


def test_a_changed_entry_with_a_matching_manifest_is_still_caught(bundle: Path, tmp_path: Path) -> None:
    """Someone who rewrites the manifest too is caught by the entries' own hashes."""
    tampered = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as old:
        files = {n: old.read(n) for n in old.namelist() if n != "manifest.json"}
    files["entries.jsonl"] = files["entries.jsonl"].replace(b"block_sign_in", b"no_action")
    from warroom.console.evidence import write_bundle

    write_bundle(files, tampered)
    check = verify_bundle(tampered)
    assert not check.ok and any("hash mismatch" in p for p in check.problems)


def test_read_only_export_leaves_the_journal_alone(journal: Path, tmp_path: Path) -> None:
    before = digests(journal)
    out = tmp_path / "ro.zip"
    assert main(["--journal", str(journal), "evidence", "export", INCIDENT, "-o", str(out), "--read-only"]) == 0
    assert digests(journal) == before
    assert verify_bundle(out).ok


def test_the_journal_remembers_the_exact_bundle(bundle: Path, journal: Path, tmp_path: Path, capsys) -> None:
    assert main(["--journal", str(journal), "evidence", "verify", str(bundle), "--in-journal"]) == 0
    assert "journaled as entry 24 by test-responder" in capsys.readouterr().out
    copy = rewrite(bundle, tmp_path / "rezipped.zip")   # same files, different bytes: not the bundle we exported
    assert verify_bundle(copy).ok
    assert main(["--journal", str(journal), "evidence", "verify", str(copy), "--in-journal"]) == 1
    assert "no evidence.exported entry" in capsys.readouterr().out
