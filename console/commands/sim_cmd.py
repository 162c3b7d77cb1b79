"""`warroom sim`: run a simulated tenant in the foreground, for demos, drills and a second terminal.

Point the console at it with `--graph-url` (or WARROOM_GRAPH_URL); every request it answers is printed,
with anything that could drive the terminal (escape sequences, bidi overrides) shown as a visible escape.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING

from ..cli import Context
from ..text import literal

if TYPE_CHECKING:
    from ..sim.server import RequestRecord, SimulatedTenant


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "sim",
        parents=[common],
        help="run a simulated Microsoft 365 tenant (a local Graph) for demos and drills",
        description="Serve a scenario's tenant on 127.0.0.1 until Ctrl+C, printing each request.",
    )
    parser.add_argument("--scenario", default="exchange-outage", metavar="NAME",
                        help="scenario name or .toml path (default: exchange-outage)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--speed", type=float, default=1.0, help="scenario seconds per wall-clock second")
    parser.add_argument("--start-at", type=float, default=0.0, metavar="SECONDS",
                        help="begin this many scenario seconds into the timeline")
    parser.add_argument("--fault", action="append", default=[], metavar="SPEC",
                        help="inject trouble: KIND[,path=PREFIX,count=N,retry_after=S,delay=S,status=N]; "
                             "kinds: throttle, server-error, slow, truncated-json, html-502, token-expired, "
                             "forbidden, disconnect, looping-next-link, escaping-next-link, endless-next-link")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--check", metavar="FILE", help="validate a scenario file (plays its timeline once) and exit")
    parser.add_argument("--quiet", action="store_true", help="do not print each request")
    parser.set_defaults(handler=run)


def run(ctx: Context) -> int:
    from ..sim import Fault, SimulatedTenant, list_scenarios, load_scenario

    args = ctx.args
    if args.list:
        for name in list_scenarios():
            scenario = load_scenario(name)
            print(literal(f"{name:28} {scenario.category:20} {scenario.title}"))
        return 0
    if args.check:
        scenario = load_scenario(args.check)
        counts = ", ".join(f"{len(items)} {name}" for name, items in scenario.initial.items() if items)
        print(literal(f"{scenario.source}: ok: {scenario.name} ({scenario.category}), {counts}; "
                      f"{len(scenario.events)} events over {scenario.duration:g} s, {len(scenario.faults)} faults"))
        return 0
    scenario = load_scenario(args.scenario)
    faults = [Fault.parse(spec) for spec in args.fault]

    def show(record: RequestRecord) -> None:
        query = "&".join(f"{k}={v}" for k, v in record.query.items())
        fault = f"  [{record.fault}]" if record.fault else ""
        line = f"T+{record.scenario_time:7.1f}s {record.status} {record.method} {record.path}"
        print(literal(line + (f"?{query}" if query else "") + fault), flush=True)

    tenant = SimulatedTenant(scenario, speed=args.speed, start_at=args.start_at, faults=faults, port=args.port,
                             on_request=None if args.quiet else show)
    with tenant:
        print(literal(f"{scenario.title} ({scenario.name}, {scenario.category})"))
        print(f"Graph endpoint: {tenant.base_url}")
        print(f"Try: warroom --graph-url {tenant.base_url}    (Ctrl+C stops the tenant)", flush=True)
        try:
            _follow_timeline(tenant, args.quiet)
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)
    return 0


def _follow_timeline(tenant: SimulatedTenant, quiet: bool) -> None:
    """Print each timeline step as scenario time reaches it (once a second is plenty for a person)."""
    steps_shown = errors_shown = 0
    stop = threading.Event()
    while not stop.wait(1.0):
        happened = tenant.happened()
        if not quiet:
            for at, what in happened[steps_shown:]:
                print(literal(f"T+{at:7.1f}s ---- {what}"), flush=True)
        steps_shown = len(happened)
        errors = list(tenant.state.errors) if tenant.state else []
        for error in errors[errors_shown:]:
            print(literal(f"scenario error: {error}"), file=sys.stderr, flush=True)
        errors_shown = len(errors)
