"""The one storage interface every journal backend offers (console/journal/opener.py picks the backend).

A location is a file path (SQLite, the embedded default for one host) or a `postgresql://` URL (the
shared journal several hosts write to at once). Callers hold a `Journal` and never ask which one it is.
"""

from __future__ import annotations

import asyncio
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, Self

from .records import Draft, Entry, JournalStats, Renumbered, Unclaimed, VerifyResult

SHARED_SCHEMES = ("postgresql://", "postgres://")


def is_shared(location: str | os.PathLike[str]) -> bool:
    """A PostgreSQL URL (the shared journal) rather than a file path."""
    return isinstance(location, str) and location.startswith(SHARED_SCHEMES)


class Journal(ABC):
    """An open journal: append-only, hash-chained, UTC-timestamped. `await open_journal(location)`."""

    actor: str
    readonly: bool
    journal_id: str = ""
    # Offline tolerance, for the status bar: only a shared journal is ever unreachable or has a spool.
    unreachable_since: datetime | None = None
    unreachable_reason: str = ""
    pending: int = 0        # entries typed during an outage, kept in the local spool, not yet shared
    upload_error: str = ""  # the shared journal answers but refuses this host's entries (they wait in the spool)
    setup_error: str = ""   # the shared journal cannot be used as configured (TLS, sign-in, grants): not an outage
    renumbered: Sequence[Renumbered] = ()   # provisional numbers handed out during an outage, and what they became
    epoch: int = 0          # bumped when the numbering of entries already shown changed (a spool upload)
    # The storage refused the last write (another process holds the lock, the disk is full, the medium is
    # read-only) and since when: the console says so as the journal's trouble, never as Graph's.
    write_error: str = ""
    write_error_since: datetime | None = None

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the journal lives, fit to show: a path, or a URL without its password."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abstractmethod
    async def close(self) -> None: ...

    # -- writing --------------------------------------------------------------------------------

    async def append(self, kind: str, body: dict[str, Any] | None = None, *, incident: str | None = None,
                     actor: str | None = None, occurred_at: datetime | None = None,
                     discovered_at: datetime | None = None) -> Entry:
        """Append one entry durably; returns it once committed (the seq is then safe to print)."""
        draft = Draft(kind, body or {}, incident, actor, occurred_at, discovered_at)
        return (await self.append_many([draft]))[0]

    @abstractmethod
    async def append_many(self, drafts: Iterable[Draft], *, guard: Unclaimed | None = None,
                          after: asyncio.Future[Any] | None = None) -> Sequence[Entry]:
        """Append entries in one transaction: all are committed, or none is.

        `guard` is checked inside the write transaction, before anything is inserted, and raises
        JournalConflict when it fails: how a new incident or task id is claimed once, even with several consoles.
        `after`, an earlier write (a task) these entries must follow: the drafts are checked and encoded at once,
        and their transaction lands after that task's. A backend may queue it behind the write the task has queued
        (SQLite: one write after another on its thread, without waiting for the event loop); otherwise, and when
        that write fails (its caller may retry it), it waits until the task is done, however it ended. A page of
        observations is so prepared while the page before it is being written, and still lands after it.
        """

    @abstractmethod
    async def append_copies(self, entries: list[Entry]) -> int:
        """Insert entries of the same journal verbatim (a copy from another backend); returns how many were new.

        Each must continue the chain exactly; entries already here are skipped.
        """

    @abstractmethod
    async def adopt_identity(self, journal_id: str) -> None:
        """Take the id of the journal being copied in: allowed only while this one is empty."""

    # -- reading --------------------------------------------------------------------------------

    @abstractmethod
    async def entries(self, *, after: int = 0, limit: int | None = None, incident: str | None = None,
                      kinds: Iterable[str] | None = None, skip_kinds: Iterable[str] | None = None) -> list[Entry]:
        """Entries in journal order after seq `after`, optionally for one incident or some kinds, or without some
        kinds (`skip_kinds`: a console catching up leaves out the thousands of Graph observations a poll writes)."""

    async def iter_entries(self, *, after: int = 0, batch: int = 5000, **filters: Any) -> AsyncIterator[Entry]:
        while True:
            chunk = await self.entries(after=after, limit=batch, **filters)
            for entry in chunk:
                yield entry
            if len(chunk) < batch:
                return
            after = chunk[-1].seq

    async def entry(self, seq: int) -> Entry | None:
        rows = await self.entries(after=seq - 1, limit=1)
        return rows[0] if rows and rows[0].seq == seq else None

    async def known(self, keys: list[str]) -> set[str]:
        """Which of these hashes this journal holds, as its own entries or as imported ones (their origin)."""
        wanted, found = set(keys), set[str]()
        async for entry in self.iter_entries():
            found.update(key for key in (entry.hash, entry.origin) if key in wanted)
        return found

    async def holding(self, keys: list[str]) -> dict[str, Entry]:
        """For each of these hashes this journal holds, the entry holding it (as its own hash or its origin)."""
        wanted, found = set(keys), dict[str, Entry]()
        async for entry in self.iter_entries():
            for key in (entry.hash, entry.origin):
                if key in wanted:
                    found.setdefault(key, entry)
        return found

    @abstractmethod
    async def last(self, count: int = 1, *, incident: str | None = None) -> list[Entry]:
        """The newest `count` entries, oldest first: what a timeline shows on open."""

    @abstractmethod
    async def search(self, query: str, *, limit: int = 200) -> list[Entry]:
        """Entries matching the words of `query`, newest first."""

    @abstractmethod
    async def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry; (0, GENESIS) when empty."""

    @abstractmethod
    async def stats(self) -> JournalStats: ...

    @abstractmethod
    async def verify(self, *, expect_head: str | None = None) -> VerifyResult:
        """The whole chain re-hashed, off the event loop's critical path."""

    @abstractmethod
    def changes(self) -> AsyncIterator[None]:
        """Yields whenever entries may have arrived from elsewhere (another console, `warroom note`, a host).

        The consumer then reads entries after the last one it has: a change seen twice costs one empty read,
        a change never seen cannot happen (backends re-check on a slow timer too).
        """
