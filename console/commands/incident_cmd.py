"""`warroom declare`, `warroom incident status|close` and `warroom handoff`: the lifecycle from any shell.

For a script or an alerting pipeline as much as for a person: each writes through the same session as the
console (journal first, ids claimed inside the write transaction), so a console open on the same journal
shows the change within a second. Output is one line a script can use (`declare` prints the incident id).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..cli import Context, run_async
from ..incidents import CATEGORIES, ROLE_NAMES, Incident
from ..lifecycle import STATUS_MEANINGS, STATUSES, close_drafts, open_tasks, status_body
from ..text import literal
from ..timefmt import utc_now

if TYPE_CHECKING:
    from ..session import WarRoom


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    declare = subparsers.add_parser(
        "declare", parents=[common], help="declare an incident from any shell; prints its id",
        description="Declare an incident (its playbook's tasks included) and print its id.",
    )
    declare.add_argument("--category", required=True, choices=CATEGORIES)
    declare.add_argument("--title", help="what is wrong (default: the alert's or Microsoft issue's title)")
    declare.add_argument("--service", action="append", default=[], metavar="NAME",
                         help="an affected service, as Microsoft names it (repeat for several)")
    source = declare.add_mutually_exclusive_group()
    source.add_argument("--from-alert", metavar="ID", help="a Defender alert id: linked, its time starts the clock")
    source.add_argument("--from-issue", metavar="ID", help="a Microsoft service issue id (EX1195322)")
    declare.add_argument("--commander", metavar="NAME", help="the incident commander (default: responder)")
    declare.set_defaults(handler=run_declare)

    incident = subparsers.add_parser("incident", parents=[common], help="change an incident's status or close it")
    actions = incident.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    status = actions.add_parser("status", parents=[common], help="move an incident along its lifecycle",
                                description="Move an incident along its lifecycle; going back needs --text.",
                                epilog="statuses:\n" + "\n".join(f"  {name:<14}{STATUS_MEANINGS[name]}"
                                                                  for name in STATUSES[:-1]),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    status.add_argument("incident", metavar="INCIDENT")
    status.add_argument("status", metavar="STATUS", choices=STATUSES[:-1])
    status.add_argument("--text", default="", help="why (required when going back)")
    status.set_defaults(handler=run_status)
    close = actions.add_parser("close", parents=[common], help="close an incident with a summary")
    close.add_argument("incident", metavar="INCIDENT")
    close.add_argument("--summary", required=True, help="one line: what happened and how it ended")
    close.add_argument("--with-open-tasks", action="store_true", help="close even though tasks are still open")
    close.set_defaults(handler=run_close)

    case = actions.add_parser("case", parents=[common], help="track the Microsoft support case on an incident",
                              description="Record the case number, its severity, when it was opened and the last "
                                          "contact; each call is journaled (the newest values stand).")
    case.add_argument("incident", metavar="INCIDENT")
    case.add_argument("number", metavar="NUMBER", help="Microsoft's case number")
    case.add_argument("--severity", choices=("A", "B", "C"), help="the case severity agreed with Microsoft")
    case.add_argument("--opened", metavar="TIME", help="when it was opened: ISO 8601 (UTC), 'now' or '-15m'")
    case.add_argument("--contact", metavar="TEXT", help="the last contact with Microsoft: who said what")
    case.set_defaults(handler=run_case)

    handoff = subparsers.add_parser(
        "handoff", parents=[common], help="the one-page hand-off for a new incident commander",
        description="Print the hand-off page; with --to, hand a role over (journaled with the page given).",
    )
    handoff.add_argument("incident", metavar="INCIDENT")
    handoff.add_argument("--to", metavar="PERSON", help="who takes the role over")
    handoff.add_argument("--role", default="incident_commander", choices=list(ROLE_NAMES))
    handoff.set_defaults(handler=run_handoff)


async def _session(ctx: Context) -> WarRoom:
    from ..session import WarRoom

    return await WarRoom.open(ctx.config)


def _incident(room: WarRoom, incident_id: str) -> Incident:
    incident = room.book.incidents.get(incident_id)
    if incident is None:
        known = ", ".join(i.id for i in room.book.open_incidents()) or "none open"
        raise ValueError(f"no incident {incident_id!r} (open: {known})")
    return incident


def run_declare(ctx: Context) -> int:
    return run_async(_declare(ctx))


async def _declare(ctx: Context) -> int:
    from ..graph.live import restore_last_known
    from ..playbooks import PlaybookLibrary, declaration
    from ..subject import resolve

    args = ctx.args
    library = PlaybookLibrary.load(ctx.config.get("playbooks.folder"))
    room = await _session(ctx)
    try:
        source: dict[str, Any] | None = None
        named: tuple[str, ...] = ()
        if args.from_alert or args.from_issue:
            live = await restore_last_known(room.journal)    # the last known state names its title and time
            subject = resolve(live, "alert", args.from_alert) if args.from_alert else \
                resolve(live, "service_issue", args.from_issue)
            source, named = subject.source(), subject.services
        title = args.title or (source or {}).get("title") or ""
        services = list(args.service) or list(named)
        roles = {"incident_commander": args.commander or ctx.config.responder}

        def build(incident_id: str) -> list:
            return declaration(incident_id, title=title, category=args.category, services=services, roles=roles,
                               library=library, source=source)

        build(room.book.new_id(utc_now()))        # checks the input before anything is written
        incident_id = await room.record_new_incident(build)
    finally:
        await room.close()
    print(incident_id, flush=True)
    return 0


def run_status(ctx: Context) -> int:
    return run_async(_status(ctx))


async def _status(ctx: Context) -> int:
    from ..journal import kinds

    room = await _session(ctx)
    try:
        incident = _incident(room, ctx.args.incident)
        before = incident.status
        body = status_body(incident, ctx.args.status, ctx.args.text)
        entry = await room.record(kinds.INCIDENT_STATUS, body, incident=incident.id)
    finally:
        await room.close()
    print(f"{incident.id}: {before} → {body['status']} (entry {entry.seq})", flush=True)
    return 0


def run_close(ctx: Context) -> int:
    return run_async(_close(ctx))


async def _close(ctx: Context) -> int:
    room = await _session(ctx)
    try:
        incident = _incident(room, ctx.args.incident)
        still_open = open_tasks(incident)
        if still_open and not ctx.args.with_open_tasks:
            listed = "; ".join(f"{task.id} {task.text}" for task in still_open)
            raise ValueError(f"{len(still_open)} task(s) still open: {listed}. Close anyway with --with-open-tasks")
        await room.record_many(close_drafts(incident, ctx.args.summary))
    finally:
        await room.close()
    suffix = f" with {len(still_open)} task(s) open" if still_open else ""
    print(f"{incident.id}: closed{suffix}", flush=True)
    return 0


def run_case(ctx: Context) -> int:
    return run_async(_case(ctx))


async def _case(ctx: Context) -> int:
    from ..journal import kinds
    from ..recovery import support_case_body

    args = ctx.args
    body = support_case_body(args.number, severity=args.severity or "", opened=args.opened or "",
                             contact=args.contact or "", now=utc_now())
    number = body["id"]
    room = await _session(ctx)
    try:
        incident = _incident(room, args.incident)
        entry = await room.record(kinds.INCIDENT_LINKED, body, incident=incident.id)
    finally:
        await room.close()
    print(f"{incident.id}: support case {literal(number)} recorded (entry {entry.seq})", flush=True)
    return 0


def run_handoff(ctx: Context) -> int:
    return run_async(_handoff(ctx))


async def _handoff(ctx: Context) -> int:
    """The page as it stands; with --to, the role changes hands first and the page shows the hand-off."""
    from ..comms import cadence_minutes
    from ..graph.live import restore_last_known
    from ..handoff import hand_over, handoff_sections, handoff_text

    args = ctx.args
    room = await _session(ctx)
    try:
        incident = _incident(room, args.incident)
        room.live = await restore_last_known(room.journal)
        cadence = cadence_minutes(ctx.config)
        if args.to:
            await hand_over(room, incident, args.role, args.to, cadence=cadence, now=utc_now())
        entries = await room.journal.entries(incident=incident.id)
        page = handoff_text(handoff_sections(incident, entries, cadence=cadence, now=utc_now(), live=room.live))
    finally:
        await room.close()
    for line in page.splitlines():
        print(literal(line), flush=False)
    if args.to:
        print(f"{ROLE_NAMES[args.role]} handed over to {literal(args.to)}", flush=True)
    return 0
