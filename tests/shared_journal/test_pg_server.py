"""The test PostgreSQL server and TCP proxy do what the shared-journal tests rely on."""

from __future__ import annotations

import asyncio
import os
import pwd
from pathlib import Path

import asyncpg
import pytest

from .pg import PostgresServer, TcpCut

# What a client may see when the server or the network goes away under it.
CONNECTION_LOST = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


async def fetchval(url: str, query: str = "SELECT 1", connect_timeout: float = 10) -> object:
    connection = await asyncpg.connect(url, timeout=connect_timeout)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def test_select_one_on_a_fresh_database(pg_url: str) -> None:
    assert await fetchval(pg_url) == 1
    assert await fetchval(pg_url, "SELECT current_database()") == pg_url.rsplit("/", 1)[1]
    assert await fetchval(pg_url, "SELECT host(inet_server_addr())") == "127.0.0.1"
    assert await fetchval(pg_url, "SELECT current_setting('listen_addresses')") == "127.0.0.1"


def test_the_server_never_runs_as_root(pg_server: PostgresServer, pg_url: str) -> None:
    data_dir = Path(str(asyncio.run(fetchval(pg_url, "SELECT current_setting('data_directory')"))))
    assert data_dir == pg_server.data_dir
    owner = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert data_dir.stat().st_uid == owner != 0


@pytest.mark.parametrize("round", [1, 2])
async def test_each_test_gets_its_own_empty_database(pg_url: str, round: int) -> None:
    connection = await asyncpg.connect(pg_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == 0
        await connection.execute("CREATE TABLE marker (round int)")  # fails in round 2 if the database were shared
    finally:
        await connection.close()


async def test_databases_are_isolated(pg_server: PostgresServer, pg_url: str) -> None:
    other = pg_server.create_database()
    try:
        connection = await asyncpg.connect(pg_url)
        await connection.execute("CREATE TABLE only_here (x int); INSERT INTO only_here VALUES (1)")
        await connection.close()
        with pytest.raises(asyncpg.UndefinedTableError):
            await fetchval(other, "SELECT x FROM only_here")
        assert await fetchval(pg_url, "SELECT x FROM only_here") == 1
    finally:
        pg_server.drop_database(other.rsplit("/", 1)[1])


async def test_stop_disconnects_and_start_brings_the_data_back(pg_server: PostgresServer, pg_url: str) -> None:
    connection = await asyncpg.connect(pg_url)
    await connection.execute("CREATE TABLE entries (n int); INSERT INTO entries VALUES (1)")
    port = pg_server.port

    pg_server.stop()
    with pytest.raises(CONNECTION_LOST):
        await connection.fetchval("SELECT 1")
    with pytest.raises(CONNECTION_LOST):
        await fetchval(pg_url, connect_timeout=5)

    pg_server.start()
    assert pg_server.port == port  # the same URL works again
    assert await fetchval(pg_url, "SELECT sum(n) FROM entries") == 1
    connection.terminate()


async def test_kill_keeps_committed_work(pg_server: PostgresServer, pg_url: str) -> None:
    connection = await asyncpg.connect(pg_url)
    await connection.execute("CREATE TABLE entries (n int); INSERT INTO entries VALUES (1), (2)")
    pg_server.kill()
    connection.terminate()
    pg_server.start()
    assert await fetchval(pg_url, "SELECT sum(n) FROM entries") == 3
    assert "database system was interrupted" in pg_server.log_tail(50)  # it really went through crash recovery


async def test_restart_keeps_the_port(pg_server: PostgresServer, pg_url: str) -> None:
    port = pg_server.port
    pg_server.restart()
    assert pg_server.running and pg_server.port == port
    assert await fetchval(pg_url) == 1


async def test_cut_drops_connections_and_heal_lets_new_ones_through(pg_url: str, tcp_cut: TcpCut) -> None:
    through = tcp_cut.route(pg_url)
    assert through != pg_url and f":{tcp_cut.port}/" in through
    connection = await asyncpg.connect(through)
    assert await connection.fetchval("SELECT 1") == 1

    tcp_cut.cut()
    with pytest.raises(CONNECTION_LOST):
        await connection.fetchval("SELECT 1")
    with pytest.raises(CONNECTION_LOST):
        await fetchval(through, connect_timeout=5)
    assert await fetchval(pg_url) == 1  # only the proxied path is cut

    tcp_cut.heal()
    assert await fetchval(through) == 1
    connection.terminate()


async def test_a_stalled_network_holds_the_query_until_it_heals(pg_url: str, tcp_cut: TcpCut) -> None:
    connection = await asyncpg.connect(tcp_cut.route(pg_url))
    tcp_cut.cut(stall=True)
    query = asyncio.ensure_future(connection.fetchval("SELECT 42"))
    await asyncio.sleep(0.3)
    assert not query.done()  # silence: no answer, no error
    with pytest.raises(TimeoutError):
        await fetchval(tcp_cut.route(pg_url), connect_timeout=0.5)  # a new connection gets nowhere either

    tcp_cut.heal()
    assert await asyncio.wait_for(query, 10) == 42
    await connection.close()


def test_close_stops_the_server_and_removes_everything(pg_server: PostgresServer) -> None:
    with PostgresServer(pg_server.bindir, name="warroom-pg-close") as server:
        assert asyncio.run(fetchval(server.superuser_url)) == 1
        url, base = server.superuser_url, server.base
    assert not base.exists()
    with pytest.raises(CONNECTION_LOST):
        asyncio.run(fetchval(url, connect_timeout=5))
