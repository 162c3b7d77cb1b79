"""The incident journal on SQLite: append-only, hash-chained, durable, shared safely between processes.

Every write takes SQLite's write lock first (BEGIN IMMEDIATE), reads the chain head inside that
transaction and commits with synchronous=FULL, so two consoles and a `warroom note` in another shell
can append at once and still form one total order and one chain, and a committed entry survives a
crash or a power cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import shutil
import sqlite3
import tempfile
import uuid
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import aiosqlite

from ..files import private_folder
from ..timefmt import to_iso, utc_now
from .base import Journal
from .encoding import GENESIS, genesis_for
from .errors import (
    JournalConflict,
    JournalCorrupt,
    JournalError,
    JournalFull,
    JournalLocked,
    JournalReadOnly,
    JournalTooNew,
)
from .records import (
    COLUMNS,
    ChainCheck,
    Draft,
    Entry,
    JournalStats,
    Prepared,
    Unclaimed,
    VerifyResult,
    Written,
    check_continues,
    prepare_many,
    seal,
)
from .schema import LATEST_VERSION, MIGRATIONS

__all__ = ["Draft", "Entry", "JournalStats", "SQLiteJournal", "VerifyResult", "verify_file"]

SLICE = 100      # entries prepared between the event loop's turns (a transaction may hold many)
BUSY_TIMEOUT_MS = 15_000  # read at each open: tests patch it to fail fast
SQLITE_HEADER = b"SQLite format 3\x00"
_COLUMNS = ", ".join(COLUMNS)
_HEAD = "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
# What the full-text index holds for an entry, as an expression over `entries`: its kind, actor, incident and every
# string in its body (schema version 1 had a trigger index it; the writer does now, one statement per transaction).
INDEX_TEXT = ("entries.kind || ' ' || entries.actor || ' ' || coalesce(entries.incident, '') || ' ' || "
              "coalesce((SELECT group_concat(value, ' ') FROM json_tree(entries.body) WHERE type = 'text'), '')")
_INDEX = f"INSERT INTO entries_fts(rowid, text) SELECT seq, {INDEX_TEXT} FROM entries WHERE seq > ? AND seq <= ?"
# The last entry the index holds (a journal of schema version 2, read as it is, indexed every entry as it wrote it).
INDEXED = ("SELECT coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'indexed'), "
           "(SELECT max(seq) FROM entries), 0)")
# Entries one transaction indexes when the index catches up: ~45 ms of the writer's time.
INDEX_CHUNK = 2500
# At most this many not indexed (a responder's note, a small page): the transaction that wrote them indexes them.
INDEX_AT_ONCE = 250
# The writer idle this long after a burst: the index catches up (a pause, not a gap between two pages).
INDEX_WHEN_IDLE_S = 0.25


T = TypeVar("T")


async def _one(db: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> Any:
    async with db.execute(sql, tuple(params)) as cursor:
        return await cursor.fetchone()


async def _all(db: aiosqlite.Connection, sql: str, params: Iterable[Any] = ()) -> list[Any]:
    async with db.execute(sql, tuple(params)) as cursor:
        return list(await cursor.fetchall())


async def _in_thread(db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """`work(connection)` as one call on aiosqlite's thread, the only one that may use its connection.

    aiosqlite runs each of its calls there and hands the result back through the event loop: a transaction of a
    dozen calls waited for a turn of the loop after each (60-80 ms a page while the loop compared the next one).
    `_execute` is how aiosqlite's own methods queue their work; a test fails if a transaction needs the loop.
    """
    return await db._execute(lambda: work(db._conn))


def _transaction(body: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = body(conn)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return result


def _index_behind(conn: sqlite3.Connection, most: int | None = INDEX_CHUNK, *, if_within: int | None = None) -> bool:
    """Inside a write transaction: the entries the full-text index does not hold yet go into it, oldest first, at
    most `most` (None: all), and `indexed` says the last one it holds. `if_within`: only if no more than that many
    are behind (else none). True when some are still behind."""
    indexed = conn.execute(INDEXED).fetchone()[0]
    head = conn.execute("SELECT coalesce(max(seq), 0) FROM entries").fetchone()[0]
    if head <= indexed:
        return False
    if if_within is not None and head - indexed > if_within:
        return True
    last = head if most is None else min(head, indexed + most)
    conn.execute(_INDEX, (indexed, last))
    conn.execute("INSERT INTO meta(key, value) VALUES ('indexed', ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(last),))
    return last < head


# Entries one transaction may hold when writes queued together share it (group commit): two pages of alerts.
GROUP_ENTRIES = 2500


class _BehindFailed(Exception):
    """The write these entries were queued behind did not land: they wait for its caller's retry instead."""


@dataclass(eq=False)
class _Queued:
    """A write waiting for the connection's thread, and how it ended there (`failed` is set in that thread)."""

    body: Callable[[sqlite3.Connection], Any] | None
    future: asyncio.Future[Any] | None       # None once its caller has heard: nothing here keeps the rows
    entries: int
    behind: _Queued | None = None     # lands only if that one landed: a page after the page before it
    failed: bool = False


class _Outcome(NamedTuple):
    """How a queued write ended on the connection's thread: its entries, or why not."""

    queued: _Queued
    result: Any
    error: BaseException | None


def _ended(queued: _Queued, result: Any = None, *, error: BaseException | None = None) -> _Outcome:
    """On the connection's thread: the write is over (the writes queued behind it read `failed` there)."""
    queued.failed, queued.body, queued.behind = error is not None, None, None
    return _Outcome(queued, result, error)


def _settle(outcomes: list[_Outcome]) -> None:
    """On the event loop: each caller hears how its write ended (one that gave up waiting hears nothing)."""
    for queued, result, error in outcomes:
        future, queued.future = queued.future, None
        if future is not None and not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)


# Rows inserted by one statement (a page of 1,000 alerts in four). Each statement lets go of the GIL for its whole
# run: executemany took it back after every row, waiting for it up to the interpreter's switch interval (5 ms) while
# the loop ran Python.
ROWS_PER_INSERT = 250


@functools.lru_cache(maxsize=32)
def _insert_sql(count: int) -> str:
    """OR ROLLBACK: a refused row (a hash already there) ends the whole transaction, as the caller's ROLLBACK would,
    so SQLite keeps no statement journal of the pages a many-row statement changes (~20 % of an insert's CPU)."""
    row = f"({', '.join('?' * len(COLUMNS))})"
    return f"INSERT OR ROLLBACK INTO entries({_COLUMNS}) VALUES {', '.join([row] * count)}"


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    """Insert rows in COLUMNS order, ROWS_PER_INSERT a statement and the rest in statements of powers of two rows.

    SQLite compiles a statement once per size and the connection keeps it (250 rows: ~0.5 MiB): a few sizes, about
    1 MiB in all, where a statement for every size of a batch would each keep its own.
    """
    per = max(1, min(ROWS_PER_INSERT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(COLUMNS)))
    start = 0
    while start < len(rows):
        left = len(rows) - start
        size = per if left >= per else 1 << (left.bit_length() - 1)
        conn.execute(_insert_sql(size), list(itertools.chain.from_iterable(rows[start:start + size])))
        start += size


def _translate(error: sqlite3.Error, path: Path) -> JournalError:
    text = str(error)
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return JournalLocked(
            f"{path}: the journal is locked by another process (waited {BUSY_TIMEOUT_MS / 1000:g} s); "
            "another warroom or a `sqlite3` shell holds a write transaction"
        )
    if "disk is full" in lowered or "database or disk is full" in lowered:
        return JournalFull(f"{path}: the disk is full; nothing was written, free space and try again")
    if "readonly" in lowered or "read-only" in lowered or "attempt to write a readonly" in lowered:
        return JournalReadOnly(f"{path}: the journal or its folder is read-only; nothing was written")
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return JournalCorrupt(f"{path}: not a readable warroom journal ({text})")
    if "unable to open" in lowered:
        return JournalReadOnly(f"{path}: cannot open the journal ({text})")
    return JournalError(f"{path}: {text}")


def check_journal_file(path: Path, *, create: bool) -> None:
    """Refuse what is not a journal before SQLite touches it, and create new journals private (0600 in 0700).

    An empty file is refused too: SQLite would silently make a new journal of it, keeping whatever mode and
    owner the file had, and a journal that should be there would seem to have lost every entry.
    """
    if path.exists():
        if path.is_dir():
            raise JournalError(f"{path}: is a folder, not a journal file")
        with path.open("rb") as handle:
            header = handle.read(16)
        if not header:
            raise JournalCorrupt(f"{path}: an empty file (0 bytes), not a journal; refusing to start a new journal "
                                 "in it (move it away to start one)")
        if header != SQLITE_HEADER:
            raise JournalCorrupt(f"{path}: not an SQLite file, refusing to open it as a journal")
        return
    if not create:
        raise JournalError(f"{path}: no journal here")
    try:
        private_folder(path.parent)
        _create(path)
    except PermissionError as error:
        raise JournalReadOnly(f"{path}: cannot create the journal here ({error.strerror})") from None
    except sqlite3.Error as error:
        raise _translate(error, path) from None
    except OSError as error:
        raise JournalError(f"{path}: cannot create the journal ({error.strerror})") from None


# A Graph object's first observation is 2-5 KB: with SQLite's default 4 KiB pages each such entry takes a page of
# its own (two do not fit), half of it empty; 16 KiB pages hold several (docs/benchmarks.md, journal growth).
# Set when a journal is made; an older journal keeps the page size it was made with.
PAGE_SIZE = 16384


def _create(path: Path) -> None:
    """A whole new journal, made in a private file beside the path and linked into place in one step.

    Nobody ever finds an empty file at the path (which would be refused); when two processes create the same
    journal at once, the first link wins and the other process opens that one.
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)  # 0600
    os.close(fd)
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            migrate(conn)
        finally:
            conn.close()
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        except OSError:             # a file system without hard links: a rename, refusing to replace a journal
            if not path.exists():
                os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring a journal's schema up to LATEST_VERSION in one write transaction (synchronous: any thread)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version + 1, LATEST_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            if step == 1:
                conn.execute("INSERT INTO meta(key, value) VALUES ('journal_id', ?), ('created_at', ?)",
                             (str(uuid.uuid4()), to_iso(utc_now())))
            conn.execute(f"PRAGMA user_version = {step}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def _migrate_file(uri: str) -> None:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        migrate(conn)
    finally:
        conn.close()


def _sqlite_uri(path: Path, readonly: bool, **params: str) -> str:
    quoted = str(path.resolve()).replace("?", "%3f").replace("#", "%23")
    extra = "".join(f"&{key}={value}" for key, value in params.items())
    return f"file:{quoted}?mode={'ro' if readonly else 'rw'}{extra}"


@dataclass(frozen=True)
class ReadOnlyTarget:
    """How to read a journal without SQLite writing or creating anything next to it.

    A cleanly closed journal (no -wal file: nobody has it open) is read `immutable`; one with a WAL
    and its -shm index is read with `readonly_shm`; a WAL without its index (a crash, a copied pair) is
    copied into a private folder first, which `cleanup()` removes.
    """

    uri: str
    immutable: bool = False
    snapshot: Path | None = None

    def cleanup(self) -> None:
        if self.snapshot is not None:
            shutil.rmtree(self.snapshot, ignore_errors=True)


def readonly_target(path: Path) -> ReadOnlyTarget:
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if not wal.exists():
        return ReadOnlyTarget(_sqlite_uri(path, True, immutable="1"), immutable=True)
    if shm.exists():
        return ReadOnlyTarget(_sqlite_uri(path, True, readonly_shm="1"))
    snapshot = Path(tempfile.mkdtemp(prefix="warroom-readonly-"))
    copy = snapshot / path.name
    shutil.copyfile(path, copy)
    shutil.copyfile(wal, Path(f"{copy}-wal"))
    return ReadOnlyTarget(_sqlite_uri(copy, True), snapshot=snapshot)


class SQLiteJournal(Journal):
    """A journal in one SQLite file. Use `await open_journal(path)`; all I/O runs on aiosqlite's thread.

    Every use of the connection holds `_turn`, so a read never runs between a write's BEGIN and COMMIT
    (it would see rows that a failed COMMIT takes back) and two writes never interleave. Writes wait in `_queue`,
    which the connection's thread empties in one turn (`_land_queued`): a page written while the event loop is busy
    with the next is followed by that next one at once, and pages queued together share a transaction.

    The full-text index follows the entries. A transaction with nothing queued behind it indexes its own entries
    when the index held every entry before them and they are few (a note: searchable at once). A burst (pages
    queued behind pages, a long import) is written without its index, which catches up once the writer has been
    idle for INDEX_WHEN_IDLE_S, a part at a time (`_index_behind`), each part its own turn: a write or read arriving
    meanwhile waits for one part at most, and a write ends the catching up until the next pause. A search and a
    clean close catch it up first.
    """

    def __init__(self, path: Path, db: aiosqlite.Connection, *, readonly: bool, actor: str) -> None:
        self.path = path
        self.readonly = readonly
        self.actor = actor
        self._db = db
        self._turn = asyncio.Lock()
        self._queue: deque[_Queued] = deque()
        self._landing: asyncio.Task[None] | None = None
        self._last: list[_Outcome] = []          # the last group's outcomes, for `_land` to settle
        self._reading = 0                        # reads waiting for their turn
        self._behind = False                     # the index does not hold every entry yet: it catches up when idle
        self._closing = False
        self._idle: asyncio.TimerHandle | None = None   # when the index catches up, if no write comes first
        self._writes = 0                                # writes queued so far: one during the catching up ends it
        self._opened_on: asyncio.AbstractEventLoop | None = None   # its lock's loop: a close elsewhere writes nothing
        self._queued_by: weakref.WeakKeyDictionary[asyncio.Future[Any], _Queued] = weakref.WeakKeyDictionary()
        self._readonly_target: ReadOnlyTarget | None = None
        self.journal_id = ""

    # -- opening and closing -------------------------------------------------------------------

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], *, actor: str = "unknown", readonly: bool = False, create: bool = True
    ) -> SQLiteJournal:
        path = Path(path).expanduser()  # noqa: ASYNC240 - no I/O: expands ~ from the environment
        check_journal_file(path, create=create and not readonly)
        target = readonly_target(path) if readonly else None
        try:
            db = await aiosqlite.connect(target.uri if target else _sqlite_uri(path, False), uri=True,
                                         isolation_level=None)
        except sqlite3.Error as error:
            if target:
                target.cleanup()
            raise _translate(error, path) from None
        journal = cls(path, db, readonly=readonly, actor=actor)
        journal._opened_on = asyncio.get_running_loop()
        journal._readonly_target = target
        try:
            await journal._prepare()
        except sqlite3.Error as error:
            await journal.close()
            raise _translate(error, path) from None
        except BaseException:
            await journal.close()
            raise
        return journal

    async def _prepare(self) -> None:
        db = self._db
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = await self._scalar("PRAGMA user_version")
        if version > LATEST_VERSION:
            raise JournalTooNew(
                f"{self.path}: journal schema version {version} is newer than this warroom understands "
                f"({LATEST_VERSION}); upgrade warroom. The file was not modified."
            )
        if version == 0 and await self._scalar("SELECT count(*) FROM sqlite_master"):
            raise JournalCorrupt(
                f"{self.path}: an SQLite database but not a warroom journal; refusing to change it"
            )
        if self.readonly:
            if version == 0:
                raise JournalCorrupt(f"{self.path}: empty or not a warroom journal")
        else:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = FULL")
            if version < LATEST_VERSION:
                await self._migrate()
            if await self._scalar(f"SELECT ({INDEXED}) < (SELECT coalesce(max(seq), 0) FROM entries)"):
                self._behind = True             # a burst's index was not caught up when it closed: now, when idle
                self._index_when_idle()
        self.journal_id = await self._scalar("SELECT value FROM meta WHERE key = 'journal_id'") or ""

    async def _migrate(self) -> None:
        """The one migration, on a short connection of its own in a thread (`migrate` is shared with `_create`)."""
        await asyncio.to_thread(_migrate_file, _sqlite_uri(self.path, False))

    async def close(self) -> None:
        self._closing = True
        if self._idle is not None:
            self._idle.cancel()
        if self._behind and not self.readonly and self._opened_on is asyncio.get_running_loop():
            # What is queued lands, then the index catches up in one transaction (~1 s for 50,000 entries): a journal
            # closed cleanly leaves no entry unsearchable. If that fails the entries are safe; the next open does it.
            with contextlib.suppress(JournalError, sqlite3.Error):
                await self._write(partial(_index_behind, most=None))
        landing = self._landing
        if landing is not None and landing.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([landing])     # what is queued lands first (a loop that has ended ran its own)
        await self._db.close()
        if self._readonly_target:
            self._readonly_target.cleanup()

    @property
    def location(self) -> str:
        return str(self.path)

    async def _scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self._read(_one, sql, params)
        return row[0] if row else None

    async def _read(self, how: Callable[[aiosqlite.Connection, str, Iterable[Any]], Awaitable[T]], sql: str,
                    params: Iterable[Any] = ()) -> T:
        """One read in its turn, with SQLite's errors said as the journal's. A read waiting is let in between two
        queued writes (`_reading`): a long load never holds the screen's reads until it is over."""
        self._reading += 1
        try:
            async with self._turn:
                return await how(self._db, sql, params)
        except sqlite3.Error as error:
            raise _translate(error, self.path) from None
        finally:
            self._reading -= 1

    async def _write(self, body: Callable[[sqlite3.Connection], T], *, entries: int = 0,
                     behind: _Queued | None = None) -> T:
        """`body(connection)` inside BEGIN IMMEDIATE … COMMIT (SQLite's write lock first, so a head read inside
        cannot change before COMMIT; anything raised rolls it all back), run whole on the connection's thread: the
        transaction never waits for the event loop between its statements, nor for a turn of it after the write
        queued before it. `entries` > 0: it may share its transaction with the writes queued beside it.
        Shielded: a caller cancelled half way (a closing screen) never takes back a queued write; it lands or rolls
        back on its own."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        queued = _Queued(body, future, entries, behind)
        self._queue.append(queued)
        self._writes += 1
        if (task := asyncio.current_task()) is not None:
            self._queued_by[task] = queued
        if self._landing is None:
            self._landing = asyncio.ensure_future(self._land())
        return await asyncio.shield(future)

    async def _land(self) -> None:
        """Hand the queue to the connection's thread, in turn with reads, until it is empty."""
        try:
            while self._queue:
                indexing, writes = self._queue[0].body is _index_behind, self._writes
                async with self._turn:
                    await _in_thread(self._db, partial(self._land_queued, asyncio.get_running_loop()))
                    _settle(self._last)
                    self._last = []             # nothing of a settled write is kept while the index catches up
                if indexing and writes == self._writes and not self._queue and self._behind and not self._closing:
                    self._queue.append(_Queued(_index_behind, None, 0))        # the next part, nobody waiting
        except BaseException as error:      # the connection is gone (or the loop is ending): nothing more lands
            while self._queue:
                queued = self._queue.popleft()
                future, queued.future = queued.future, None
                if future is not None and not future.done():
                    if isinstance(error, Exception):
                        future.set_exception(error)
                    else:
                        future.cancel()
            raise
        finally:
            self._landing = None
        if self._behind and not self._closing:
            self._index_when_idle()

    def _index_when_idle(self) -> None:
        """The index catches up once no write has come for INDEX_WHEN_IDLE_S (each write puts it off again)."""
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(INDEX_WHEN_IDLE_S, self._index_now)

    def _index_now(self) -> None:
        self._idle = None
        if self._closing or not self._behind or self._landing is not None:     # a write under way: after it
            return
        self._queue.append(_Queued(_index_behind, None, 0))
        self._landing = asyncio.ensure_future(self._land())

    def _land_queued(self, loop: asyncio.AbstractEventLoop, conn: sqlite3.Connection) -> None:
        """On the connection's thread: every queued write in order, those that may share a transaction together.

        Each group's callers hear at once, except the last group's: those are left in `_last`, and the loop tells
        them once this call is over, so no caller goes on (and perhaps ends the loop) while this thread still owes it
        an answer. (Not returned: aiosqlite's thread would hold a call's result, the rows, until its next call.)
        """
        outcomes: list[_Outcome] = []
        while self._queue and not (outcomes and self._reading):      # a read waits: it goes next
            if outcomes:
                with contextlib.suppress(RuntimeError):     # the loop has closed: nobody is waiting
                    loop.call_soon_threadsafe(_settle, outcomes)
            group = [self._queue.popleft()]
            total = group[0].entries
            while group[0].entries and self._queue and self._queue[0].entries \
                    and total + self._queue[0].entries <= GROUP_ENTRIES:
                total += self._queue[0].entries
                group.append(self._queue.popleft())
            outcomes = self._land_group(group, conn)
        self._last = outcomes

    def _land_group(self, group: list[_Queued], conn: sqlite3.Connection) -> list[_Outcome]:
        """One transaction for the group. When nothing is queued behind it once its entries are in, the index
        catches up in it (its own entries, when the index held every entry before them)."""
        outcomes, ready = [], []
        for queued in group:
            if queued.behind is not None and queued.behind.failed:
                outcomes.append(_ended(queued, error=_BehindFailed()))
            else:
                ready.append(queued)
        if not ready:
            return outcomes
        try:
            bodies = [queued.body for queued in ready]

            def write(conn: sqlite3.Connection) -> list[Any]:
                results = [None if body is None else body(conn) for body in bodies]   # None: the index's part
                if not self._queue:         # nothing behind: its own entries, if they are all that is behind
                    self._behind = _index_behind(conn, None, if_within=INDEX_AT_ONCE)
                return results

            results = _transaction(write, conn)
        except BaseException as error:
            if len(ready) == 1:
                return [*outcomes, _ended(ready[0], error=error)]
            for queued in ready:                    # which one failed is not known: each alone, in order
                outcomes += self._land_group([queued], conn)
            return outcomes
        return outcomes + [_ended(queued, result) for queued, result in zip(ready, results, strict=True)]

    # -- writing --------------------------------------------------------------------------------

    async def append_many(self, drafts: Iterable[Draft], *, guard: Unclaimed | None = None,
                          after: asyncio.Future[Any] | None = None) -> Sequence[Entry]:
        if self.readonly:
            raise JournalReadOnly(f"{self.path}: opened read-only; nothing was written")
        drafts = list(drafts)
        prepared: list[Prepared] = []
        for start in range(0, len(drafts), SLICE):     # a page of observations: the loop goes on between slices
            if start:
                await asyncio.sleep(0)
            prepared += prepare_many(drafts[start:start + SLICE], self.actor)
        if not prepared:
            return []
        behind = None
        if after is not None and not after.done():
            behind = self._queued_by.get(after)
            if behind is None or behind.failed:     # its write is not queued (or did not land): after all of it
                await asyncio.wait([after])
                behind = None
        write, size = partial(self._append, prepared, guard), 0 if guard else len(prepared)
        try:
            try:
                rows = await self._write(write, entries=size, behind=behind)
            except _BehindFailed:
                if after is not None:               # the write before, retried by its caller, lands first
                    await asyncio.wait([after])
                rows = await self._write(write, entries=size)
        except sqlite3.Error as error:
            raise self._refused(_translate(error, self.path)) from None
        self.write_error, self.write_error_since = "", None
        return Written(rows)

    def _refused(self, error: JournalError) -> JournalError:
        """Remember a write the storage refused (for the status bar) until a write succeeds."""
        what = {JournalLocked: "locked by another process", JournalFull: "the disk is full",
                JournalReadOnly: "read-only"}.get(type(error))
        if what:
            self.write_error = what
            self.write_error_since = self.write_error_since or utc_now()
        return error

    def _append(self, prepared: list[Prepared], guard: Unclaimed | None,
                conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        """Inside the write transaction: the claim check, head read, hash, insert and index as one unit. The rows
        written are returned, made entries by the caller (not on this thread, the one the next page waits for)."""
        if guard is not None and _claimed(conn, guard):
            raise JournalConflict(guard.message)
        seq, prev = conn.execute(_HEAD).fetchone() or (0, genesis_for(self.journal_id))
        rows = seal(prepared, seq, prev, utc_now())
        _insert(conn, rows)
        return rows

    async def append_copies(self, entries: list[Entry]) -> int:
        if self.readonly:
            raise JournalReadOnly(f"{self.path}: opened read-only; nothing was written")
        if not entries:
            return 0
        try:
            return await self._write(partial(self._copy, entries))
        except sqlite3.Error as error:
            raise _translate(error, self.path) from None

    def _copy(self, entries: list[Entry], conn: sqlite3.Connection) -> int:
        head = conn.execute(_HEAD).fetchone() or (0, genesis_for(self.journal_id))
        fresh = check_continues(entries, head, str(self.path), self.journal_id)
        _insert(conn, [entry.row() for entry in fresh])
        return len(fresh)

    async def adopt_identity(self, journal_id: str) -> None:
        if await self._scalar("SELECT count(*) FROM entries"):
            raise JournalError(f"{self.path}: already holds entries; a copy goes into a new, empty journal")
        await self.set_meta("journal_id", journal_id)
        self.journal_id = journal_id

    async def get_meta(self, key: str) -> str | None:
        return await self._scalar("SELECT value FROM meta WHERE key = ?", [key])

    async def raise_mark(self, key: str, value: int) -> None:
        """Set a numeric mark in meta only upward: two processes moving it at once never move it back."""
        await self._read(_all, "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                         (key, str(value)))

    async def set_meta(self, key: str, value: str) -> None:
        """Bookkeeping beside the chain (a spool's upload mark); entries themselves stay append-only."""
        await self._read(_all, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- reading --------------------------------------------------------------------------------

    async def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[Entry]:
        return [Entry.from_row(row) for row in await self._read(_all, sql, params)]

    async def entries(
        self,
        *,
        after: int = 0,
        limit: int | None = None,
        incident: str | None = None,
        kinds: Iterable[str] | None = None,
        skip_kinds: Iterable[str] | None = None,
    ) -> list[Entry]:
        """Entries in journal order after seq `after`, optionally for one incident or some kinds (or without some)."""
        where, params = ["seq > ?"], list[Any]([after])
        if incident is not None:
            where.append("incident = ?")
            params.append(incident)
        kinds = list(kinds or [])
        if kinds:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        skipped = list(skip_kinds or [])
        if skipped:
            where.append(f"kind NOT IN ({','.join('?' * len(skipped))})")
            params.extend(skipped)
        sql = f"SELECT {_COLUMNS} FROM entries WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return await self._rows(sql, params)

    async def entry(self, seq: int) -> Entry | None:
        rows = await self._rows(f"SELECT {_COLUMNS} FROM entries WHERE seq = ?", [seq])
        return rows[0] if rows else None

    async def known(self, keys: list[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            marks = ",".join("?" * len(chunk))
            rows = await self._read(_all, f"SELECT hash FROM entries WHERE hash IN ({marks}) "
                                    f"UNION SELECT origin FROM entries WHERE origin IN ({marks})", chunk + chunk)
            known.update(row[0] for row in rows)
        return known

    async def holding(self, keys: list[str]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        for start in range(0, len(keys), 400):
            chunk = keys[start:start + 400]
            marks = ",".join("?" * len(chunk))
            for entry in await self._rows(f"SELECT {_COLUMNS} FROM entries WHERE hash IN ({marks}) "
                                          f"OR origin IN ({marks}) ORDER BY seq", chunk + chunk):
                for key in (entry.hash, entry.origin):
                    if key in chunk:
                        found.setdefault(key, entry)
        return found

    async def by_origin(self, origins: list[str]) -> list[Entry]:
        """The entries imported from these hashes elsewhere, in journal order."""
        found: list[Entry] = []
        for start in range(0, len(origins), 500):
            chunk = origins[start:start + 500]
            found += await self._rows(
                f"SELECT {_COLUMNS} FROM entries WHERE origin IN ({','.join('?' * len(chunk))})", chunk)
        return sorted(found, key=lambda entry: entry.seq)

    async def last(self, count: int = 1, *, incident: str | None = None) -> list[Entry]:
        """The newest `count` entries, oldest first: what a timeline shows on open."""
        where, params = ("WHERE incident = ?", [incident]) if incident else ("", [])
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM entries {where} ORDER BY seq DESC LIMIT {int(count)}", params
        )
        return rows[::-1]

    async def search(self, query: str, *, limit: int = 200) -> list[Entry]:
        """Full-text search (FTS5 syntax; a plain phrase works), newest first.

        Text that only looks like FTS5 syntax (`14:02`, `(EU)`) and fails to parse is searched as plain words.
        The index catches up first (read-only: it holds what the writer had indexed, `unindexed` says what not).
        """
        if not self.readonly:
            try:
                await self._write(partial(_index_behind, most=None))
            except sqlite3.Error as error:
                raise self._refused(_translate(error, self.path)) from None
        words = " ".join('"' + word.replace('"', '""') + '"' for word in query.split())
        if not words:
            return []
        sql = (
            f"SELECT {_COLUMNS} FROM entries WHERE seq IN "
            "(SELECT rowid FROM entries_fts WHERE entries_fts MATCH ? ORDER BY rowid DESC LIMIT ?) ORDER BY seq DESC"
        )
        if any(ch in query for ch in '"*:^()'):
            try:
                return await self._rows(sql, [query, limit])
            except JournalError:
                pass
        return await self._rows(sql, [words, limit])

    async def head(self) -> tuple[int, str]:
        row = await self._read(_one, _HEAD)
        return (row[0], row[1]) if row else (0, GENESIS)

    async def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap way to notice other processes' entries."""
        return int(await self._scalar("PRAGMA data_version"))

    async def changes(self, interval: float = 0.5) -> AsyncIterator[None]:
        """Polls SQLite's data_version (which another connection's commit bumps) and the head: two tiny reads."""
        seen = (await self.data_version(), (await self.head())[0])
        while True:
            await asyncio.sleep(interval)
            current = (await self.data_version(), (await self.head())[0])
            if current != seen:
                seen = current
                yield None

    async def stats(self) -> JournalStats:
        entries = await self._scalar("SELECT count(*) FROM entries")
        incidents = await self._scalar("SELECT count(DISTINCT incident) FROM entries WHERE incident IS NOT NULL")
        first = await self._scalar("SELECT logged_at FROM entries ORDER BY seq LIMIT 1")
        last = await self._scalar("SELECT logged_at FROM entries ORDER BY seq DESC LIMIT 1")
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return JournalStats(
            path=str(self.path),
            entries=entries,
            incidents=incidents,
            size_bytes=size,
            first_at=first,
            last_at=last,
            journal_id=self.journal_id,
            schema_version=await self._scalar("PRAGMA user_version"),
        )

    async def verify(self, *, expect_head: str | None = None) -> VerifyResult:
        """Check the whole chain on a separate read-only connection, off the event loop."""
        return await asyncio.to_thread(verify_file, self.path, expect_head=expect_head)


# -- verification (synchronous: used by the CLI, the review screen's worker and tests) ---------------


def verify_file(
    path: str | os.PathLike[str],
    *,
    expect_head: str | None = None,
    full_check: bool = True,
    connection: sqlite3.Connection | None = None,
    check_index: bool = False,
) -> VerifyResult:
    """SQLite integrity plus the whole hash chain. Names the first bad entry and why.

    `connection` lets review pass its own read-only connection (one that never creates -wal/-shm files);
    it is left open. Without one, SQLite's integrity check runs on a second connection in a thread while
    this one walks the chain: the check releases the GIL, so a million entries verify in seconds.
    """
    path = Path(path)
    check_journal_file(path, create=False)
    target = readonly_target(path) if connection is None else None
    try:
        conn = connection or sqlite3.connect(target.uri, uri=True)  # type: ignore[union-attr]
    except sqlite3.Error as error:
        if target:
            target.cleanup()
        raise _translate(error, path) from None
    pragma = "PRAGMA integrity_check" if full_check else "PRAGMA quick_check"
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > LATEST_VERSION:
            raise JournalTooNew(f"{path}: journal schema version {version} is newer than this warroom understands")
        if version == 0:
            raise JournalCorrupt(f"{path}: empty or not a warroom journal")
        chain: VerifyResult | sqlite3.Error
        if connection is None:
            with ThreadPoolExecutor(max_workers=1) as pool:
                integrity = pool.submit(_integrity_check, target.uri, pragma)  # type: ignore[union-attr]
                try:
                    chain = _verify_chain(conn, expect_head)
                except sqlite3.Error as error:  # a damaged file: SQLite's own report says more
                    chain = error
                check = integrity.result()
        else:
            check = conn.execute(pragma).fetchall()
            chain = _verify_chain(conn, expect_head)
        if check != [("ok",)]:
            detail = "; ".join(" ".join(str(row[0]).split()) for row in check[:3])  # one line for stderr
            return VerifyResult(False, 0, GENESIS, None, f"SQLite integrity check failed: {detail}")
        if isinstance(chain, sqlite3.Error):
            raise chain
        if check_index and chain.ok and (problem := index_check(conn)):
            return VerifyResult(False, chain.entries, chain.head, None, problem, chain.warnings)
        if chain.ok and (lag := unindexed(conn)):
            return replace(chain, warnings=(*chain.warnings, lag))
        return chain
    except sqlite3.Error as error:
        raise _translate(error, path) from None
    finally:
        if connection is None:
            conn.close()
        if target:
            target.cleanup()


def index_check(conn: sqlite3.Connection) -> str:
    """"" when the full-text index holds exactly what the entries say, else what is wrong (one line).

    The index is outside the chain: rebuilt or edited, it would make search find what is not there, or miss
    what is. The expected index is built in a temporary table and compared term by term (slow: verify --full).
    Entries after `indexed` are not expected there yet (`unindexed` says so).
    """
    names = ("fts_expected", "fts_expected_terms", "fts_stored_terms")
    conn.execute("PRAGMA query_only = 0")          # temporary tables only: the journal itself is opened read-only
    try:
        conn.execute("CREATE VIRTUAL TABLE temp.fts_expected USING fts5(text, content='', tokenize='unicode61')")
        conn.execute(f"INSERT INTO temp.fts_expected(rowid, text) SELECT seq, {INDEX_TEXT} FROM entries "
                     f"WHERE seq <= ({INDEXED})")
        conn.execute("CREATE VIRTUAL TABLE temp.fts_expected_terms USING fts5vocab(temp, fts_expected, instance)")
        conn.execute("CREATE VIRTUAL TABLE temp.fts_stored_terms USING fts5vocab(main, entries_fts, instance)")
        terms = "term, doc, col, offset"
        row = conn.execute(
            f"SELECT min(doc) FROM (SELECT * FROM (SELECT {terms} FROM temp.fts_stored_terms EXCEPT "
            f"SELECT {terms} FROM temp.fts_expected_terms) UNION ALL SELECT * FROM (SELECT {terms} FROM "
            f"temp.fts_expected_terms EXCEPT SELECT {terms} FROM temp.fts_stored_terms))").fetchone()
    except sqlite3.Error as error:
        return f"the full-text index cannot be read ({error}): search in review cannot be trusted"
    finally:
        for name in names[::-1]:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"DROP TABLE IF EXISTS temp.{name}")
    if row is None or row[0] is None:
        return ""
    return (f"the full-text index does not match entry {row[0]}: search in review would find what is not there, "
            "or miss what is (the chain itself verifies; `warroom journal copy` into a new file rebuilds it)")


def unindexed(conn: sqlite3.Connection) -> str:
    """"" when the full-text index holds every entry, else which ones it does not hold yet (one line)."""
    indexed, head = conn.execute(f"SELECT ({INDEXED}), coalesce(max(seq), 0) FROM entries").fetchone()
    if head <= indexed:
        return ""
    which = f"entry {head}" if head == indexed + 1 else f"entries {indexed + 1}-{head}"
    return (f"{which} {'is' if head == indexed + 1 else 'are'} not in the search index yet (written in a burst; "
            "a console indexes them when idle or at its next start): search does not find them until then")


def _integrity_check(uri: str, pragma: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn.execute(pragma).fetchall()
    finally:
        conn.close()


def _verify_chain(conn: sqlite3.Connection, expect_head: str | None) -> VerifyResult:
    """Walk every entry in order, re-hashing each; stop at the first one that does not fit."""
    triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = [name for name in ("entries_refuse_update", "entries_refuse_delete") if name not in triggers]
    row = conn.execute("SELECT value FROM meta WHERE key = 'journal_id'").fetchone()
    check = ChainCheck(expect_head=expect_head, missing=missing, journal_id=str(row[0]) if row else "")
    check.feed(conn.execute(f"SELECT {_COLUMNS} FROM entries ORDER BY seq"))
    return check.result()


def _claimed(conn: sqlite3.Connection, guard: Unclaimed) -> bool:
    sql = "SELECT 1 FROM entries WHERE incident = ? AND kind = ?"
    params: list[Any] = [guard.incident, guard.kind]
    if guard.task_id is not None:
        sql += " AND json_extract(body, ?) = ?"
        params += [f"$.{guard.field}", guard.task_id]
    return conn.execute(sql + " LIMIT 1", params).fetchone() is not None
