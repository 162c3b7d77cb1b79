"""`warroom evidence export|verify`: a checkable evidence bundle for one incident, and its check."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..cli import Context, run_async
from ..text import literal


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("evidence", parents=[common], help="export or verify an incident evidence bundle")
    actions = parser.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)

    export = actions.add_parser(
        "export", parents=[common], help="zip an incident's entries, observations and evidence with a manifest",
        description="The bundle holds manifest.json (SHA-256 of every file) and custody.json (who, when, from "
        "which journal and chain head). The export is journaled as evidence.exported unless --read-only.",
    )
    export.add_argument("incident", metavar="INCIDENT", help="incident id")
    export.add_argument("-o", "--output", metavar="FILE.zip", required=True, help="bundle to write")
    export.add_argument("--read-only", action="store_true", help="do not journal the export (journal left as is)")
    export.set_defaults(handler=run_export)

    verify = actions.add_parser(
        "verify", parents=[common], help="check a bundle: every file present, unchanged, nothing added",
    )
    verify.add_argument("bundle", metavar="FILE.zip")
    verify.add_argument(
        "--in-journal", action="store_true",
        help="also find the evidence.exported entry that recorded this exact bundle in the journal",
    )
    verify.set_defaults(handler=run_verify)


def run_export(ctx: Context) -> int:
    from ..evidence import export_bundle, exported_body
    from ..journal import Entry, JournalReadOnly, kinds

    out = Path(ctx.args.output).expanduser()
    result = export_bundle(ctx.journal_file(), ctx.args.incident, out, exported_by=ctx.config.responder)
    print(f"evidence bundle {out}: {result.entries} entries, {len(result.files) + 1} files")
    print(f"sha256 {result.bundle_sha256}")
    if ctx.args.read_only or ctx.config.get("read_only"):
        print("not journaled (read-only)")
        return 0

    async def journal_it() -> Entry:
        async with await ctx.open_journal(create=False) as journal:
            return await journal.append(kinds.EVIDENCE_EXPORTED, exported_body(result, ctx.args.incident),
                                        incident=ctx.args.incident)

    try:
        entry = run_async(journal_it())
    except JournalReadOnly:
        print("not journaled: the journal is read-only")
        return 0
    print(f"journaled as entry {entry.seq}")
    return 0


def run_verify(ctx: Context) -> int:
    """The bundle is untrusted: every field it supplies is printed through `literal()` (escapes made visible)."""
    from ..evidence import verify_bundle

    check = verify_bundle(Path(ctx.args.bundle).expanduser())
    custody = check.custody if isinstance(check.custody, dict) else {}
    journal = custody.get("journal") or {}
    if not isinstance(journal, dict):
        journal = {}
    if custody:
        print(literal(f"incident {custody.get('incident')} exported by {custody.get('exported_by')} "
                      f"at {custody.get('exported_at')} from journal {journal.get('id')} "
                      f"(head entry {journal.get('head_seq')})"))
    recorded_ok = True
    if ctx.args.in_journal:
        import hashlib

        from ..evidence import find_export

        with Path(ctx.args.bundle).expanduser().open("rb") as bundle:
            digest = hashlib.file_digest(bundle, "sha256").hexdigest()
        read = ctx.journal_file()
        entry = find_export(read, digest)
        recorded_ok = entry is not None
        print(literal(f"journaled as entry {entry.seq} by {entry.actor} at {entry.logged_at}" if entry else
                      f"FAILED: no evidence.exported entry in {read} records this exact bundle"))
    if check.ok and recorded_ok:
        print(f"ok: {check.files} files match the manifest, every record's hash recomputes, and the evidence "
              "files and custody agree with the entries")
        if not ctx.args.in_journal:
            print("this shows the files agree with each other, not that this is the bundle that was exported: "
                  "--in-journal checks its SHA-256 against the journal's record of the export")
        return 0
    for problem in check.problems:
        print(f"FAILED: {literal(problem)}")
    return 1
