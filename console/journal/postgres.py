"""The journal on PostgreSQL: one incident record several hosts append to at once (asyncpg).

Appends are serialised in the database: each write transaction takes one advisory lock, reads the chain
head, seals the drafts after it and inserts them, so writers on any number of hosts form one total order
and one valid chain; the primary key on `seq` refuses a duplicate even from a writer that skipped the lock.
Every insert statement fires NOTIFY on `warroom_journal`, so other consoles read what is new within a
second without polling the table. UPDATE, DELETE and TRUNCATE are refused by triggers (even for the owner)
and, for the responder role, by privileges as well: see docs/shared-journal.md.

A URL carries no password: asyncpg reads PGPASSWORD or ~/.pgpass (PGPASSFILE) like libpq, and `sslmode`
in the URL or PGSSLMODE sets TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import textwrap
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ..timefmt import to_iso, utc_now
from .base import Journal
from .encoding import GENESIS, genesis_for
from .errors import (
    JournalConflict,
    JournalError,
    JournalMisconfigured,
    JournalReadOnly,
    JournalTooNew,
    JournalUnreachable,
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
    check_continues,
    prepare_many,
    seal,
)

SCHEMA = "warroom"
CHANNEL = "warroom_journal"
APPEND_LOCK = int.from_bytes(b"warroom", "big")      # pg_advisory_xact_lock key: one writer at a time
SETUP_LOCK = APPEND_LOCK + 1
LATEST_VERSION = 2
CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 15.0
VERIFY_BATCH = 5000
_COLUMNS = ", ".join(COLUMNS)
_SELECT = f"SELECT {_COLUMNS} FROM {SCHEMA}.entries"
_INSERT = f"INSERT INTO {SCHEMA}.entries({_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"

# MIGRATIONS[n] takes the shared journal from version n-1 to n. Never edit a released step: add the next one.
# How both versions of check_chain end: the row must continue the chain and its hash must be right.
_CHECK_ROW = """            IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
                RAISE EXCEPTION 'entry % does not continue the chain (its head is entry %)', NEW.seq, head_seq;
            END IF;
            expected := encode(sha256(convert_to(
                NEW.prev_hash || E'\n[' || NEW.seq || ',' || coalesce(to_json(NEW.incident)::text, 'null') || ','
                || to_json(NEW.kind)::text || ',' || to_json(NEW.actor)::text || ','
                || to_json(NEW.occurred_at)::text || ',' || to_json(NEW.discovered_at)::text || ','
                || to_json(NEW.logged_at)::text || ',' || coalesce(to_json(NEW.origin)::text, 'null') || E']\n'
                || NEW.body, 'UTF8')), 'hex');
            IF NEW.hash IS DISTINCT FROM expected THEN
                RAISE EXCEPTION 'entry % has a hash that does not match its content', NEW.seq;
            END IF;
            NEW.inserted_by := session_user;
            RETURN NEW;
        END $$
"""
MIGRATIONS: dict[int, list[str]] = {
    1: [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE {SCHEMA}.meta (key text PRIMARY KEY, value text NOT NULL)",
        f"""
        CREATE TABLE {SCHEMA}.entries (
            seq           bigint PRIMARY KEY CHECK (seq > 0),
            incident      text,
            kind          text NOT NULL,
            actor         text NOT NULL,
            occurred_at   text NOT NULL,
            discovered_at text NOT NULL,
            logged_at     text NOT NULL,
            origin        text,
            body          text NOT NULL,   -- canonical JSON exactly as hashed (jsonb would reorder it)
            prev_hash     text NOT NULL,
            hash          text NOT NULL UNIQUE,
            inserted_by   text NOT NULL DEFAULT session_user   -- the database role: not hashed, set by the trigger
        )
        """,
        f"CREATE UNIQUE INDEX entries_origin ON {SCHEMA}.entries(origin) WHERE origin IS NOT NULL",
        f"CREATE INDEX entries_incident ON {SCHEMA}.entries(incident, seq) WHERE incident IS NOT NULL",
        f"CREATE INDEX entries_kind ON {SCHEMA}.entries(kind, seq)",
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'journal entries are append-only: % refused', TG_OP; END $$
        """,
        f"""
        CREATE TRIGGER entries_refuse_update BEFORE UPDATE OR DELETE ON {SCHEMA}.entries
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_change()
        """,
        f"""
        CREATE TRIGGER entries_refuse_truncate BEFORE TRUNCATE ON {SCHEMA}.entries
        FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change()
        """,
        # Whoever inserts, with or without warroom: the row must continue the chain and its hash must be right
        # (the canonical encoding of records.py, rebuilt in SQL: to_json escapes text exactly as Python's json).
        f"""
        CREATE FUNCTION {SCHEMA}.check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE head_seq bigint := 0; head_hash text := repeat('0', 64); expected text;
        BEGIN
            SELECT seq, hash INTO head_seq, head_hash FROM {SCHEMA}.entries ORDER BY seq DESC LIMIT 1;
            IF NOT FOUND THEN head_seq := 0; head_hash := repeat('0', 64); END IF;
{_CHECK_ROW}        """,
        f"""
        CREATE TRIGGER entries_check_chain BEFORE INSERT ON {SCHEMA}.entries
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.check_chain()
        """,
        f"""
        CREATE FUNCTION {SCHEMA}.announce() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$
        """,
        f"""
        CREATE TRIGGER entries_announce AFTER INSERT ON {SCHEMA}.entries
        FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.announce()
        """,
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC",
    ],
    # The first entry chains from the journal's id (encoding.genesis_for), binding the id in meta into the chain;
    # a journal copied in from before ids were bound keeps GENESIS (zeros).
    2: [
        f"""
        CREATE OR REPLACE FUNCTION {SCHEMA}.check_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE head_seq bigint := 0; head_hash text := repeat('0', 64); expected text; bound text;
        BEGIN
            SELECT seq, hash INTO head_seq, head_hash FROM {SCHEMA}.entries ORDER BY seq DESC LIMIT 1;
            IF NOT FOUND THEN
                head_seq := 0; head_hash := repeat('0', 64);
                SELECT encode(sha256(convert_to('warroom journal ' || value, 'UTF8')), 'hex') INTO bound
                  FROM {SCHEMA}.meta WHERE key = 'journal_id';
                IF NEW.prev_hash IS NOT DISTINCT FROM bound THEN head_hash := bound; END IF;
            END IF;
{_CHECK_ROW}        """,
    ],
}
TRIGGERS = ("entries_refuse_update", "entries_refuse_truncate", "entries_check_chain", "entries_announce")


def redact(url: str) -> str:
    """The URL without its password, fit for the status bar and for error messages."""
    parts = urlsplit(url)
    query = "&".join(item for item in parts.query.split("&") if item and not item.lower().startswith("password="))
    if parts.password is None and query == parts.query:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# A TLS session cut mid-handshake is the network, not the settings.
_TLS_CUT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
INIT_HINT = "the database owner runs `warroom journal init URL` once (docs/shared-journal.md)"


def misconfiguration(error: BaseException) -> str | None:
    """What is wrong with the URL, its credentials or TLS settings; None when it is not their fault.

    These never heal by retrying, and spooling meanwhile would keep entries for a journal this host may never
    reach under that URL: the caller refuses and says this, where an outage (refused, reset, no answer) spools.
    """
    if isinstance(error, socket.gaierror):
        if error.errno == socket.EAI_AGAIN:        # the resolver did not answer: an outage, not a wrong name
            return None
        return f"the host name does not resolve ({error.strerror or error}): check the host in the URL"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (f"TLS: the server's certificate is not trusted ({error.verify_message or error}): "
                "set sslrootcert= (or PGSSLROOTCERT) to the CA that signed it, and use the name it was issued for")
    if isinstance(error, ssl.SSLError) and not isinstance(error, _TLS_CUT):
        return f"TLS failed ({error.reason or error})"
    if isinstance(error, asyncpg.exceptions.ClientConfigurationError):
        return f"TLS or connection settings: {error}"
    if isinstance(error, ConnectionError) and "ssl" in str(error).lower():     # asyncpg: "rejected SSL upgrade"
        return ("TLS: the server does not offer TLS, but the URL's sslmode requires it (ask the DBA to enable "
                "TLS; never lower sslmode across a network you do not own)")
    if isinstance(error, asyncpg.exceptions.InvalidAuthorizationSpecificationError):   # includes a bad password
        return (f"the database refused the sign-in ({error}): check the user in the URL and the password in "
                "PGPASSWORD or ~/.pgpass")
    if isinstance(error, asyncpg.exceptions.InvalidCatalogNameError):
        return f"{error}: check the database name in the URL"
    return None


def _unreachable(error: BaseException) -> bool:
    """A failure of the connection (retry later, spool meanwhile) rather than of the request or the settings."""
    if misconfiguration(error) is not None:
        return False
    return isinstance(error, (OSError, TimeoutError, asyncio.TimeoutError, asyncpg.exceptions.ConnectionFailureError,
                              asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.ConnectionDoesNotExistError,
                              asyncpg.exceptions.AdminShutdownError, asyncpg.exceptions.CrashShutdownError,
                              asyncpg.exceptions.TooManyConnectionsError, asyncpg.InterfaceError))


def translate(error: BaseException, where: str) -> JournalError:
    if isinstance(error, JournalError):
        return error
    if (wrong := misconfiguration(error)) is not None:
        return JournalMisconfigured(f"{where}: {wrong}")
    if _unreachable(error):
        text = str(error) or type(error).__name__
        return JournalUnreachable(f"{where}: shared journal unreachable ({text})")
    if isinstance(error, asyncpg.exceptions.InsufficientPrivilegeError):
        return JournalReadOnly(f"{where}: this database role may not do that ({error}); nothing was written")
    if isinstance(error, asyncpg.exceptions.RaiseError):
        return JournalReadOnly(f"{where}: {error}")
    if isinstance(error, (asyncpg.exceptions.UndefinedTableError, asyncpg.exceptions.InvalidSchemaNameError)):
        return JournalMisconfigured(f"{where}: no warroom journal in this database: {INIT_HINT}")
    return JournalError(f"{where}: {error}")


async def connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S, command_timeout=COMMAND_TIMEOUT_S,
                                     server_settings={"application_name": "warroom"})
    except Exception as error:
        raise translate(error, redact(url)) from None


class PostgresJournal(Journal):
    """The shared journal itself, over one connection (queries) plus one for LISTEN while someone follows."""

    def __init__(self, url: str, conn: asyncpg.Connection, *, actor: str, readonly: bool) -> None:
        self.url = url
        self.actor = actor
        self.readonly = readonly
        self._conn = conn
        self._lock = asyncio.Lock()       # one query at a time on the connection
        self._broken = False
        self.journal_id = ""
        self.can_append = True

    @classmethod
    async def open(cls, url: str, *, actor: str = "unknown", readonly: bool = False,
                   create: bool = True, **_: Any) -> PostgresJournal:
        conn = await connect(url)
        journal = cls(url, conn, actor=actor, readonly=readonly)
        try:
            await journal._prepare(create=create and not readonly)
        except BaseException as error:
            await journal.close()
            if isinstance(error, Exception):
                raise translate(error, journal.location) from None
            raise
        return journal

    @property
    def location(self) -> str:
        return redact(self.url)

    async def _prepare(self, *, create: bool) -> None:
        """Refuse, with what to do, a database without the journal or a role the owner never granted.

        Only `create` (the owner's `journal init`, a deliberate `journal copy`) makes the schema: a responder's
        role that happens to hold CREATE must not set up a journal nobody granted by typing a note.
        """
        conn = self._conn
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
                                   "WHERE schemaname = $1 AND tablename = 'entries')", SCHEMA):
            if not create:
                raise JournalMisconfigured(f"{self.location}: no warroom journal in this database yet: {INIT_HINT}")
            await init_schema(conn)
        if not await conn.fetchval(
            "SELECT CASE WHEN has_schema_privilege($1, 'USAGE') THEN has_table_privilege($2, 'SELECT') "
            "AND has_table_privilege($3, 'SELECT') ELSE false END", SCHEMA, f"{SCHEMA}.entries", f"{SCHEMA}.meta",
        ):
            role = await conn.fetchval("SELECT current_user")
            raise JournalMisconfigured(
                f"{self.location}: role {role} was not granted the journal: the owner runs `warroom journal init "
                f"URL --responder {role}` (or --reader {role})")
        version = int(await conn.fetchval(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version'") or 0)
        if version > LATEST_VERSION:
            raise JournalTooNew(f"{self.location}: shared journal schema version {version} is newer than this "
                                f"warroom understands ({LATEST_VERSION}); upgrade warroom")
        if version < LATEST_VERSION:
            if not create:
                raise JournalMisconfigured(f"{self.location}: the journal's schema (version {version}) needs an "
                                           f"upgrade to version {LATEST_VERSION}: {INIT_HINT}")
            await init_schema(conn)
        self.journal_id = await conn.fetchval(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'journal_id'") or ""
        self.can_append = bool(await conn.fetchval(
            "SELECT has_table_privilege(current_user, $1, 'INSERT')", f"{SCHEMA}.entries"))
        if not self.can_append:
            self.readonly = True

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._conn.close(), timeout=2)
        if not self._conn.is_closed():
            self._conn.terminate()

    @contextlib.asynccontextmanager
    async def _using(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection, one request at a time, never reused after a request was cut short.

        A request cancelled or timed out may leave the connection inside a transaction that will never commit;
        reusing it would turn later appends into savepoints of that transaction, acknowledged and then lost.
        So such a connection is thrown away, and every later request says unreachable: the caller reconnects.
        """
        async with self._lock:
            conn = self._conn
            if self._broken or conn.is_closed() or conn.is_in_transaction():
                self._discard()
                raise JournalUnreachable(f"{self.location}: shared journal unreachable (connection lost)")
            try:
                yield conn
            except JournalError:
                raise                            # ours (a refused claim): the transaction rolled back cleanly
            except asyncpg.PostgresError as error:
                if _unreachable(error):         # the server is shutting down or crashed
                    self._discard()
                raise translate(error, self.location) from None
            except BaseException as error:      # cancelled, timed out, connection reset: state unknown
                self._discard()
                if isinstance(error, Exception):
                    raise translate(error, self.location) from None
                raise

    def _discard(self) -> None:
        self._broken = True
        if not self._conn.is_closed():
            self._conn.terminate()

    async def _call(self, method: str, *args: Any) -> Any:
        async with self._using() as conn:
            return await getattr(conn, method)(*args)

    # -- writing --------------------------------------------------------------------------------

    async def append_many(self, drafts: Iterable[Draft], *, guard: Unclaimed | None = None,
                          after: asyncio.Future[Any] | None = None,
                          skip_known_origins: bool = False) -> Sequence[Entry]:
        """As Journal.append_many; `skip_known_origins` drops drafts whose origin is already here (spool uploads)."""
        if self.readonly:
            raise JournalReadOnly(f"{self.location}: opened read-only (or this role may not INSERT); "
                                  "nothing was written")
        prepared = prepare_many(list(drafts), self.actor)
        if not prepared:
            return []
        if after is not None:
            await asyncio.wait([after])
        async with self._using() as conn:
            return await self._append(conn, prepared, guard, skip_known_origins)

    @contextlib.asynccontextmanager
    async def _write_transaction(self, conn: asyncpg.Connection) -> AsyncIterator[None]:
        """A transaction holding the append lock: writers queue here, so the head one reads stays the head."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
            yield

    async def _head(self, conn: asyncpg.Connection) -> tuple[int, str]:
        """The last (seq, hash), or where a first entry chains from."""
        head = await conn.fetchrow(f"SELECT seq, hash FROM {SCHEMA}.entries ORDER BY seq DESC LIMIT 1")
        return tuple(head) if head else (0, genesis_for(self.journal_id))

    async def _append(self, conn: asyncpg.Connection, prepared: list[Prepared], guard: Unclaimed | None,
                      skip_known: bool) -> list[Entry]:
        async with self._write_transaction(conn):
            if skip_known:
                # Already here under this origin (an earlier upload, or a claim whose answer was lost): done.
                origins = [item[5] for item in prepared if item[5]]
                known = {row[0] for row in await conn.fetch(
                    f"SELECT origin FROM {SCHEMA}.entries WHERE origin = ANY($1::text[])", origins)}
                prepared = [item for item in prepared if item[5] not in known]
                if not prepared:
                    return []
            if guard is not None and await conn.fetchval(
                f"SELECT 1 FROM {SCHEMA}.entries WHERE incident = $1 AND kind = $2 "
                "AND ($3::text IS NULL OR (body::jsonb) ->> $4::text = $3) LIMIT 1",
                guard.incident, guard.kind, guard.task_id, guard.field,
            ):
                raise JournalConflict(guard.message)
            rows = seal(prepared, *await self._head(conn), utc_now())
            await conn.executemany(_INSERT, rows)
        return [Entry.from_row(row) for row in rows]

    async def append_copies(self, entries: list[Entry]) -> int:
        if self.readonly:
            raise JournalReadOnly(f"{self.location}: opened read-only; nothing was written")
        if not entries:
            return 0
        async with self._using() as conn, self._write_transaction(conn):
            fresh = check_continues(entries, await self._head(conn), self.location, self.journal_id)
            await conn.executemany(_INSERT, [entry.row() for entry in fresh])
        return len(fresh)

    async def adopt_identity(self, journal_id: str) -> None:
        async with self._using() as conn, self._write_transaction(conn):
            if await conn.fetchval(f"SELECT count(*) FROM {SCHEMA}.entries"):
                raise JournalError(f"{self.location}: already holds entries; a copy goes into an empty journal")
            await conn.execute(f"UPDATE {SCHEMA}.meta SET value = $1 WHERE key = 'journal_id'", journal_id)
        self.journal_id = journal_id

    # -- reading --------------------------------------------------------------------------------

    async def _rows(self, sql: str, *params: Any) -> list[Entry]:
        return [Entry.from_row(row) for row in await self._call("fetch", sql, *params)]

    async def entries(self, *, after: int = 0, limit: int | None = None, incident: str | None = None,
                      kinds: Iterable[str] | None = None, skip_kinds: Iterable[str] | None = None) -> list[Entry]:
        where, params = ["seq > $1"], list[Any]([after])
        if incident is not None:
            params.append(incident)
            where.append(f"incident = ${len(params)}")
        kinds = list(kinds or [])
        if kinds:
            params.append(kinds)
            where.append(f"kind = ANY(${len(params)}::text[])")
        skipped = list(skip_kinds or [])
        if skipped:
            params.append(skipped)
            where.append(f"kind <> ALL(${len(params)}::text[])")
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return await self._rows(sql, *params)

    async def holding(self, keys: list[str]) -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        wanted = set(keys)
        for entry in await self._rows(f"{_SELECT} WHERE hash = ANY($1::text[]) OR origin = ANY($1::text[]) "
                                      "ORDER BY seq", list(keys)):
            for key in (entry.hash, entry.origin):
                if key in wanted:
                    found.setdefault(key, entry)
        return found

    async def last(self, count: int = 1, *, incident: str | None = None) -> list[Entry]:
        if incident:
            rows = await self._rows(f"{_SELECT} WHERE incident = $1 ORDER BY seq DESC LIMIT {int(count)}", incident)
        else:
            rows = await self._rows(f"{_SELECT} ORDER BY seq DESC LIMIT {int(count)}")
        return rows[::-1]

    async def search(self, query: str, *, limit: int = 200) -> list[Entry]:
        """Every word of `query` (web-search syntax: "a phrase", -not), in kind, actor, incident or body."""
        if not query.split():
            return []
        return await self._rows(
            f"{_SELECT} WHERE to_tsvector('simple', kind || ' ' || actor || ' ' || coalesce(incident, '') || ' ' || "
            f"body) @@ websearch_to_tsquery('simple', $1) ORDER BY seq DESC LIMIT {int(limit)}", query)

    async def head(self) -> tuple[int, str]:
        row = await self._call("fetchrow", f"SELECT seq, hash FROM {SCHEMA}.entries ORDER BY seq DESC LIMIT 1")
        return (row[0], row[1]) if row else (0, GENESIS)

    async def stats(self) -> JournalStats:
        row = await self._call(
            "fetchrow",
            f"SELECT count(*), count(DISTINCT incident), min(logged_at), max(logged_at), "
            f"pg_total_relation_size('{SCHEMA}.entries'), "
            f"(SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version') FROM {SCHEMA}.entries")
        return JournalStats(path=self.location, entries=row[0], incidents=row[1], size_bytes=row[4],
                            first_at=row[2], last_at=row[3], journal_id=self.journal_id, schema_version=int(row[5]))

    async def verify(self, *, expect_head: str | None = None) -> VerifyResult:
        """The whole chain, read in one snapshot on a connection of its own, re-hashed batch by batch."""
        conn = await connect(self.url)
        try:
            present = {row[0] for row in await conn.fetch(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal "
                "AND tgenabled <> 'D'", f"{SCHEMA}.entries")}
            journal_id = await conn.fetchval(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'journal_id'") or ""
            check = ChainCheck(expect_head=expect_head, missing=[name for name in TRIGGERS if name not in present],
                               journal_id=journal_id)
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                cursor = await conn.cursor(f"{_SELECT} ORDER BY seq")
                while True:
                    rows = await cursor.fetch(VERIFY_BATCH)
                    if not rows or not check.feed(tuple(row) for row in rows):
                        break
            return check.result()
        except Exception as error:
            raise translate(error, self.location) from None
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    async def changes(self, fallback_s: float = 5.0) -> AsyncIterator[None]:
        """LISTEN on a connection of its own; a slow timer covers a notification lost with a connection.

        Raises JournalUnreachable when that connection drops: the caller reconnects and reads from its last seq.
        """
        listener = await connect(self.url)
        signal = asyncio.Event()
        lost: list[BaseException] = []

        def notified(*_: Any) -> None:
            signal.set()

        def terminated(*_: Any) -> None:
            lost.append(JournalUnreachable(f"{self.location}: shared journal unreachable (connection closed)"))
            signal.set()

        try:
            await listener.add_listener(CHANNEL, notified)
            listener.add_termination_listener(terminated)
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(signal.wait(), timeout=fallback_s)
                signal.clear()
                if lost:
                    raise lost[0]
                yield None
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(listener.close(), timeout=2)
            if not listener.is_closed():
                listener.terminate()


async def init_schema(conn: asyncpg.Connection) -> list[str]:
    """Create or migrate the shared journal's schema: one process at a time, the others wait and find it done.

    Returns the statements it ran (none when the schema was already current), as `journal init` prints them.
    """
    ran: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SETUP_LOCK)
        # A plain query on the catalog (not to_regclass, whose cached lookup can predate the lock) sees a
        # schema another process created while this one waited.
        exists = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
                                     "WHERE schemaname = $1 AND tablename = 'meta')", SCHEMA)
        version = int(await conn.fetchval(
            f"SELECT value FROM {SCHEMA}.meta WHERE key = 'schema_version'") or 0) if exists else 0
        for step in range(version + 1, LATEST_VERSION + 1):
            for statement in MIGRATIONS[step]:
                await conn.execute(statement)
                ran.append(textwrap.dedent(statement).strip())
            if step == 1:
                journal_id, created = str(uuid.uuid4()), to_iso(utc_now())
                await conn.execute(f"INSERT INTO {SCHEMA}.meta(key, value) VALUES ('journal_id', $1), "
                                   "('created_at', $2), ('schema_version', '0')", journal_id, created)
                ran.append(f"INSERT INTO {SCHEMA}.meta(key, value) VALUES ('journal_id', '{journal_id}'), "
                           f"('created_at', '{created}'), ('schema_version', '0')")
            await conn.execute(f"UPDATE {SCHEMA}.meta SET value = $1 WHERE key = 'schema_version'", str(step))
            ran.append(f"UPDATE {SCHEMA}.meta SET value = '{step}' WHERE key = 'schema_version'")
    return ran


def grant_statements(responders: Iterable[str] = (), readers: Iterable[str] = ()) -> list[str]:
    """Least privilege: responders may read and INSERT entries, readers only read; nobody may UPDATE or DELETE."""
    statements = []
    for role, rights in [*((r, "SELECT, INSERT") for r in responders), *((r, "SELECT") for r in readers)]:
        quoted = '"' + role.replace('"', '""') + '"'
        statements += [f"GRANT USAGE ON SCHEMA {SCHEMA} TO {quoted}",
                       f"GRANT SELECT ON {SCHEMA}.meta TO {quoted}",
                       f"GRANT {rights} ON {SCHEMA}.entries TO {quoted}"]
    return statements


class Initialised(NamedTuple):
    journal_id: str
    statements: list[str]     # every statement run, in order (none for the schema when it was current already)


async def init_shared(url: str, *, responders: Iterable[str] = (), readers: Iterable[str] = ()) -> Initialised:
    """`warroom journal init`: create the schema as its owner and grant the roles, all in one transaction."""
    conn = await connect(url)
    try:
        async with conn.transaction():      # all of it or none: a misspelt role leaves nothing half granted
            ran = await init_schema(conn)
            for statement in grant_statements(responders, readers):
                await conn.execute(statement)
                ran.append(statement)
        journal_id = await conn.fetchval(f"SELECT value FROM {SCHEMA}.meta WHERE key = 'journal_id'")
        return Initialised(journal_id, ran)
    except Exception as error:
        raise translate(error, redact(url)) from None
    finally:
        await conn.close()


__all__ = ["PostgresJournal", "grant_statements", "init_shared", "redact", "translate"]
