"""A war-room session: the headless state one console works on. Screens receive it; it knows nothing of them.

Everything a responder does goes through `record()`, which journals the entry first and only then folds it
into the incident book, so the screen can never show something the journal does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .config import Config
from .incidents import Incident, IncidentBook
from .journal import Draft, Entry, Journal

if TYPE_CHECKING:  # the Graph side is optional: the console works without a tenant (out of band)
    from .graph.gateway import GraphGateway
    from .graph.live import LiveState

MODES = ("LIVE", "DEMO", "READ-ONLY", "OFFLINE", "REVIEW", "DRILL")


@dataclass
class WarRoom:
    config: Config
    journal: Journal
    book: IncidentBook = field(default_factory=IncidentBook)
    live: LiveState | None = None
    gateway: GraphGateway | None = None
    mode: str = "OFFLINE"
    tenant_label: str = ""          # "contoso.onmicrosoft.com (global)" or "simulated: exchange-outage"
    listeners: list[Callable[[list[Entry]], None]] = field(default_factory=list)

    @property
    def actor(self) -> str:
        return self.config.responder

    @property
    def can_execute_actions(self) -> bool:
        """Containment actions run only on a live or demo tenant, never read-only, offline or in review."""
        return self.mode in ("LIVE", "DEMO", "DRILL") and not self.config.get("read_only") and self.gateway is not None

    @property
    def incident(self) -> Incident | None:
        return self.book.current()

    @classmethod
    async def open(cls, config: Config, *, mode: str = "OFFLINE", readonly: bool = False) -> WarRoom:
        journal = await Journal.open(config.journal_path, actor=config.responder, readonly=readonly)
        book = await IncidentBook.load(journal)
        return cls(config=config, journal=journal, book=book, mode=mode)

    async def record(
        self,
        kind: str,
        body: dict[str, Any] | None = None,
        *,
        incident: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Entry:
        """Journal one entry (durably), then catch up: the book sees it, and anything other processes wrote."""
        entry = await self.journal.append(kind, body or {}, incident=incident, occurred_at=occurred_at)
        await self.catch_up()
        return entry

    async def record_many(self, drafts: Iterable[Draft]) -> list[Entry]:
        entries = await self.journal.append_many(drafts)
        await self.catch_up()
        return entries

    async def catch_up(self) -> list[Entry]:
        """Fold every entry after the book's last one (ours or another process's) in order, and tell listeners.

        Called after each of our appends and whenever the journal's data_version changes, so entries from
        a second console or `warroom note` appear within a second, with no gap and none applied twice.
        """
        fresh = await self.journal.entries(after=self.book.last_seq)
        for entry in fresh:
            self.book.apply(entry)
        if fresh:
            for listener in list(self.listeners):
                listener(fresh)
        return fresh

    async def close(self) -> None:
        await self.journal.close()
