"""What a journal holds, whatever it is stored in: drafts, entries, guards, and the chain rules over them.

Both backends (SQLite on one host, PostgreSQL shared between hosts) seal drafts into entries with
`seal()` and check a stored chain with `ChainCheck`, so an entry hashes the same byte for byte in either,
and a journal copied from one to the other still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, overload

from ..text import holds_lone_surrogate, writable_data
from ..timefmt import from_iso, in_range, stored_time, to_iso
from .encoding import (
    GENESIS,
    canonical_entry,
    canonical_json,
    encode_basestring,
    genesis_for,
    header_after_seq,
)
from .errors import JournalCorrupt, JournalError
from .guard import refuse_secrets, texts_are_secret_free
from .kinds import OBSERVATION

COLUMNS = ("seq", "incident", "kind", "actor", "occurred_at", "discovered_at", "logged_at", "origin", "body",
           "prev_hash", "hash")


class Renumbered(NamedTuple):
    """An entry shown with a provisional number during a shared journal's outage, and the number it got."""

    provisional: int
    seq: int
    text: str


def say_renumbered(done: list[Renumbered], shown: int = 20) -> str:
    """`2 entries kept in this host's spool are shared now: provisional 14 is entry 17, …`"""
    pairs = ", ".join(f"provisional {item.provisional} is entry {item.seq}" for item in done[:shown])
    more = f", and {len(done) - shown} more" if len(done) > shown else ""
    return (f"{len(done)} {'entry' if len(done) == 1 else 'entries'} kept in this host's spool "
            f"{'is' if len(done) == 1 else 'are'} shared now: {pairs}{more}")


@dataclass(frozen=True, slots=True)
class Draft:
    """An entry not yet written: what the caller decides. The journal adds seq, logged_at and the hashes."""

    kind: str
    body: dict[str, Any]
    incident: str | None = None
    actor: str | None = None
    occurred_at: datetime | None = None
    discovered_at: datetime | None = None
    origin: str | None = None  # the entry's hash in the journal it was first written to (imports only)
    # `canonical_json(body)` when the caller has it without encoding the body again (an observation spliced from
    # the object's text, console/observations.py `observation_text`): taken as is, so it must be exactly that.
    body_text: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    incident: str | None
    kind: str
    actor: str
    occurred_at: str
    discovered_at: str
    logged_at: str
    origin: str | None
    body_text: str
    prev_hash: str
    hash: str
    _body: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def body(self) -> dict[str, Any]:
        """The parsed body, parsed once: timelines render the same entry many times."""
        if self._body is None:
            object.__setattr__(self, "_body", json.loads(self.body_text))
        return self._body  # type: ignore[return-value]

    @property
    def occurred(self) -> datetime:
        """When it happened, for projections: never raises, always inside the journal's range (timefmt)."""
        return stored_time(self.occurred_at, self.logged_at)

    @property
    def text(self) -> str:
        """The human line of an entry, for timelines: its `text`, `title` or `summary`, else its kind."""
        body = self.body
        for key in ("text", "title", "summary"):
            if isinstance(body.get(key), str):
                return body[key]
        return self.kind

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        return cls(*row)

    def row(self) -> tuple[Any, ...]:
        """The stored fields in column order (COLUMNS): what a copy to another backend inserts."""
        return (self.seq, self.incident, self.kind, self.actor, self.occurred_at, self.discovered_at,
                self.logged_at, self.origin, self.body_text, self.prev_hash, self.hash)

    def as_draft(self) -> Draft:
        """This entry to be appended elsewhere as an import: its times, actor and body kept, `origin` set."""
        return Draft(self.kind, self.body, self.incident, self.actor, from_iso(self.occurred_at),
                     from_iso(self.discovered_at), self.origin or self.hash)

    def to_record(self) -> dict[str, Any]:
        """Every stored field, for export: enough to re-verify the chain elsewhere."""
        return {
            "seq": self.seq,
            "incident": self.incident,
            "kind": self.kind,
            "actor": self.actor,
            "occurred_at": self.occurred_at,
            "discovered_at": self.discovered_at,
            "logged_at": self.logged_at,
            "origin": self.origin,
            "body": self.body,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Unclaimed:
    """A guard checked inside the write transaction: no entry of `kind` for `incident` (with this task id) yet.

    How a new incident or task id is claimed exactly once when several consoles write at the same moment;
    each backend turns it into its own query, so the same guard works on SQLite and PostgreSQL.
    """

    incident: str
    kind: str
    task_id: str | None = None
    message: str = "the id was just taken by another console"
    field: str = "task_id"      # the body field `task_id` is compared with (a claim key for other kinds)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    reason: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class JournalStats:
    path: str
    entries: int
    incidents: int
    size_bytes: int
    first_at: str | None
    last_at: str | None
    journal_id: str
    schema_version: int


class Written(Sequence[Entry]):
    """The entries an append wrote, each made from its row when first read: a page of observations is journaled
    and never read back (~1.5 µs an entry less on the event loop)."""

    __slots__ = ("_entries", "_rows")

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows = rows
        self._entries: list[Entry] | None = None

    def _made(self) -> list[Entry]:
        if self._entries is None:
            self._entries = [Entry.from_row(row) for row in self._rows]
        return self._entries

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return self._made()[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._made())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    def __repr__(self) -> str:
        return repr(self._made())


class Prepared(NamedTuple):
    """A draft checked and encoded (its body canonical JSON), ready to be numbered and chained under the lock."""

    incident: str | None
    kind: str
    actor: str
    occurred_at: datetime | None
    discovered_at: datetime | None
    origin: str | None
    body_text: str


def prepare(draft: Draft, default_actor: str) -> Prepared:
    """Check and encode a draft before any lock is taken: refuse secrets, canonical body.

    Graph text an entry quotes (an alert's title, a user's name, evidence) may hold a lone surrogate, which no UTF-8
    text can: it is journaled as its escape, as the screen shows it (`\\udc00`), so a responder's action never fails
    on it. An observation is Graph's object as Graph wrote it or nothing: refused here, before any lock or connection
    is taken, for the watcher to journal it withheld."""
    return prepare_many([draft], default_actor)[0]


def prepare_many(drafts: list[Draft], default_actor: str) -> list[Prepared]:
    """`prepare` each draft. What drafts share is checked once (a page of observations has one kind, actor and
    moment), and the texts their callers encoded are scanned for secrets together: only when that finds one is each
    body looked at alone."""
    given = [draft.body_text for draft in drafts if draft.body_text is not None]
    passed = bool(given) and texts_are_secret_free(given)
    checked: tuple[Any, ...] | None = None
    prepared: list[Prepared] = []
    for draft in drafts:
        actor = draft.actor or default_actor
        fields = (draft.kind, actor, draft.incident, draft.origin, draft.occurred_at, draft.discovered_at)
        if fields != checked:
            _check_fields(*fields)
            checked = fields
        if not isinstance(draft.body, dict):
            raise JournalError("an entry's body is a JSON object")
        body_text = draft.body_text
        try:
            if body_text is None:
                body_text = canonical_json(draft.body)
                refuse_secrets(draft.body, text=body_text)     # as given: an escape in place of a surrogate hides none
                if holds_lone_surrogate(body_text):
                    if draft.kind == OBSERVATION:
                        raise ValueError("a lone surrogate (an observation holds Graph's text as written, never an "
                                         "escape)")
                    body_text = canonical_json(writable_data(draft.body))
            elif not passed:
                refuse_secrets(draft.body, text=body_text)
        except RecursionError:
            raise JournalError("entry body is nested too deeply to journal") from None
        except (TypeError, ValueError) as error:
            raise JournalError(f"entry body is not plain JSON: {error}") from None
        prepared.append(Prepared(draft.incident, draft.kind, actor, draft.occurred_at, draft.discovered_at,
                                 draft.origin, body_text))
    return prepared


def _check_fields(kind: Any, actor: Any, incident: Any, origin: Any, occurred_at: Any, discovered_at: Any) -> None:
    if not kind or not isinstance(kind, str):
        raise JournalError("an entry needs a kind")
    # PostgreSQL's text cannot hold NUL: refused here, in every backend, so such an entry never reaches a shared
    # journal's spool, where it would wait forever and hold back the entries behind it. (A body may: JSON escapes it.)
    for name, value in (("kind", kind), ("actor", actor), ("incident", incident), ("origin", origin)):
        if value is not None and (not isinstance(value, str) or "\x00" in value):
            raise JournalError(f"an entry's {name} must be text without NUL characters")
    for name, moment in (("occurred_at", occurred_at), ("discovered_at", discovered_at)):
        if moment is None:
            continue
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise JournalError(f"an entry's {name} must be a moment with its zone (the journal holds UTC)")
        try:
            in_range(moment, f"an entry's {name}")
        except ValueError as error:
            raise JournalError(str(error)) from None


def seal(prepared: Iterable[Prepared], seq: int, prev: str, now: datetime) -> list[tuple[Any, ...]]:
    """Number and chain prepared drafts after the head (seq, prev), all logged at `now`: rows in COLUMNS order.

    Each hash is `chain_hash(prev, canonical_entry(...))`, its text written in one piece: the header after the
    number is written once for the entries that share it (a page of observations: ~2 µs an entry less)."""
    logged = to_iso(now)
    texts = {now: logged}       # a page of observations shares one moment: each moment written once (3 µs a time)
    headers: dict[tuple[Any, ...], str] = {}
    rows: list[tuple[Any, ...]] = []
    sha256 = hashlib.sha256
    prev.encode("ascii")        # a head that is not hex is refused, as chain_hash does: the hashes after it are ours
    for incident, kind, actor, occurred, discovered, origin, body_text in prepared:
        seq += 1
        occurred = occurred or now
        discovered = discovered or occurred
        occurred_at = texts.get(occurred) or texts.setdefault(occurred, to_iso(occurred))
        discovered_at = texts.get(discovered) or texts.setdefault(discovered, to_iso(discovered))
        shared = (incident, kind, actor, occurred_at, discovered_at, origin)
        header = headers.get(shared)
        if header is None:
            header = headers[shared] = header_after_seq(incident, kind, actor, occurred_at, discovered_at, logged,
                                                        origin)
        digest = sha256(f"{prev}\n[{seq}{header}\n{body_text}".encode()).hexdigest()
        rows.append((seq, incident, kind, actor, occurred_at, discovered_at, logged, origin, body_text, prev, digest))
        prev = digest
    return rows


def check_continues(entries: list[Entry], head: tuple[int, str], where: str, journal_id: str = "") -> list[Entry]:
    """The entries of a copy that extend a journal whose head is `head`, each re-hashed; refuse any that do not.

    Entries at or before the head are skipped (another process copied them first); a gap, a broken link or a
    changed entry raises JournalCorrupt: a copy is the same chain or nothing.
    """
    seq, prev = head
    fresh = [entry for entry in entries if entry.seq > seq]
    check = ChainCheck(expected_seq=seq + 1, prev=prev, journal_id=journal_id if seq == 0 else None)
    if not check.feed(entry.row() for entry in fresh):
        result = check.result()
        raise JournalCorrupt(f"{where}: entry {result.bad_seq} does not continue this journal: {result.reason}")
    return fresh


HEAD_SHORT = 16   # the short form of a chain head that screens and messages show


def normalize_head(text: str) -> str:
    """A chain head as given (`--head`, a custody record): the full 64 hex digits or a prefix of at least 16,
    in either case, an ellipsis allowed at the end. Refused with one line when it cannot be a head."""
    head = text.strip().rstrip("…").rstrip(".").lower()
    if not HEAD_SHORT <= len(head) <= 64 or head.strip("0123456789abcdef"):
        raise JournalError(f"{text.strip()[:80]!r} is not a chain head (16 to 64 hexadecimal digits, "
                           "as `warroom journal verify` prints it)")
    return head


class ChainCheck:
    """Walk entries in order, re-hashing each; stop at the first one that does not fit.

    Fed in batches (SQLite's cursor, PostgreSQL's pages alike); `result()` names the first bad entry and why.
    `missing` names protections found removed (append-only triggers): the chain may still hash, but the
    journal is no longer what it claims to be, so the result is not ok. Given `journal_id`, entry 1 must chain
    from that id's genesis (or, in a journal made before ids were bound, from GENESIS: then a warning says the
    id is unproven).
    """

    def __init__(self, *, expect_head: str | None = None, warnings: Iterable[str] = (),
                 expected_seq: int = 1, prev: str = GENESIS, missing: Iterable[str] = (),
                 journal_id: str | None = None) -> None:
        if journal_id is not None and expected_seq == 1:
            prev = genesis_for(journal_id)
        self.journal_id = journal_id
        self.unbound = False
        self.expected_seq, self.prev, self.count = expected_seq, prev, 0
        self.missing = list(missing)
        self.warnings = [*warnings, *(f"append-only trigger {name} is missing: someone removed it"
                                      for name in self.missing)]
        self.expect_head = normalize_head(expect_head) if expect_head else None
        expect_head = self.expect_head
        # A head recorded earlier must appear somewhere in the chain: later entries are fine, a cut tail is not.
        self.head_found = not expect_head or GENESIS.startswith(expect_head) or prev.startswith(expect_head)
        self.failure: VerifyResult | None = None

    def _broken(self, seq: int | None, reason: str) -> bool:
        self.failure = VerifyResult(False, self.count, self.prev, seq, reason, tuple(self.warnings))
        return False

    def feed(self, rows: Iterable[tuple[Any, ...]]) -> bool:
        """Check more rows (COLUMNS order); False once the chain is broken."""
        if self.failure is not None:
            return False
        expected_seq, prev, count, expect_head = self.expected_seq, self.prev, self.count, self.expect_head
        sha256, quote = hashlib.sha256, encode_basestring

        def broken(seq: Any, reason: str) -> bool:
            self.expected_seq, self.prev, self.count = expected_seq, prev, count
            return self._broken(seq, reason)

        try:
            for row in rows:
                seq, incident, kind, actor, occurred, discovered, logged, origin, body_text, prev_hash, digest = row
                if seq != expected_seq:
                    if isinstance(seq, int) and seq > expected_seq:
                        return broken(expected_seq, f"entry {expected_seq} is missing (next is {seq})")
                    # rows come sorted by a unique key, so only a renumbered entry (0, -1...) lands here
                    return broken(seq, f"an entry is numbered {seq}, before entry {expected_seq}")
                if prev_hash != prev:
                    if seq == 1 and self.journal_id is not None:
                        if prev_hash != GENESIS:
                            return broken(seq, f"entry 1 was not begun for journal {self.journal_id}: the journal's "
                                               "id was changed, or entry 1 was replaced")
                        prev, self.unbound = GENESIS, True
                    else:
                        return broken(seq, "previous-hash link broken (an entry was removed, inserted or rewritten)")
                try:
                    if type(body_text) is not str:
                        raise TypeError
                    # chain_hash(prev, canonical_entry(...)) inlined: this loop runs a million times.
                    text = (
                        f"{prev}\n[{seq},{'null' if incident is None else quote(incident)},{quote(kind)},"
                        f"{quote(actor)},{quote(occurred)},{quote(discovered)},{quote(logged)},"
                        f"{'null' if origin is None else quote(origin)}]\n{body_text}"
                    )
                except TypeError:  # a number or a blob where text belongs: the general encoder decides
                    try:
                        text = prev + "\n" + canonical_entry(
                            seq=seq, incident=incident, kind=kind, actor=actor, occurred_at=occurred,
                            discovered_at=discovered, logged_at=logged, origin=origin, body_text=body_text,
                        ).decode("utf-8")
                    except (TypeError, ValueError, AttributeError):
                        return broken(seq, "a stored field has the wrong type")
                if sha256(text.encode("utf-8")).hexdigest() != digest:
                    return broken(seq, "hash mismatch: the entry's content was changed after it was written")
                prev, expected_seq, count = digest, seq + 1, count + 1
                if expect_head and digest.startswith(expect_head):
                    self.head_found = True
        finally:
            if self.failure is None:
                self.expected_seq, self.prev, self.count = expected_seq, prev, count
        return True

    def result(self) -> VerifyResult:
        if self.unbound and not any("its id" in warning for warning in self.warnings):
            self.warnings.append(
                f"this journal was made before warroom bound a journal's id into its chain: nothing in the chain "
                f"proves its id ({self.journal_id}) belongs to these entries")
        if self.failure is not None:
            return self.failure
        if not self.head_found:
            return VerifyResult(
                False, self.count, self.prev, self.count + 1,
                f"the recorded head {(self.expect_head or '')[:16]}… is not in the chain "
                f"(head is now {self.prev[:16]}…): "
                "entries were removed from the end or the journal was replaced", tuple(self.warnings))
        if self.missing:
            return VerifyResult(
                False, self.count, self.prev, None,
                f"append-only trigger {', '.join(self.missing)} removed: UPDATE and DELETE are no longer refused, "
                f"so later changes could go unseen (the {self.count} entries as they stand hash correctly)",
                tuple(self.warnings))
        head = GENESIS if self.count == 0 and self.expected_seq == 1 else self.prev   # empty: as head() says
        return VerifyResult(True, self.count, head, None, "", tuple(self.warnings))
