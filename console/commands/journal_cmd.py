"""`warroom journal verify|stats`: check and describe a journal without opening the console."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import Context, run_async
from ..journal import Journal, verify_file


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("journal", parents=[common], help="verify, describe, export and import journals")
    actions = parser.add_subparsers(dest="journal_command", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify", parents=[common], help="check SQLite integrity and the whole hash chain",
        description="Exit 0 when the journal is intact; otherwise print the first bad entry and why, exit 1.",
    )
    verify.add_argument("path", nargs="?", help="journal file (default: the configured journal)")
    verify.add_argument(
        "--head", metavar="HASH",
        help="a chain head recorded earlier: it must still be in the chain (detects a cut tail)"
    )
    verify.set_defaults(handler=run_verify)

    stats = actions.add_parser("stats", parents=[common], help="entries, incidents, size, first and last time")
    stats.add_argument("path", nargs="?", help="journal file (default: the configured journal)")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(handler=run_stats)


def _path(ctx: Context) -> Path:
    return Path(ctx.args.path).expanduser() if ctx.args.path else ctx.config.journal_path


def run_verify(ctx: Context) -> int:
    result = verify_file(_path(ctx), expect_head=ctx.args.head)
    for warning in result.warnings:
        print(f"warning: {warning}")
    if result.ok:
        print(f"ok: {result.entries} entries, chain head {result.head}")
        return 0
    where = f"entry {result.bad_seq}" if result.bad_seq is not None else "journal"
    print(f"BROKEN at {where}: {result.reason} ({result.entries} entries verified before it)")
    return 1


def run_stats(ctx: Context) -> int:
    async def collect():
        async with await Journal.open(_path(ctx), readonly=True, create=False) as journal:
            return await journal.stats()

    stats = run_async(collect())
    if ctx.args.json:
        print(json.dumps(stats.__dict__, indent=2))
        return 0
    print(f"journal     {stats.path}")
    print(f"id          {stats.journal_id}  (schema v{stats.schema_version})")
    print(f"entries     {stats.entries}")
    print(f"incidents   {stats.incidents}")
    print(f"size        {stats.size_bytes / 1024:.1f} KiB")
    print(f"first       {stats.first_at or '-'}")
    print(f"last        {stats.last_at or '-'}")
    return 0
