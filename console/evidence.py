"""Evidence bundles: one incident's entries, observations and preserved evidence in a zip a third party can check.

`manifest.json` lists the SHA-256 and size of every other file; `custody.json` says who exported what,
when, from which journal (id, path) and at which chain head. `verify_bundle` reports any file that was
changed, removed or added, re-checks the hash of every record in every file (entries, observations, each
preserved evidence item), checks that the evidence files are the evidence entries of `entries.jsonl`, and
checks the custody head against the entries when the head entry is in the bundle. The export is journaled
(`evidence.exported`, with the bundle's SHA-256) so the journal itself remembers what left it.

What a bundle cannot show by itself: that its files were not all rewritten together (records re-sealed, the
manifest recomputed). Only the bundle's SHA-256 recorded in the journal (`verify --in-journal`), or a chain
head recorded elsewhere, shows that. Every file is JSON in ASCII, so `unzip -p` to a terminal writes no
escape sequence; reading is bounded (MAX_FILE_BYTES a file, MAX_BUNDLE_BYTES in all, MAX_FILES files),
whatever sizes the zip claims.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from . import __version__
from .exchange import check_records
from .files import private_output
from .journal import Entry, kinds
from .journal.encoding import bounded_json
from .journal_reader import JournalReader, knowledge_window
from .timefmt import shift, to_iso, utc_now

FORMAT = "warroom-evidence/1"
MANIFEST = "manifest.json"


MAX_FILES = 10_000
MAX_FILE_BYTES = 256 << 20
MAX_BUNDLE_BYTES = 512 << 20


def _jsonl(entries: list[Entry]) -> bytes:
    return "".join(json.dumps(e.to_record(), ensure_ascii=True) + "\n" for e in entries).encode("ascii")


def _pretty(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=True, indent=2, sort_keys=True) + "\n").encode("ascii")


def _safe_name(text: str) -> str:
    """File names from attacker-controlled text: letters, digits, dot, dash; never a path."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip(".-")[:60] or "item"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ExportResult:
    path: Path
    files: dict[str, str]
    entries: int
    bundle_sha256: str
    manifest_sha256: str
    head: tuple[int, str]


def collect(journal: JournalReader, incident: str, *, exported_by: str) -> dict[str, bytes]:
    """The bundle's files, in memory: entries, observations in the incident's window, evidence, custody."""
    entries = list(journal.incident_entries(incident))
    if not entries:
        raise ValueError(f"no incident {incident!r} in {journal.path}")
    start = shift(min(e.occurred for e in entries), -timedelta(hours=1))
    end = max(e.occurred for e in entries)
    observations = knowledge_window(journal, to_iso(start), to_iso(end), incident)
    files: dict[str, bytes] = {
        "entries.jsonl": _jsonl(entries),
        "observations.jsonl": _jsonl(observations),
    }
    for entry in entries:
        if entry.kind == kinds.EVIDENCE:
            name = f"evidence/{entry.seq:06d}-{_safe_name(str(entry.body.get('what', 'evidence')))}.json"
            files[name] = _pretty(entry.to_record())
    head_seq, head = journal.head()
    verdict = journal.verify()
    files["custody.json"] = _pretty({
        "format": FORMAT,
        "incident": incident,
        "exported_by": exported_by,
        "exported_at": to_iso(utc_now()),
        "host": platform.node(),
        "warroom_version": __version__,
        "journal": {"id": journal.journal_id, "path": str(journal.path.resolve()),
                    "head_seq": head_seq, "head": head,
                    "verified": verdict.ok, "verify_reason": verdict.reason or None},
        "contents": {"entries": len(entries), "observations": len(observations),
                     "evidence_items": sum(1 for e in entries if e.kind == kinds.EVIDENCE)},
    })
    return files


def manifest_for(files: dict[str, bytes]) -> bytes:
    return _pretty({
        "format": FORMAT,
        "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())},
    })


def write_bundle(files: dict[str, bytes], out: Path) -> tuple[str, str]:
    """Write the zip (0600); returns (bundle sha256, manifest sha256)."""
    manifest = manifest_for(files)
    with private_output(out, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(files.items()):
            bundle.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        bundle.writestr(zipfile.ZipInfo(MANIFEST, date_time=(2000, 1, 1, 0, 0, 0)), manifest, zipfile.ZIP_DEFLATED)
    return sha256(out.read_bytes()), sha256(manifest)


def export_bundle(journal_path: Path, incident: str, out: Path, *, exported_by: str) -> ExportResult:
    with JournalReader(journal_path) as journal:
        files = collect(journal, incident, exported_by=exported_by)
        head = journal.head()
    bundle_sha, manifest_sha = write_bundle(files, out)
    entries = files["entries.jsonl"].count(b"\n")
    return ExportResult(out, {n: sha256(d) for n, d in files.items()}, entries, bundle_sha, manifest_sha, head)


def exported_body(result: ExportResult, incident: str) -> dict[str, Any]:
    """The evidence.exported entry: enough to tell later which bundle left the journal, and from which head."""
    return {"text": f"evidence bundle for {incident} exported to {result.path.name}", "file": str(result.path),
            "bundle_sha256": result.bundle_sha256, "manifest_sha256": result.manifest_sha256,
            "entries": result.entries, "head_seq": result.head[0], "head": result.head[1]}


@dataclass
class BundleCheck:
    ok: bool
    problems: list[str] = field(default_factory=list)
    files: int = 0
    custody: dict[str, Any] = field(default_factory=dict)


class _TooBig(Exception):
    pass


def _read(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """A member's bytes, read in pieces and cut off past the bounds: the sizes a zip declares can lie."""
    limit = min(MAX_FILE_BYTES, budget[0])
    too_big = _TooBig(f"{info.filename}: more than {limit >> 20} MiB uncompressed "
                      f"({'the bundle' if limit < MAX_FILE_BYTES else 'a file'} may hold at most that): "
                      "not a warroom bundle (a zip bomb?)")
    if info.file_size > limit:
        raise too_big
    data = bytearray()
    with bundle.open(info) as stream:
        while piece := stream.read(1 << 20):
            data += piece
            if len(data) > limit:
                raise too_big
    budget[0] -= len(data)
    return bytes(data)


def _json_lines(data: bytes, name: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = bounded_json(line)
        except ValueError as error:
            raise ValueError(f"{name}, line {number}: {error}") from None
        if not isinstance(row, dict):
            raise ValueError(f"{name}, line {number}: not a journal record")
        rows.append(row)
    return rows


def _check_contents(contents: dict[str, bytes]) -> tuple[list[str], dict[str, Any]]:
    """Every record in every file re-hashed; evidence files and the custody head agree with entries.jsonl."""
    problems: list[str] = []
    custody = bounded_json(contents["custody.json"]) if "custody.json" in contents else {}
    if not isinstance(custody, dict):
        custody, problems = {}, ["custody.json: not a custody record"]
    entries = _json_lines(contents.get("entries.jsonl", b""), "entries.jsonl")
    journal = given if isinstance(given := custody.get("journal"), dict) else {}
    journal_ids = [journal["id"]] if isinstance(journal.get("id"), str) else []
    by_seq: dict[Any, dict[str, Any]] = {}
    for name in ("entries.jsonl", "observations.jsonl"):
        rows = entries if name == "entries.jsonl" else _json_lines(contents.get(name, b""), name)
        check = check_records(rows, journal_ids)
        if not check.ok:
            problems.append(f"{name}: entry {check.bad_seq}: {check.reason}")
        by_seq.update({row.get("seq"): row for row in rows})
    evidence_entries = {row["seq"]: row for row in entries if row.get("kind") == kinds.EVIDENCE}
    for name in sorted(n for n in contents if n.startswith("evidence/")):
        record = bounded_json(contents[name])
        if not isinstance(record, dict) or not check_records([record], journal_ids).ok:
            problems.append(f"{name}: its record does not hash to its own hash (changed)")
            continue
        entry = evidence_entries.pop(record.get("seq"), None)
        if entry is None or entry.get("hash") != record.get("hash"):
            problems.append(f"{name}: not the evidence entry {record.get('seq')} of entries.jsonl")
    problems += [f"entries.jsonl: evidence entry {seq} has no file under evidence/" for seq in sorted(evidence_entries)]
    head_seq, head = journal.get("head_seq"), journal.get("head")
    if head_seq in by_seq and by_seq[head_seq].get("hash") != head:
        problems.append(f"custody.json: the head it records (entry {head_seq}) is not that entry's hash in the bundle")
    counted = given if isinstance(given := custody.get("contents"), dict) else {}
    if counted and counted.get("entries") != len(entries):
        problems.append(f"custody.json: says {counted.get('entries')} entries, entries.jsonl holds {len(entries)}")
    return problems, custody


def verify_bundle(path: Path) -> BundleCheck:
    """Every file in the manifest present and unchanged, nothing added, every record's hash and link intact,
    the evidence files and the custody head in agreement with the entries; all within size bounds."""
    problems: list[str] = []
    try:
        bundle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        return BundleCheck(False, [f"not a readable zip: {error}"])
    with bundle:
        infos = bundle.infolist()
        if len(infos) > MAX_FILES:
            return BundleCheck(False, [f"{len(infos)} files: more than a warroom bundle holds ({MAX_FILES})"])
        names = [info.filename for info in infos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        problems += [f"duplicate: {n} appears more than once" for n in duplicates]
        if MANIFEST not in names:
            return BundleCheck(False, [*problems, "missing: manifest.json"])
        budget = [MAX_BUNDLE_BYTES]
        try:
            listed = bounded_json(_read(bundle, bundle.getinfo(MANIFEST), budget))["files"]
            if not isinstance(listed, dict) or not all(isinstance(v, dict) for v in listed.values()):
                raise TypeError
        except _TooBig as error:
            return BundleCheck(False, [*problems, str(error)])
        except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError, EOFError):
            return BundleCheck(False, [*problems, "manifest.json is not a warroom manifest"])
        present = set(names) - {MANIFEST}
        for name in sorted(set(listed) - present):
            problems.append(f"missing: {name}")
        for name in sorted(present - set(listed)):
            problems.append(f"added: {name}")
        contents: dict[str, bytes] = {}
        try:
            for name in sorted(present & set(listed)):
                data = _read(bundle, bundle.getinfo(name), budget)
                contents[name] = data
                if sha256(data) != listed[name].get("sha256") or len(data) != listed[name].get("bytes"):
                    problems.append(f"changed: {name}")
        except _TooBig as error:
            return BundleCheck(False, [*problems, str(error)], len(listed))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:   # a damaged member (CRC, zlib)
            return BundleCheck(False, [*problems, f"unreadable member: {error}"], len(listed))
    custody: dict[str, Any] = {}
    try:
        found, custody = _check_contents(contents)
        problems += found
    except (ValueError, UnicodeDecodeError, TypeError, AttributeError, KeyError) as error:
        problems.append(f"unreadable content: {' '.join(str(error).split())}")
    return BundleCheck(not problems, problems, len(listed), custody)


def find_export(journal_path: Path, bundle_sha256: str) -> Entry | None:
    """The evidence.exported entry that recorded this exact bundle, if this journal holds one."""
    from .journal_reader import Filter

    with JournalReader(journal_path) as journal:
        after = 0
        while page := journal.after(Filter(kinds=(kinds.EVIDENCE_EXPORTED,)), after, 500):
            for entry in page:
                if entry.body.get("bundle_sha256") == bundle_sha256:
                    return entry
            after = page[-1].seq
    return None
