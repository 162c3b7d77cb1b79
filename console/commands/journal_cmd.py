"""`warroom journal verify|stats`: check and describe a journal without opening the console."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import Context, run_async
from ..journal import Journal, verify_file
from ..text import literal


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
    verify.add_argument(
        "--full", action="store_true",
        help="also run SQLite's full integrity_check (index consistency; about twice as slow)",
    )
    verify.set_defaults(handler=run_verify)

    stats = actions.add_parser("stats", parents=[common], help="entries, incidents, size, first and last time")
    stats.add_argument("path", nargs="?", help="journal file (default: the configured journal)")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(handler=run_stats)

    export = actions.add_parser(
        "export", parents=[common], help="write every entry (or one incident's) as JSON Lines or CSV",
        description="Every stored field, hashes included, so the export can be re-verified elsewhere.",
    )
    export.add_argument("path", nargs="?", help="journal file (default: the configured journal)")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format (default jsonl)")
    export.add_argument("--incident", metavar="ID", help="only this incident's entries")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    export.set_defaults(handler=run_export)

    import_ = actions.add_parser(
        "import", parents=[common], help="merge an export from another responder's journal into this one",
        description="Appends the entries this journal does not hold yet; re-importing adds nothing.",
    )
    import_.add_argument("file", help="a `warroom journal export` file (jsonl or csv; - for stdin)")
    import_.add_argument("--check", action="store_true", help="only verify the file's records; import nothing")
    import_.set_defaults(handler=run_import)


def _path(ctx: Context) -> Path:
    return Path(ctx.args.path).expanduser() if ctx.args.path else ctx.config.journal_path


def run_verify(ctx: Context) -> int:
    result = verify_file(_path(ctx), expect_head=ctx.args.head, full_check=ctx.args.full)
    for warning in result.warnings:
        print(f"warning: {literal(warning)}")
    if result.ok:
        print(f"ok: {result.entries} entries, chain head {result.head}")
        return 0
    where = f"entry {result.bad_seq}" if result.bad_seq is not None else "journal"
    print(f"BROKEN at {where}: {literal(result.reason)} ({result.entries} entries verified before it)")
    return 1


def run_stats(ctx: Context) -> int:
    async def collect():
        async with await Journal.open(_path(ctx), readonly=True, create=False) as journal:
            return await journal.stats()

    stats = run_async(collect())
    if ctx.args.json:
        print(json.dumps(stats.__dict__, indent=2))
        return 0
    print(f"journal     {literal(stats.path)}")
    print(f"id          {stats.journal_id}  (schema v{stats.schema_version})")
    print(f"entries     {stats.entries}")
    print(f"incidents   {stats.incidents}")
    print(f"size        {stats.size_bytes / 1024:.1f} KiB")
    print(f"first       {stats.first_at or '-'}")
    print(f"last        {stats.last_at or '-'}")
    return 0


def run_export(ctx: Context) -> int:
    from ..exchange import export_to

    count = export_to(_path(ctx), ctx.args.format, ctx.args.output, incident=ctx.args.incident)
    if ctx.args.output:
        print(f"exported {count} entries to {ctx.args.output}")
    return 0


def run_import(ctx: Context) -> int:
    from ..exchange import check_records, merge, read_records

    rows = read_records(Path(ctx.args.file).expanduser())
    if ctx.args.check:
        check = check_records(rows)
        if not check.ok:
            print(f"BROKEN at entry {check.bad_seq}: {literal(check.reason)}")
            return 1
        scope = "an unbroken chain from entry 1" if check.complete else "an excerpt: links checked where entries adjoin"
        print(f"ok: {check.records} records verify ({scope}), head {check.head}")
        return 0

    async def go():
        async with await ctx.open_journal() as journal:
            return await merge(journal, rows)

    result = run_async(go())
    print(f"imported {result.added} of {result.read} entries ({result.already_here} already here)")
    return 0
