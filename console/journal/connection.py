"""One SQLite connection on a thread of its own, so the event loop never waits on the disk.

The journal owns this connection rather than borrowing aiosqlite's: a write runs as one function on the
connection's thread (BEGIN IMMEDIATE, read the head, insert, COMMIT, with no await in between, so a
cancelled task cannot leave a transaction open), and aiosqlite offers that only through its private API.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class SQLiteThread:
    """A sqlite3 connection used only on its own single worker thread; every call is one hop to it."""

    def __init__(self, conn: sqlite3.Connection, pool: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._pool = pool
        self._closed = False

    @classmethod
    async def connect(cls, uri: str) -> SQLiteThread:
        """Open `uri` in autocommit mode (transactions are explicit) on a new thread."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        try:
            conn = await asyncio.get_running_loop().run_in_executor(
                pool, partial(sqlite3.connect, uri, uri=True, isolation_level=None))
        except BaseException:
            pool.shutdown(wait=False)
            raise
        return cls(conn, pool)

    async def run(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args,
                  **kwargs: P.kwargs) -> T:
        """`fn(connection, *args)` on the connection's thread: the whole call runs there, start to end."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(fn, self._conn, *args, **kwargs))

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        await self.run(_execute, sql, tuple(params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any:
        return await self.run(_fetchone, sql, tuple(params))

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return await self.run(_fetchall, sql, tuple(params))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.run(sqlite3.Connection.close)
        finally:
            self._pool.shutdown(wait=False)


def _execute(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> None:
    conn.execute(sql, params).close()


def _fetchone(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _fetchall(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()
