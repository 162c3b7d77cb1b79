"""Helpers for the journal tests: build a journal, and tamper with it the way an attacker with a shell would."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from warroom.console.journal import Draft, Entry, open_journal, sha256_text

COLUMNS = (
    "seq", "incident", "kind", "actor", "occurred_at", "discovered_at", "logged_at", "origin", "body",
    "prev_hash", "hash",
)
TRIGGERS = ("entries_refuse_update", "entries_refuse_delete")
WARROOM = Path(sys.executable).parent / "warroom"  # the installed console script, as a responder runs it


async def abuild(path: Path, count: int, *, incident: str | None = "INC-1", origin_every: int = 0) -> list[Entry]:
    """A journal of `count` notes, some with an incident and an origin, so every column holds something."""
    drafts = [
        Draft(
            "note",
            {"text": f"note {n}: mailbox rule forwards to evil@example.com", "n": n},
            incident if n % 2 else None,
            origin=sha256_text(str(n)) if origin_every and n % origin_every == 0 else None,
        )
        for n in range(1, count + 1)
    ]
    async with await open_journal(path, actor="alex") as journal:
        return await journal.append_many(drafts)


def build(path: Path, count: int, **options: Any) -> list[Entry]:
    """`abuild` for tests that are not async."""
    return asyncio.run(abuild(path, count, **options))


def tamper(path: Path, sql: str, params: Sequence[Any] = (), *, drop_triggers: bool = True) -> None:
    """What an attacker does: open the file with plain sqlite3, drop the append-only triggers, change rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if drop_triggers:
            for name in TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(sql, tuple(params))
    finally:
        conn.close()


def read(path: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query on the journal file opened read-only (what is on disk, not what a connection holds)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, tuple(params)).fetchall()
    finally:
        conn.close()


def stored_journal_id(path: Path) -> str:
    return read(path, "SELECT value FROM meta WHERE key = 'journal_id'")[0][0]


def restore_triggers(path: Path) -> None:
    """Put the append-only triggers back as the schema made them, after a tamper."""
    from warroom.console.journal.schema import MIGRATIONS

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in MIGRATIONS[1]:
            if any(f"TRIGGER {name}" in statement for name in TRIGGERS):
                conn.execute(statement)
    finally:
        conn.close()


def row(path: Path, seq: int) -> dict[str, Any]:
    [values] = read(path, f"SELECT {', '.join(COLUMNS)} FROM entries WHERE seq = ?", (seq,))
    return dict(zip(COLUMNS, values, strict=True))


def warroom(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real `warroom` command line in a subprocess, as a responder would."""
    return subprocess.run(
        [str(WARROOM), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
