"""PostgreSQL fixtures: one real server per xdist worker, and a fresh database for every test.

`pg_server`: the worker's `PostgresServer` (tests may stop, kill or restart it; the next test finds it running).
`pg_url`: the superuser URL of a new, empty database, dropped after the test.
`journal_url`: `pg_url` with a shared journal set up in it (`warroom journal init`, as its owner would).
`tcp_cut`: a `TcpCut` in front of `pg_server`; `tcp_cut.route(pg_url)` goes through it.
`journal`: an open journal on each backend in turn (the test runs twice: SQLite, then PostgreSQL at `pg_url`).

Without the server binaries the tests are skipped on a developer's machine, but fail in CI (`CI` set): CI must
never pass by skipping them. `bash .ci/setup` installs them.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from warroom.console.journal import Journal, open_journal
from warroom.console.journal.postgres import PostgresJournal, init_shared

from .pg import Certificates, PostgresServer, TcpCut, _run_coroutine, find_bindir, make_certificates


@pytest.fixture(scope="session")
def pg_server(worker_id: str) -> Iterator[PostgresServer]:
    bindir = find_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries not found (initdb on PATH or in /usr/lib/postgresql/*/bin): see .ci/setup"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests, not skip them", pytrace=False)
        pytest.skip(reason)
    started = time.perf_counter()
    server = PostgresServer(bindir, name=f"warroom-pg-{worker_id}")
    try:
        server.start()
        print(f"\n{worker_id}: PostgreSQL ({bindir}) up in {time.perf_counter() - started:.2f}s on port {server.port}")
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(pg_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    pg_server.start()  # a test before this one may have left it stopped
    name = _database_name(request.node.name)
    url = pg_server.create_database(name)
    yield url
    pg_server.start()
    pg_server.drop_database(name)  # keeps the cluster small over a long session; FORCE ends leftover connections


class Secured(NamedTuple):
    server: PostgresServer
    certificates: Certificates
    password_role: str          # signs in with PASSWORD, every other role on trust


PASSWORD = "correct horse"


@pytest.fixture(scope="session")
def pg_tls(pg_server: PostgresServer, worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """A second server with TLS on (a throwaway CA) and one role that needs a password, a journal set up in it."""
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = PostgresServer(pg_server.bindir, name=f"warroom-pg-tls-{worker_id}")
    try:
        server.secure(certificates, password_roles=("alice",))
        server.start()
        server.execute(f"CREATE ROLE alice LOGIN PASSWORD '{PASSWORD}'")
        _run_coroutine(init_shared(server.url(), responders=["alice"]))
        yield Secured(server, certificates, "alice")
    finally:
        server.close()


@pytest.fixture
def journal_url(pg_url: str) -> str:
    _run_coroutine(init_shared(pg_url))
    return pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Journal]:
    opened: Journal
    if request.param == "sqlite":
        opened = await open_journal(tmp_path / "journal.db", actor="ic")
    else:
        opened = await PostgresJournal.open(request.getfixturevalue("pg_url"), actor="ic")
    yield opened
    await opened.close()


@pytest.fixture
def tcp_cut(pg_server: PostgresServer) -> Iterator[TcpCut]:
    with TcpCut(pg_server.port) as proxy:
        yield proxy


_counter = 0


def _database_name(test_name: str) -> str:
    """Readable in the server log and unique in the session, within PostgreSQL's 63 bytes."""
    global _counter
    _counter += 1
    return f"t{_counter}_{re.sub(r'[^a-z0-9]+', '_', test_name.lower())}"[:63]
