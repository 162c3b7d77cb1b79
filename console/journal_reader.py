"""Offline review of a journal: read-only by construction, paged in SQL, never all rows in memory.

`JournalReader` opens the file so that SQLite can neither write nor create anything next to it:
a cleanly closed journal (no -wal file) is opened `immutable`, a journal with a WAL is opened with
`readonly_shm` so even the shared-memory index is only read, and a WAL without its -shm (a crash, a
copied pair) is copied into a private snapshot folder first. Every query pages by `seq` (keyset), so
a million-entry journal opens as fast as a small one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .incidents import INCIDENT_KINDS, Incident, IncidentBook
from .journal import Entry, JournalCorrupt, JournalError, JournalTooNew, VerifyResult, kinds, verify_file
from .journal.records import COLUMNS
from .journal.schema import LATEST_VERSION
from .journal.store import check_journal_file, readonly_target
from .microsoft import describe_issue_entry
from .observations import Observed, Replay, is_patch
from .text import clean_uncut

_COLUMNS = ", ".join(COLUMNS)
_QUALIFIED = ", ".join(f"entries.{name}" for name in COLUMNS)
PAGE_SIZE = 100


@dataclass
class Filter:
    """What the reviewer narrowed the timeline to. Empty fields match everything."""

    kinds: tuple[str, ...] = ()
    actor: str | None = None
    incident: str | None = None
    since: str | None = None      # ISO times, compared with occurred_at
    until: str | None = None
    text: str = ""                # full-text search (FTS5)

    def where(self) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.kinds:
            clauses.append(f"kind IN ({','.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        if self.actor:
            clauses.append("actor = ?")
            params.append(self.actor)
        if self.incident:
            clauses.append("incident = ?")
            params.append(self.incident)
        if self.since:
            clauses.append("occurred_at >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("occurred_at <= ?")
            params.append(self.until)
        return clauses, params

    def describe(self) -> str:
        parts = [f"kind:{','.join(self.kinds)}"] if self.kinds else []
        parts += [f"{name}:{value}" for name, value in (
            ("actor", self.actor), ("incident", self.incident), ("since", self.since), ("until", self.until)
        ) if value]
        if self.text.strip():
            parts.append(self.text.strip())
        return " ".join(parts)


def fts_query(text: str) -> str:
    """A plain phrase becomes quoted words (so `-`, `:` and `.` in hostile text cannot break the query)."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in text.split())


def parse_filter(text: str, *, base: Filter | None = None) -> Filter:
    """`kind:action,note actor:alex incident:INC-1 since:2026-11-24T10:00 until:… words to search`."""
    from .timefmt import parse_when, to_iso

    result = Filter(incident=base.incident if base else None)
    words: list[str] = []
    for token in text.split():
        name, sep, value = token.partition(":")
        name = name.lower()
        if sep and value and name in ("kind", "actor", "incident", "inc", "since", "from", "until", "to"):
            if name == "kind":
                result.kinds = tuple(part for part in value.split(",") if part)
            elif name == "actor":
                result.actor = value
            elif name in ("incident", "inc"):
                result.incident = value
            elif name in ("since", "from"):
                result.since = to_iso(parse_when(value))
            else:
                result.until = to_iso(parse_when(value))
        else:
            words.append(token)
    result.text = " ".join(words)
    return result


@dataclass
class Knowledge:
    """What the observations said at a moment: the latest one per (source, key) at or before it.

    `objects` holds each one's object as rebuilt by replaying the observations (`console/observations.py`),
    in the same order; `chains` every entry those objects are rebuilt from (from each one's latest whole
    observation on), in journal order: what an evidence bundle needs so that a reader can replay it too.
    """

    at: str
    observations: list[Entry] = field(default_factory=list)
    objects: list[Observed] = field(default_factory=list)
    chains: list[Entry] = field(default_factory=list)


class JournalReader:
    """A journal opened for reading only. Thread-safe by giving each thread its own connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        check_journal_file(self.path, create=False)
        self._snapshot: Path | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._uri = self._choose_uri()
        self._conn = self.connect()
        try:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                raise JournalCorrupt(f"{self.path}: empty or not a warroom journal")
            if version > LATEST_VERSION:
                raise JournalTooNew(f"{self.path}: journal schema version {version} is newer than this warroom "
                                    f"understands ({LATEST_VERSION}); upgrade warroom to read it")
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'journal_id'").fetchone()
        except sqlite3.Error as error:
            self.close()
            raise JournalError(f"{self.path}: not a readable warroom journal ({error})") from None
        except BaseException:
            self.close()
            raise
        self.journal_id: str = row[0] if row else ""

    def _file_stamp(self) -> tuple[int, int, int]:
        stat = self.path.stat()
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _choose_uri(self) -> str:
        target = readonly_target(self.path)
        # An immutable read does not notice a writer that turns up later: `conn` checks this stamp.
        self._stamp = self._file_stamp() if target.immutable else None
        self._snapshot = target.snapshot
        return target.uri

    def connect(self) -> sqlite3.Connection:
        """A new read-only connection (one per worker thread)."""
        conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        conn.execute("PRAGMA query_only = 1")
        return conn

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, reopened first if a writer has appeared since (`immutable` would not notice)."""
        if self._stamp is not None:
            try:
                changed = Path(f"{self.path}-wal").exists() or self._file_stamp() != self._stamp
            except OSError:
                changed = False
            if changed:
                self._conn.close()
                self._uri = self._choose_uri()
                self._conn = self.connect()
        return self._conn

    def reader(self) -> JournalReader:
        """A sibling on its own connection, for a worker that runs while another is paging."""
        sibling = object.__new__(JournalReader)
        sibling.path, sibling._snapshot, sibling._uri, sibling._stamp = self.path, None, self._uri, self._stamp
        sibling._conn, sibling.journal_id = self.connect(), self.journal_id
        return sibling

    def close(self) -> None:
        self._conn.close()
        if self._snapshot:
            shutil.rmtree(self._snapshot, ignore_errors=True)

    def __enter__(self) -> JournalReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------------

    def _entries(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[Entry]:
        return [Entry.from_row(row) for row in self.conn.execute(sql, tuple(params))]

    def _select(self, flt: Filter, extra: list[str], params: list[Any], order: str, limit: int) -> list[Entry]:
        clauses, filter_params = flt.where()
        if flt.text.strip():
            # Driven by the full-text index in rowid order, so a common word stops after one page of hits.
            extra = [clause.replace("seq", "entries_fts.rowid") for clause in extra]
            where = " AND ".join(["entries_fts MATCH ?", *extra, *clauses])
            return self._entries(
                f"SELECT {_QUALIFIED} FROM entries_fts JOIN entries ON entries.seq = entries_fts.rowid "
                f"WHERE {where} ORDER BY entries_fts.rowid {order} LIMIT {int(limit)}",
                [fts_query(flt.text), *params, *filter_params],
            )
        where = " AND ".join([*extra, *clauses]) or "1"
        return self._entries(
            f"SELECT {_COLUMNS} FROM entries WHERE {where} ORDER BY seq {order} LIMIT {int(limit)}",
            [*params, *filter_params],
        )

    def after(self, flt: Filter, seq: int = 0, limit: int = PAGE_SIZE) -> list[Entry]:
        """Entries after `seq`, oldest first: scrolling down."""
        return self._select(flt, ["seq > ?"], [seq], "ASC", limit)

    def before(self, flt: Filter, seq: int | None = None, limit: int = PAGE_SIZE) -> list[Entry]:
        """Entries before `seq` (or the newest), returned oldest first: scrolling up, or End."""
        extra, params = (["seq < ?"], [seq]) if seq is not None else ([], [])
        return self._select(flt, extra, params, "DESC", limit)[::-1]

    def around(self, flt: Filter, seq: int, limit: int = PAGE_SIZE) -> list[Entry]:
        """A window with the entry at or after `seq` in its middle: jumps."""
        half = limit // 2
        return self.before(flt, seq, half) + self.after(flt, seq - 1, limit - half)

    def entry(self, seq: int) -> Entry | None:
        rows = self._entries(f"SELECT {_COLUMNS} FROM entries WHERE seq = ?", [seq])
        return rows[0] if rows else None

    def seq_at(self, moment: str) -> int | None:
        """The first entry that happened at or after a moment (occurred_at is indexed)."""
        row = self.conn.execute(
            "SELECT seq FROM entries WHERE occurred_at >= ? ORDER BY occurred_at, seq LIMIT 1", (moment,)
        ).fetchone()
        if row is None:
            row = self.conn.execute("SELECT max(seq) FROM entries").fetchone()
        return row[0] if row and row[0] is not None else None

    def head(self) -> tuple[int, str]:
        row = self.conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, "0" * 64)

    def incidents(self) -> list[Incident]:
        """Every incident, folded from incident entries only (the kind index keeps this cheap)."""
        book = IncidentBook()
        marks = ",".join("?" * len(INCIDENT_KINDS))
        cursor = self.conn.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE kind IN ({marks}) ORDER BY seq", INCIDENT_KINDS
        )
        while rows := cursor.fetchmany(5000):
            for row in rows:
                book.apply(Entry.from_row(row))
        return sorted(book.incidents.values(), key=lambda incident: incident.declared_at)

    def incident_entries(self, incident: str) -> Iterator[Entry]:
        """All of one incident's entries in order, in batches (reports and evidence)."""
        after = 0
        while chunk := self.after(Filter(incident=incident), after, 5000):
            yield from chunk
            after = chunk[-1].seq

    def all_entries(self) -> Iterator[Entry]:
        after = 0
        while chunk := self.after(Filter(), after, 5000):
            yield from chunk
            after = chunk[-1].seq

    def knowledge_at(self, moment: str) -> Knowledge:
        """What did we know when: the latest Graph observation per (source, key) at or before `moment`."""
        chains: dict[tuple[str, str], list[Entry]] = {}
        replay = Replay()
        # In journal order: a change is a patch against the observation before it.
        cursor = self.conn.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE kind = ? AND occurred_at <= ? ORDER BY seq",
            (kinds.OBSERVATION, moment),
        )
        while rows := cursor.fetchmany(5000):
            for row in rows:
                entry = Entry.from_row(row)
                body = entry.body
                key = (str(body.get("source", "")), str(body.get("key", "")))
                replay.feed({**body, "source": key[0], "key": key[1]})
                if is_patch(body):
                    chains.setdefault(key, []).append(entry)
                else:
                    chains[key] = [entry]
        ordered = sorted(chains)
        return Knowledge(moment, [chains[key][-1] for key in ordered], [replay.objects[key] for key in ordered],
                         sorted((entry for chain in chains.values() for entry in chain), key=lambda e: e.seq))

    def imports(self, limit: int = 10_000) -> list[Entry]:
        """The journal.imported entries, oldest first: which entries came from other journals (imported_by)."""
        return self.after(Filter(kinds=(kinds.JOURNAL_IMPORTED,)), 0, limit)

    def verify(self, *, check_index: bool = False) -> VerifyResult:
        """The whole chain (and with `check_index` the full-text index), on a connection of its own: in a worker."""
        conn = self.connect()
        try:
            return verify_file(self.path, connection=conn, check_index=check_index)
        finally:
            conn.close()


def imported_by(entry: Entry, imports: list[Entry]) -> Entry | None:
    """The journal.imported entry that brought this entry in: the last one before it, if its count reaches it.

    An import's entries follow its record in one transaction; an entry with an origin and no such record came
    from elsewhere another way (a shared journal's spool, typed during an outage).
    """
    if not entry.origin:
        return None
    record = next((item for item in reversed(imports) if item.seq < entry.seq), None)
    if record is None:
        return None
    added = record.body.get("added")
    return record if isinstance(added, int) and entry.seq <= record.seq + added else None


def body_lines(entry: Entry, *, limit: int = 200, width: int = 400) -> list[str]:
    """An entry's body as indented JSON lines, cleaned, and cut so a huge evidence body cannot stall the screen."""
    try:
        text = json.dumps(entry.body, indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        text = entry.body_text
    lines = text.splitlines()
    shown = [clean_uncut(line[:width]) for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"… {len(lines) - limit} more lines (warroom journal export has them all)")
    return shown


def describe_entry(entry: Entry) -> str:
    """One line saying what an entry is about (raw, not yet cleaned: callers escape for their medium)."""
    body = entry.body
    get = lambda key: str(body.get(key, "") or "")  # noqa: E731
    match entry.kind:
        case kinds.ACTION:
            text = f"{get('action')} {get('target')}: {get('result')}"
            return text + (" (dry run)" if body.get("dry_run") else "")
        case kinds.COMMS_SENT if isinstance(body.get("results"), dict):
            delivered = ", ".join(map(str, body.get("delivered") or [])) or "nobody"
            failed = ", ".join(map(str, body.get("failed") or []))
            outcome = f"delivered via {delivered}" + (f"; FAILED via {failed}" if failed else "")
            return f"to {get('audience')} ({get('update_kind')} #{get('number')}), {outcome}: {get('subject')}"
        case kinds.COMMS_REQUESTED:
            channels = ", ".join(map(str, body.get("channels") or []))
            return f"sending to {get('audience')} via {channels} ({get('update_kind')}): {get('subject')}"
        case kinds.COMMS_SENT | kinds.COMMS_DRAFTED:
            return f"to {get('audience')} ({get('update_kind')}): {get('text')}"
        case kinds.INCIDENT_SEVERITY:
            return f"{get('severity')}: {get('reasoning')}"
        case kinds.INCIDENT_STATUS:
            moved = f"{get('previous')} → {get('status')}" if body.get("previous") else get("status")
            return moved + (f": {get('text')}" if body.get("text") else "")
        case kinds.MICROSOFT_ISSUE:
            return describe_issue_entry(body)
        case kinds.MICROSOFT_REPORT:
            return f"Microsoft's post-incident report for {get('issue')} kept (sha256 {get('sha256')[:16]}…)"
        case kinds.TASK_TICKED:
            by = given if isinstance(given := body.get("by"), dict) else {}
            link = f" (entry #{by['entry']})" if by.get("entry") else ""
            return f"{get('task_id')} done: {by.get('what', '')}{link}"
        case kinds.INCIDENT_ROLE:
            if body.get("previous"):       # handed over: from whom
                return f"{get('role')}: {get('previous')} → {get('person') or 'nobody'}"
            return f"{get('role')} → {get('person') or 'nobody'}"
        case kinds.TASK_ADDED:
            return f"{get('task_id')} {get('text')}"
        case kinds.TASK_UPDATED:
            return f"{get('task_id')} → {get('status') or get('owner') or 'updated'}"
        case kinds.OBSERVATION:
            return f"{get('source')} {get('key')} changed"
        case kinds.EVIDENCE:
            return f"preserved {get('what')} of {get('target')}"
        case kinds.HUNT:
            name = get("saved") or "ad hoc query"
            return f"hunt {name}: " + (f"failed ({get('error')})" if body.get("error") else f"{get('rows')} row(s)")
        case kinds.REVIEW:
            return f"{get('item')}: {get('text')}"
        case kinds.FOLLOW_UP:
            return f"{get('text')} (owner {get('owner') or '—'}, due {get('due') or '—'})"
        case kinds.INCIDENT_UPDATED:
            changes = given if isinstance(given := body.get("changes"), dict) else {}
            return "; ".join(f"{key}: {value}" for key, value in changes.items()) or entry.kind
        case kinds.INCIDENT_LINKED:
            return f"{get('type')} {get('id')}" + (f": {get('title')}" if body.get("title") else "")
        case kinds.DECISION:
            return get("text") + (f" because {get('reason')}" if body.get("reason") else "")
    return entry.text


def knowledge_window(journal: JournalReader, start: str, end: str, incident: str | None = None) -> list[Entry]:
    """Observations bearing on a time window: what was known at its start (with the observations each object is
    rebuilt from), and every change up to its end."""
    baseline = journal.knowledge_at(start).chains
    during = journal._entries(
        f"SELECT {_COLUMNS} FROM entries WHERE kind = ? AND ((occurred_at > ? AND occurred_at <= ?) OR incident = ?)"
        " ORDER BY seq",
        [kinds.OBSERVATION, start, end, incident],
    )
    unique = {entry.seq: entry for entry in [*baseline, *during]}
    return [unique[seq] for seq in sorted(unique)]
