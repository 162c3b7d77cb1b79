"""A writer killed with SIGKILL at random moments never loses an entry it reported as committed."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warroom.console.journal import open_journal, verify_file

pytestmark = pytest.mark.slow

# Appends single entries and batches for ever, printing each seq only after its commit returned.
WRITER = """
import asyncio, random, sys
from warroom.console.journal import Draft, Journal, open_journal

async def main(path):
    journal = await open_journal(path, actor="writer")
    rng = random.Random()
    while True:
        if rng.random() < 0.5:
            entries = [await journal.append("note", {"text": "single " + "x" * rng.randint(0, 2000)})]
        else:
            drafts = [Draft("note", {"text": f"batch line {n}"}) for n in range(rng.randint(2, 40))]
            entries = await journal.append_many(drafts)
        print("\\n".join(str(e.seq) for e in entries), flush=True)

asyncio.run(main(sys.argv[1]))
"""

ROUNDS = 24


def _committed_seqs(output: Path) -> list[int]:
    """Seqs the writer printed; a line cut short by the kill is ignored."""
    text = output.read_text()
    lines = text.split("\n")[:-1]  # whatever follows the last newline may be a partial line
    return [int(line) for line in lines]


def _wait_for_output(output: Path, writer: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while output.stat().st_size == 0 and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


def _stored_seqs(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {seq for (seq,) in conn.execute("SELECT seq FROM entries")}
    finally:
        conn.close()


def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    rng = random.Random(20261124)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    reported: set[int] = set()
    for round_number in range(ROUNDS):
        output = tmp_path / f"round{round_number}.out"
        with output.open("w") as sink:
            writer = subprocess.Popen([sys.executable, str(script), str(path)], stdout=sink)
            # Early rounds can land in start-up or the very first migration; the later half waits for the
            # writer's first commit (start-up is slow on a busy machine), so those rounds always land mid-append.
            if round_number >= ROUNDS // 2:
                _wait_for_output(output, writer)
            time.sleep(rng.uniform(0.05, 0.5))
            writer.kill()
            writer.wait()
        printed = _committed_seqs(output)
        reported.update(printed)
        if not path.exists() or path.stat().st_size == 0:
            assert not printed
            continue
        stored = _stored_seqs(path)
        assert reported <= stored, f"round {round_number}: lost {sorted(reported - stored)[:5]}"
        result = verify_file(path)
        assert result.ok, f"round {round_number}: {result.reason} at entry {result.bad_seq}"
    assert reported, "the writer never got to commit anything: the test proved nothing"

    async def append_after_crashes() -> int:
        async with await open_journal(path) as journal:
            return (await journal.append("note", {"text": "still writable"})).seq

    seq = asyncio.run(append_after_crashes())
    assert seq == max(_stored_seqs(path))
    assert verify_file(path).ok
