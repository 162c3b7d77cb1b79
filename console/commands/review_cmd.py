"""`warroom browse [JOURNAL]`: the journal browser, read-only and full screen (Textual is imported only here).

`review` is kept as another name for it; the post-incident review is the console's `P`, not this.
"""

from __future__ import annotations

import argparse

from ..cli import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "browse", aliases=["review"], parents=[common],
        help="browse a journal read-only: timeline, search, what we knew when",
        description="Opens the journal so that no byte of it (or its -wal/-shm files) can change.",
    )
    parser.add_argument("path", nargs="?", metavar="JOURNAL",
                        help="journal file, or a postgresql:// URL for this host's copy of it (default: configured)")
    parser.add_argument("--incident", metavar="ID", help="start on this incident's timeline")
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    from ...screens.review import JournalBrowserApp  # lazy: only this command pays for Textual

    path = ctx.journal_file(ctx.args.path)
    app = JournalBrowserApp(path, incident=ctx.args.incident, timezone=ctx.config.get("timezone", "UTC"),
                    source=f"this host's copy, {ctx.copy_notice}" if ctx.copy_notice else "",
                    keys=ctx.config.get("ui.keys") or {})
    app.run()
    return app.return_code or 0


# The browser switches the garbage collector back on itself, once its first page is drawn (console/launch.py).
run.draws_first_frame = True  # type: ignore[attr-defined]
