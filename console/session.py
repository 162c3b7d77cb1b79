"""A war-room session: the headless state one console works on. Screens receive it; it knows nothing of them.

Everything a responder does goes through `record()`, which journals the entry first and only then folds it
into the incident book, so the screen can never show something the journal does not hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .config import Config
from .incidents import Incident, IncidentBook, incident_unclaimed, task_unclaimed
from .journal import Draft, Entry, Journal, JournalConflict, JournalError, Unclaimed, kinds, open_journal
from .timefmt import utc_now

# Entries a catch-up passes over: the watcher's record of what Graph said, which the book never folds.
UNTOLD = frozenset({kinds.OBSERVATION})
CATCH_UP_BATCH = 2000

if TYPE_CHECKING:  # the Graph side is optional: the console works without a tenant (out of band)
    from .graph.gateway import GraphGateway
    from .graph.live import LiveState

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
    # Told when the book was rebuilt from scratch (a shared journal's spool was uploaded and renumbered):
    # what a screen showed by sequence number must be read again.
    rebuild_listeners: list[Callable[[], None]] = field(default_factory=list)
    _catching_up: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _epoch: int = field(default=0, repr=False)
    _settling: bool = field(default=False, repr=False)
    _ticks_taken: set[tuple[str, str]] = field(default_factory=set, repr=False)
    # (incident, task) whose live check was seen not met: only then does "met" mean the work got it done.
    checks_seen_unmet: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def actor(self) -> str:
        return self.config.responder

    @property
    def simulated(self) -> bool:
        """The tenant is the simulator (DEMO, DRILL): what it shows is not the real tenant's state."""
        return self.mode in ("DEMO", "DRILL")

    @property
    def can_execute_actions(self) -> bool:
        """Containment actions run only on a live or demo tenant, never read-only, offline or in review."""
        return self.mode in ("LIVE", "DEMO", "DRILL") and not self.config.get("read_only") and self.gateway is not None

    @property
    def incident(self) -> Incident | None:
        return self.book.current()

    @classmethod
    async def open(cls, config: Config, *, mode: str = "OFFLINE", readonly: bool = False) -> WarRoom:
        journal = await open_journal(config.journal_location, actor=config.responder, readonly=readonly,
                                     spool_dir=config.get("shared.local_copy"))
        book = await IncidentBook.load(journal)
        return cls(config=config, journal=journal, book=book, mode=mode, _epoch=journal.epoch)

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

    async def record_many(
        self, drafts: Iterable[Draft], *, guard: Unclaimed | None = None
    ) -> list[Entry]:
        entries = list(await self.journal.append_many(drafts, guard=guard))
        await self.catch_up()
        return entries

    async def record_new_incident(self, build: Callable[[str], list[Draft]], *, attempts: int = 5) -> str:
        """Declare with a fresh incident id, claimed inside the write transaction.

        Two consoles declaring at the same moment would otherwise pick the same `INC-YYYYMMDD-NN` from
        their own view of the journal; the loser catches up and takes the next number.
        """
        for _ in range(attempts):
            await self.catch_up()
            incident_id = self.book.new_id(utc_now())
            try:
                await self.record_many(build(incident_id), guard=incident_unclaimed(incident_id))
            except JournalConflict:
                continue
            return incident_id
        raise JournalConflict("could not claim a new incident id; try again")

    async def record_new_task(self, incident_id: str, build: Callable[[str], Draft], *, attempts: int = 5) -> str:
        """Add a task with a fresh `T<n>` id, claimed inside the write transaction (see record_new_incident)."""
        for _ in range(attempts):
            await self.catch_up()
            incident = self.book.incidents.get(incident_id)
            if incident is None:
                raise ValueError(f"no incident {incident_id}")
            task_id = incident.next_task_id()
            try:
                await self.record_many([build(task_id)], guard=task_unclaimed(incident_id, task_id))
            except JournalConflict:
                continue
            return task_id
        raise JournalConflict("could not claim a new task id; try again")

    async def catch_up(self) -> list[Entry]:
        """Fold every entry after the book's last one (ours or another process's) in order, and tell listeners.

        Called after each of our appends and whenever the journal's data_version changes, so entries from
        a second console or `warroom note` appear within a second, with no gap and none applied twice. Graph
        observations are passed over unread (`UNTOLD`): the book folds none and no screen shows them, and a large
        first poll journals tens of thousands. Read in batches of `CATCH_UP_BATCH`, so a long absence is bounded too.
        """
        async with self._catching_up:  # our append and the follower may both call this at once
            # The head first: everything up to it is committed, so the entries read next hold every entry up to it
            # that is not passed over, and the book may count the passed-over ones as folded.
            head, _ = await self.journal.head()
            fresh: list[Entry] = []
            while True:
                batch = await self.journal.entries(after=self.book.last_seq, limit=CATCH_UP_BATCH, skip_kinds=UNTOLD)
                if self.journal.epoch != self._epoch:   # numbers shown before no longer hold: fold everything again
                    self._epoch = self.journal.epoch
                    self.book = await IncidentBook.load(self.journal)
                    for rebuilt in list(self.rebuild_listeners):
                        rebuilt()
                    return []
                for entry in batch:
                    self.book.apply(entry)
                fresh += batch
                if len(batch) < CATCH_UP_BATCH:
                    break
            self.book.last_seq = max(self.book.last_seq, head)
        if fresh:
            for listener in list(self.listeners):
                listener(fresh)
            await self.settle_tasks()
        return fresh

    async def settle_tasks(self) -> int:
        """Journal a task.ticked for each task an entry has done (an action, a sent update, captured evidence).

        Each tick is claimed inside the write transaction (one task.ticked per task), so when every console of a
        shared journal sees the same action, exactly one of them ticks its task. Returns how many were written.
        """
        from .lifecycle import due_ticks

        if self._settling or self.journal.readonly:
            return 0
        self._settling = True
        written = 0
        try:
            for draft in due_ticks(self.book.incidents.values()):
                written += await self._tick(draft)
        finally:
            self._settling = False
        if written:
            await self.catch_up()
        return written

    async def settle_checks(self) -> int:
        """Tick the open tasks whose live check is now met, having been seen not met (or, for a service, when
        Microsoft marked the linked issue restored): a check met from the start proves nothing was done."""
        from .lifecycle import check_cause, issue_restored, tick_body
        from .playbooks import check_state

        if self.live is None or self.journal.readonly or self._settling:
            return 0
        written = 0
        for incident in self.book.open_incidents():
            issues = self.live.issues
            restored = {issues[link["id"]].service.casefold() for link in incident.links
                        if link.get("type") == "service_issue" and link.get("id") in issues
                        and issue_restored(issues[link["id"]])}
            for task in list(incident.tasks.values()):
                if task.done or not task.check:
                    continue
                state = check_state(task.check, incident, self.live)
                key = (incident.id, task.id)
                if state == "not met":
                    self.checks_seen_unmet.add(key)
                    continue
                service = str(task.check.get("service", "")).casefold()
                vouched = key in self.checks_seen_unmet or (
                    task.check.get("type") == "service_restored" and (service in restored or (
                        not service and bool(restored))))
                if state == "met" and vouched:
                    self._settling = True
                    try:
                        body = tick_body(task, check_cause(task, incident))
                        written += await self._tick(Draft(kinds.TASK_TICKED, body, incident.id))
                    finally:
                        self._settling = False
        if written:
            await self.catch_up()
        return written

    async def follow_microsoft(self) -> list[Entry]:
        """Journal each linked Microsoft issue's status change, and fetch and keep Microsoft's post-incident report
        once it is published. Each is claimed once across consoles; Graph trouble waits for the next poll."""
        from .microsoft import issue_changes, report_body, reports_due

        if self.live is None or self.journal.readonly:
            return []
        written: list[Entry] = []
        for incident in self.book.open_incidents():
            for draft in issue_changes(incident, self.live):
                written += await self._claimed(draft)
            if self.gateway is None:
                continue
            for issue_id in reports_due(incident, self.live):
                try:
                    data = await self.gateway.incident_report(issue_id)
                except Exception:   # not published yet after all, throttled, denied: asked again after a poll
                    continue
                written += await self._claimed(Draft(kinds.MICROSOFT_REPORT, report_body(issue_id, data),
                                                     incident.id))
        if written:
            await self.catch_up()
        return written

    async def _claimed(self, draft: Draft) -> list[Entry]:
        guard = Unclaimed(str(draft.incident), draft.kind, str(draft.body["claim"]), field="claim",
                          message="another console journaled it first")
        try:
            return list(await self.journal.append_many([draft], guard=guard))
        except JournalConflict:
            await self.catch_up()
            return []
        except JournalError:
            return []

    async def _tick(self, draft: Draft) -> int:
        key = (str(draft.incident), str(draft.body["task_id"]))
        if key in self._ticks_taken:
            return 0
        try:
            await self.journal.append_many([draft], guard=Unclaimed(
                key[0], kinds.TASK_TICKED, key[1], message=f"{key[1]} of {key[0]} was just ticked elsewhere"))
        except JournalConflict:         # another console ticked it first (or it was ticked once before)
            self._ticks_taken.add(key)
            return 0
        except JournalError:            # the tick waits for the next catch-up; the work itself is journaled
            return 0
        return 1

    async def close(self) -> None:
        await self.journal.close()
