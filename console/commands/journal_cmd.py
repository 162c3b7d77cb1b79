"""`warroom journal verify|stats|export|import|copy|init`: journals without opening the console.

A journal is a file or a `postgresql://` URL: verify, stats and copy work on both; export, import and review
read files (a shared journal is read through this host's local copy, or taken home with `copy`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import Context, run_async
from ..journal import Journal, JournalError, JournalStats, VerifyResult, is_shared, open_journal, verify_file
from ..text import literal


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("journal", parents=[common], help="verify, describe, export and import journals")
    actions = parser.add_subparsers(dest="journal_command", metavar="ACTION", required=True)

    verify = actions.add_parser(
        "verify", parents=[common], help="check SQLite integrity and the whole hash chain",
        description="Exit 0 when the journal is intact; otherwise print the first bad entry and why, exit 1.",
    )
    verify.add_argument("path", nargs="?", help="journal file or postgresql:// URL (default: the configured journal)")
    verify.add_argument(
        "--head", metavar="HASH",
        help="a chain head recorded earlier (all 64 hex digits, or the first 16 or more): it must still be in the "
        "chain (detects a cut tail)"
    )
    verify.add_argument(
        "--full", action="store_true",
        help="also run SQLite's full integrity_check and compare the full-text index (review's search) with the "
        "entries (slower)",
    )
    verify.set_defaults(handler=run_verify)

    stats = actions.add_parser("stats", parents=[common], help="entries, incidents, size, first and last time")
    stats.add_argument("path", nargs="?", help="journal file or postgresql:// URL (default: the configured journal)")
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
        description="Appends the entries this journal does not hold yet, after a journal.imported entry naming the "
        "file (SHA-256), who and how many; re-importing adds nothing. An entry already here with other content "
        "refuses the whole import.",
    )
    import_.add_argument("file", help="a `warroom journal export` file (jsonl or csv; - for stdin)")
    import_.add_argument("--check", action="store_true",
                         help="only check that the file's records hash and link correctly (not who wrote them); "
                         "import nothing")
    import_.set_defaults(handler=run_import)

    copy = actions.add_parser(
        "copy", parents=[common], help="copy a whole journal between a file and PostgreSQL (either way)",
        description="Copies every entry verbatim (same numbers, hashes and journal id) into a new, empty journal, "
        "then verifies the chain there: promote a single-host incident to a shared one mid-flight, or take a shared "
        "one home for offline review. Run it again to bring a copy up to date.",
    )
    copy.add_argument("source", help="journal file or postgresql:// URL to copy from")
    copy.add_argument("destination", help="journal file or postgresql:// URL to copy to (new, or an earlier copy)")
    copy.set_defaults(handler=run_copy)

    init = actions.add_parser(
        "init", parents=[common], help="create the shared journal in a PostgreSQL database and grant roles",
        description="Run once as the database owner. Responders may read and INSERT entries, readers only read; "
        "nobody may UPDATE, DELETE or TRUNCATE them (docs/shared-journal.md).",
    )
    init.add_argument("url", help="postgresql://owner@host/db (password from PGPASSWORD or ~/.pgpass)")
    init.add_argument("--responder", action="append", default=[], metavar="ROLE", help="may read and append")
    init.add_argument("--reader", action="append", default=[], metavar="ROLE", help="may only read")
    init.set_defaults(handler=run_init)


def _path(ctx: Context) -> Path:
    """The file to read: the one named (or configured), or this host's copy of a shared journal (said on stderr)."""
    return ctx.journal_file(ctx.args.path)


def _location(ctx: Context) -> str | Path:
    """The journal a command names, file or URL; the configured one (a shared journal itself) by default."""
    if ctx.args.path:
        return ctx.args.path if is_shared(ctx.args.path) else Path(ctx.args.path).expanduser()
    return ctx.config.journal_location


async def _open_direct(location: str | Path, *, readonly: bool = True, create: bool = False,
                       actor: str = "unknown") -> Journal:
    """The backend itself (no spool, no local copy): what verify, stats and copy must look at."""
    if isinstance(location, str) and is_shared(location):
        from ..journal.postgres import PostgresJournal

        return await PostgresJournal.open(location, actor=actor, readonly=readonly, create=create)
    return await open_journal(location, actor=actor, readonly=readonly, create=create)


def run_verify(ctx: Context) -> int:
    from ..journal.records import normalize_head

    location = _location(ctx)
    if ctx.args.head:
        ctx.args.head = normalize_head(ctx.args.head)
    if isinstance(location, str):
        async def verify_shared() -> VerifyResult:
            async with await _open_direct(location) as journal:
                return await journal.verify(expect_head=ctx.args.head)

        result = run_async(verify_shared())
    else:
        result = verify_file(location, expect_head=ctx.args.head, full_check=ctx.args.full, check_index=ctx.args.full)
    for warning in result.warnings:
        print(f"warning: {literal(warning)}")
    if result.ok:
        print(f"ok: {result.entries} entries, chain head {result.head}")
        return 0
    where = f"entry {result.bad_seq}" if result.bad_seq is not None else "journal"
    print(f"BROKEN at {where}: {literal(result.reason)} ({result.entries} entries verified before it)")
    return 1


def run_stats(ctx: Context) -> int:
    async def collect() -> JournalStats:
        async with await _open_direct(_location(ctx)) as journal:
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
    from ..exchange import export_to, warn_if_broken

    count, verdict = export_to(_path(ctx), ctx.args.format, ctx.args.output, incident=ctx.args.incident)
    if ctx.args.output:
        print(f"exported {count} entries to {ctx.args.output}")
    return warn_if_broken(verdict, "the export")


def run_import(ctx: Context) -> int:
    from ..exchange import ImportResult, check_records, merge, read_export

    source = read_export(Path(ctx.args.file).expanduser())
    rows = source.records
    if ctx.args.check:
        check = check_records(rows, source.journals)
        if not check.ok:
            print(f"BROKEN at entry {check.bad_seq}: {literal(check.reason)}")
            return 1
        scope = "an unbroken chain from entry 1" if check.complete else "an excerpt: links checked where entries adjoin"
        print(f"consistent: {check.records} records hash and link correctly ({scope}), last hash {check.head}")
        print("this shows the file was not changed record by record, not who wrote it or which journal it came "
              "from: compare that hash with a head recorded at the source (`journal verify` there)")
        return 0

    async def go() -> ImportResult:
        async with await ctx.open_journal() as journal:
            return await merge(journal, rows, source)

    result = run_async(go())
    print(f"imported {result.added} of {result.read} entries ({result.already_here} already here)")
    if result.record is not None:
        print(f"recorded as entry {result.record.seq} (journal.imported, file sha256 {source.sha256})")
    return 0


COPY_BATCH = 5000


def run_copy(ctx: Context) -> int:
    source, destination = ctx.args.source, ctx.args.destination
    source = source if is_shared(source) else Path(source).expanduser()
    destination = destination if is_shared(destination) else Path(destination).expanduser()
    if str(source) == str(destination):
        raise JournalError("source and destination are the same journal")

    async def copy() -> tuple[int, VerifyResult, str]:
        async with await _open_direct(source) as src, await _open_direct(
                destination, readonly=False, create=True, actor=ctx.config.responder) as dst:
            if (await dst.head())[0] == 0:
                await dst.adopt_identity(src.journal_id)
            elif dst.journal_id != src.journal_id:
                raise JournalError(f"{dst.location} already holds another journal ({dst.journal_id}); "
                                   "copy into a new one")
            await _same_history(src, dst)
            copied, after = 0, (await dst.head())[0]
            while batch := await src.entries(after=after, limit=COPY_BATCH):
                copied += await dst.append_copies(batch)
                after = batch[-1].seq
            return copied, await dst.verify(), dst.location

    copied, result, where = run_async(copy())
    if not result.ok:
        print(f"BROKEN at entry {result.bad_seq} after the copy: {literal(result.reason)}")
        return 1
    print(f"copied {copied} entries to {literal(where)}; verified: {result.entries} entries, "
          f"chain head {result.head}")
    return 0


async def _same_history(src: Journal, dst: Journal) -> None:
    """A copy can only bring an earlier copy up to date: refuse two journals that went separate ways."""
    src_seq, dst_seq = (await src.head())[0], (await dst.head())[0]
    if src_seq == 0 or dst_seq == 0:
        return
    seq = min(src_seq, dst_seq)
    mine, theirs = await src.entry(seq), await dst.entry(seq)
    if mine is None or theirs is None or mine.hash != theirs.hash:
        raise JournalError(f"{dst.location} and {src.location} went separate ways at or before entry {seq}: "
                           "`journal export` and `journal import` merge them instead")


def run_init(ctx: Context) -> int:
    from ..journal.postgres import init_shared, redact

    if not is_shared(ctx.args.url):
        raise JournalError("journal init sets up a shared journal: give a postgresql:// URL")
    done = run_async(init_shared(ctx.args.url, responders=ctx.args.responder, readers=ctx.args.reader))
    where = literal(redact(ctx.args.url))
    print(f"-- shared journal {done.journal_id} at {where}: {len(done.statements)} statements, one transaction")
    for statement in done.statements:
        print(f"{statement};")
    if not done.statements:
        print("-- the schema was already current and no role was named: nothing to do")
    return 0
