"""`cmd | warroom note --stdin` through a real pipe: bad bytes cost one line, and a slow stream is acknowledged."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from warroom.console.commands.note import LINE_MAX, read_lines
from warroom.console.journal import open_journal

WARROOM = Path(sys.executable).parent / "warroom"


def _texts(path: Path) -> list[str]:
    async def read() -> list[str]:
        async with await open_journal(path, readonly=True) as journal:
            return [entry.body["text"] for entry in await journal.entries()]

    return asyncio.run(read())


def test_a_line_that_is_not_utf8_or_too_long_is_skipped_and_the_rest_kept(journal_path: Path) -> None:
    data = (b"first\n" + b"\xff\xfe caf\xe9\n" + b"third\n" + b"x" * (LINE_MAX + 10) + b"\n"
            + "fifth \u00e9\n".encode())
    result = subprocess.run([str(WARROOM), "note", "--stdin", "--journal", str(journal_path)],
                            input=data, capture_output=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.split() == [b"1", b"2", b"3"]
    assert result.stderr.decode().splitlines() == [
        "warroom: input line 2 skipped: not UTF-8 (byte 0xff at offset 0)",
        "warroom: input line 4 skipped: longer than 65,536 bytes",
    ]
    assert _texts(journal_path) == ["first", "third", "fifth \u00e9"]


def test_a_slow_steady_stream_is_committed_within_a_second_of_each_line(journal_path: Path) -> None:
    process = subprocess.Popen([str(WARROOM), "note", "--stdin", "--journal", str(journal_path)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    acked: dict[int, float] = {}
    arrived = threading.Condition()

    def read_acks() -> None:
        for raw in process.stdout:
            with arrived:
                acked[int(raw)] = time.monotonic()
                arrived.notify_all()

    def wait_for(seq: int, timeout: float) -> bool:
        with arrived:
            return arrived.wait_for(lambda: seq in acked, timeout)

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    written: dict[int, float] = {}
    try:
        process.stdin.write(b"started\n")
        process.stdin.flush()
        assert wait_for(1, 60), "the first line was never committed"
        for seq in range(2, 62):                 # a line every 50 ms for 3 s: never a 0.2 s pause
            process.stdin.write(f"step {seq}\n".encode())
            process.stdin.flush()
            written[seq] = time.monotonic()
            time.sleep(0.05)
        assert wait_for(61, 10), f"lines waited for the end of the stream (acked: {sorted(acked)[-3:]})"
    finally:
        process.stdin.close()
        process.wait(timeout=60)
        reader.join(timeout=10)
    late = {seq: round(acked[seq] - at, 2) for seq, at in written.items() if acked[seq] - at > 1.5}
    assert not late, f"acknowledged more than 1.5 s after the line was written: {late}"
    assert process.returncode == 0
    assert len(_texts(journal_path)) == 61


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40).filter(lambda b: b"\n" not in b), max_size=12))
def test_every_line_is_either_text_or_a_numbered_problem(lines: list[bytes]) -> None:
    """Whatever the bytes, one result per line, numbered in order; good lines come back exactly."""
    import io

    got = list(read_lines(io.BytesIO(b"".join(line + b"\n" for line in lines))))
    assert [line.number for line in got] == list(range(1, len(lines) + 1))
    for raw, line in zip(lines, got, strict=True):
        try:
            expected = raw.decode("utf-8")
        except UnicodeDecodeError:
            assert line.problem and line.problem.startswith("not UTF-8") and line.text == ""
        else:
            assert line.problem is None and line.text == expected.rstrip("\r")


def test_a_note_argument_that_is_not_utf8_is_one_clear_line(journal_path: Path) -> None:
    result = subprocess.run([str(WARROOM), "note", "--journal", str(journal_path), b"caf\xe9 down"],
                            capture_output=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr == b"warroom: the note is not UTF-8 (byte 0xe9 at character 4)\n"
