"""`warroom notify INCIDENT --audience A`: print an audience's draft, or deliver it through its channels."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli import EXIT_FAILED, EXIT_USAGE, Context, run_async

if TYPE_CHECKING:
    from ..graph.gateway import GraphGateway
    from ..incidents import Incident

MAX_TEXT_FILE = 200_000      # bytes: a message, not a document


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "notify", parents=[common], help="draft, or send with --send, a notification to one audience",
        description="Without --send, prints the draft (recipients, channels, subject and text). With --send, "
                    "journals the message, delivers it through each of the audience's channels and prints one "
                    "line per channel; exits 1 if any channel failed (the others still delivered, none twice). "
                    "A draft still holding a [placeholder] is refused (exit 2) unless the final text comes "
                    "from --text-file.",
    )
    parser.add_argument("incident", metavar="INCIDENT", help="incident id, e.g. INC-20261124-01")
    parser.add_argument("--audience", required=True, metavar="AUDIENCE",
                        help="stakeholders, technical, users or management")
    parser.add_argument("--kind", default=None, metavar="KIND",
                        help="initial, progress, resolution, report or lessons (default: initial for an audience "
                             "not yet told, then progress; resolution once resolved)")
    parser.add_argument("--text-file", metavar="FILE", help="the final text (UTF-8), instead of the template's")
    parser.add_argument("--subject", metavar="TEXT", help="the subject, instead of the template's")
    parser.add_argument("--send", action="store_true", help="deliver it (without: print the draft)")
    parser.set_defaults(handler=run)


def _read_text(name: str) -> str:
    path = Path(name)
    with path.open("rb") as handle:
        data = handle.read(MAX_TEXT_FILE + 1)
    if len(data) > MAX_TEXT_FILE:
        raise ValueError(f"{name}: longer than {MAX_TEXT_FILE} bytes; a notification is shorter")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not UTF-8 text") from None
    if not text.strip():
        raise ValueError(f"{name}: the text is empty")
    return text if text.endswith("\n") else text + "\n"


def run(ctx: Context) -> int:
    return run_async(_run(ctx))


async def _run(ctx: Context) -> int:
    from .. import notify
    from ..graph.live import restore_last_known
    from ..session import WarRoom
    from ..text import literal

    args = ctx.args
    text_file = _read_text(args.text_file) if args.text_file else None
    warroom = await WarRoom.open(ctx.config)
    try:
        incident = warroom.book.incidents.get(args.incident)
        if incident is None:
            raise ValueError(f"no incident {args.incident} in the journal")
        kind = notify.update_kind(args.kind) if args.kind else _default_kind(incident, args.audience)
        warroom.live = await restore_last_known(warroom.journal)
        prepared = await notify.prepare(warroom, incident, kind, args.audience)
        subject = args.subject if args.subject is not None else prepared.rendered.subject
        text = text_file if text_file is not None else prepared.rendered.text
        left = [] if text_file is not None else notify.comms.unfilled(text, prepared.rendered.placeholders)
        if not args.send:
            print(f"To: {literal(', '.join(prepared.recipients)) or '(no recipients configured)'}")
            print(f"Channels: {', '.join(c.name for c in prepared.channels) or '(none configured)'}")
            print(f"Subject: {literal(notify.comms.with_incident_id(subject, incident.id))}")
            print()
            sys.stdout.write("".join(f"{literal(line)}\n" for line in text.splitlines()))
            if left:
                print(f"warroom: to fill before sending: {', '.join(left)}", file=sys.stderr)
            return 0
        if left:
            print(f"warroom: not sent: the draft still holds {', '.join(left)}; write the final text to a file "
                  "and pass --text-file", file=sys.stderr)
            return EXIT_USAGE
        if not prepared.channels:
            print(f"warroom: not sent: no channel is configured for {args.audience} "
                  f"([audiences.{args.audience}] channels = [...])", file=sys.stderr)
            return EXIT_USAGE
        message = notify.outgoing(warroom, incident, prepared, kind, args.audience, subject, text)
        gateway = await _gateway(ctx) if any(c.kind == "graph" for c in prepared.channels) else None
        try:
            result = await notify.send(warroom, message, gateway=gateway)
        finally:
            if gateway is not None:
                await gateway.close()
    finally:
        await warroom.close()
    print(f"{message.incident} message {message.number} to {message.audience} (journal entry "
          f"{result.sent.seq if result.sent else '?'}):")
    for receipt in result.receipts:
        print(f"  {literal(receipt.line())}")
    if result.journal_error:
        print(f"warroom: delivered as above, but the result was not journaled: {literal(result.journal_error)}",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if result.failed else 0


def _default_kind(incident: Incident, audience: str) -> str:
    if incident.status == "resolved":
        return "resolution"
    return "progress" if incident.sent_by_audience.get(audience) else "initial"


async def _gateway(ctx: Context) -> GraphGateway | None:
    """Graph for the graph channel, never prompting; without it that channel fails and the others deliver."""
    from ..graph.connect import connect

    try:
        return await connect(ctx.config)
    except Exception as error:
        print(f"warroom: Microsoft Graph not reachable for sendMail: {type(error).__name__}", file=sys.stderr)
        return None
