"""`warroom` (no command) and `warroom demo`: open the full-screen console.

Textual and the UI are imported here, inside the handlers, so that no other command pays for them.
"""

from __future__ import annotations

import argparse
import os

from ..cli import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = subparsers.add_parser(
        "demo", parents=[common], help="open the console on the simulated tenant (DEMO mode)"
    )
    demo.add_argument("--scenario", default="exchange-outage", help="simulated-tenant scenario to play")
    demo.set_defaults(handler=run_demo)


# `--color` to Textual's colour system; Textual reads it from the environment when it is first imported.
COLOR_SYSTEMS = {"truecolor": "truecolor", "256": "256", "16": "standard"}


def apply_color(ctx: Context) -> None:
    """`--color 16` also picks the ansi theme (the terminal's own palette); `none` is NO_COLOR."""
    choice = getattr(ctx.args, "color", None) or "auto"
    if choice == "none":
        os.environ["NO_COLOR"] = "1"
    elif choice in COLOR_SYSTEMS:
        os.environ["TEXTUAL_COLOR_SYSTEM"] = COLOR_SYSTEMS[choice]
    if choice == "16":
        ctx.config.values["ui.theme"] = "ansi"
        ctx.config.origins["ui.theme"] = "command line (--color 16)"


def run_console(ctx: Context) -> int:
    apply_color(ctx)
    from ...screens.app import run_console as run  # lazy: only the console pays for Textual

    return run(ctx)


def run_demo(ctx: Context) -> int:
    apply_color(ctx)
    from ...screens.app import run_demo as run  # lazy: only the console pays for Textual

    return run(ctx)


# The console switches the garbage collector back on itself, once its first frames are drawn (console/launch.py).
run_console.draws_first_frame = run_demo.draws_first_frame = True  # type: ignore[attr-defined]
