"""`warroom` (no command) and `warroom demo`: open the full-screen console.

Textual and the UI are imported here, inside the handlers, so that no other command pays for them.
"""

from __future__ import annotations

import argparse

from ..cli import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = subparsers.add_parser(
        "demo", parents=[common], help="open the console on the simulated tenant (DEMO mode)"
    )
    demo.add_argument("--scenario", default="exchange-outage", help="simulated-tenant scenario to play")
    demo.set_defaults(handler=run_demo)


def run_console(ctx: Context) -> int:
    from ..app import run_console as run

    return run(ctx)


def run_demo(ctx: Context) -> int:
    from ..app import run_demo as run

    return run(ctx)
