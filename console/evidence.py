"""Evidence bundles: one incident's entries, observations and preserved evidence in a zip a third party can check.

`manifest.json` lists the SHA-256 and size of every other file; `custody.json` says who exported what,
when, from which journal (id, path) and at which chain head. `verify_bundle` reports any file that was
changed, removed or added, and re-checks the hashes of the exported entries. The export is journaled
(`evidence.exported`, with the bundle's SHA-256) so the journal itself remembers what left it.
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
from .exchange import check_records, private_file
from .journal import Entry, kinds
from .review import ReviewJournal, knowledge_window
from .timefmt import shift, to_iso, utc_now

FORMAT = "warroom-evidence/1"
MANIFEST = "manifest.json"


def _jsonl(entries: list[Entry]) -> bytes:
    return "".join(json.dumps(e.to_record(), ensure_ascii=False) + "\n" for e in entries).encode("utf-8")


def _pretty(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


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


def collect(journal: ReviewJournal, incident: str, *, exported_by: str) -> dict[str, bytes]:
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
    with private_file(out, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(files.items()):
            bundle.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
        bundle.writestr(zipfile.ZipInfo(MANIFEST, date_time=(2000, 1, 1, 0, 0, 0)), manifest, zipfile.ZIP_DEFLATED)
    return sha256(out.read_bytes()), sha256(manifest)


def export_bundle(journal_path: Path, incident: str, out: Path, *, exported_by: str) -> ExportResult:
    with ReviewJournal(journal_path) as journal:
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


def verify_bundle(path: Path) -> BundleCheck:
    """Every file in the manifest present and unchanged, nothing added, the entries' own hashes intact."""
    problems: list[str] = []
    try:
        bundle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return BundleCheck(False, [f"not a readable zip: {error}"])
    with bundle:
        names = bundle.namelist()
        duplicates = sorted({n for n in names if names.count(n) > 1})
        problems += [f"duplicate: {n} appears more than once" for n in duplicates]
        if MANIFEST not in names:
            return BundleCheck(False, [*problems, "missing: manifest.json"])
        try:
            listed = json.loads(bundle.read(MANIFEST))["files"]
        except (ValueError, KeyError, TypeError):
            return BundleCheck(False, [*problems, "manifest.json is not a warroom manifest"])
        present = set(names) - {MANIFEST}
        for name in sorted(set(listed) - present):
            problems.append(f"missing: {name}")
        for name in sorted(present - set(listed)):
            problems.append(f"added: {name}")
        contents: dict[str, bytes] = {}
        for name in sorted(present & set(listed)):
            data = bundle.read(name)
            contents[name] = data
            if sha256(data) != listed[name].get("sha256") or len(data) != listed[name].get("bytes"):
                problems.append(f"changed: {name}")
    custody: dict[str, Any] = {}
    try:
        custody = json.loads(contents.get("custody.json", b"{}"))
        rows = [json.loads(line) for line in contents.get("entries.jsonl", b"").decode("utf-8").splitlines() if line]
        check = check_records(rows)
        if not check.ok:
            problems.append(f"entries.jsonl: entry {check.bad_seq}: {check.reason}")
    except (ValueError, UnicodeDecodeError) as error:
        problems.append(f"unreadable content: {error}")
    return BundleCheck(not problems, problems, len(listed), custody)


def find_export(journal_path: Path, bundle_sha256: str) -> Entry | None:
    """The evidence.exported entry that recorded this exact bundle, if this journal holds one."""
    from .review import Filter

    with ReviewJournal(journal_path) as journal:
        after = 0
        while page := journal.after(Filter(kinds=(kinds.EVIDENCE_EXPORTED,)), after, 500):
            for entry in page:
                if entry.body.get("bundle_sha256") == bundle_sha256:
                    return entry
            after = page[-1].seq
    return None
