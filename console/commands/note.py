"""`warroom note`: append to the timeline from any shell, one entry or a stream of lines."""

from __future__ import annotations

import argparse
import asyncio
import sys
import threading

from ..cli import Context, run_async
from ..journal import Draft, Journal, SecretRefused, kinds
from ..journal.guard import refuse_secrets
from ..timefmt import parse_when

BATCH_MAX = 500          # lines per transaction at most
BATCH_LINGER_S = 0.2     # how long a quiet stream waits before a partial batch is committed


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


async def _single(ctx: Context, text: str, occurred) -> int:
    if not text.strip():
        raise ValueError("the note is empty")
    async with await ctx.open_journal() as journal:
        entry = await journal.append(ctx.args.kind, {"text": text}, incident=ctx.args.incident, occurred_at=occurred)
        _say_if_spooled(journal)
    print(entry.seq, flush=True)
    return 0


def _say_if_spooled(journal: Journal) -> None:
    """During a shared journal's outage the number printed is provisional: say where the entry waits."""
    if journal.unreachable_since is not None:
        print(f"warroom: shared journal unreachable; kept in this host's spool ({journal.pending} waiting), "
              "shared when warroom next reaches the database", file=sys.stderr, flush=True)


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def _stream(ctx: Context, occurred) -> int:
    """Commit lines as they come: a full batch at once, a partial one when the stream pauses."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(target=_read_lines, args=(loop, queue), daemon=True).start()
    async with await ctx.open_journal() as journal:
        done, number, refused = False, 0, 0
        while not done:
            batch: list[str] = []
            line = await queue.get()
            while True:
                if line is None:
                    done = True
                    break
                number += 1
                if not line.strip():
                    pass
                elif _refused(line, number):  # one secret-shaped line must not sink the rest of its batch
                    refused += 1
                else:
                    batch.append(line)
                if len(batch) >= BATCH_MAX:
                    break
                try:
                    line = await asyncio.wait_for(queue.get(), BATCH_LINGER_S)
                except TimeoutError:
                    break
            await _commit(journal, ctx, batch, occurred)
        _say_if_spooled(journal)
    return 1 if refused else 0


def _refused(line: str, number: int) -> bool:
    try:
        refuse_secrets({"text": line})
    except SecretRefused as error:
        print(f"warroom: input line {number} skipped: {error}", file=sys.stderr, flush=True)
        return True
    return False


async def _commit(journal: Journal, ctx: Context, lines: list[str], occurred) -> None:
    if not lines:
        return
    drafts = [Draft(ctx.args.kind, {"text": line}, ctx.args.incident, None, occurred) for line in lines]
    entries = await journal.append_many(drafts)
    print("\n".join(str(entry.seq) for entry in entries), flush=True)
