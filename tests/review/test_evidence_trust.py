"""Evidence bundles checked record by record, within size bounds, and safe to print; outputs written privately."""

from __future__ import annotations

import json
import os
import stat
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from warroom.console import evidence
from warroom.console.cli import main
from warroom.console.evidence import sha256, verify_bundle, write_bundle

from .review_tools import HOSTILE, INCIDENT, incident_drafts


def files_of(bundle: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as z:
        return {n: z.read(n) for n in z.namelist() if n != "manifest.json"}


def forged(files: dict[str, bytes], target: Path) -> Path:
    """Rewritten with a manifest recomputed to match: only the records' own hashes can tell."""
    write_bundle(files, target)
    return target


def evidence_name(files: dict[str, bytes]) -> str:
    return next(name for name in files if name.startswith("evidence/"))


def test_a_changed_observation_with_a_matching_manifest_is_caught(bundle: Path, tmp_path: Path) -> None:
    files = files_of(bundle)
    files["observations.jsonl"] = files["observations.jsonl"].replace(b"serviceRestored", b"falsePositive")
    check = verify_bundle(forged(files, tmp_path / "f.zip"))
    assert not check.ok and any(p.startswith("observations.jsonl: entry") for p in check.problems), check.problems


def test_a_changed_evidence_file_with_a_matching_manifest_is_caught(bundle: Path, tmp_path: Path) -> None:
    files = files_of(bundle)
    name = evidence_name(files)
    record = json.loads(files[name])
    record["body"]["content"] = {"rules": []}
    files[name] = json.dumps(record).encode()
    check = verify_bundle(forged(files, tmp_path / "f.zip"))
    assert not check.ok and f"{name}: its record does not hash to its own hash (changed)" in check.problems


def test_an_evidence_file_swapped_for_another_valid_record_is_caught(bundle: Path, tmp_path: Path) -> None:
    files = files_of(bundle)
    name = evidence_name(files)
    other = json.loads(files["entries.jsonl"].splitlines()[0])
    files[name] = json.dumps(other).encode()
    check = verify_bundle(forged(files, tmp_path / "f.zip"))
    assert not check.ok and any("not the evidence entry" in p for p in check.problems)
    assert any("has no file under evidence/" in p for p in check.problems)


def test_a_custody_head_that_disagrees_with_the_entries_is_caught(bundle: Path, tmp_path: Path) -> None:
    files = files_of(bundle)
    custody = json.loads(files["custody.json"])
    assert custody["journal"]["head_seq"] == len(incident_drafts())   # the head entry is in the bundle
    custody["journal"]["head"] = "f" * 64
    files["custody.json"] = json.dumps(custody).encode()
    check = verify_bundle(forged(files, tmp_path / "f.zip"))
    assert not check.ok and any(p.startswith("custody.json: the head it records") for p in check.problems)


def test_verify_says_what_it_cannot_prove(bundle: Path, capsys) -> None:
    assert main(["evidence", "verify", str(bundle)]) == 0
    assert "not that this is the bundle that was exported" in capsys.readouterr().out


def test_bundle_json_is_ascii_so_unzip_to_a_terminal_is_safe(bundle: Path) -> None:
    for name, data in files_of(bundle).items():
        assert data.isascii(), name
        assert b"\x1b" not in data
    assert "\\u001b[2J" in files_of(bundle)["entries.jsonl"].decode() and "\x1b" in HOSTILE


def _bomb(target: Path, size: int) -> Path:
    """A zip whose entries.jsonl inflates to `size` zero bytes, listed in its manifest as such."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("entries.jsonl", "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
        z.writestr("manifest.json", json.dumps({"format": evidence.FORMAT, "files": {
            "entries.jsonl": {"sha256": "0" * 64, "bytes": size}}}))
    return target


def test_a_zip_bomb_is_refused_in_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 16 << 20)
    bomb = _bomb(tmp_path / "bomb.zip", 256 << 20)
    assert bomb.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        check = verify_bundle(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert not check.ok and "zip bomb" in check.problems[-1]
    assert peak < 64 << 20


def test_a_zip_whose_declared_sizes_lie_is_still_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "MAX_FILE_BYTES", 4 << 20)
    bomb = _bomb(tmp_path / "bomb.zip", 8 << 20)
    data = bytearray(bomb.read_bytes())
    # the central directory's uncompressed size of entries.jsonl (offset 24 in its record) set to 10 bytes
    at = data.find(b"PK\x01\x02")
    data[at + 24:at + 28] = (10).to_bytes(4, "little")
    bomb.write_bytes(bytes(data))
    check = verify_bundle(bomb)
    assert not check.ok


# -- files written with -o -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["evidence", "report", "export"])
def test_outputs_replace_a_symlink_and_never_write_through_it(journal: Path, tmp_path: Path, command: str) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.symlink_to(victim)
    args = {"evidence": ["evidence", "export", INCIDENT, "-o", str(out), "--read-only"],
            "report": ["report", INCIDENT, "-o", str(out)],
            "export": ["journal", "export", str(journal), "-o", str(out)]}[command]
    assert main(["--journal", str(journal), *args]) == 0
    assert victim.read_text() == "precious"
    assert not out.is_symlink() and stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("command", ["evidence", "report", "export"])
def test_an_existing_world_readable_output_becomes_private(journal: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    out.write_text("old")
    os.chmod(out, 0o666)
    args = {"evidence": ["evidence", "export", INCIDENT, "-o", str(out), "--read-only"],
            "report": ["report", INCIDENT, "-o", str(out)],
            "export": ["journal", "export", str(journal), "-o", str(out)]}[command]
    assert main(["--journal", str(journal), *args]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_bundle_written_through_the_private_path_still_verifies(bundle: Path) -> None:
    assert verify_bundle(bundle).ok and sha256(bundle.read_bytes())
