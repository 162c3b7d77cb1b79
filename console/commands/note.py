"""`warroom note`: append to the timeline from any shell, one entry or a stream of lines."""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, NamedTuple

from ..cli import Context, run_async
from ..journal import Draft, Journal, SecretRefused, kinds
from ..journal.guard import refuse_secrets
from ..journal.records import say_renumbered
from ..timefmt import parse_when

BATCH_MAX = 500          # lines per transaction at most
BATCH_LINGER_S = 0.2     # how long a quiet stream waits before a partial batch is committed
BATCH_AGE_S = 0.5        # a steady trickle is committed this long after its first line at the latest
LINE_MAX = 65_536        # bytes a line may hold; a longer one is skipped, not read into memory whole


class InputLine(NamedTuple):
    """One line of stdin: its text, or why it cannot be journaled (not UTF-8, too long)."""

    number: int
    text: str
    problem: str | None = None

def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "note",
        parents=[common],
        help="append a timeline entry (or one per line of stdin)",
        description="Append a timeline entry; prints its sequence number once it is committed.",
    )
    parser.add_argument("text", nargs="*", help="the entry's text")
    parser.add_argument("--incident", metavar="ID", help="the incident it belongs to")
    parser.add_argument("--kind", default=kinds.NOTE, choices=kinds.HAND_WRITTEN, help="entry kind (default: note)")
    parser.add_argument("--at", metavar="TIME", help="when it happened: ISO 8601 (UTC), 'now' or '-15m'")
    parser.add_argument("--stdin", action="store_true", help="one entry per input line, committed in batches")
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    args = ctx.args
    if args.stdin == bool(args.text):
        raise ValueError("give the note's text, or --stdin (not both)")
    occurred = parse_when(args.at) if args.at else None
    return run_async(_stream(ctx, occurred) if args.stdin else _single(ctx, " ".join(args.text), occurred))


async def _single(ctx: Context, text: str, occurred: datetime | None) -> int:
    if not text.strip():
        raise ValueError("the note is empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:      # argv bytes that were not UTF-8 arrive as surrogates
        byte = ord(text[error.start]) & 0xFF
        raise ValueError(f"the note is not UTF-8 (byte 0x{byte:02x} at character {error.start + 1})") from None
    async with await ctx.open_journal() as journal:
        _say_renumbered(journal)
        entry = await journal.append(ctx.args.kind, {"text": text}, incident=ctx.args.incident, occurred_at=occurred)
        _say_renumbered(journal)
        _say_if_spooled(journal, [entry.seq])
    print(entry.seq, flush=True)
    return 0


def _spooled(journal: Journal) -> bool:
    return journal.pending > 0 and (journal.unreachable_since is not None or bool(journal.upload_error))


def _say_if_spooled(journal: Journal, numbers: list[int]) -> None:
    """During a shared journal's outage the numbers printed are provisional: say so, and where the entries wait."""
    if not _spooled(journal) or not numbers:
        return
    why = journal.upload_error or journal.unreachable_reason or "shared journal unreachable"
    span = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
    print(f"warroom: {why}; kept in this host's spool ({journal.pending} waiting), shared when warroom next "
          f"reaches the database. {span} {'is' if len(numbers) == 1 else 'are'} provisional: the shared journal "
          "numbers entries on upload, and warroom then says which number each became", file=sys.stderr, flush=True)


def _say_renumbered(journal: Journal) -> None:
    """Entries printed with provisional numbers during an outage are shared now: say which number each became."""
    done = list(journal.renumbered)
    if done:
        journal.renumbered.clear()   # type: ignore[attr-defined]   # only a shared journal renumbers
        print(f"warroom: {say_renumbered(done)}", file=sys.stderr, flush=True)


def read_lines(stream: BinaryIO) -> Iterator[InputLine]:
    """Each line as text; a line that is not UTF-8 or is too long comes back as a problem, never an exception."""
    number = 0
    while raw := stream.readline(LINE_MAX + 1):
        number += 1
        if len(raw) > LINE_MAX and not raw.endswith(b"\n"):
            while (rest := stream.readline(LINE_MAX)) and not rest.endswith(b"\n"):
                pass                                    # the rest of that line, read and dropped in pieces
            yield InputLine(number, "", f"longer than {LINE_MAX:,} bytes")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield InputLine(number, "", f"not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})")
            continue
        yield InputLine(number, text.rstrip("\r\n"))


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[InputLine | None]) -> None:
    stream = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode("utf-8"))
    try:
        for line in read_lines(stream):
            loop.call_soon_threadsafe(queue.put_nowait, line)
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, None)      # whatever happens, the batch in hand is committed


async def _stream(ctx: Context, occurred: datetime | None) -> int:
    """Commit lines as they come: a full batch at once, a partial one when the stream pauses or the batch's first
    line has waited BATCH_AGE_S, so a slow steady stream is acknowledged within a second."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[InputLine | None] = asyncio.Queue()
    threading.Thread(target=_read_lines, args=(loop, queue), daemon=True).start()
    async with await ctx.open_journal() as journal:
        _say_renumbered(journal)
        done, skipped, told = False, 0, False
        while not done:
            batch: list[str] = []
            line = await queue.get()
            deadline = loop.time() + BATCH_AGE_S
            while True:
                if line is None:
                    done = True
                    break
                if line.problem:
                    print(f"warroom: input line {line.number} skipped: {line.problem}", file=sys.stderr, flush=True)
                    skipped += 1
                elif not line.text.strip():
                    pass
                elif _refused(line.text, line.number):  # one bad line must not sink the rest of its batch
                    skipped += 1
                else:
                    batch.append(line.text)
                wait = min(BATCH_LINGER_S, deadline - loop.time())
                if len(batch) >= BATCH_MAX or wait <= 0:
                    break
                try:
                    line = await asyncio.wait_for(queue.get(), wait)
                except TimeoutError:
                    break
            numbers = await _commit(journal, ctx, batch, occurred)
            _say_renumbered(journal)
            if numbers and _spooled(journal) and not told:      # once: every number after these is provisional too
                _say_if_spooled(journal, numbers)
                told = True
    return 1 if skipped else 0


def _refused(line: str, number: int) -> bool:
    try:
        refuse_secrets({"text": line})
    except SecretRefused as error:
        print(f"warroom: input line {number} skipped: {error}", file=sys.stderr, flush=True)
        return True
    return False


async def _commit(journal: Journal, ctx: Context, lines: list[str], occurred: datetime | None) -> list[int]:
    if not lines:
        return []
    drafts = [Draft(ctx.args.kind, {"text": line}, ctx.args.incident, None, occurred) for line in lines]
    entries = await journal.append_many(drafts)
    print("\n".join(str(entry.seq) for entry in entries), flush=True)
    return [entry.seq for entry in entries]
