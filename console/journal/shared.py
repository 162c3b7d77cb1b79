"""The shared journal as one console uses it: PostgreSQL when reachable, never blocked when it is not.

Three stores, one view:
- the shared journal on PostgreSQL (PostgresJournal), the one record every host appends to;
- a local **mirror**: an SQLite file holding exactly the shared entries seen so far (same seq, same hashes),
  so reads are local and fast, and a console restarted during a database outage still shows the incident;
- a local **spool**: an SQLite journal every plain entry is written to first (an outbox). It is uploaded in
  order, each entry with `origin` = its spool hash; the shared journal's unique `origin` index and a check
  under the append lock make an upload exactly once, even after a crash between upload and bookkeeping.

While the database is unreachable, entries stay in the spool and show with provisional numbers after the
mirror's head; once they are uploaded, `epoch` changes and readers rebuild from the real numbering, and
`renumbered` says which provisional number became which. Times and actors are the ones typed during the outage
(`occurred_at`, `actor`); `logged_at` is when the shared journal accepted the entry.

Copy and spool belong to a journal, not to a URL: they live under the journal's id, and a URL only points at the
id it named at the last contact (`current`). So entries kept under one spelling of the URL are uploaded under a
corrected one, and never into another journal that now answers at the old URL. A URL that has never answered
names no journal: nothing is spooled for it (see `SharedJournal.open`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import unquote, urlsplit

from ..timefmt import ago, from_iso, to_iso, utc_now
from .base import Journal
from .errors import (
    JournalConflict,
    JournalCorrupt,
    JournalError,
    JournalMisconfigured,
    JournalReadOnly,
    JournalUnreachable,
)
from .postgres import PostgresJournal, redact
from .records import Draft, Entry, JournalStats, Renumbered, Unclaimed, VerifyResult
from .store import SQLiteJournal

ROUND_TRIP_S = 3.0          # one request to the database gets this long to answer before it counts as unreachable
RETRY_S = (1.0, 2.0, 5.0)   # reconnect attempts: then every 5 s
LOCAL_CHECK_S = 0.5         # the spool and the mirror are polled locally (another process on this host)
SHARED_CHECK_S = 5.0        # a slow re-read of the shared head, in case a notification was lost
PULL_BATCH = 5000
UPLOAD_BATCH = 500           # small enough to be one round trip well inside ROUND_TRIP_S
UPLOADED_MARK = "uploaded_through"
PROVISIONAL = "provisional"  # spool meta: {spool seq: the provisional number handed out for it}
SYNCED_AT = "synced_at"      # copy meta: when this host last read the shared journal's head
SYNCED_EVERY_S = 30.0        # ... written at most this often while following
CURRENT = "current"          # in a URL's folder: the id of the journal that URL named at the last contact
COPY, SPOOL = "copy.db", "spool.db"

T = TypeVar("T")


def _base(base: str | os.PathLike[str] | None) -> Path:
    if base is None:
        import platformdirs

        base = Path(platformdirs.user_data_dir("warroom")) / "shared"
    return Path(base).expanduser()


def url_folder(url: str, base: str | os.PathLike[str] | None = None) -> Path:
    """Where this host remembers which journal a URL named: one folder per database, whatever the spelling.

    Spellings of one database share it (`postgres://` or `postgresql://`, the default port or not, parameters
    in any order, a password or none).
    """
    key = hashlib.sha256(_canonical_url(url).encode()).hexdigest()[:16]
    return _base(base) / key


def journal_folder(journal_id: str, base: str | os.PathLike[str] | None = None) -> Path:
    """This host's copy and spool of one shared journal, found by its id whatever URL reached it."""
    if not journal_id or any(ch in journal_id for ch in "/\\\0") or journal_id.startswith("."):
        raise JournalCorrupt(f"the shared journal's id {journal_id!r} cannot name a folder")
    return _base(base) / f"journal-{journal_id}"


def known_journal(url: str, base: str | os.PathLike[str] | None = None) -> str | None:
    """The id of the journal this URL named when this host last reached it; None if it never did."""
    return known_journal_in(url_folder(url, base))


def _canonical_url(url: str) -> str:
    parts = urlsplit(url)
    user = unquote(parts.username or "")
    host = (parts.hostname or "localhost").lower()
    database = unquote(parts.path.lstrip("/")) or user
    params = sorted(item for item in parts.query.split("&")
                    if item and not item.lower().startswith(("password=", "sslpassword=")))
    return f"postgresql://{user}@{host}:{parts.port or 5432}/{database}?{'&'.join(params)}"


def local_copy(url: str, base: str | os.PathLike[str] | None = None) -> Path:
    """The file holding this host's copy of the shared journal the URL names now (for offline review)."""
    _adopt_legacy(url_folder(url, base), base)
    journal_id = known_journal(url, base)
    if journal_id is None:
        raise JournalError(f"{redact(url)}: this host has never reached this shared journal, so it has no copy "
                           "of it: read it with `warroom journal copy URL FILE` once the database answers")
    return journal_folder(journal_id, base) / COPY


class CopyAge(NamedTuple):
    """How current this host's copy is: what review, report and export say before reading it."""

    location: str                   # the shared journal's URL, without its password
    path: Path
    synced_at: datetime | None      # when this host last read the shared journal's head
    entries: int
    waiting: int                    # this host's entries still in the spool (not in the copy)
    unreached: str = ""             # why it could not be brought up to date just now ("" when it was)

    def since(self, now: datetime | None = None) -> str:
        if self.synced_at is None:
            return "never confirmed up to date"
        age = ((now or utc_now()) - self.synced_at).total_seconds()
        return f"up to date as of {to_iso(self.synced_at)[:16].replace('T', ' ')} UTC ({ago(age)} ago)"

    def notice(self, now: datetime | None = None) -> str:
        """One line for stderr: whose copy is read, how old it may be, and how to read the journal itself."""
        one = self.waiting == 1
        waiting = (f"; {self.waiting} {'entry' if one else 'entries'} typed on this host still "
                   f"{'waits' if one else 'wait'} in its spool, not in it either") if self.waiting else ""
        if not self.unreached:
            return (f"reading this host's copy of {self.location} ({self.path}), brought up to date just now: "
                    f"{self.entries} entries{waiting}")
        return (f"reading this host's copy of {self.location} ({self.path}), not the database ({self.unreached}): "
                f"{self.entries} entries, {self.since(now)}; anything written since is not in it{waiting}")


async def refreshed_copy(url: str, base: str | os.PathLike[str] | None = None, *, actor: str = "unknown") -> CopyAge:
    """This host's copy, brought up to date first when the database answers (this host's spool uploaded too).

    Offline review, report and export read the copy; when the database cannot be reached (or is misconfigured),
    the copy as it is, with how far behind it may be.
    """
    unreached = ""
    try:
        async with await SharedJournal.open(url, actor=actor, spool_dir=base) as journal:
            if not journal.connected:
                unreached = journal.setup_error or journal.unreachable_reason or "unreachable"
    except JournalError as error:      # misconfigured, or never reached (then there is no copy either)
        unreached = str(error)
    return (await copy_age(url, base))._replace(unreached=unreached.removeprefix(f"{redact(url)}: "))


async def copy_age(url: str, base: str | os.PathLike[str] | None = None) -> CopyAge:
    """What review, report and export read for a shared journal, and how far behind the database it may be."""
    path = local_copy(url, base)
    async with await SQLiteJournal.open(path, readonly=True) as copy:
        synced, entries = await copy.get_meta(SYNCED_AT), (await copy.head())[0]
    waiting = 0
    spool = path.with_name(SPOOL)
    if spool.exists():
        async with await SQLiteJournal.open(spool, readonly=True) as queued:
            waiting = max(0, (await queued.head())[0] - int(await queued.get_meta(UPLOADED_MARK) or 0))
    return CopyAge(redact(url), path, from_iso(synced) if synced else None, entries, waiting)


def _adopt_legacy(folder: Path, base: str | os.PathLike[str] | None) -> None:
    """Copies and a spool kept in a URL's folder (`mirror-<id>.db`, `spool.db`) move under their journal's id.

    The spool goes to the journal `current` names: the one it was being uploaded to.
    """
    if not folder.is_dir():
        return
    moves = [(old, journal_folder(old.name[len("mirror-"):-len(".db")], base) / COPY)
             for old in folder.glob("mirror-*.db") if old.name != "mirror-unknown.db"]
    current = known_journal_in(folder)
    if current and (folder / SPOOL).exists():
        moves.append((folder / SPOOL, journal_folder(current, base) / SPOOL))
    for old, new in moves:
        if new.exists():
            continue
        new.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for suffix in ("-wal", "-shm", ""):        # the database file last: a reader never sees it without its WAL
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{old}{suffix}", f"{new}{suffix}")


def known_journal_in(folder: Path) -> str | None:
    try:
        return (folder / CURRENT).read_text().strip() or None
    except OSError:
        return None


class SharedJournal(Journal):
    def __init__(self, url: str, *, actor: str, readonly: bool, mirror: SQLiteJournal, spool: SQLiteJournal,
                 base: str | os.PathLike[str] | None = None) -> None:
        self.url = url
        self.actor = actor
        self.readonly = readonly
        self.mirror = mirror
        self.spool = spool
        self.base = base
        self.shared: PostgresJournal | None = None
        self.journal_id = mirror.journal_id
        self.unreachable_since: datetime | None = None
        self.unreachable_reason = ""
        self.setup_error = ""               # reachable, but not usable as configured (TLS, sign-in, grants)
        self.pending = 0
        self.epoch = 0
        self.upload_error = ""              # the database answers but refuses our entries (a role, a standby)
        self.renumbered: list[Renumbered] = []   # provisional numbers that became shared ones: callers say so
        self._exposed: tuple[int, int] | None = None   # (local head, upload mark) when provisional numbers went out
        self._synced_written = 0.0
        self._sync_lock = asyncio.Lock()
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    @classmethod
    async def open(cls, url: str, *, actor: str = "unknown", readonly: bool = False,
                   spool_dir: str | os.PathLike[str] | None = None, **_: Any) -> SharedJournal:
        """Reach the database, or work from this host's copy and spool of the journal the URL named last time.

        A wrong URL is not an outage: TLS, sign-in, host name, database, schema and grant errors raise
        JournalMisconfigured and nothing is written. An outage at a URL this host has never reached raises
        JournalUnreachable: with no journal id known there is nowhere to keep entries that the corrected URL
        would find, so refusing is the only way not to strand them. Nothing here creates the schema.
        """
        await asyncio.to_thread(_adopt_legacy, url_folder(url, spool_dir), spool_dir)
        outage: JournalUnreachable | None = None
        shared: PostgresJournal | None = None
        try:
            shared = await PostgresJournal.open(url, actor=actor, readonly=readonly, create=False)
            journal_id = shared.journal_id
        except JournalUnreachable as error:
            outage, journal_id = error, known_journal(url, spool_dir) or ""
            if not journal_id:
                raise JournalUnreachable(
                    f"{error}; this host has never reached this journal, so it cannot keep entries for it: "
                    "nothing was written (check the URL; if it is right, try again once the database answers)"
                ) from None
        try:
            mirror, spool = await _open_local(journal_id, spool_dir, actor)
        except BaseException:
            if shared is not None:
                await shared.close()
            raise
        journal = cls(url, actor=actor, readonly=readonly, mirror=mirror, spool=spool, base=spool_dir)
        try:
            await journal._count_pending()
            if shared is None:
                journal._lost(outage or JournalUnreachable(f"{journal.location}: shared journal unreachable"))
            else:
                try:
                    await journal._attach(shared)
                except JournalUnreachable as error:
                    journal._lost(error)
        except BaseException:
            await journal.close()
            raise
        return journal

    @property
    def location(self) -> str:
        return redact(self.url)

    @property
    def connected(self) -> bool:
        return self.shared is not None

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self.shared is not None:
            await self.shared.close()
            self.shared = None
        await self.mirror.close()
        await self.spool.close()

    # -- connection ---------------------------------------------------------------------------------

    async def _connect(self) -> None:
        await self._attach(await PostgresJournal.open(self.url, actor=self.actor, readonly=self.readonly,
                                                      create=False))

    async def _attach(self, shared: PostgresJournal) -> None:
        try:
            await self._use_journal(shared.journal_id)
            await self._check_mirror(shared)
            self.shared = shared
            self.readonly = self.readonly or shared.readonly
            await self._sync()
        except BaseException:
            if self.shared is shared:
                self.shared = None
                # It answered (and said it was back) but the rest failed: out of reach again, from now.
                self.unreachable_since = self.unreachable_since or utc_now()
            await shared.close()
            raise
        self._changed.set()

    def _answered(self, shared: PostgresJournal) -> None:
        """The database answered a round trip: reachable, whichever sync asked (the reconnect, the follower).

        Said at once, not when the whole reconnect is done: copying down and settling provisional numbers may
        take a while, and "entries shared now" must never be said while the status bar says "unreachable".
        """
        if self.shared is not shared:       # lost again meanwhile
            return
        back = self.unreachable_since is not None or bool(self.setup_error)
        self.unreachable_since, self.unreachable_reason, self.setup_error = None, "", ""
        if back:
            self._changed.set()             # the follower wakes, and the status bar says so now

    async def _use_journal(self, journal_id: str) -> None:
        """Work on this journal's copy and spool; the URL now points at it.

        A new database behind the same URL (a new journal id) gets its own copy and spool; the old ones stay
        as they were, the old spool's entries for the journal they were typed for.
        """
        if journal_id != self.journal_id:
            had_entries = (await self.mirror.head())[0] > 0 or self.pending > 0
            mirror, spool = await _open_local(journal_id, self.base, self.actor)
            old = (self.mirror, self.spool)
            self.mirror, self.spool, self.journal_id = mirror, spool, journal_id
            for store in old:
                await store.close()
            await self._count_pending()
            if had_entries:
                self.epoch += 1
        await asyncio.to_thread(_point_at, url_folder(self.url, self.base), journal_id)

    async def _check_mirror(self, shared: PostgresJournal) -> None:
        """The shared journal must still hold what this host saw; a restore from an older backup would not. A round
        trip like any other: a database that takes the sign-in but never answers this is unreachable, not a hang."""
        seq, digest = await self.mirror.head()
        if seq == 0:
            return
        there = await self._timed(shared, shared.entry(seq))
        if there is None or there.hash != digest:
            raise JournalCorrupt(
                f"{self.location} no longer holds entry {seq} as this host saw it (restored from an older backup, "
                f"or replaced?); this host's copy is kept in {self.mirror.path}")

    def _lost(self, error: BaseException) -> None:
        """The database went away: say since when and why, and keep trying in the background."""
        if self.unreachable_since is None:
            self.unreachable_since = utc_now()
        self.unreachable_reason = str(error)
        shared, self.shared = self.shared, None
        if shared is not None:
            self._spawn(shared.close())
        if not self._closed and not any(t.get_name() == "reconnect" for t in self._tasks):
            self._spawn(self._reconnect(), name="reconnect")
        self._changed.set()

    def _spawn(self, coroutine: Any, name: str = "") -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._closed and self.shared is None:
            await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
            attempt += 1
            try:
                await self._connect()
            except JournalUnreachable as error:
                self.unreachable_reason, self.setup_error = str(error), ""
            except JournalMisconfigured as error:    # a certificate, a password or a grant changed: say which
                self.unreachable_reason = self.setup_error = str(error)
            except Exception as error:   # reachable but refusing (a replaced journal): say so, retry
                self.unreachable_reason = str(error)
            self._changed.set()

    # -- moving entries: spool up, shared down -------------------------------------------------------

    async def _count_pending(self) -> int:
        mark = int(await self.spool.get_meta(UPLOADED_MARK) or 0)
        self.pending = max(0, (await self.spool.head())[0] - mark)
        return self.pending

    async def _sync(self) -> None:
        """Upload the spool (in order, exactly once), then pull what is new into the local copy.

        Each round trip to the database has ROUND_TRIP_S to answer; waiting for our own lock, or a long pull
        that keeps answering, is not an outage. The lock is taken per batch, so an append never waits behind
        more than one batch of someone else's backlog.
        """
        try:
            await self._upload()
            self.upload_error = ""
        except JournalUnreachable:
            raise
        except JournalError as error:   # answered, but refused: keep the spool, keep pulling, say why
            self.upload_error = str(error)
        while await self._pull_batch():
            pass
        await self._settle_provisional()
        if time.monotonic() - self._synced_written >= SYNCED_EVERY_S or not self._synced_written:
            self._synced_written = time.monotonic()
            await self.mirror.set_meta(SYNCED_AT, to_iso(utc_now()))
        if self._exposed is not None and not self._showing_provisional:
            self._exposed = None
            self.epoch += 1

    async def _upload(self) -> None:
        async with self._sync_lock:
            shared = self._direct()
            mark = int(await self.spool.get_meta(UPLOADED_MARK) or 0)
            while batch := await self.spool.entries(after=mark, limit=UPLOAD_BATCH):
                await self._timed(shared, shared.append_many([e.as_draft() for e in batch], skip_known_origins=True))
                mark = batch[-1].seq
                await self.spool.raise_mark(UPLOADED_MARK, mark)
            await self._count_pending()

    async def _settle_provisional(self) -> None:
        """Entries shown with provisional numbers that are shared now: note which number each got (`renumbered`).

        Under the sync lock: the reconnect's sync and the follower's may both get here, and each entry is said once.
        """
        async with self._sync_lock:
            handed: dict[str, int] = json.loads(await self.spool.get_meta(PROVISIONAL) or "{}")
            mark = int(await self.spool.get_meta(UPLOADED_MARK) or 0)
            done = sorted(int(key) for key in handed if int(key) <= mark)
            if not done:
                return
            spooled = [e for e in await self.spool.entries(after=done[0] - 1, limit=done[-1] - done[0] + 1)
                       if str(e.seq) in handed]
            shared = {e.origin: e for e in await self.mirror.by_origin([e.hash for e in spooled])}
            settled = [e for e in spooled if e.hash in shared]
            self.renumbered += [Renumbered(handed[str(e.seq)], shared[e.hash].seq, e.text) for e in settled]
            for entry in settled:
                del handed[str(entry.seq)]
            await self.spool.set_meta(PROVISIONAL, json.dumps(handed))

    async def _pull_batch(self) -> bool:
        """Copy the next batch of shared entries into the local copy; True when there may be more."""
        async with self._sync_lock:
            shared = self._direct()
            head = (await self.mirror.head())[0]
            fresh = await self._timed(shared, shared.entries(after=head, limit=PULL_BATCH))
            if fresh:
                await self.mirror.append_copies(fresh)
            return len(fresh) == PULL_BATCH

    async def _timed(self, shared: PostgresJournal, request: Awaitable[T]) -> T:
        """One round trip to `shared`; an answer says it is reachable (`_answered`), none in time says it is not."""
        try:
            answer = await asyncio.wait_for(request, timeout=ROUND_TRIP_S)
        except TimeoutError:
            raise JournalUnreachable(
                f"{self.location}: shared journal unreachable (no answer in {ROUND_TRIP_S:g} s)") from None
        self._answered(shared)
        return answer

    async def _sync_or_lose(self) -> bool:
        try:
            await self._sync()
        except JournalUnreachable as error:
            self._lost(error)
            return False
        return True

    # -- writing --------------------------------------------------------------------------------

    async def append_many(self, drafts: Iterable[Draft], *, guard: Unclaimed | None = None,
                          after: asyncio.Future[Any] | None = None) -> Sequence[Entry]:
        """Online: spooled, uploaded, and returned as the shared journal numbered them. Offline: spooled only.

        A guarded append (claiming a new incident or task id) goes straight to the database, where the claim
        is checked under the append lock; during an outage the claim is checked against what this host knows.
        """
        if self.readonly:
            raise JournalReadOnly(f"{self.location}: opened read-only (or this role may not INSERT); "
                                  "nothing was written")
        drafts = list(drafts)
        if not drafts:
            return []
        if guard is not None:
            # A one-time origin per claim: if the answer to a committed claim is lost, the spooled retry below
            # carries the same origin, and the upload finds it already there instead of declaring twice.
            drafts = [d if d.origin else replace(d, origin=uuid.uuid4().hex + uuid.uuid4().hex) for d in drafts]
        if guard is not None and after is not None:
            await asyncio.wait([after])
        if guard is not None and self.shared is not None:
            try:
                entries = await self._timed(self.shared,
                                            self.shared.append_many(drafts, guard=guard, skip_known_origins=True))
            except JournalUnreachable as error:
                self._lost(error)
            except JournalConflict:
                await self._sync_or_lose()   # the claim that won: the caller reads it and moves on
                raise
            else:
                await self._sync_or_lose()
                return entries
        if guard is not None and await self._claimed_here(guard):
            raise JournalConflict(guard.message)
        spooled = await self.spool.append_many(drafts, after=None if guard is not None else after)
        # From here on the entries are safe on this host: whatever the database says, the caller hears success.
        self.pending += len(spooled)
        if self.shared is not None:
            await self._sync_or_lose()
        return await self._as_shared(spooled)

    async def _as_shared(self, spooled: Sequence[Entry]) -> list[Entry]:
        """These spool entries as this host shows them: shared ones by their shared number, the rest provisional.

        A provisional number handed out is remembered in the spool, so that whichever process uploads the entry
        can say which shared number it became.
        """
        keys = [entry.origin or entry.hash for entry in spooled]
        shared = {entry.origin: entry for entry in await self.mirror.by_origin(keys)}
        waiting = {entry.hash: entry for entry in await self._provisional()}
        shown = [shared.get(key) or waiting.get(entry.hash) or entry for key, entry in zip(keys, spooled, strict=True)]
        handed = {str(entry.seq): waiting[entry.hash].seq for entry in spooled
                  if entry.hash in waiting and (entry.origin or entry.hash) not in shared}
        if handed:
            async with self._sync_lock:     # not between a settle's read and its write
                known = json.loads(await self.spool.get_meta(PROVISIONAL) or "{}")
                await self.spool.set_meta(PROVISIONAL, json.dumps({**known, **handed}))
        return shown

    async def _claimed_here(self, guard: Unclaimed) -> bool:
        for store in (self.mirror, self.spool):
            for entry in await store.entries(incident=guard.incident, kinds=[guard.kind]):
                if guard.task_id is None or entry.body.get(guard.field) == guard.task_id:
                    return True
        return False

    @property
    def _showing_provisional(self) -> bool:
        """Spooled entries are shown while they cannot be shared: offline, or refused by the database."""
        return bool(self.pending) and (self.shared is None or bool(self.upload_error))

    async def _provisional(self) -> list[Entry]:
        """Spooled entries not yet shared, numbered after the local copy's head: how this host sees them meanwhile.

        Another process on this host (a `warroom note`) may upload the spool or extend the local copy while this
        one is offline; the numbers handed out before then no longer hold, so readers are told to rebuild.
        """
        mark = int(await self.spool.get_meta(UPLOADED_MARK) or 0)
        head = (await self.mirror.head())[0]
        if self._exposed is not None and self._exposed != (head, mark):
            self.epoch += 1
            self._exposed = None
        pending = await self.spool.entries(after=mark)
        self.pending = len(pending)
        if not pending:
            return []
        self._exposed = (head, mark)
        return [replace(entry, seq=head + index) for index, entry in enumerate(pending, start=1)]

    async def append_copies(self, entries: list[Entry]) -> int:
        return await self._direct().append_copies(entries)

    async def adopt_identity(self, journal_id: str) -> None:
        await self._direct().adopt_identity(journal_id)

    def _direct(self) -> PostgresJournal:
        if self.shared is None:
            raise JournalUnreachable(f"{self.location}: shared journal unreachable since {self.unreachable_since}")
        return self.shared

    # -- reading: the mirror, then this host's entries not shared yet --------------------------------------

    async def entries(self, *, after: int = 0, limit: int | None = None, incident: str | None = None,
                      kinds: Iterable[str] | None = None, skip_kinds: Iterable[str] | None = None) -> list[Entry]:
        kinds, skipped = list(kinds or []), list(skip_kinds or [])
        rows = await self.mirror.entries(after=after, limit=limit, incident=incident, kinds=kinds, skip_kinds=skipped)
        if self._showing_provisional and (limit is None or len(rows) < limit):
            extra = [e for e in await self._provisional() if e.seq > after and (incident is None or
                     e.incident == incident) and (not kinds or e.kind in kinds) and e.kind not in skipped]
            rows += extra if limit is None else extra[: limit - len(rows)]
        return rows

    async def last(self, count: int = 1, *, incident: str | None = None) -> list[Entry]:
        rows = await self.mirror.last(count, incident=incident)
        if self._showing_provisional:
            rows += [e for e in await self._provisional() if incident is None or e.incident == incident]
        return rows[-count:] if count else []

    async def known(self, keys: list[str]) -> set[str]:
        return await self.mirror.known(keys) | await self.spool.known(keys)

    async def holding(self, keys: list[str]) -> dict[str, Entry]:
        return {**await self.spool.holding(keys), **await self.mirror.holding(keys)}

    async def search(self, query: str, *, limit: int = 200) -> list[Entry]:
        return await self.mirror.search(query, limit=limit)

    async def head(self) -> tuple[int, str]:
        if self._showing_provisional:
            provisional = await self._provisional()
            if provisional:
                return provisional[-1].seq, provisional[-1].hash
        return await self.mirror.head()

    async def stats(self) -> JournalStats:
        if self.shared is not None:
            try:
                return await self.shared.stats()
            except JournalUnreachable as error:
                self._lost(error)
        stats = await self.mirror.stats()
        return replace(stats, path=f"{self.location} (local copy: {stats.path})")

    async def verify(self, *, expect_head: str | None = None) -> VerifyResult:
        if self.shared is not None:
            return await self.shared.verify(expect_head=expect_head)
        result = await self.mirror.verify(expect_head=expect_head)
        return replace(result, warnings=(*result.warnings,
                                         "shared journal unreachable: verified this host's copy of it"))

    async def changes(self) -> AsyncIterator[None]:
        """Yields when the shared journal has news (NOTIFY), after a reconnect, and when the spool grows here.

        The shared head is re-read every few seconds too, so a notification lost with a connection costs a
        few seconds, never an entry.
        """
        listening: asyncio.Task[None] | None = None
        local = (await self.spool.data_version(), await self.mirror.data_version())
        since_shared = 0.0
        try:
            while True:
                if listening is None and self.shared is not None:
                    listening = asyncio.get_running_loop().create_task(self._listen(self.shared))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=LOCAL_CHECK_S)
                news, since_shared = self._changed.is_set(), since_shared + LOCAL_CHECK_S
                self._changed.clear()
                if listening is not None and (listening.done() or self.shared is None):
                    listening.cancel()
                    listening = None
                now = (await self.spool.data_version(), await self.mirror.data_version())
                if now != local:
                    local, news = now, True
                    await self._count_pending()
                if self.shared is not None and (news or since_shared >= SHARED_CHECK_S):
                    since_shared = 0.0
                    await self._sync_or_lose()
                    news = True
                if news:
                    yield None
        finally:
            if listening is not None:
                listening.cancel()

    async def _listen(self, shared: PostgresJournal) -> None:
        try:
            async for _ in shared.changes(fallback_s=3600):
                self._changed.set()
        except JournalUnreachable as error:
            if self.shared is shared:
                self._lost(error)


async def _open_local(journal_id: str, base: str | os.PathLike[str] | None,
                      actor: str) -> tuple[SQLiteJournal, SQLiteJournal]:
    """This host's copy and spool of one journal (created empty the first time, the copy under the journal's id)."""
    folder = journal_folder(journal_id, base)
    mirror = await SQLiteJournal.open(folder / COPY, actor=actor)
    try:
        if mirror.journal_id != journal_id:
            if (await mirror.head())[0]:
                raise JournalCorrupt(f"{mirror.path}: holds another journal than its folder says")
            await mirror.adopt_identity(journal_id)
        return mirror, await SQLiteJournal.open(folder / SPOOL, actor=actor)
    except BaseException:
        await mirror.close()
        raise


def _point_at(folder: Path, journal_id: str) -> None:
    """Write `current` atomically: a reader sees the old id or the new one, never half of one."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / CURRENT
    if target.exists() and target.read_text().strip() == journal_id:
        return
    temporary = folder / f"{CURRENT}.{os.getpid()}"
    temporary.write_text(journal_id + "\n")
    os.replace(temporary, target)
