"""Export a journal (or one incident) as JSON Lines or CSV, check an export's chain, merge one journal into another.

An exported record holds every stored field, so its hash can be recomputed anywhere. Importing appends
each foreign entry as a new entry of ours whose `origin` is the hash it had where it was first written
(its own `origin` if it was itself imported), with its times, actor, incident, kind and body kept.
Because `origin` is unique, re-importing a file, or importing back entries that came from us, adds nothing.

What a journal holds came partly from the tenant (alert titles, UPNs), so an export is written to be safe to
`cat`: JSON Lines are ASCII (`\u001b`, `\u202e` as JSON escapes, the same values when read back), and so is
a CSV `body` cell. A CSV written to a terminal also shows control and format characters in its other cells as
visible escapes (`\x1b`); written to a file those cells are exact, so the file still verifies. CSV cells are
not protected against spreadsheet formulas (`=`, `+`, `-`, `@`): open an export as text, not in Excel.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .journal import GENESIS, Draft, Entry, Journal, JournalError, canonical_json
from .journal.encoding import canonical_entry, chain_hash
from .review import ReviewJournal
from .text import literal
from .timefmt import from_iso, in_range

FIELDS = (
    "seq", "incident", "kind", "actor", "occurred_at", "discovered_at", "logged_at", "origin", "body",
    "prev_hash", "hash",
)
FORMATS = ("jsonl", "csv")


class ExportError(JournalError):
    """An export file that cannot be read, or whose records do not verify."""


def records(journal: ReviewJournal, incident: str | None = None) -> Iterator[dict[str, Any]]:
    entries = journal.incident_entries(incident) if incident else journal.all_entries()
    for entry in entries:
        yield entry.to_record()


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
    writer.writerow(FIELDS)
    count = 0
    for record in rows:
        row = dict(record, body=_ascii_json(record["body"]))
        cells = ["" if row[name] is None else row[name] for name in FIELDS]
        writer.writerow([literal(cell) if terminal and isinstance(cell, str) else cell for cell in cells])
        count += 1
    return count


def export(journal: ReviewJournal, fmt: str, out: IO[str], *, incident: str | None = None,
           terminal: bool = False) -> int:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    writer = write_jsonl if fmt == "jsonl" else write_csv
    return writer(records(journal, incident), out, terminal=terminal)


def _from_csv(row: dict[str, str], line: int) -> dict[str, Any]:
    try:
        record: dict[str, Any] = {name: (row[name] if row[name] != "" else None) for name in FIELDS}
        record["seq"] = int(row["seq"])
        record["body"] = json.loads(row["body"])
        record["actor"] = row["actor"]
    except (KeyError, ValueError, TypeError) as error:
        raise ExportError(f"line {line}: not a warroom export row ({error})") from None
    return record


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records from a JSON Lines or CSV export (told apart by the first character)."""
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ExportError(f"{path}: not UTF-8 text, not a warroom export") from None
    if text.lstrip().startswith("{"):
        result = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ExportError(f"{path}, line {number}: not JSON ({error.msg})") from None
            if not isinstance(record, dict) or set(FIELDS) - set(record):
                raise ExportError(f"{path}, line {number}: not a warroom export record")
            result.append(record)
        return result
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != FIELDS:
        raise ExportError(f"{path}: neither a JSON Lines nor a CSV warroom export")
    return [_from_csv(row, number) for number, row in enumerate(reader, start=2)]


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


def check_records(rows: list[dict[str, Any]]) -> RecordCheck:
    """Recompute every record's hash, and every link between consecutive records.

    A whole-journal export must chain from the genesis; an incident export is an excerpt, so only the
    links between neighbouring entries (seq n, n+1) can be checked, and each record's own hash.
    """
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
            if record["seq"] == 1 and record["prev_hash"] != GENESIS:
                return RecordCheck(False, len(rows), False, GENESIS, 1, "entry 1 does not start at the genesis")
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


def _moment(record: dict[str, Any], name: str) -> datetime:
    """A record's time as a moment the journal accepts, or a refusal naming the entry."""
    value = record[name]
    try:
        return in_range(from_iso(value), name)
    except (ValueError, TypeError, AttributeError, OverflowError) as error:
        reason = str(error) if "outside the range" in str(error) else f"{name} {literal(str(value))!r} is not a time"
        raise ExportError(f"refusing to import: entry {record['seq']}: {reason}") from None


async def merge(journal: Journal, rows: list[dict[str, Any]]) -> ImportResult:
    """Append the records this journal does not yet hold, in one transaction. Refuses tampered input."""
    check = check_records(rows)
    if not check.ok:
        raise ExportError(f"refusing to import: entry {check.bad_seq}: {check.reason}")
    keys = [record["origin"] or record["hash"] for record in rows]
    known = await journal.known(sorted(set(keys)))
    drafts: list[Draft] = []
    for key, record in zip(keys, rows, strict=True):
        if key in known:
            continue
        known.add(key)
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
    added = await journal.append_many(drafts)
    return ImportResult(len(rows), len(added), len(rows) - len(added), added)


def private_file(path: str | Path, mode: str = "w") -> IO[Any]:
    """Exports hold incident details: create them readable by the owner only (0600)."""
    import os

    fd = os.open(Path(path).expanduser(), os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    if "b" in mode:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, encoding="utf-8", newline="")


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def export_to(journal_path: Path, fmt: str, output: str | None, *, incident: str | None = None) -> int:
    """`warroom journal export`: read-only on the journal, to a file (0600) or standard output."""
    with ReviewJournal(journal_path) as journal:
        if output in (None, "-"):
            return export(journal, fmt, sys.stdout, incident=incident, terminal=_is_terminal(sys.stdout))
        with private_file(output) as out:
            return export(journal, fmt, out, incident=incident)
