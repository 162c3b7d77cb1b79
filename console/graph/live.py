"""The live picture of the tenant, kept fresh by one poller per source and journaled as it changes.

Each source polls in its own task and re-arms only after its poll finished, so polls never overlap.
A 429 stops that source until Retry-After has elapsed, exactly; 5xx, timeouts and broken bodies back off
with jitter; 401/403 mark the source denied with the permission named. Whatever happens, the last known
state stays on screen with its Freshness saying how old it is and why: Graph trouble never crashes.

Only changes are journaled (a digest per source and key), in one transaction per page, so the journal
can rebuild the last known state offline (`restore_last_known`): an object whole the first time, then a merge
patch of what changed (`console/observations.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from ..heap import give_back_freed
from ..incidents import watch_set
from ..journal import Draft, Journal, JournalError, kinds
from ..journal.encoding import canonical_json
from ..journal.errors import JournalFull, JournalLocked, JournalReadOnly, SecretRefused
from ..journal.guard import refuse_secrets
from ..observations import Replay, gone_body, observation_body, observation_text
from ..text import writable
from ..timefmt import from_iso, to_iso, utc_now
from .errors import GraphDenied, GraphError, GraphThrottled, GraphUnavailable, PagingCut, SignInRequired
from .freshness import Freshness, SourceHealth
from .models import (
    Alert,
    RiskyUser,
    SecurityIncident,
    ServiceHealth,
    ServiceIssue,
    ServiceMessage,
    SignIn,
    compact_json,
    parse_json,
)
from .odata import string_literal
from .sources import SIGN_INS, SOURCES, Source
from .tracked import Tracked

if TYPE_CHECKING:
    from ..config import Config
    from .gateway import GraphGateway

DEFAULT_INTERVALS = {"health": 60.0, "issues": 60.0, "messages": 900.0, "alerts": 30.0, "incidents": 60.0,
                     "risky_users": 120.0, "watched_alerts": 10.0}
# While the incident has a watch list, these sources poll at the interval named here instead: a watched
# account's next alert or sign-in shows up sooner.
WATCHED_INTERVALS = {"alerts": "watched_alerts"}
WATCHED_SIGN_INS = "watched_sign_ins"     # the on_change name for watched users' sign-ins
DENIED_RETRY_S = 300.0          # a denied source is asked again this often (a permission may be granted)
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 300.0
FULL_SYNC_EVERY = 20            # every Nth poll of an incremental source re-reads everything (drops deletions)
_log = logging.getLogger(__name__)
CHUNK = 100                     # objects compared between yields: bounds the loop's lag (a page is one transaction)
WRITES_AHEAD = 3                # pages compared but not yet written: the journal writes two queued together at once
PROGRESS_EVERY_S = 0.25         # a long read tells the UI how far it got at most this often
# Records written since the last freeze that make the next page end with one (TenantWatcher's settle): a large
# load is frozen in a few steps, the few changes of an ordinary poll never (see docs/benchmarks.md).
SETTLE_EVERY = 5_000
WATERMARK_AHEAD = timedelta(minutes=5)     # how far past now a change time may be and still move the watermark
# While a long-lived console polls, the collector's young generation waits for this many more new objects than
# freed ones instead of 700: each page read allocates ~6,000 dicts and lists at once, alive until the page is
# ingested, which the young collections would walk and move to the older generations to die there (~4 µs an alert).
YOUNG_THRESHOLD = 20_000
T = TypeVar("T")


async def read_ahead(pages: AsyncIterator[T]) -> AsyncIterator[T]:
    """The same pages, the next one already requested while this one is ingested: Graph's answer time overlaps
    our parsing and journaling instead of adding to it. An error (a PagingCut) comes in its place in the order."""
    iterator = aiter(pages)
    pending = asyncio.ensure_future(anext(iterator))
    try:
        while True:
            try:
                page = await pending
            except StopAsyncIteration:
                return
            pending = asyncio.ensure_future(anext(iterator))
            yield page
    finally:
        pending.cancel()
        await asyncio.wait([pending])       # never raises the page's error: that is nobody's once reading stopped
        if not pending.cancelled():
            pending.exception()
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
        # Its outcome (the end of the pages, or their error) holds a traceback through this frame, which holds it:
        # a cycle that would keep the last page for the collector's next full pass.
        del pending


def digest_of(data: Any) -> str:
    """Stable across key order: what "this object changed" means (the SHA-256 of `compact_json`)."""
    return digest_of_json(compact_json(data))


def digest_of_json(text: bytes) -> str:
    """The digest of an object whose `compact_json` is at hand."""
    return hashlib.sha256(text).hexdigest()[:32]


def digest_bytes(text: bytes) -> bytes:
    """`digest_of_json` as the live state keeps it: its 16 bytes, not 32 hex characters (49 bytes of memory, not
    81, for each of 50,000 alerts), and no hex written for the objects a poll finds unchanged."""
    return hashlib.sha256(text).digest()[:16]


def _digest_kept(digest: str) -> bytes:
    """A journaled digest as the state keeps it; one that is not ours (no hex) is kept as nothing, which no
    object's digest equals: that object is journaled again at the next poll."""
    try:
        return bytes.fromhex(digest)
    except ValueError:
        return b""


@dataclass
class LiveState:
    """What the dashboard shows: the last known objects per source, how fresh each source is."""

    health: dict[str, ServiceHealth] = field(default_factory=dict)
    issues: dict[str, ServiceIssue] = field(default_factory=dict)
    messages: dict[str, ServiceMessage] = field(default_factory=dict)
    # Tracked: the alerts pane redoes only the rows of the records a poll wrote or removed.
    alerts: dict[str, Alert] = field(default_factory=Tracked)
    incidents: dict[str, SecurityIncident] = field(default_factory=Tracked)
    risky_users: dict[str, RiskyUser] = field(default_factory=Tracked)
    freshness: dict[str, Freshness] = field(default_factory=dict)
    # Recent sign-ins of the users on the incident's watch list (upn -> newest first); not journaled.
    watched_sign_ins: dict[str, list[SignIn]] = field(default_factory=dict)
    # When each workload's status last changed (the health pane's Since), from the journal and the polls.
    health_since: dict[str, datetime] = field(default_factory=dict)
    # Microsoft issues Graph no longer lists, as last seen: a linked issue stays readable to the end.
    kept_issues: dict[str, ServiceIssue] = field(default_factory=dict)
    version: int = 0
    # source -> key -> digest of the last journaled data (`digest_bytes`): how the watcher knows what changed. A dict
    # per source, keyed by the record's own key: no (source, key) tuple for each of 50,000 alerts.
    digests: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in SOURCES:
            self.freshness.setdefault(name, Freshness(name))
            self.digests.setdefault(name, {})

    def digest(self, source: str, key: str) -> str | None:
        """The digest last journaled for this object, as the journal writes it (None: none known)."""
        kept = self.digests[source].get(key)
        return kept.hex() if kept else None

    def records(self, source: str) -> dict[str, Any]:
        return getattr(self, source)

    def issue(self, issue_id: str) -> ServiceIssue | None:
        """A Microsoft issue as Graph lists it now, else as last seen before Graph stopped listing it."""
        return self.issues.get(issue_id) or self.kept_issues.get(issue_id)

    def bump(self) -> None:
        self.version += 1


class _YoungCollections:
    """The young generation's threshold raised while any poll of a long-lived console runs (polls of several
    sources overlap: the first raises it, the last puts back what it was)."""

    polls = 0
    thresholds = gc.get_threshold()

    @classmethod
    @contextlib.contextmanager
    def deferred(cls) -> Iterator[None]:
        if cls.polls == 0:
            cls.thresholds = gc.get_threshold()
            gc.set_threshold(max(cls.thresholds[0], YOUNG_THRESHOLD), *cls.thresholds[1:])
        cls.polls += 1
        try:
            yield
        finally:
            cls.polls -= 1
            if cls.polls == 0:
                gc.set_threshold(*cls.thresholds)


def poll_intervals(config: Config) -> dict[str, float]:
    """graph.poll.<source> from the configuration, seconds."""
    intervals = dict(DEFAULT_INTERVALS)
    for name in intervals:
        value = config.get(f"graph.poll.{name}")
        if value:
            intervals[name] = float(value)
    return intervals


def _backoff(failures: int) -> float:
    """Seconds to wait after the n-th failure in a row: doubling up to a cap, jittered by ±25 % so that
    pollers failing together do not retry together."""
    return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (failures - 1)) * (0.75 + random.random() * 0.5)


def _key(data: dict[str, Any]) -> str:
    """The object's id as the state and the journal know it: a lone surrogate in it (which no journal entry can
    hold) written as its escape, so that object is journaled, withheld, and its page and later polls are not."""
    return writable(str(data.get("id", "")))


def _moment(value: Any) -> datetime | None:
    """When an object says it last changed, if it says it as an ISO time."""
    if not isinstance(value, str):
        return None
    try:
        return from_iso(value)
    except ValueError:
        return None


def _parse(source: Source, data: dict[str, Any], text: bytes | None = None) -> Any | None:
    """A record, or None when hostile or malformed data cannot be read (it is still journaled raw).

    `text`, the data's `compact_json` when the caller has it, is handed to an alert, which keeps it."""
    try:
        if text is not None and source.model == Alert.from_graph:
            return Alert.from_graph(data, text)
        return source.model(data)
    except Exception:
        return None


# What the journal's storage may refuse for a while (another process's lock, a full disk, a read-only medium).
STORAGE_TROUBLE = (JournalLocked, JournalFull, JournalReadOnly)


def _journal_safe(body: dict[str, Any]) -> dict[str, Any]:
    """An observation whose object the journal cannot hold as it is is journaled with the object withheld and why:
    a secret's shape (a JWT in a description…), or what is not plain JSON (a NaN, a lone surrogate in a title).
    One hostile alert never keeps its page from the journal; a later change to it is journaled whole."""
    try:
        text = canonical_json(body)
        text.encode("utf-8")                    # what seal will do: a lone surrogate cannot be written
        refuse_secrets(body, text=text)
    except SecretRefused as refused:
        why = str(refused)
    except RecursionError:
        why = "nested too deeply to journal"
    except (TypeError, ValueError) as error:    # UnicodeEncodeError is a ValueError
        why = f"not plain JSON: {error}"
    else:
        return body
    kept: dict[str, Any] = {name: body[name] for name in ("source", "key", "digest", "simulated") if name in body}
    return {**kept, "data": {"id": body.get("key"), "withheld": why}}


@dataclass
class Batch:
    """One page's changes: the observations to journal, the records to show, each key's (data, digest)."""

    drafts: list[Draft] = field(default_factory=list)
    updates: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)


class TenantWatcher:
    """Polls every source on its own schedule into a LiveState, journaling changes."""

    def __init__(
        self,
        gateway: GraphGateway,
        journal: Journal | None,
        state: LiveState,
        *,
        intervals: dict[str, float] | None = None,
        on_change: Callable[[set[str]], None] | None = None,
        sources: Iterable[str] | None = None,
        watch_list: Callable[[], Iterable[str]] | None = None,
        simulated: bool = False,
        specs: Mapping[str, Source] | None = None,
        settle: bool = False,
    ) -> None:
        self.gateway = gateway
        # The console's records live for the session: once SETTLE_EVERY were written, everything alive leaves the
        # cyclic collector's scans (gc.freeze), else every full collection walks 50,000 alerts and their rows
        # (~100 ms, a stall; docs/benchmarks.md). Process-wide: only a long-lived console asks, never a test or a
        # script. What dies in a cycle after being frozen is never freed: none of ours (tests/graph/test_collector).
        self.settle = settle
        self._unsettled = 0                          # records written since the last freeze
        # How each source is read and parsed: SOURCES, or a variant (`status` keeps counts, not Graph's JSON).
        self.specs: Mapping[str, Source] = specs or SOURCES
        # A simulated tenant's observations (DEMO, DRILL) are marked: a live console never takes them for the
        # tenant's state (restore_last_known), wherever the journal is shared.
        self.marks: dict[str, Any] = {"simulated": True} if simulated else {}
        self.journal = journal
        self.state = state
        self.intervals = {**DEFAULT_INTERVALS, **(intervals or {})}
        self.on_change = on_change
        self.watch_list = watch_list         # the open incident's watch list, asked after every poll
        self.sources = [name for name in (sources or SOURCES) if name in SOURCES]
        cloud = gateway.endpoint.cloud
        if not cloud.has_security:
            self.sources = [name for name in self.sources if not SOURCES[name].security]
            for name in SOURCES:
                if SOURCES[name].security:
                    self.state.freshness[name] = Freshness(name, SourceHealth.DENIED,
                                                           last_error=f"not available in the {cloud.name} cloud")
        self._not_before: dict[str, float] = {}      # monotonic time before which a source is not asked
        self._failures: dict[str, int] = {}
        self._watermark: dict[str, datetime] = {}
        self._pending_watermark: dict[str, datetime | None] = {}
        self._polls: dict[str, int] = {}
        self._locks = {name: asyncio.Lock() for name in SOURCES}
        self._reported: dict[str, str] = {}          # last source.status journaled per source
        # (source, key) -> (data, digest) of an observation in a batch being written: what a later one is against
        self._writing: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self.last_error: dict[str, BaseException] = {}   # why a source's last poll failed (absent: it worked)

    # -- running --------------------------------------------------------------------------------

    async def run(self) -> None:
        """One task per source until cancelled; each re-arms after its poll finishes."""
        async with asyncio.TaskGroup() as group:
            for name in self.sources:
                group.create_task(self._loop(name), name=f"poll {name}")
            if self.watch_list is not None:
                group.create_task(self._watched_sign_ins_loop(), name=f"poll {WATCHED_SIGN_INS}")

    async def _watched_sign_ins_loop(self) -> None:
        while True:
            delay = await self.poll_watched_sign_ins()
            await asyncio.sleep(delay)

    async def _loop(self, name: str) -> None:
        while True:
            delay = await self.poll_once(name)
            await asyncio.sleep(delay)

    async def poll_once(self, source: str) -> float:
        """Poll one source now (after any Retry-After still running); returns seconds until the next poll."""
        spec = self.specs[source]
        async with self._locks[source]:
            wait = self._not_before.get(source, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                with _YoungCollections.deferred() if self.settle else contextlib.nullcontext():
                    partial = await self._poll(spec)
            except Exception as error:  # every failure becomes a stale source with a reason, never a crash
                delay = await self._failed(spec, error)
            else:
                self._failures[source] = 0
                self.last_error.pop(source, None)
                delay = self.interval(source)
                now = utc_now()
                self.state.freshness[source] = self.state.freshness[source].with_success(
                    now, now + timedelta(seconds=delay), partial)
                await self._report(source, "partial" if partial else "fresh", partial)
                self._notify({source})
            return delay

    def interval(self, source: str) -> float:
        """Seconds between successful polls: shorter for watched sources while the watch list has anyone on it.

        Only the pause after a success shortens; failures keep their delay, so Retry-After still holds.
        """
        interval = self.intervals.get(source, 60.0)
        watched = WATCHED_INTERVALS.get(source)
        if watched and self.intervals.get(watched) and self._watched():
            interval = min(interval, self.intervals[watched])
        return interval

    async def _poll(self, spec: Source) -> str | None:
        """Read the source once; returns why the read was partial (paging cut short), None when complete.

        A partial read keeps what it read but forgets nothing and keeps the watermark: what it did not reach is
        not known to be gone or unchanged.
        """
        count = self._polls.get(spec.name, 0)
        self._polls[spec.name] = count + 1
        watermark = self._watermark.get(spec.name)
        incremental = bool(spec.changed_field and watermark and count % FULL_SYNC_EVERY != 0)
        params = {"$filter": f"{spec.changed_field} ge {to_iso(watermark)}"} if incremental and watermark else {}
        records = self.state.records(spec.name)
        seen: set[str] = set()
        changed = False
        self._pending_watermark[spec.name] = watermark
        partial: str | None = None
        shown_at = 0.0
        pages = 0
        settled = False
        # A page's changes are journaled in one transaction, written while the next pages are read and compared:
        # the journal's thread and the event loop work at once. A page is handed to the journal as soon as it is
        # compared (it prepares the entries and queues them behind the page before), so at most WRITES_AHEAD pages
        # wait to be written, and the journal may write two queued together in one transaction. The loop's own
        # work goes in slices of CHUNK.
        writing: list[asyncio.Task[bool]] = []
        try:
            async for page in read_ahead(self.gateway.pages(spec, params)):
                pages += 1
                batch = Batch()
                # orjson read the page (a Page; a list from elsewhere is not known to be): its objects' text is
                # spliced into their observations as is, unless `reduce` made them something else.
                exact = getattr(page, "exact", False) and spec.reduce is None
                for start in range(0, len(page), CHUNK):
                    self._changes(spec, page[start:start + CHUNK], records, seen, batch, exact)
                    await asyncio.sleep(0)
                if batch.drafts:
                    for key, value in batch.pending.items():
                        self._writing[(spec.name, key)] = value
                    writing.append(asyncio.ensure_future(self._commit(spec, batch, writing[-1] if writing else None)))
                if len(writing) > 3:
                    changed |= await writing[0]
                    del writing[0]
                records.update(batch.updates)
                self._unsettled += len(batch.updates)
                if self.settle and self._unsettled >= SETTLE_EVERY:
                    gc.freeze()
                    self._unsettled = 0
                    settled = True
                if (pages > 1 or (spec.page_size and len(page) >= spec.page_size)) \
                        and time.monotonic() - shown_at >= PROGRESS_EVERY_S:
                    shown_at = time.monotonic()
                    self._progress(spec.name, len(seen))
            while writing:
                changed |= await writing[0]
                del writing[0]
        except PagingCut as cut:
            partial = cut.reason
            _log.warning("%s: paging cut short: %s", spec.name, cut.reason)
            while writing:
                changed |= await writing[0]
                del writing[0]
        finally:
            if writing:                         # the read failed or was cancelled: the writes still finish
                await asyncio.wait(writing)
                changed |= any(not task.cancelled() and task.exception() is None and task.result()
                               for task in writing)
            if self.state.freshness[spec.name].loading is not None:
                self.state.freshness[spec.name] = self.state.freshness[spec.name]._replace(loading=None)
        if not incremental and partial is None:
            gone = [key for key in records if key not in seen]
            if gone:
                await self._forget(spec, gone, records)
                changed = True
        if (pending := self._pending_watermark.get(spec.name)) is not None and partial is None:
            self._watermark[spec.name] = pending   # only after a complete poll
        if changed:
            self.state.bump()
        if settled:         # a large load is done: what it freed among the records that stay goes back
            give_back_freed()
        return partial

    def _progress(self, source: str, count: int) -> None:
        """A long read under way: the objects read so far show (pane title, status bar) as pages arrive.

        Only reads that take more than one page say so, so an idle console's ordinary polls write nothing.
        """
        self.state.freshness[source] = self.state.freshness[source]._replace(loading=count)
        self._notify({source})

    def _changes(self, spec: Source, items: list[dict[str, Any]], records: dict[str, Any], seen: set[str],
                 batch: Batch, exact: bool = False) -> None:
        """What changed in these objects, into `batch`: a record and an observation draft for each object whose
        digest is not the one journaled (or about to be, by a batch still being written: `_writing`).

        `exact`: orjson read the objects (`Page.exact`), so an observation of a whole one is spliced from the
        text its digest is taken of (`observation_text`) instead of being encoded again by the journal."""
        now = utc_now()
        known, writing, drafts, updates, pending = (self.state.digests[spec.name], self._writing, batch.drafts,
                                                    batch.updates, batch.pending)
        # The newest change seen (what the next incremental poll asks from), never one later than a few minutes
        # from now: a hostile future date must not freeze polling.
        changed_field, newest = spec.changed_field, self._pending_watermark.get(spec.name)
        latest_allowed = now + WATERMARK_AHEAD
        for data in items:
            key = _key(data)
            if not key:
                continue
            seen.add(key)
            if changed_field and (moment := _moment(data.get(changed_field))) is not None \
                    and moment <= latest_allowed and (newest is None or moment > newest):
                newest = self._pending_watermark[spec.name] = moment
            if spec.reduce is not None:
                data = spec.reduce(data)
            text = compact_json(data)
            sealed = digest_bytes(text)
            # a key twice in one read: the second is journaled against the first, never against an older version
            earlier = pending.get(key) or writing.get((spec.name, key))
            if (earlier is None and known.get(key) == sealed and key in records) \
                    or (earlier is not None and earlier[1] == sealed.hex()):
                continue
            digest = sealed.hex()
            record = _parse(spec, data, text)
            if record is not None:
                if isinstance(given := data.get("id"), str) and given != key:
                    record = record._replace(id=key)    # a lone surrogate: shown and named by the key journaled
                updates[key] = record
                if spec.name == "health":
                    old = records.get(key)
                    if old is not None and getattr(old, "status", None) != getattr(record, "status", None):
                        self.state.health_since[key] = now
            previous = earlier or self._previous(spec.name, key, records)
            pending[key] = (data, digest)
            body = observation_body(spec.name, key, digest, data, *previous)
            if self.marks:
                body.update(self.marks)
            drafts.append(Draft(kinds.OBSERVATION, body, occurred_at=now,
                                body_text=observation_text(body, text) if exact else None))

    async def _commit(self, spec: Source, batch: Batch, after: asyncio.Task[bool] | None = None) -> bool:
        """Journal a batch's drafts in one transaction, after the batch before it (`after`), then take their digests
        into the state (its records are shown already: Graph answered)."""
        drafts = batch.drafts
        try:
            if drafts and self.journal is not None and not self.journal.readonly:
                try:
                    try:
                        await self.journal.append_many(drafts, after=after)
                    except (JournalError, UnicodeEncodeError):
                        # Rare: an object the journal cannot hold as it is (a secret's shape, a NaN, a lone
                        # surrogate). The batch is redone with those withheld; any other trouble is raised as it was.
                        safe = [replace(d, body=_journal_safe(d.body), body_text=None) for d in drafts]
                        if all(a.body is b.body for a, b in zip(drafts, safe, strict=True)):
                            raise
                        drafts = safe
                        await self.journal.append_many(drafts, after=after)
                except STORAGE_TROUBLE:
                    # The journal's trouble, not Graph's (the status bar says it as the journal's): without their
                    # digests the objects are journaled at the next poll.
                    return bool(drafts)
            known = self.state.digests[spec.name]
            for draft in drafts:
                known[draft.body["key"]] = _digest_kept(draft.body["digest"])
            return bool(drafts)
        finally:
            for key in batch.pending:
                if self._writing.get((spec.name, key)) is batch.pending[key]:
                    del self._writing[(spec.name, key)]

    def _previous(self, source: str, key: str, records: dict[str, Any]) -> tuple[Any, str | None]:
        """The object last journaled for this key and its digest, when the record on hand is that object: what a
        change is journaled against (a merge patch). Otherwise (None, None): the change is journaled whole."""
        base = self.state.digest(source, key)
        record = records.get(key)
        if not base or record is None:
            return None, None
        text = getattr(record, "graph_json", None)
        if isinstance(text, bytes):             # an alert keeps its object as bytes: parsed only for a change
            return (parse_json(text), base) if digest_of_json(text) == base else (None, None)
        raw = getattr(record, "raw", None)
        if raw and digest_of(raw) == base:
            return raw, base
        return None, None

    async def _forget(self, spec: Source, keys: list[str], records: dict[str, Any]) -> None:
        """Objects a full poll no longer returns: gone from the state, and the journal says so."""
        now = utc_now()
        drafts = [Draft(kinds.OBSERVATION, {**gone_body(spec.name, key), **self.marks}, occurred_at=now)
                  for key in keys]
        if self.journal is not None and not self.journal.readonly:
            try:
                await self.journal.append_many(drafts)
            except STORAGE_TROUBLE:     # the journal's trouble: they stay until it can record them gone
                return
        for key in keys:
            gone = records.pop(key, None)
            if spec.name == "issues" and gone is not None:
                self.state.kept_issues[key] = gone
            self.state.digests[spec.name].pop(key, None)

    async def _failed(self, spec: Source, error: BaseException) -> float:
        """Freshness says why; the delay honours Retry-After exactly, else backs off with jitter."""
        name = spec.name
        self.last_error[name] = error
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        interval = self.intervals.get(name, 60.0)
        backoff = _backoff(failures)
        health, permission = SourceHealth.STALE, None
        if isinstance(error, GraphThrottled):
            health = SourceHealth.THROTTLED
            delay = error.retry_after if error.retry_after is not None else max(backoff, spec.min_interval or 1.0)
            reason = "429" if error.retry_after is None else f"429, Retry-After {error.retry_after:g} s"
        elif isinstance(error, GraphDenied):
            health, permission, delay = SourceHealth.DENIED, error.permission, DENIED_RETRY_S
            reason = error.reason
        elif isinstance(error, SignInRequired):
            health, delay, reason = SourceHealth.DENIED, DENIED_RETRY_S, "sign-in required"
        elif isinstance(error, GraphUnavailable):
            delay = error.retry_after if error.retry_after is not None else backoff
            reason = error.reason
        elif isinstance(error, GraphError):
            delay, reason = max(backoff, interval), error.reason
        elif isinstance(error, JournalError):
            delay, reason = max(backoff, interval), f"journal: {error}"
        else:
            delay, reason = backoff, f"unexpected {type(error).__name__}"
        self._not_before[name] = time.monotonic() + delay
        now = utc_now()
        self.state.freshness[name] = self.state.freshness[name].with_error(
            health, reason, now, now + timedelta(seconds=delay), missing_permission=permission)
        await self._report(name, health.value, reason)
        self._notify({name})
        return delay

    async def _report(self, source: str, state: str, reason: str | None) -> None:
        """Journal a source going stale, denied or back to fresh: once per change, not every attempt."""
        previous = self._reported.get(source)
        self._reported[source] = state
        if previous == state or (previous is None and state == "fresh"):
            return
        if self.journal is None or self.journal.readonly:
            return
        body = {"source": source, "state": state}
        if reason:
            body["reason"] = reason
        with contextlib.suppress(JournalError):
            await self.journal.append(kinds.SOURCE_STATUS, body)

    def _notify(self, sources: set[str]) -> None:
        """Tell the UI; a failing callback is logged, it must not stop the pollers."""
        if self.on_change is not None and sources:
            try:
                self.on_change(sources)
            except Exception:
                _log.exception("on_change callback failed for %s", sorted(sources))

    # -- enhanced monitoring: watched users' sign-ins --------------------------------------------

    def _watched(self) -> frozenset[str]:
        """The watch list as alerts are matched against it; a failing callback is logged and watches no one,
        so the pollers go on at their usual pace."""
        if self.watch_list is None:
            return frozenset()
        try:
            return watch_set(self.watch_list())
        except Exception:
            _log.exception("watch_list callback failed")
            return frozenset()

    async def poll_watched_sign_ins(self) -> float:
        """Each watched user's latest sign-ins into state.watched_sign_ins; returns seconds until the next poll.

        Polled at graph.poll.watched_alerts while someone is watched; a 429 waits out Retry-After, a denial
        (no AuditLog.Read.All) asks again rarely. Failures are logged, never raised: the other pollers go on.
        """
        name = WATCHED_SIGN_INS
        interval = self.intervals.get("watched_alerts") or self.intervals.get("alerts", 30.0)
        wait = self._not_before.get(name, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        upns = sorted(item for item in self._watched() if "@" in item)
        known = self.state.watched_sign_ins
        changed = {upn for upn in known if upn not in upns}
        for upn in changed:
            del known[upn]
        try:
            for upn in upns:
                sign_ins = await self.sign_ins_of(upn, limit=20)
                if [s.id for s in sign_ins] != [s.id for s in known.get(upn, [])] or upn not in known:
                    known[upn] = sign_ins
                    changed.add(upn)
        except Exception as error:  # trouble holds the next request back (Retry-After exactly); never raised
            delay = self._sign_ins_failed(error, interval)
            self._not_before[name] = time.monotonic() + delay
        else:
            self._failures[name] = 0
            self._not_before.pop(name, None)
            delay = interval
        if changed:
            self._notify({name})
        return delay

    def _sign_ins_failed(self, error: BaseException, interval: float) -> float:
        failures = self._failures.get(WATCHED_SIGN_INS, 0) + 1
        self._failures[WATCHED_SIGN_INS] = failures
        backoff = _backoff(failures)
        _log.warning("watched sign-ins: %s", getattr(error, "reason", None) or type(error).__name__)
        if isinstance(error, GraphThrottled):
            return error.retry_after if error.retry_after is not None else backoff
        if isinstance(error, (GraphDenied, SignInRequired)):
            return DENIED_RETRY_S          # no AuditLog.Read.All (or no session): ask again now and then
        return max(interval, backoff)

    async def sign_ins_of(self, upn: str, *, limit: int = 50) -> list[SignIn]:
        """A user's latest sign-ins, newest first (raises GraphError when Graph will not say)."""
        rows = await self.gateway.get_all(
            SIGN_INS, {"$filter": f"userPrincipalName eq {string_literal(upn)}", "$top": str(limit)}, limit=limit)
        sign_ins = [SignIn.from_graph(row) for row in rows]
        sign_ins.sort(key=lambda s: s.created.timestamp() if s.created else 0.0, reverse=True)
        return sign_ins


async def restore_last_known(journal: Journal, *, simulated: bool = False,
                             specs: Mapping[str, Source] | None = None) -> LiveState:
    """The last observed state of every source, from the journal alone: the console starts offline.

    Only observations of the same kind of tenant count: a live console ignores what a simulated tenant (a demo,
    a drill) journaled, and a simulated one ignores the real tenant's. `specs` restores only those sources, each
    parsed with its spec's model (`status` keeps counts, not Graph's JSON).
    """
    sources = specs or SOURCES
    state = LiveState()
    replay = Replay(compact=True)                        # holds bytes between observations, not parsed objects
    latest: dict[tuple[str, str], tuple[Any | None, str, str]] = {}     # the record each object makes now
    last_issue: dict[str, dict[str, Any]] = {}           # each issue's last data, even once Graph dropped it
    statuses: dict[str, tuple[Any, str]] = {}            # workload -> (status, since)
    async for entry in journal.iter_entries(kinds=[kinds.OBSERVATION]):
        body = entry.body
        source, key = body.get("source"), body.get("key")
        if (body.get("simulated") is True) != simulated:
            continue
        if isinstance(source, str) and source in sources and isinstance(key, str):
            observed = replay.feed(body)
            if observed is None:
                continue
            data = observed.data          # None: gone, or a change that could not be rebuilt (journaled again)
            record = None
            if isinstance(data, dict) and "withheld" not in data:
                record = _parse(sources[source], data)
                if source == "issues":
                    last_issue[key] = data
            latest[(source, key)] = (record, observed.digest, entry.occurred_at)
            if source == "health" and isinstance(data, dict):
                previous = statuses.get(key)
                if previous is None or previous[0] != data.get("status"):
                    statuses[key] = (data.get("status"), entry.occurred_at)
    for key, (_, since) in statuses.items():
        state.health_since[key] = from_iso(since)
    for key, data in last_issue.items():
        if latest.get(("issues", key), (None,))[0] is None:
            record = _parse(sources["issues"], data)
            if record is not None:
                state.kept_issues[key] = record
    newest_at: dict[str, str] = {}
    for (source, key), (record, digest, at) in latest.items():
        if record is None:
            continue
        state.records(source)[key] = record
        state.digests[source][key] = _digest_kept(digest)
        newest_at[source] = max(newest_at.get(source, at), at)
    for source, at in newest_at.items():
        moment = from_iso(at)
        state.freshness[source] = Freshness(source, SourceHealth.STALE, last_success=moment,
                                            last_error="last known state from the journal", last_error_at=moment)
    if newest_at:
        state.bump()
    return state


__all__ = [
    "Alert",
    "LiveState",
    "RiskyUser",
    "SecurityIncident",
    "ServiceHealth",
    "ServiceIssue",
    "ServiceMessage",
    "TenantWatcher",
    "digest_bytes",
    "digest_of",
    "digest_of_json",
    "poll_intervals",
    "restore_last_known",
    "watch_set",
]
