"""Export a journal (or one incident) as JSON Lines or CSV, check an export's chain, merge one journal into another.

An exported record holds every stored field, so its hash can be recomputed anywhere. Importing appends
each foreign entry as a new entry of ours whose `origin` is the hash it had where it was first written
(its own `origin` if it was itself imported), with its times, actor, incident, kind and body kept.
Because `origin` is unique, re-importing a file, or importing back entries that came from us, adds nothing.
An entry already here under the same hash or origin must hold the same content: a record that claims a known
origin with other content is a forgery (or the one here is), and the whole import is refused naming both.
An import that adds entries first journals a `journal.imported` entry (file, its SHA-256, who, how many, the
journal ids the file claims), in the same transaction, so what came from outside is always on record.

`import --check` recomputes the records' hashes and links: it shows the file is internally consistent, not
who wrote it or which journal it came from (anyone can write a consistent file). Only a head recorded at the
source, compared with the file's, says that.

Every reader is bounded: a line (a record) of at most MAX_RECORD_BYTES, a file of at most MAX_IMPORT_BYTES,
JSON nested at most MAX_DEPTH deep; anything else is refused with one line naming the line.

What a journal holds came partly from the tenant (alert titles, UPNs), so an export is written to be safe to
`cat`: JSON Lines are ASCII (`\u001b`, `\u202e` as JSON escapes, the same values when read back), and so is
a CSV `body` cell. A CSV written to a terminal also shows control and format characters in its other cells as
visible escapes (`\x1b`); written to a file those cells are exact, so the file still verifies. CSV cells are
not protected against spreadsheet formulas (`=`, `+`, `-`, `@`): open an export as text, not in Excel.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .files import private_output
from .journal import GENESIS, Draft, Entry, Journal, JournalError, VerifyResult, canonical_json, kinds
from .journal.encoding import bounded_json, canonical_entry, chain_hash, genesis_for
from .journal_reader import JournalReader
from .text import literal
from .timefmt import from_iso, in_range

FIELDS = (
    "seq", "incident", "kind", "actor", "occurred_at", "discovered_at", "logged_at", "origin", "body",
    "prev_hash", "hash",
)
FORMATS = ("jsonl", "csv")
SOURCE_FIELD = "journal"          # the id of the journal a record was exported from (a claim; CSV: last column)
MAX_RECORD_BYTES = 64 << 20       # one record: a line of JSON, a CSV row (preserved evidence can be megabytes)
MAX_IMPORT_BYTES = 2 << 30        # a whole export (a million-entry journal is about 600 MB)


class ExportError(JournalError):
    """An export file that cannot be read, or whose records do not verify."""


def records(journal: JournalReader, incident: str | None = None) -> Iterator[dict[str, Any]]:
    entries = journal.incident_entries(incident) if incident else journal.all_entries()
    for entry in entries:
        yield {**entry.to_record(), SOURCE_FIELD: journal.journal_id}


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str], *, terminal: bool = False) -> int:
    """ASCII JSON, one record a line: no byte of it can drive a terminal, and it reads back to the same values."""
    count = 0
    for record in rows:
        out.write(json.dumps(record, ensure_ascii=True, sort_keys=False) + "\n")
        count += 1
    return count


def _ascii_json(value: Any) -> str:
    """The body cell: the canonical JSON's value in ASCII (the hash is recomputed from the value it parses to)."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"), allow_nan=False)


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], *, terminal: bool = False) -> int:
    """One row per entry; the body is its JSON text, so the hash can be recomputed from the cell.

    For a terminal, the other cells show control and format characters as visible escapes (then a hostile
    actor or incident id no longer verifies: write to a file with -o for an export to import or check).
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*FIELDS, SOURCE_FIELD))
    count = 0
    for record in rows:
        row = dict(record, body=_ascii_json(record["body"]))
        cells = ["" if row.get(name) is None else row[name] for name in (*FIELDS, SOURCE_FIELD)]
        writer.writerow([literal(cell) if terminal and isinstance(cell, str) else cell for cell in cells])
        count += 1
    return count


def export(journal: JournalReader, fmt: str, out: IO[str], *, incident: str | None = None,
           terminal: bool = False) -> int:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    writer = write_jsonl if fmt == "jsonl" else write_csv
    return writer(records(journal, incident), out, terminal=terminal)


def _from_csv(row: list[str], header: tuple[str, ...], where: str) -> dict[str, Any]:
    if len(row) != len(header):
        raise ExportError(f"{where}: {len(row)} cells where a warroom export row has {len(header)}")
    record: dict[str, Any] = {name: (cell if cell != "" else None) for name, cell in zip(header, row, strict=True)}
    try:
        record["seq"] = int(record["seq"])
        record["body"] = bounded_json(record["body"] or "")
    except ValueError as error:
        raise ExportError(f"{where}: not a warroom export row ({error})") from None
    record["actor"] = row[FIELDS.index("actor")]
    return record


@dataclass(frozen=True)
class ExportFile:
    """An export as read: its records, the SHA-256 and size of the bytes read, the journal ids it claims."""

    name: str
    records: list[dict[str, Any]]
    sha256: str
    size: int
    journals: tuple[str, ...]


class _BoundedLines:
    """The file's lines, decoded, each at most MAX_RECORD_BYTES and all together at most MAX_IMPORT_BYTES.

    Also hashes what it reads, so the import's record names exactly the bytes that were imported.
    """

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream, self.name, self.number, self.size = stream, name, 0, 0
        self.digest = hashlib.sha256()

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.stream.readline(MAX_RECORD_BYTES + 1)
        if not line:
            raise StopIteration
        self.number += 1
        self.size += len(line)
        if len(line) > MAX_RECORD_BYTES:
            raise ExportError(f"{self.name}, line {self.number}: longer than {MAX_RECORD_BYTES >> 20} MiB, "
                              "not a warroom export record")
        if self.size > MAX_IMPORT_BYTES:
            raise ExportError(f"{self.name}: larger than {MAX_IMPORT_BYTES >> 30} GiB, not an export warroom reads")
        self.digest.update(line)
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            raise ExportError(f"{self.name}, line {self.number}: not UTF-8 text, not a warroom export") from None


def read_export(path: Path) -> ExportFile:
    """A JSON Lines or CSV export (told apart by the first character), read within bounds."""
    name = "standard input" if str(path) == "-" else str(path)
    try:
        stream = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as error:
        raise ExportError(f"{name}: cannot read it ({error.strerror})") from None
    try:
        lines = _BoundedLines(stream, name)
        first = next((line for line in lines if line.strip()), "")
        rows = _jsonl(lines, first, name) if first.lstrip().startswith("{") else _csv(lines, first, name)
        journals = sorted({str(claimed) for row in rows if (claimed := row.get(SOURCE_FIELD))})
        return ExportFile(name, rows, lines.digest.hexdigest(), lines.size, tuple(journals))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _jsonl(lines: _BoundedLines, first: str, name: str) -> list[dict[str, Any]]:
    result = []
    for line in _chain(first, lines):
        if not line.strip():
            continue
        try:
            record = bounded_json(line)
        except ValueError as error:
            raise ExportError(f"{name}, line {lines.number}: {error}") from None
        if not isinstance(record, dict) or set(FIELDS) - set(record):
            raise ExportError(f"{name}, line {lines.number}: not a warroom export record")
        result.append(record)
    return result


def _csv(lines: _BoundedLines, first: str, name: str) -> list[dict[str, Any]]:
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_RECORD_BYTES)   # the default (128 KiB) refuses a body with preserved evidence
    try:
        reader = csv.reader(_chain(first, lines))
        try:
            header = tuple(next(reader, []))
            if header not in (FIELDS, (*FIELDS, SOURCE_FIELD)):     # without the journal's id: an older export
                raise ExportError(f"{name}: neither a JSON Lines nor a CSV warroom export")
            return [_from_csv(row, header, f"{name}, line {lines.number}") for row in reader]
        except csv.Error as error:
            raise ExportError(f"{name}, line {lines.number}: not a warroom CSV export ({error})") from None
    finally:
        csv.field_size_limit(previous)


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


@dataclass(frozen=True)
class RecordCheck:
    ok: bool
    records: int
    complete: bool          # an unbroken chain from entry 1 (the journal may still have gone on after it)
    head: str
    bad_seq: int | None = None
    reason: str = ""


def record_hash(record: dict[str, Any]) -> str:
    canonical = canonical_entry(
        seq=record["seq"], incident=record["incident"], kind=record["kind"], actor=record["actor"],
        occurred_at=record["occurred_at"], discovered_at=record["discovered_at"], logged_at=record["logged_at"],
        origin=record["origin"], body_text=canonical_json(record["body"]),
    )
    return chain_hash(record["prev_hash"], canonical)


def check_records(rows: list[dict[str, Any]], journal_ids: Iterable[str] = ()) -> RecordCheck:
    """Recompute every record's hash, and every link between consecutive records.

    A whole-journal export must chain from the genesis: of the journal the records name (their `journal`, or
    `journal_ids`), or GENESIS for a journal made before ids were bound. An incident export is an excerpt, so
    only the links between neighbouring entries (seq n, n+1) can be checked, and each record's own hash.
    """
    starts = {GENESIS, *(genesis_for(journal_id) for journal_id in journal_ids)}
    complete = bool(rows) and rows[0]["seq"] == 1
    previous: dict[str, Any] | None = None
    for record in rows:
        try:
            digest = record_hash(record)
        except (TypeError, KeyError, ValueError, AttributeError):
            return RecordCheck(False, len(rows), False, GENESIS, record.get("seq"), "a field has the wrong type")
        if digest != record["hash"]:
            return RecordCheck(False, len(rows), False, GENESIS, record["seq"], "hash mismatch: the record was changed")
        if previous is None:
            claimed = record.get(SOURCE_FIELD)
            if record["seq"] == 1 and record["prev_hash"] not in starts and not (
                    isinstance(claimed, str) and record["prev_hash"] == genesis_for(claimed)):
                return RecordCheck(False, len(rows), False, GENESIS, 1,
                                   "entry 1 does not start at the genesis of the journal the file names")
        elif record["seq"] <= previous["seq"]:
            return RecordCheck(False, len(rows), False, GENESIS, record["seq"], "records out of order")
        elif record["seq"] == previous["seq"] + 1:
            if record["prev_hash"] != previous["hash"]:
                return RecordCheck(False, len(rows), False, GENESIS, record["seq"], "previous-hash link broken")
        else:
            complete = False
        previous = record
    head = rows[-1]["hash"] if rows else GENESIS
    return RecordCheck(True, len(rows), complete, head)


@dataclass(frozen=True)
class ImportResult:
    read: int
    added: int
    already_here: int
    entries: list[Entry]
    record: Entry | None = None      # the journal.imported entry (none when nothing was added)


CONTENT = ("kind", "incident", "actor", "occurred_at", "discovered_at")


def _same_content(entry: Entry, record: dict[str, Any]) -> bool:
    """What an import keeps of an entry (its hash, seq and logged time are the journal's own) is the same."""
    return all(getattr(entry, name) == record[name] for name in CONTENT) and entry.body == record["body"]


def _describe_key(key: str) -> str:
    return f"{key[:16]}…"


def _moment(record: dict[str, Any], name: str) -> datetime:
    """A record's time as a moment the journal accepts, or a refusal naming the entry."""
    value = record[name]
    try:
        return in_range(from_iso(value), name)
    except (ValueError, TypeError, AttributeError, OverflowError) as error:
        reason = str(error) if "outside the range" in str(error) else f"{name} {literal(str(value))!r} is not a time"
        raise ExportError(f"refusing to import: entry {record['seq']}: {reason}") from None


async def merge(journal: Journal, rows: list[dict[str, Any]], source: ExportFile | None = None) -> ImportResult:
    """Append the records this journal does not yet hold, in one transaction, after a `journal.imported` entry.

    Refuses tampered input, and any record whose hash or origin is already here with other content.
    """
    check = check_records(rows, source.journals if source else ())
    if not check.ok:
        raise ExportError(f"refusing to import: entry {check.bad_seq}: {check.reason}")
    keys = [record["origin"] or record["hash"] for record in rows]
    held = await journal.holding(sorted(set(keys)))
    seen: dict[str, dict[str, Any]] = {}
    drafts: list[Draft] = []
    for key, record in zip(keys, rows, strict=True):
        here = held.get(key)
        if here is not None and not _same_content(here, record):
            raise ExportError(
                f"refusing to import: entry {record['seq']} claims to be {_describe_key(key)}, which this journal "
                f"holds as entry {here.seq} with different content: one of the two is forged; nothing was imported")
        earlier = seen.get(key)
        if earlier is not None and not (earlier is record or _same_record(earlier, record)):
            raise ExportError(
                f"refusing to import: entries {earlier['seq']} and {record['seq']} both claim to be "
                f"{_describe_key(key)} with different content; nothing was imported")
        if here is not None or earlier is not None:
            continue
        seen[key] = record
        drafts.append(
            Draft(
                kind=record["kind"],
                body=record["body"],
                incident=record["incident"],
                actor=record["actor"],
                occurred_at=_moment(record, "occurred_at"),
                discovered_at=_moment(record, "discovered_at"),
                origin=key,
            )
        )
    if not drafts:
        return ImportResult(len(rows), 0, len(rows), [])
    written = await journal.append_many([_import_record(rows, drafts, source), *drafts])
    return ImportResult(len(rows), len(written) - 1, len(rows) - len(written) + 1, list(written[1:]), written[0])


def _same_record(one: dict[str, Any], other: dict[str, Any]) -> bool:
    return all(one[name] == other[name] for name in CONTENT) and one["body"] == other["body"]


def _import_record(rows: list[dict[str, Any]], drafts: list[Draft], source: ExportFile | None) -> Draft:
    """The `journal.imported` entry: what came in, from which file (its exact bytes) and which journal it claims."""
    incidents = {draft.incident for draft in drafts}
    name = source.name if source else "records"
    journals = list(source.journals) if source else []
    claimed = f" (the file says from journal {', '.join(journals)})" if journals else ""
    return Draft(kinds.JOURNAL_IMPORTED, {
        "text": f"imported {len(drafts)} entries from {Path(name).name}{claimed}",
        "file": name, "sha256": source.sha256 if source else None, "bytes": source.size if source else None,
        "records": len(rows), "added": len(drafts), "already_here": len(rows) - len(drafts),
        "source_journals": journals,
    }, incidents.pop() if len(incidents) == 1 else None)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def export_to(journal_path: Path, fmt: str, output: str | None, *,
              incident: str | None = None) -> tuple[int, VerifyResult]:
    """`warroom journal export`: read-only on the journal, to a file (0600) or standard output.

    The chain is verified too: the export is written either way (a broken journal is itself evidence), and
    the verdict returned for the caller to warn with.
    """
    with JournalReader(journal_path) as journal:
        verdict = journal.verify()
        if output in (None, "-"):
            count = export(journal, fmt, sys.stdout, incident=incident, terminal=_is_terminal(sys.stdout))
            sys.stdout.flush()
        else:
            with private_output(output) as out:
                count = export(journal, fmt, out, incident=incident)
    return count, verdict


def warn_if_broken(verdict: VerifyResult, what: str) -> int:
    """One loud line on stderr when the journal's chain did not verify; the exit code (1) for the command."""
    if verdict.ok:
        return 0
    where = f"at entry {verdict.bad_seq}" if verdict.bad_seq is not None else "(the journal itself)"
    print(f"warroom: WARNING: the journal's chain is broken {where}: {literal(verdict.reason)}; {what} was "
          "written anyway, and cannot vouch for the entries from there on", file=sys.stderr, flush=True)
    return 1
