"""Several writers on one journal at once: one total order, one chain, nothing lost or written twice."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from warroom.console.journal import open_journal, verify_file

from .journal_tools import WARROOM

pytestmark = pytest.mark.slow

SINGLE_WRITER = """
import asyncio, sys
from warroom.console.journal import Journal, open_journal

async def main(path, name, count):
    async with await open_journal(path, actor=name) as journal:
        for n in range(count):
            entry = await journal.append("note", {"text": f"{name} {n}"})
            print(entry.seq, flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""
SINGLES, LINES = 600, 4000


def _stored(path: Path) -> list[tuple[int, str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT seq, actor, body FROM entries ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [(seq, actor, json.loads(body)["text"]) for seq, actor, body in rows]


def test_four_processes_appending_at_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    script = tmp_path / "writer.py"
    script.write_text(SINGLE_WRITER)
    asyncio.run(_create(path))
    singles = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), name, str(SINGLES)], stdout=subprocess.PIPE, text=True
        )
        for name in ("alpha", "bravo")
    ]
    streams = []
    for name in ("charlie", "delta"):
        lines = tmp_path / f"{name}.txt"
        lines.write_text("".join(f"{name} {n}\n" for n in range(LINES)))
        with lines.open() as stdin:  # a file, so both streams run at full speed at the same time
            streams.append(subprocess.Popen(
                [str(WARROOM), "note", "--stdin", "--journal", str(path)],
                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(name),
            ))
    outputs = {}
    for name, proc in zip(("alpha", "bravo", "charlie", "delta"), singles + streams, strict=True):
        outputs[name], errors = proc.communicate(timeout=300)
        assert proc.returncode == 0, errors

    stored = _stored(path)
    total = 2 * SINGLES + 2 * LINES
    assert [seq for seq, _, _ in stored] == list(range(1, total + 1))
    texts = Counter(text for _, _, text in stored)
    assert len(texts) == total and set(texts.values()) == {1}, "an entry was lost or written twice"
    for name in ("alpha", "bravo", "charlie", "delta"):
        mine = [(seq, text) for seq, actor, text in stored if actor == name]
        assert [text for _, text in mine] == [f"{name} {n}" for n in range(len(mine))], f"{name} out of order"
        assert [int(line) for line in outputs[name].split()] == [seq for seq, _ in mine], f"{name} seqs"
    switches = sum(1 for a, b in itertools.pairwise(stored) if a[1] != b[1])
    assert switches > 10, f"the writers barely overlapped ({switches} switches): the test proved little"
    result = verify_file(path)
    assert (result.ok, result.entries) == (True, total)


def _env(responder: str) -> dict[str, str]:
    return {**os.environ, "WARROOM_RESPONDER": responder}


async def _create(path: Path) -> None:
    async with await open_journal(path):
        pass


async def test_two_journal_objects_in_one_process(journal_path: Path) -> None:
    first = await open_journal(journal_path, actor="console-1")
    second = await open_journal(journal_path, actor="console-2")
    try:
        writes = [
            (first if n % 2 else second).append("note", {"text": f"note {n}"}) for n in range(300)
        ]
        entries = await asyncio.gather(*writes)
        assert sorted(e.seq for e in entries) == list(range(1, 301))
        seen_by_first = await first.entries()
        assert [e.hash for e in seen_by_first] == [e.hash for e in await second.entries()]
        assert Counter(e.actor for e in seen_by_first) == {"console-1": 150, "console-2": 150}
    finally:
        await first.close()
        await second.close()
    assert verify_file(journal_path).ok
